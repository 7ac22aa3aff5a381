"""A membership transfer tells the member through the outbox; a transfer the member asked for online is
told by the join decision instead (one message, not two)."""

import pytest

from huigong.core.notify.models import Notification
from huigong.members import services

pytestmark = pytest.mark.django_db


def test_a_transfer_tells_the_member(cast):
    person = cast.member.person
    transfer = services.membership_transfer(actor=cast.city_admin, person=person, to_union=cast.riders, reason="换工作")
    rows = Notification.objects.filter(person=person, event="transfer.decided")
    assert sorted(rows.values_list("channel", flat=True)) == ["portal", "sms"]
    portal = rows.get(channel="portal")
    assert portal.event_key == f"transfer:{transfer.pk}:done" and "西湖区骑手联合工会" in portal.title
    assert portal.node_path == cast.tech.path  # the releasing union's staff see it


def test_a_transfer_asked_for_online_is_not_told_twice(cast):
    person = cast.member.person
    services.membership_transfer(actor=cast.city_admin, person=person, to_union=cast.riders, requested_by_member=True)
    assert not Notification.objects.filter(person=person).exists()


def test_a_refused_transfer_request_tells_the_member(cast):
    person = cast.member.person
    req = services.transfer_request_create(actor=cast.outsider, person=person, to_union=cast.qd_ent, reason="调动",
                                           identity_confirmed=True)
    services.transfer_request_refuse(actor=cast.city_admin, request=req, reason="本人未提出")
    portal = Notification.objects.get(person=person, event="transfer.decided", channel="portal")
    assert portal.event_key == f"transfer-request:{req.pk}:refused" and "本人未提出" in portal.body
