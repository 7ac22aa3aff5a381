"""An aid application's final decision tells the household's member through the outbox; the steps before
it tell nobody."""

import pytest

from huigong.assistance.services import approval
from huigong.assistance.tests.flowkit import Flow
from huigong.core.notify.models import Notification

pytestmark = pytest.mark.django_db


def test_only_the_final_approval_is_told(cast):
    flow = Flow(cast)
    app = flow.apply()
    person = app.file.head
    app = approval.approval_decide(actor=flow.tech_admin, application=app, decision="approved", comment="同意")
    assert not Notification.objects.filter(person=person).exists()  # the first of three steps
    app = flow.approve_all(app)
    rows = Notification.objects.filter(person=person, event="aid.decided")
    assert sorted(rows.values_list("channel", flat=True)) == ["portal", "sms"]
    portal = rows.get(channel="portal")
    assert portal.event_key == f"aid:{app.pk}:1:approved" and "帮扶申请已批准" in portal.title
    assert "1,000.00" in portal.body and portal.node_path == app.node_path


def test_a_rejection_is_told(cast):
    flow = Flow(cast)
    app = flow.apply()
    approval.approval_decide(actor=flow.tech_admin, application=app, decision="rejected", comment="不符合条件")
    portal = Notification.objects.get(person=app.file.head, event="aid.decided", channel="portal")
    assert portal.title.startswith("帮扶申请未通过")
