"""The two payment pages that take a bank result sheet (回盘), aid payouts and reimbursement payments,
answer a bad sheet alike: nothing imported, one message saying so with the count, then one message per
problem naming its row, from the same upload form (disbursement/_result_import.html). Before, aid listed
the rows one message each and reimbursements ran them together in one."""

import re

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile

from huigong.benefits import services as benefit_services
from huigong.benefits.models import PaymentBatch, ProgrammeKind
from huigong.benefits.testing import clerk, make_programme, receipt_png
from huigong.members.models import Person
from huigong.testing import result_sheet

pytestmark = pytest.mark.django_db


def _aid_batch(cast):
    from huigong.assistance.services import payouts
    from huigong.assistance.tests.flowkit import Flow

    flow = Flow(cast)
    flow.ready_to_pay(2)
    batch = flow.batch()
    payouts.payout_batch_mark_sent(actor=cast.finance, batch=batch)
    return f"/assistance/batches/{batch.pk}/", f"/assistance/batches/{batch.pk}/import/"


def _reimbursement_batch(cast):
    programme = make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.REIMBURSEMENT, quota=10)
    for membership in (cast.rider, cast.member):
        Person.objects.filter(pk=membership.person_id).update(bank_account="6222020000005678",
                                                             bank_account_mask="**** 5678", bank_name="工商银行")
        item = benefit_services.reimbursement_submit(actor=clerk(cast), programme=programme,
                                                     person=Person.objects.get(pk=membership.person_id),
                                                     amount_fen=3000, receipt=receipt_png())
        benefit_services.reimbursement_approve(actor=cast.city_admin, reimbursement=item)
    batch, _ = benefit_services.payment_batch_create(actor=cast.finance, programme=programme)
    assert isinstance(batch, PaymentBatch) and batch.payments.count() == 2
    return f"/benefits/batches/{batch.pk}/", f"/benefits/batches/{batch.pk}/results/"


def _bad_sheet() -> SimpleUploadedFile:
    """Two rows whose 备注 is no payment of the batch: two problems, rows 2 and 3."""
    rows = [[n, "某人", "**** 0000", "工商银行", 30, "补贴", f"NOPE-{n}", "成功", f"B{n}", ""] for n in (1, 2)]
    return SimpleUploadedFile("回盘.xlsx", result_sheet(rows))


@pytest.mark.parametrize("make", [_aid_batch, _reimbursement_batch], ids=["aid", "reimbursement"])
def test_a_bad_result_sheet_is_answered_alike_on_both_payment_pages(client, cast, make):
    page, action = make(cast)
    client.force_login(cast.finance)
    html = client.get(page).content.decode()
    assert "data-result-import" in html and f'action="{action}"' in html  # the shared form
    r = client.post(action, {"upload": _bad_sheet()})
    assert r.status_code == 302 and r["Location"] == page
    said = [str(m) for m in get_messages(r.wsgi_request)]
    assert said[0] == "回盘未导入：发现 2 处问题，整表未登记任何一笔，请改正后重新上传", said
    assert len(said) == 3 and all(re.search(r"第\s*\d+\s*行", m) for m in said[1:]), said
    assert "NOPE-1" in said[1] and "NOPE-2" in said[2]


@pytest.mark.parametrize("make", [_aid_batch, _reimbursement_batch], ids=["aid", "reimbursement"])
def test_no_file_is_the_forms_own_error_on_both_pages(client, cast, make):
    page, action = make(cast)
    client.force_login(cast.finance)
    r = client.post(action, {})
    said = [str(m) for m in get_messages(r.wsgi_request)]
    assert r.status_code == 302 and said == ["这个字段是必填项。"], said
