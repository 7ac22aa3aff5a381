"""First come, sub-pools, the waitlist with its positions, offers with a claim window, self-removal,
cancellations and no-shows, on the kernel's own pool."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from huigong.core.capacity import services as cap
from huigong.core.capacity.models import Entry, EntryStatus, Pool, SubPool
from huigong.core.capacity.spec import kernel_spec

pytestmark = pytest.mark.django_db
K = kernel_spec()


def _pool(total=2, **kw):
    kw.setdefault("is_open", True)
    return cap.pool_create(actor=None, purpose="test.session:1", total=total, **kw)


def _status(entry_id):
    return Entry.objects.get(pk=entry_id).status


def test_first_come_grants_until_full_then_refuses(make_people):
    pool = _pool(total=2)
    a, b, c = make_people(3)
    cap.take(K, pool=pool, person_id=a)
    cap.take(K, pool=pool, person_id=b)
    with pytest.raises(cap.Full) as exc:
        cap.take(K, pool=pool, person_id=c)
    assert not exc.value.sub and exc.value.messages == ["名额已满"]
    pool.refresh_from_db()
    assert pool.remaining == 0
    assert Entry.objects.filter(pool=pool, status=EntryStatus.GRANTED).count() == 2
    assert not Entry.objects.filter(person_id=c).exists()  # a refusal leaves nothing behind


def test_closed_pool_grants_nothing_and_a_second_entry_is_refused(make_people):
    pool = _pool(total=5, is_open=False)
    (a,) = make_people(1)
    with pytest.raises(cap.Full):
        cap.take(K, pool=pool, person_id=a)
    cap.pool_set_open(actor=None, pool=pool, is_open=True)
    cap.take(K, pool=pool, person_id=a)
    with pytest.raises(cap.Already):
        cap.take(K, pool=pool, person_id=a)
    pool.refresh_from_db()
    assert pool.remaining == 4


def test_sub_pools_per_unit_bound_each_unit_and_the_pool(make_people):
    pool = _pool(total=3)
    cap.pool_set_sub(actor=None, pool=pool, key=101, slots=1)
    cap.pool_set_sub(actor=None, pool=pool, key=102, slots=2)
    with pytest.raises(ValidationError) as exc:
        cap.pool_set_sub(actor=None, pool=pool, key=103, slots=1)  # 1 + 2 + 1 > 3
    assert "合计不能超过总名额 3" in exc.value.messages[0]
    pool.refresh_from_db()
    a, b, c, d = make_people(4)
    cap.take(K, pool=pool, person_id=a, sub_key=101)
    with pytest.raises(cap.Full) as exc:
        cap.take(K, pool=pool, person_id=b, sub_key=101)
    assert exc.value.sub  # the pool has places; the unit has none
    with pytest.raises(cap.Full) as exc:
        cap.take(K, pool=pool, person_id=b)  # no unit at all: no place
    assert exc.value.sub
    cap.take(K, pool=pool, person_id=c, sub_key=102)
    cap.take(K, pool=pool, person_id=d, sub_key=102)
    assert dict(SubPool.objects.filter(pool=pool).values_list("key", "remaining")) == {101: 0, 102: 0}
    with pytest.raises(ValidationError):
        cap.pool_set_sub(actor=None, pool=pool, key=102, slots=1)  # two taken already


def test_waitlist_positions_are_visible_and_a_cancellation_promotes_the_first(make_people):
    pool = _pool(total=1, waitlist=True)
    a, b, c = make_people(3)
    first = cap.take(K, pool=pool, person_id=a)
    wb = cap.enqueue(K, pool=pool, person_id=b)
    wc = cap.enqueue(K, pool=pool, person_id=c)
    assert [cap.waitlist_position(K, wb), cap.waitlist_position(K, wc)] == [1, 2]
    assert cap.waitlist_positions(K, [wb, wc]) == {wb.pk: 1, wc.pk: 2}
    cap.entry_cancel(K, entry_id=first, reason="有事")
    assert _status(first) == EntryStatus.CANCELLED
    assert _status(wb.pk) == EntryStatus.GRANTED  # no claim window: straight to granted
    wc.refresh_from_db()
    assert cap.waitlist_position(K, wc) == 1
    pool.refresh_from_db()
    assert pool.remaining == 0


def test_self_removal_from_the_waitlist_moves_the_others_up(make_people):
    pool = _pool(total=1, waitlist=True)
    a, b, c = make_people(3)
    cap.take(K, pool=pool, person_id=a)
    wb, wc = cap.enqueue(K, pool=pool, person_id=b), cap.enqueue(K, pool=pool, person_id=c)
    cap.entry_cancel(K, entry_id=wb.pk, reason="本人退出")
    wc.refresh_from_db()
    assert cap.waitlist_position(K, wc) == 1
    pool.refresh_from_db()
    assert pool.remaining == 0  # a waiting entry held no place


def test_an_offer_is_claimed_in_its_window_or_passes_to_the_next(make_people):
    pool = _pool(total=1, waitlist=True, offer_seconds=3600)
    a, b, c, d = make_people(4)
    held = cap.take(K, pool=pool, person_id=a)
    wb, wc, wd = (cap.enqueue(K, pool=pool, person_id=p) for p in (b, c, d))
    cap.entry_cancel(K, entry_id=held)
    wb.refresh_from_db()
    assert wb.status == EntryStatus.OFFERED and wb.offer_expires_at > timezone.now()
    # b lets the window pass: the periodic job gives the place to c.
    assert cap.offers_expire_due(now=timezone.now() + dt.timedelta(hours=2)) == 1
    assert _status(wb.pk) == EntryStatus.EXPIRED and _status(wc.pk) == EntryStatus.OFFERED
    # c declines (self-removal): d is offered it, and accepts in time.
    cap.offer_decline(K, entry_id=wc.pk)
    assert _status(wc.pk) == EntryStatus.DECLINED
    cap.offer_accept(K, entry_id=wd.pk)
    assert _status(wd.pk) == EntryStatus.GRANTED
    pool.refresh_from_db()
    assert pool.remaining == 0
    with pytest.raises(ValidationError):
        cap.offer_accept(K, entry_id=wd.pk)  # nothing left to accept


def test_accepting_after_the_window_is_refused_and_passes_the_place_on(make_people):
    pool = _pool(total=1, waitlist=True, offer_seconds=60)
    a, b, c = make_people(3)
    held = cap.take(K, pool=pool, person_id=a)
    wb, wc = cap.enqueue(K, pool=pool, person_id=b), cap.enqueue(K, pool=pool, person_id=c)
    cap.entry_cancel(K, entry_id=held)
    Entry.objects.filter(pk=wb.pk).update(offer_expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(ValidationError) as exc:
        cap.offer_accept(K, entry_id=wb.pk)
    assert "确认时限已过" in exc.value.messages[0]
    assert _status(wb.pk) == EntryStatus.EXPIRED and _status(wc.pk) == EntryStatus.OFFERED


def test_a_no_show_is_recorded_and_keeps_the_place_used(make_people):
    pool = _pool(total=1, waitlist=True)
    a, b = make_people(2)
    held = cap.take(K, pool=pool, person_id=a)
    wb = cap.enqueue(K, pool=pool, person_id=b)
    cap.entry_no_show(K, entry_id=held, reason="未签到")
    assert _status(held) == EntryStatus.NO_SHOW
    assert _status(wb.pk) == EntryStatus.WAITING
    pool.refresh_from_db()
    assert pool.remaining == 0
    with pytest.raises(ValidationError):
        cap.entry_no_show(K, entry_id=wb.pk)  # only a granted place can be missed


def test_the_total_moves_remaining_and_cannot_go_below_what_is_held(make_people):
    pool = _pool(total=3)
    a, b = make_people(2)
    cap.take(K, pool=pool, person_id=a)
    cap.take(K, pool=pool, person_id=b)
    pool = Pool.objects.get(pk=pool.pk)
    with pytest.raises(ValidationError) as exc:
        cap.pool_set_total(K, pool=pool, total=1)
    assert "已有 2 个名额被领取" in exc.value.messages[0]
    cap.pool_set_total(K, pool=pool, total=5)
    pool.save()
    pool.refresh_from_db()
    assert (pool.total, pool.remaining) == (5, 3)


def test_the_check_constraint_refuses_an_oversold_counter():
    from django.db import IntegrityError, transaction

    pool = _pool(total=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Pool.objects.filter(pk=pool.pk).update(remaining=-1)
