"""Benefits decisions notify through the outbox: the inbox at once, SMS after commit, once per decision."""

import pytest

from huigong.benefits import services
from huigong.benefits.models import ProgrammeKind
from huigong.benefits.testing import clerk, make_programme, receipt_png
from huigong.core.notify.models import Notification, Status
from huigong.core.notify.services import deliver_due
from huigong.core.notify.sms import MemorySmsSender
from huigong.members.models import Person

pytestmark = pytest.mark.django_db


def _reimbursement(cast):
    rb = make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.REIMBURSEMENT, quota=50,
                        title="骑手健康证补贴", employment_forms=["rider"])
    return services.reimbursement_submit(actor=clerk(cast), programme=rb, person=Person.objects.get(pk=cast.rider.person_id),
                                         amount_fen=4500, receipt=receipt_png())


def test_a_reimbursement_approval_is_told_by_inbox_and_sms(cast):
    from huigong.portal.models import Message

    MemorySmsSender.clear()
    item = _reimbursement(cast)
    services.reimbursement_approve(actor=cast.city_admin, reimbursement=item)
    rows = {r.channel: r for r in Notification.objects.filter(event="reimbursement.decided")}
    assert rows["portal"].status == Status.SENT and rows["portal"].event_key == f"reimbursement:{item.pk}:approved"
    assert rows["sms"].status == Status.PENDING and rows["sms"].node_path == cast.riders.path
    assert Message.objects.filter(person_id=cast.rider.person_id, title__contains="先办后补申请已批准").count() == 1
    deliver_due()
    assert [s.phone for s in MemorySmsSender.outbox] == [Person.objects.get(pk=cast.rider.person_id).phone]


def test_a_rejection_is_told_once(cast):
    item = _reimbursement(cast)
    services.reimbursement_reject(actor=cast.city_admin, reimbursement=item, reason="票据不清")
    rows = Notification.objects.filter(event="reimbursement.decided", event_key=f"reimbursement:{item.pk}:rejected")
    assert sorted(rows.values_list("channel", flat=True)) == ["portal", "sms"]
    assert "票据不清" in rows.get(channel="portal").body
