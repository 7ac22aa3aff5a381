"""Seeded lotteries and ranked choice: reproducible from the published seed and entrant list, the
hash names the list, `draw_verify` re-runs a draw and catches any change."""

import hashlib

import pytest
from django.core.exceptions import ValidationError

from huigong.core.capacity import lottery
from huigong.core.capacity import services as cap
from huigong.core.capacity.models import Allocation, Draw, Entry, EntryStatus
from huigong.core.capacity.spec import kernel_spec
from huigong.core.models import AuditEvent

K = kernel_spec()


def test_the_order_depends_only_on_the_seed_and_the_ids():
    ids = [5, 3, 9, 1, 7]
    assert lottery.order("s1", ids) == lottery.order("s1", list(reversed(ids)))
    assert sorted(lottery.order("s1", ids)) == sorted(ids)
    assert lottery.order("s1", range(50)) != lottery.order("s2", range(50))
    # An entrant removed does not reorder the others.
    assert [i for i in lottery.order("s1", ids) if i != 9] == lottery.order("s1", [5, 3, 1, 7])
    # Anyone can recompute the hash: SHA-256 of the ids ascending, one per line.
    assert lottery.entrants_hash([3, 1, 2]) == hashlib.sha256(b"1\n2\n3").hexdigest()


def test_serial_dictatorship_gives_each_in_order_their_best_open_choice():
    got = lottery.serial_dictatorship([1, 2, 3, 4], {1: [10, 20], 2: [10, 20], 3: [10, 20], 4: [20]},
                                      {10: 1, 20: 2})
    assert got == {1: 10, 2: 20, 3: 20, 4: None}


@pytest.mark.django_db
def test_a_draw_grants_in_seeded_order_waitlists_the_rest_and_verifies(make_people):
    pool = cap.pool_create(actor=None, purpose="test.course:1", total=3, allocation=Allocation.LOTTERY,
                           waitlist=True, is_open=True)
    entries = [cap.enter(K, pool=pool, person_id=p) for p in make_people(8)]
    with pytest.raises(cap.Already):
        cap.enter(K, pool=pool, person_id=entries[0].person_id)
    record = cap.draw(K, actor=None, pool=pool, seed="2026-求学圆梦")
    order = lottery.order("2026-求学圆梦", [e.pk for e in entries])
    assert [r[0] for r in record.result] == order
    statuses = dict(Entry.objects.filter(pool=pool).values_list("id", "status"))
    assert [statuses[i] for i in order] == ["granted"] * 3 + ["waiting"] * 5
    assert record.entrants_hash == lottery.entrants_hash([e.pk for e in entries])
    event = AuditEvent.objects.get(verb="capacity.draw")
    assert event.new["seed"] == "2026-求学圆梦" and event.new["entrants_hash"] == record.entrants_hash
    assert cap.draw_verify(record, K) == []
    # The waitlist follows the drawn order.
    waiting = Entry.objects.get(pk=order[3])
    assert cap.waitlist_position(K, waiting) == 1
    cap.entry_cancel(K, entry_id=order[0])
    assert Entry.objects.get(pk=order[3]).status == EntryStatus.GRANTED
    # Drawn once only, and no late entrants.
    with pytest.raises(ValidationError):
        cap.draw(K, actor=None, pool=pool)
    with pytest.raises(ValidationError):
        cap.enter(K, pool=pool, person_id=make_people(1)[0])


@pytest.mark.django_db
def test_verify_catches_a_changed_list_or_order(make_people):
    pool = cap.pool_create(actor=None, purpose="test.course:2", total=2, allocation=Allocation.LOTTERY,
                           is_open=True)
    entries = [cap.enter(K, pool=pool, person_id=p) for p in make_people(5)]
    record = cap.draw(K, actor=None, pool=pool)
    assert len(record.seed) == 32 and cap.draw_verify(record, K) == []
    assert Entry.objects.filter(pool=pool, status=EntryStatus.LOST).count() == 3
    forged = Draw.objects.get(pk=record.pk)
    forged.entrants = forged.entrants[:-1]
    assert "entrants_hash" in cap.draw_verify(forged, K)
    swapped = Draw.objects.get(pk=record.pk)
    swapped.result = [swapped.result[1], swapped.result[0], *swapped.result[2:]]
    assert "order" in cap.draw_verify(swapped, K)
    # An entry's rank changed in the database after the draw.
    Entry.objects.filter(pk=entries[0].pk).update(draw_rank=99)
    assert "ranks" in cap.draw_verify(record, K)


@pytest.mark.django_db
def test_ranked_choice_across_sessions(make_people):
    morning = cap.pool_create(actor=None, purpose="test.event:1", total=1, allocation=Allocation.RANKED, is_open=True)
    evening = cap.pool_create(actor=None, purpose="test.event:2", total=2, allocation=Allocation.RANKED, is_open=True)
    people = make_people(4)
    for p in people:
        cap.ballot_cast(group="event-1", person_id=p, pool_ids=[morning.pk, evening.pk])
    record = cap.ranked_draw(K, actor=None, group="event-1", pools=[morning, evening], seed="seed")
    order = lottery.order("seed", people)
    got = {e.person_id: e.pool_id for e in Entry.objects.filter(pool__in=[morning, evening])}
    assert got == {order[0]: morning.pk, order[1]: evening.pk, order[2]: evening.pk}
    assert cap.draw_verify(record) == []
    morning.refresh_from_db()
    evening.refresh_from_db()
    assert (morning.remaining, evening.remaining) == (0, 0)
    with pytest.raises(ValidationError):
        cap.ballot_cast(group="event-1", person_id=people[0], pool_ids=[evening.pk])
