"""Registration on the capacity engine: every transition and refusal of a seat (first come, waitlist,
offers, companions, shares with a release date, approval, lottery, ranked choice, cancellations,
no-shows), and the counters after each."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from huigong.activities import services
from huigong.activities.models import Approval, EventSession, Registration, SeatShare
from huigong.activities.testing import make_event, member, session_of
from huigong.core.audit import AuditEvent
from huigong.core.capacity import services as cap
from huigong.core.capacity.models import Allocation
from huigong.core.notify.models import Notification
from huigong.members.models import EmploymentForm

pytestmark = pytest.mark.django_db


def _people(cast, n, union=None):
    return [member(cast.city_admin, union or cast.tech, f"职工{i}") for i in range(n)]


def _reg(actor, session, person, **kw):
    return services.register(actor=actor, session=session, person=person, **kw)


def _counters(session):
    session = EventSession.objects.get(pk=session.pk)
    held = Registration.objects.filter(session=session, status__in=["granted", "offered"]).count()
    return session.remaining, held


def test_first_come_grants_until_full_then_waitlist_in_order(cast):
    s = session_of(make_event(cast.city_admin, cast.xihu, total=2))
    people = _people(cast, 4)
    regs = [_reg(cast.city_admin, s, p) for p in people]
    assert [r.status for r in regs] == ["granted", "granted", "waiting", "waiting"]
    assert _counters(s) == (0, 2)
    assert cap.waitlist_positions(services.SEATS, regs) == {regs[2].pk: 1, regs[3].pk: 2}
    assert AuditEvent.objects.filter(verb="event.register", object_id=str(regs[0].pk)).exists()
    assert AuditEvent.objects.filter(verb="event.waitlist", object_id=str(regs[2].pk)).exists()


def test_full_without_waitlist_is_refused_and_writes_nothing(cast):
    s = session_of(make_event(cast.city_admin, cast.xihu, total=1, waitlist=False))
    a, b = _people(cast, 2)
    _reg(cast.city_admin, s, a)
    with pytest.raises(ValidationError) as exc:
        _reg(cast.city_admin, s, b)
    assert "名额已满" in str(exc.value)
    assert Registration.objects.filter(session=s).count() == 1


def test_twice_is_refused(cast):
    s = session_of(make_event(cast.city_admin, cast.xihu, total=5))
    (a,) = _people(cast, 1)
    _reg(cast.city_admin, s, a)
    with pytest.raises(ValidationError, match="已报名"):
        _reg(cast.city_admin, s, a)
    assert _counters(s) == (4, 1)


def test_cancel_gives_the_place_to_the_next_in_line(cast):
    s = session_of(make_event(cast.city_admin, cast.xihu, total=1))
    a, b, c = _people(cast, 3)
    ra, rb, rc = (_reg(cast.city_admin, s, p) for p in (a, b, c))
    services.registration_cancel(actor=cast.city_admin, registration=ra, reason="临时出差")
    rb.refresh_from_db()
    rc.refresh_from_db()
    assert (rb.status, rc.status) == ("granted", "waiting")
    assert cap.waitlist_position(services.SEATS, rc) == 1
    assert _counters(s) == (0, 1)
    # The promoted worker is told; the cancelled one too (staff cancelled it).
    assert Notification.objects.filter(event="event.registration", event_key__startswith=f"reg:{rb.pk}:granted").exists()
    assert Notification.objects.filter(event_key=f"reg:{ra.pk}:cancelled").exists()


def test_self_removal_from_the_waitlist_frees_nothing(cast):
    s = session_of(make_event(cast.city_admin, cast.xihu, total=1))
    a, b, c = _people(cast, 3)
    _reg(cast.city_admin, s, a)
    rb, rc = _reg(cast.city_admin, s, b), _reg(cast.city_admin, s, c)
    services.registration_cancel(actor=cast.city_admin, registration=rb)
    rc.refresh_from_db()
    assert rc.status == "waiting" and cap.waitlist_position(services.SEATS, rc) == 1
    assert _counters(s) == (0, 1)


def test_offer_window_claim_decline_and_expiry(cast):
    s = session_of(make_event(cast.city_admin, cast.xihu, total=1, offer_seconds=3600))
    a, b, c, d = _people(cast, 4)
    ra, rb, rc, rd = (_reg(cast.city_admin, s, p) for p in (a, b, c, d))
    services.registration_cancel(actor=cast.city_admin, registration=ra)
    rb.refresh_from_db()
    assert rb.status == "offered" and rb.offer_expires_at > timezone.now()
    # b declines: the place is offered to c.
    services.offer_decline(actor=cast.city_admin, registration=rb)
    rc.refresh_from_db()
    assert rc.status == "offered"
    # c lets it expire: the periodic job moves it to d.
    Registration.objects.filter(pk=rc.pk).update(offer_expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert cap.offers_expire_due() == 1
    rc.refresh_from_db()
    rd.refresh_from_db()
    assert (rc.status, rd.status) == ("expired", "offered")
    # d claims in time.
    services.offer_accept(actor=cast.city_admin, registration=rd)
    rd.refresh_from_db()
    assert rd.status == "granted"
    assert _counters(s) == (0, 1)


def test_a_late_claim_is_refused_and_the_place_moves_on(cast):
    s = session_of(make_event(cast.city_admin, cast.xihu, total=1, offer_seconds=3600))
    a, b, c = _people(cast, 3)
    ra, rb, rc = (_reg(cast.city_admin, s, p) for p in (a, b, c))
    services.registration_cancel(actor=cast.city_admin, registration=ra)
    Registration.objects.filter(pk=rb.pk).update(offer_expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(ValidationError, match="确认时限已过"):
        services.offer_accept(actor=cast.city_admin, registration=rb)
    rb.refresh_from_db()
    rc.refresh_from_db()
    assert (rb.status, rc.status) == ("expired", "offered")


def test_companions_take_seats_all_or_none(cast):
    s = session_of(make_event(cast.city_admin, cast.xihu, total=3, max_companions=2))
    a, b = _people(cast, 2)
    ra = _reg(cast.city_admin, s, a, companions=["家属甲", "家属乙"])
    seats = list(Registration.objects.filter(session=s).order_by("seq"))
    assert [(r.seq, r.status, r.companion_name, r.lead_id) for r in seats] == [
        (0, "granted", "", None), (1, "granted", "家属甲", ra.pk), (2, "granted", "家属乙", ra.pk)]
    assert _counters(s) == (0, 3)
    # b with one companion: two seats wanted, none free: both queued, in order, none half-taken.
    rb = _reg(cast.city_admin, s, b, companions=["朋友"])
    assert rb.status == "waiting"
    assert list(Registration.objects.filter(lead=rb).values_list("status", flat=True)) == ["waiting"]
    # a cancels: a's three seats go back; b and b's companion move up.
    services.registration_cancel(actor=cast.city_admin, registration=ra)
    assert set(Registration.objects.filter(person=b, session=s).values_list("status", flat=True)) == {"granted"}
    assert _counters(s) == (1, 2)


def test_companions_beyond_the_event_limit_are_refused(cast):
    s = session_of(make_event(cast.city_admin, cast.xihu, total=5, max_companions=1))
    (a,) = _people(cast, 1)
    with pytest.raises(ValidationError, match="最多可带 1 名"):
        _reg(cast.city_admin, s, a, companions=["甲", "乙"])
    assert not Registration.objects.filter(session=s).exists()


def test_group_with_a_partly_free_session_takes_nothing(cast):
    s = session_of(make_event(cast.city_admin, cast.xihu, total=2, waitlist=False, max_companions=2))
    a, b = _people(cast, 2)
    _reg(cast.city_admin, s, a)
    with pytest.raises(ValidationError, match="名额已满"):
        _reg(cast.city_admin, s, b, companions=["甲", "乙"])
    assert _counters(s) == (1, 1)


def test_seat_shares_per_sub_union_and_their_release(cast):
    e = make_event(cast.city_admin, cast.xihu, total=3, publish=False)
    s = session_of(e)
    services.share_set(actor=cast.city_admin, session=s, union=cast.riders, slots=2,
                       release_at=timezone.now() + dt.timedelta(days=1))
    services.event_publish(actor=cast.city_admin, event=e)
    shares = {sh.union_id: (sh.slots, sh.remaining) for sh in SeatShare.objects.filter(session=s)}
    assert shares == {cast.riders.pk: (2, 2), cast.xihu.pk: (1, 1)}
    tech = _people(cast, 2)
    riders = _people(cast, 1, union=cast.riders)
    assert _reg(cast.city_admin, s, tech[0]).status == "granted"  # the open place
    assert _reg(cast.city_admin, s, tech[1]).status == "waiting"  # the riders' places are kept
    assert _reg(cast.city_admin, s, riders[0]).share_union_id == cast.riders.pk
    # Release day: the riders' unused place goes to the open places and to the waitlist.
    assert services.shares_release_due(now=timezone.now() + dt.timedelta(days=2)) == 1
    assert Registration.objects.get(person=tech[1], session=s).status == "granted"
    assert services.shares_release_due(now=timezone.now() + dt.timedelta(days=2)) == 0  # idempotent
    assert _counters(s) == (0, 3)


def test_share_refused_for_a_union_outside_the_organiser(cast):
    e = make_event(cast.city_admin, cast.xihu, total=3, publish=False)
    with pytest.raises(ValidationError, match="下级工会"):
        services.share_set(actor=cast.city_admin, session=session_of(e), union=cast.hangzhou, slots=1)


def test_audience_filters(cast):
    e = make_event(cast.city_admin, cast.xihu, total=5, new_form_only=True)
    s = session_of(e)
    (office,) = _people(cast, 1)
    rider = member(cast.city_admin, cast.riders, "骑手甲", employment_form=EmploymentForm.RIDER)
    with pytest.raises(ValidationError, match="新就业形态"):
        _reg(cast.city_admin, s, office)
    assert _reg(cast.city_admin, s, rider).status == "granted"
    qd = cast.qd_member.person
    with pytest.raises(PermissionDenied):
        _reg(cast.city_admin, s, qd)  # not in the staff's subtree at all
    with pytest.raises(ValidationError, match="仅限"):
        _reg(cast.outsider, s, qd)


def test_invitation_only_events_admit_the_invited(cast):
    e = make_event(cast.city_admin, cast.xihu, total=5, invitation_only=True)
    a, b = _people(cast, 2)
    services.invitations_add(actor=cast.city_admin, event=e, people=[a])
    assert _reg(cast.city_admin, session_of(e), a).status == "granted"
    with pytest.raises(ValidationError, match="受邀"):
        _reg(cast.city_admin, session_of(e), b)


def test_registration_window_applies_to_workers(cast):
    from huigong.portal.testing import make_worker_account

    e = make_event(cast.city_admin, cast.xihu, total=5, registration_closes_at=timezone.now() - dt.timedelta(hours=1))
    (a,) = _people(cast, 1)
    worker = make_worker_account(person=a).user
    with pytest.raises(ValidationError, match="报名已截止"):
        _reg(worker, session_of(e), a)
    # Staff may still register a member of their subtree (a late list from an enterprise).
    assert _reg(cast.city_admin, session_of(e), a).source == "staff"


def test_a_worker_registers_only_themself(cast):
    from huigong.portal.testing import make_worker_account

    s = session_of(make_event(cast.city_admin, cast.xihu, total=5))
    a, b = _people(cast, 2)
    worker = make_worker_account(person=a).user
    assert _reg(worker, s, a).source == "portal"
    with pytest.raises(PermissionDenied):
        _reg(worker, s, b)


def test_approval_by_the_workers_own_union(cast):
    s = session_of(make_event(cast.city_admin, cast.xihu, total=1, requires_approval=True))
    a, b = _people(cast, 2)
    ra, rb = _reg(cast.district_staff, s, a), _reg(cast.district_staff, s, b)
    assert (ra.approval, ra.status, rb.status) == (Approval.PENDING, "granted", "waiting")
    # Nobody holds the capability at the tech union itself except tech_staff: they decide it.
    with pytest.raises(ValidationError, match="审批意见"):
        services.registration_decide(actor=cast.tech_staff, registration=ra, decision="rejected")
    services.registration_decide(actor=cast.tech_staff, registration=ra, decision="rejected", comment="岗位不符")
    ra.refresh_from_db()
    rb.refresh_from_db()
    assert (ra.approval, ra.status, rb.status) == (Approval.REJECTED, "cancelled", "granted")
    services.registration_decide(actor=cast.tech_staff, registration=rb, decision="approved")
    rb.refresh_from_db()
    assert rb.approval == Approval.APPROVED
    assert Notification.objects.filter(event_key=f"reg:{rb.pk}:approval:approved").exists()


def test_approval_refused_to_whoever_registered_the_worker(cast):
    from huigong.core.duties import DutyConflict

    s = session_of(make_event(cast.city_admin, cast.xihu, total=2, requires_approval=True))
    (a,) = _people(cast, 1)
    ra = _reg(cast.tech_staff, s, a)
    with pytest.raises((DutyConflict, PermissionDenied)):
        services.registration_decide(actor=cast.tech_staff, registration=ra, decision="approved")


def test_lottery_draw_is_published_and_verifiable(cast):
    e = make_event(cast.city_admin, cast.xihu, total=2, allocation=Allocation.LOTTERY)
    s = session_of(e)
    people = _people(cast, 5)
    regs = [_reg(cast.city_admin, s, p) for p in people]
    assert {r.status for r in regs} == {"entered"}
    record = services.session_draw(actor=cast.city_admin, session=s, seed="2026-07-01 双色球 03 11 17")
    statuses = list(Registration.objects.filter(session=s).values_list("status", flat=True))
    assert sorted(statuses) == ["granted", "granted", "waiting", "waiting", "waiting"]
    assert cap.draw_verify(record, services.SEATS) == []
    assert _counters(s) == (0, 2)
    with pytest.raises(ValidationError):
        services.session_draw(actor=cast.city_admin, session=s)
    with pytest.raises(ValidationError, match="已经抽签"):
        _reg(cast.city_admin, s, _people(cast, 1)[0])


def test_ranked_choice_across_sessions(cast):
    e = make_event(cast.city_admin, cast.xihu, total=1, sessions=2, allocation=Allocation.RANKED)
    s1, s2 = session_of(e, 0), session_of(e, 1)
    a, b, c = _people(cast, 3)
    for p in (a, b, c):
        services.ballot_cast(actor=cast.city_admin, event=e, person=p, session_ids=[s1.pk, s2.pk])
    with pytest.raises(ValidationError, match="志愿"):
        _reg(cast.city_admin, s1, a)
    record = services.event_ranked_draw(actor=cast.city_admin, event=e, seed="seed")
    got = dict(Registration.objects.filter(session__event=e).values_list("session_id").annotate(
        n=__import__("django.db.models", fromlist=["Count"]).Count("id")))
    assert got == {s1.pk: 1, s2.pk: 1}
    assert cap.draw_verify(record) == []


def test_no_shows_after_the_session(cast):
    s = session_of(make_event(cast.city_admin, cast.xihu, total=3))
    a, b = _people(cast, 2)
    ra, rb = _reg(cast.city_admin, s, a), _reg(cast.city_admin, s, b)
    with pytest.raises(ValidationError, match="结束后"):
        services.no_shows_mark(actor=cast.city_admin, session=s)
    Registration.objects.filter(pk=ra.pk).update(checked_in_at=timezone.now())
    EventSession.objects.filter(pk=s.pk).update(starts_at=timezone.now() - dt.timedelta(hours=3),
                                                ends_at=timezone.now() - dt.timedelta(hours=1))
    assert services.no_shows_mark(actor=cast.city_admin, session=EventSession.objects.get(pk=s.pk)) == 1
    rb.refresh_from_db()
    assert rb.status == "no_show"
    assert _counters(s)[0] == 1  # a no-show keeps the place used


def test_event_cancel_ends_every_seat_and_tells_the_workers(cast):
    e = make_event(cast.city_admin, cast.xihu, total=1)
    s = session_of(e)
    a, b = _people(cast, 2)
    _reg(cast.city_admin, s, a), _reg(cast.city_admin, s, b)
    with pytest.raises(ValidationError, match="取消原因"):
        services.event_cancel(actor=cast.city_admin, event=e, reason="")
    services.event_cancel(actor=cast.city_admin, event=e, reason="台风停课")
    assert set(Registration.objects.filter(session=s).values_list("status", flat=True)) == {"cancelled"}
    assert Notification.objects.filter(event="event.cancelled", channel="portal").count() == 2
    assert _counters(s) == (1, 0)


def test_outsider_cannot_touch_another_subtrees_event(cast):
    e = make_event(cast.city_admin, cast.xihu, total=3)
    with pytest.raises(PermissionDenied):
        services.session_add(actor=cast.outsider, event=e, title="x", starts_at=timezone.now(),
                             ends_at=timezone.now() + dt.timedelta(hours=1), total=3)
    with pytest.raises(PermissionDenied):
        services.event_cancel(actor=cast.outsider, event=e, reason="x")
    (a,) = _people(cast, 1)
    r = _reg(cast.city_admin, session_of(e), a)
    with pytest.raises(PermissionDenied):
        services.registration_cancel(actor=cast.outsider, registration=r)


def test_viewer_cannot_write(cast):
    with pytest.raises(PermissionDenied):
        make_event(cast.viewer, cast.hangzhou)


def test_session_total_below_taken_is_refused_and_raising_promotes(cast):
    s = session_of(make_event(cast.city_admin, cast.xihu, total=2))
    people = _people(cast, 3)
    regs = [_reg(cast.city_admin, s, p) for p in people]
    with pytest.raises(ValidationError, match="不能少于"):
        services.session_set_total(actor=cast.city_admin, session=s, total=1)
    services.session_set_total(actor=cast.city_admin, session=s, total=3)
    regs[2].refresh_from_db()
    assert regs[2].status == "granted"
    assert _counters(s) == (0, 3)


def test_import_checks_every_row_before_registering_any(cast):
    s = session_of(make_event(cast.city_admin, cast.xihu, total=5))
    (a,) = _people(cast, 1)
    from huigong.core.crypto import fernet  # noqa: F401  (the encrypted ID is read back below)

    number = a.id_number
    with pytest.raises(ValidationError) as exc:
        services.registrations_import(actor=cast.city_admin, session=s, rows=[
            {"row": 2, "id_number": number, "companions": []},
            {"row": 3, "id_number": "110101199001011234", "companions": []}])
    assert "第 3 行" in str(exc.value)
    assert not Registration.objects.filter(session=s).exists()
    out = services.registrations_import(actor=cast.city_admin, session=s,
                                        rows=[{"row": 2, "id_number": number, "companions": []}])
    assert out["granted"] == 1
    assert Registration.objects.get(session=s).source == "import"
