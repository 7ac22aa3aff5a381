"""Groups (a worker and their companions) on the waitlist, in a lottery and in ranked choice; seat shares
set and released while registration is open. Each transition and refusal, and the counters after it."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from huigong.activities import services
from huigong.activities.models import EventSession, Registration, SeatShare
from huigong.activities.testing import bulk_members, make_event, session_of
from huigong.core.audit import AuditEvent
from huigong.core.capacity import services as cap
from huigong.core.capacity.models import Allocation

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def _world(module_world):
    def build():
        from huigong.testing import Cast

        w = Cast().build()
        w.tech_people = bulk_members(w.tech, 12)
        w.rider_people = bulk_members(w.riders, 4)
        return w

    return module_world(build)


@pytest.fixture
def w(_world, db):
    return copy.deepcopy(_world)


def _reg(w, session, person, n=0):
    return services.register(actor=w.city_admin, session=session, person=person,
                             companions=["家属甲", "家属乙", "家属丙"][:n])


def _group(lead) -> list[str]:
    """The statuses of a worker's seat and their companions', in seq order."""
    return list(Registration.objects.filter(person_id=lead.person_id, session_id=lead.session_id)
                .exclude(status__in=["cancelled", "declined", "expired"]).order_by("seq")
                .values_list("status", flat=True))


def _counters(session):
    s = EventSession.objects.get(pk=session.pk)
    held = Registration.objects.filter(session=s, status__in=["granted", "offered"]).count()
    assert s.remaining == s.total - held
    return s.remaining


# --- the waitlist with groups --------------------------------------------------------------------------


def test_a_group_that_does_not_fit_waits_whole_and_a_single_behind_it_takes_the_free_place(w):
    s = session_of(make_event(w.city_admin, w.xihu, total=3, max_companions=2))
    a, b, c, d = w.tech_people[:4]
    ra = _reg(w, s, a)
    rb = _reg(w, s, b, 1)             # 3 of 3 taken
    services.registration_cancel(actor=w.city_admin, registration=ra)  # 1 free
    rc = _reg(w, s, c, 2)             # a group of 3: waits whole, the free place stays free for now
    assert _group(rc) == ["waiting"] * 3 and _counters(s) == 1
    rd = _reg(w, s, d)                # a single behind the group: the free place fits them (first fit)
    assert rd.status == "granted" and _counters(s) == 0
    # The group kept its place at the head: b's two seats given back are not enough (3 needed) ...
    services.registration_cancel(actor=w.city_admin, registration=rb)
    assert _group(rc) == ["waiting"] * 3 and _counters(s) == 2
    # ... d's one more is: the whole group is granted at once.
    services.registration_cancel(actor=w.city_admin, registration=rd)
    assert _group(rc) == ["granted"] * 3 and _counters(s) == 0
    assert cap.waitlist_position(services.SEATS, Registration.objects.get(pk=rc.pk)) is None


def test_a_queued_group_is_offered_whole_and_claimed_declined_or_expired_whole(w):
    s = session_of(make_event(w.city_admin, w.xihu, total=2, max_companions=1, offer_seconds=3600))
    a, b, c, d = w.tech_people[4:8]
    ra = _reg(w, s, a, 1)
    rb, rc, rd = _reg(w, s, b, 1), _reg(w, s, c, 1), _reg(w, s, d)
    assert _group(rb) == _group(rc) == ["waiting", "waiting"]
    services.registration_cancel(actor=w.city_admin, registration=ra)
    assert _group(rb) == ["offered", "offered"]  # the head group, both seats, one window
    assert len(set(Registration.objects.filter(person=b, session=s).values_list("offer_expires_at", flat=True))) == 1
    services.offer_decline(actor=w.city_admin, registration=rb)  # the worker declines: the companion too
    assert _group(rb) == [] and _group(rc) == ["offered", "offered"]
    # c's offer expires: both seats together; d (a single) gets an offer, the second place stays free
    Registration.objects.filter(person=c, session=s).update(offer_expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert cap.offers_expire_due() == 2
    assert _group(rc) == [] and _group(rd) == ["offered"] and _counters(s) == 1
    services.offer_accept(actor=w.city_admin, registration=rd)
    assert _group(rd) == ["granted"]


def test_claiming_a_groups_offer_claims_every_seat(w):
    s = session_of(make_event(w.city_admin, w.xihu, total=2, max_companions=1, offer_seconds=3600))
    a, b = w.tech_people[8:10]
    ra = _reg(w, s, a, 1)
    rb = _reg(w, s, b, 1)
    services.registration_cancel(actor=w.city_admin, registration=ra)
    services.offer_accept(actor=w.city_admin, registration=rb)
    assert _group(rb) == ["granted", "granted"] and _counters(s) == 0


def test_a_waiting_group_that_shrinks_to_fit_is_promoted(w):
    s = session_of(make_event(w.city_admin, w.xihu, total=3, max_companions=2))
    a, b, c = w.tech_people[:3]
    _reg(w, s, a)
    _reg(w, s, b)
    rc = _reg(w, s, c, 2)  # needs 3, 1 free
    assert _group(rc) == ["waiting"] * 3
    companion = Registration.objects.get(lead=rc, seq=2)
    services.registration_cancel(actor=w.city_admin, registration=companion)
    assert _group(rc) == ["waiting"] * 2  # still 2 needed, 1 free
    services.registration_cancel(actor=w.city_admin, registration=Registration.objects.get(lead=rc, seq=1))
    assert _group(rc) == ["granted"] and _counters(s) == 0


def test_every_seat_of_a_queued_group_is_audited_and_the_group_is_written_in_one_go(w):
    s = session_of(make_event(w.city_admin, w.xihu, total=1, max_companions=2))
    a, b = w.tech_people[10:12]
    _reg(w, s, a)
    rb = _reg(w, s, b, 2)
    seats = Registration.objects.filter(person=b, session=s).order_by("seq")
    assert [(r.seq, r.lead_id) for r in seats] == [(0, None), (1, rb.pk), (2, rb.pk)]
    assert AuditEvent.objects.filter(verb="event.waitlist", object_id__in=[str(r.pk) for r in seats]).count() == 3


# --- lottery and ranked choice with companions -----------------------------------------------------------


def test_a_group_enters_a_lottery_as_one_entrant_and_wins_or_loses_whole(w):
    e = make_event(w.city_admin, w.xihu, total=4, allocation=Allocation.LOTTERY, max_companions=2, waitlist=False)
    s = session_of(e)
    people = w.tech_people[:6]
    leads = [_reg(w, s, p, n) for p, n in zip(people, [2, 2, 1, 0, 0, 2], strict=True)]
    assert {r.status for r in Registration.objects.filter(session=s)} == {"entered"}
    record = services.session_draw(actor=w.city_admin, session=s, seed="2026 第十届安全知识竞赛")
    assert sorted(u for u, _st in record.result) == sorted(r.pk for r in leads)  # one entrant per worker
    assert record.places["sizes"] == {str(leads[i].pk): n for i, n in [(0, 3), (1, 3), (2, 2), (5, 3)]}
    for lead in leads:
        statuses = set(Registration.objects.filter(session=s, person_id=lead.person_id).values_list("status", flat=True))
        assert len(statuses) == 1  # whole
    assert cap.draw_verify(record, services.SEATS) == []
    # The places went in the drawn order, each entrant whole or not at all, later ones filling what is left.
    left, expect = 4, {}
    sizes = {r.pk: 1 + Registration.objects.filter(lead=r).count() for r in leads}
    for unit, _st in record.result:
        expect[unit] = "granted" if sizes[unit] <= left else "lost"
        left -= sizes[unit] if sizes[unit] <= left else 0
    assert {u: st for u, st in record.result} == expect
    assert _counters(s) == left


def test_ranked_choice_places_a_group_whole_in_one_session(w):
    e = make_event(w.city_admin, w.xihu, total=2, sessions=2, allocation=Allocation.RANKED, max_companions=1)
    s1, s2 = session_of(e, 0), session_of(e, 1)
    a, b, c = w.tech_people[:3]
    for p, n in ((a, 1), (b, 1), (c, 0)):
        services.ballot_cast(actor=w.city_admin, event=e, person=p, session_ids=[s1.pk, s2.pk],
                             companions=["家属"][:n])
    with pytest.raises(ValidationError, match="最多可带 1 名"):
        services.ballot_cast(actor=w.city_admin, event=e, person=c, session_ids=[s1.pk], companions=["甲", "乙"])
    record = services.event_ranked_draw(actor=w.city_admin, event=e, seed="seed")
    assert cap.draw_verify(record) == []
    got = {}
    for r in Registration.objects.filter(session__event=e):
        got.setdefault(r.person_id, set()).add((r.session_id, r.status))
    # Each group sits in one session; 2 + 2 + 1 seats on 2 + 2 places: exactly one entrant is left out.
    placed = {p: seats for p, seats in got.items()}
    assert all(len({sid for sid, _st in seats}) == 1 for seats in placed.values())
    assert sum(1 + (p != c.pk) for p in placed) <= 4
    assert len(placed) == 2
    companions = Registration.objects.filter(session__event=e, seq=1)
    assert all(r.lead.session_id == r.session_id and r.companion_name == "家属" for r in companions)
    for s in (s1, s2):
        _counters(s)


# --- seat shares while registration is open --------------------------------------------------------------


def test_a_share_set_while_open_takes_only_free_open_places_and_is_released_on_its_date(w):
    s = session_of(make_event(w.city_admin, w.xihu, total=5))
    tech, riders = w.tech_people[:5], w.rider_people[:3]
    for p in tech[:3]:
        assert _reg(w, s, p).status == "granted"  # 3 of 5 taken before any share
    # 3 kept for the riders: only 2 open places are free, the seats given stay given.
    with pytest.raises(ValidationError, match="只剩 2 个空位"):
        services.share_set(actor=w.city_admin, session=s, union=w.riders, slots=3)
    tomorrow = timezone.now() + dt.timedelta(days=1)
    services.share_set(actor=w.city_admin, session=s, union=w.riders, slots=2, release_at=tomorrow)
    shares = {sh.union_id: (sh.slots, sh.remaining) for sh in SeatShare.objects.filter(session=s)}
    assert shares == {w.riders.pk: (2, 2), w.xihu.pk: (3, 0)}
    assert set(Registration.objects.filter(session=s).values_list("share_union_id", flat=True)) == {w.xihu.pk}
    assert _reg(w, s, tech[3]).status == "waiting"  # the open places are all taken
    assert _reg(w, s, riders[0]).share_union_id == w.riders.pk
    # Shrinking the share below what the riders hold is refused; to what they hold gives 1 back.
    with pytest.raises(ValidationError, match="已领取 1 个名额"):
        services.share_set(actor=w.city_admin, session=s, union=w.riders, slots=0, release_at=tomorrow)
    services.share_set(actor=w.city_admin, session=s, union=w.riders, slots=1, release_at=tomorrow)
    # The place given back to the open places went to the head of the waitlist.
    assert Registration.objects.get(person=tech[3], session=s).status == "granted"
    services.share_set(actor=w.city_admin, session=s, union=w.riders, slots=1, release_at=tomorrow)  # unchanged
    assert _counters(s) == 0
    assert sum(SeatShare.objects.filter(session=s).values_list("slots", flat=True)) == 5


def test_released_places_serve_the_waitlist_and_waiting_members_take_their_unions_share(w):
    s = session_of(make_event(w.city_admin, w.xihu, total=3))
    tech, riders = w.tech_people[:3], w.rider_people[:2]
    for p in tech[:2]:
        _reg(w, s, p)
    r0 = _reg(w, s, riders[0])         # the last open place
    r1 = _reg(w, s, riders[1])         # full: waits
    t2 = _reg(w, s, tech[2])           # waits behind the rider
    assert (r0.status, r1.status, t2.status) == ("granted", "waiting", "waiting")
    services.registration_cancel(actor=w.city_admin, registration=r0)
    assert Registration.objects.get(pk=r1.pk).status == "granted"  # first in line
    # A share for the riders now: r1 holds an open place, so the share can only take free ones (none).
    with pytest.raises(ValidationError, match="只剩 0 个空位"):
        services.share_set(actor=w.city_admin, session=s, union=w.riders, slots=1)
    services.registration_cancel(actor=w.city_admin, registration=Registration.objects.get(pk=r1.pk))
    assert Registration.objects.get(pk=t2.pk).status == "granted"
    r0b = _reg(w, s, riders[0])        # full again: waits
    assert r0b.status == "waiting"
    services.registration_cancel(actor=w.city_admin, registration=Registration.objects.get(person=tech[0],
                                                                                           session=s, status="granted"))
    # The freed place went to the head (the rider). Kept for the riders from now: the rider's own seat
    # does not count against the new share (it came from the open places).
    assert Registration.objects.get(pk=r0b.pk).status == "granted"
    soon = timezone.now() + dt.timedelta(hours=1)
    services.registration_cancel(actor=w.city_admin, registration=Registration.objects.get(pk=t2.pk))
    services.share_set(actor=w.city_admin, session=s, union=w.riders, slots=1, release_at=soon)
    assert _reg(w, s, tech[0]).status == "waiting"  # the free place is the riders'
    assert services.shares_release_due(now=soon - dt.timedelta(minutes=1)) == 0
    assert services.shares_release_due(now=soon + dt.timedelta(minutes=1)) == 1
    assert Registration.objects.get(person=tech[0], session=s, status__in=["granted"]).share_union_id == w.xihu.pk
    assert services.shares_release_due(now=soon + dt.timedelta(minutes=2)) == 0  # once
    assert _counters(s) == 0
    share = SeatShare.objects.get(session=s, union=w.riders)
    assert (share.slots, share.remaining, share.released_at is not None) == (0, 0, True)
