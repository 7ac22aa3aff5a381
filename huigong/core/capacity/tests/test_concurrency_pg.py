"""The engine under contention on PostgreSQL, real threads each on its own connection: never oversold,
neither the pool nor a unit's sub-pool; cancellations racing claims keep the counters exact."""

from collections import Counter

import pytest

from huigong.core.capacity import services as cap
from huigong.core.capacity.models import Entry, EntryStatus, Pool, SubPool
from huigong.core.capacity.spec import kernel_spec
from huigong.testing import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)
K = kernel_spec()


def test_2000_takes_on_300_places_with_sub_pools_grant_exactly(on_postgres, make_people):
    pool = cap.pool_create(actor=None, purpose="test.pg:1", total=300, is_open=True)
    cap.pool_set_sub(actor=None, pool=pool, key=1, slots=100)
    cap.pool_set_sub(actor=None, pool=pool, key=2, slots=250 - 100)
    pool = Pool.objects.get(pk=pool.pk)
    people = make_people(2000)
    # Units 1 and 2 each wanted by many; unit 3 has no sub-pool.
    results = run_in_threads(lambda ip: cap.take(K, pool=pool, person_id=ip[1], sub_key=ip[0] % 3 + 1),
                             list(enumerate(people)), 24)
    assert Counter(k for k, _ in results) == {"ok": 250, "refused": 1750}
    assert dict(SubPool.objects.filter(pool=pool).values_list("key", "remaining")) == {1: 0, 2: 0}
    pool.refresh_from_db()
    assert pool.remaining == 50
    assert Counter(Entry.objects.filter(pool=pool).values_list("sub_key", flat=True)) == {1: 100, 2: 150}


def test_claims_and_cancellations_race_without_overselling(on_postgres, make_people):
    pool = cap.pool_create(actor=None, purpose="test.pg:2", total=50, waitlist=True, is_open=True)
    first = make_people(50)
    held = [cap.take(K, pool=pool, person_id=p) for p in first]
    later = make_people(200)

    def act(item):
        kind, value = item
        if kind == "cancel":
            return cap.entry_cancel(K, entry_id=value)
        try:
            return cap.take(K, pool=pool, person_id=value)
        except cap.Full:
            return cap.enqueue(K, pool=pool, person_id=value)

    items = [("cancel", e) for e in held[:30]] + [("claim", p) for p in later]
    items = [x for pair in zip(items[:30], items[30:60], strict=True) for x in pair] + items[60:]
    results = run_in_threads(act, items, 16)
    assert {k for k, _ in results} == {"ok"}
    pool.refresh_from_db()
    holding = Entry.objects.filter(pool=pool, status=EntryStatus.GRANTED).count()
    assert holding == 50 and pool.remaining == 0
    # Nobody waits while a place is free, and every live person has one entry.
    assert Entry.objects.filter(pool=pool, status=EntryStatus.WAITING).count() == 200 - (50 - 20)
