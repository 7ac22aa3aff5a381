"""会员关系转接请求 (members services): the receiving union asks, only the releasing subtree answers, one
pending request per member, the periodic job reminds once and expires, and each side's audit log shows
every step."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from huigong.core.selectors import audit_list_for_actor
from huigong.members import services
from huigong.members.models import Membership, MembershipStatus, TransferRequest

pytestmark = pytest.mark.django_db


def _ask(cast, **kw):
    return services.transfer_request_create(actor=cast.district_staff, person=cast.qd_member.person,
                                            to_union=cast.riders, reason="换了工作", **kw)


def test_asking_moves_nothing_and_both_sides_see_it_in_their_audit_log(cast):
    req = _ask(cast)
    assert Membership.objects.get(person=req.person, status=MembershipStatus.ACTIVE) == cast.qd_member
    for actor in (cast.outsider, cast.city_admin):  # the releasing side's and the receiving side's admins
        verbs = {e.verb for e in audit_list_for_actor(actor) if e.object_id == str(req.pk)}
        assert "membership.transfer_request.create" in verbs


def test_one_pending_request_per_member(cast):
    _ask(cast)
    with pytest.raises(ValidationError):
        _ask(cast)


def test_only_the_releasing_subtree_answers(cast):
    req = _ask(cast, identity_confirmed=True)
    for actor in (cast.district_staff, cast.tech_staff):
        with pytest.raises(PermissionDenied):
            services.transfer_request_accept(actor=actor, request=req)
    with pytest.raises(PermissionDenied):
        services.transfer_request_refuse(actor=cast.city_admin, request=req, reason="x")
    services.transfer_request_accept(actor=cast.outsider, request=req)
    req.refresh_from_db()
    assert req.status == "accepted"
    assert Membership.objects.get(person=req.person, status=MembershipStatus.ACTIVE).union == cast.riders
    with pytest.raises(ValidationError):  # answered once
        services.transfer_request_refuse(actor=cast.outsider, request=req, reason="x")


def test_asking_for_someone_with_no_active_membership_or_already_here_is_refused(cast):
    with pytest.raises(ValidationError):
        services.transfer_request_create(actor=cast.district_staff, person=cast.rider.person, to_union=cast.riders)
    with pytest.raises(PermissionDenied):  # the receiving union must be the asker's
        services.transfer_request_create(actor=cast.district_staff, person=cast.member.person,
                                         to_union=cast.qd_ent)


def test_membership_changed_since_asking_is_not_moved(cast):
    req = _ask(cast, identity_confirmed=True)
    services.membership_withdraw(actor=cast.outsider, person=req.person, reason="退会")
    with pytest.raises(ValidationError):
        services.transfer_request_accept(actor=cast.outsider, request=req)


def test_tick_reminds_once_then_expires(cast, settings):
    settings.HUIGONG_TRANSFER_REQUEST_REMIND_DAYS = 3
    req = _ask(cast)
    now = timezone.now()
    assert services.transfer_requests_tick(now=now) == {"expired": 0, "reminded": 0}
    assert services.transfer_requests_tick(now=req.deadline - dt.timedelta(days=2)) == {"expired": 0, "reminded": 1}
    assert services.transfer_requests_tick(now=req.deadline - dt.timedelta(days=1)) == {"expired": 0, "reminded": 0}
    assert services.transfer_requests_tick(now=req.deadline + dt.timedelta(seconds=1)) == {"expired": 1,
                                                                                           "reminded": 0}
    assert TransferRequest.objects.get(pk=req.pk).status == "expired"
    assert Membership.objects.get(person=req.person, status=MembershipStatus.ACTIVE) == cast.qd_member
