"""Reimbursement payments through the bank's 批量代发 sheet and its result sheet (回盘)."""

import io

import pytest
from django.core.exceptions import ValidationError
from python_calamine import CalamineWorkbook

from huigong.accounts.models import Role
from huigong.benefits import services
from huigong.benefits.models import PaymentStatus, ProgrammeKind, Reimbursement, ReimbursementStatus
from huigong.benefits.testing import clerk, make_programme, receipt_png
from huigong.core.banksheet import RESULT_HEADERS
from huigong.core.models import AccessLog, AuditEvent
from huigong.members.models import Person
from huigong.testing import make_staff, result_sheet

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(cast):
    rb = make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.REIMBURSEMENT, quota=10)
    for membership, account, fen in ((cast.rider, "6222020000005678", 5000), (cast.member, "6222020000001234", 3000)):
        person = Person.objects.get(pk=membership.person_id)
        person.bank_account, person.bank_account_mask, person.bank_name = account, "**** " + account[-4:], "工商银行"
        person.save()
        item = services.reimbursement_submit(actor=clerk(cast), programme=rb, person=person, amount_fen=fen,
                                             receipt=receipt_png())
        services.reimbursement_approve(actor=cast.city_admin, reimbursement=item)
    made, _ = services.payment_batch_create(actor=cast.finance, programme=rb)
    assert made.payments.count() == 2
    return made


def _sheet(rows: list[list]) -> bytes:
    return result_sheet(rows)


def _result(p, status, ref="", reason="", amount=None):
    return [1, p.payee_name, p.bank_account_mask, p.bank_name, amount if amount is not None else p.amount_fen / 100,
            "补贴", p.idempotency_key, status, ref, reason]


def test_the_sheet_lists_pending_payments_masked_or_in_full_with_an_access_row(client, cast, batch):
    client.force_login(cast.finance)
    r = client.post(f"/benefits/batches/{batch.pk}/bank-sheet/")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(r.content)).get_sheet_by_index(0).to_python()
    assert rows[0] == RESULT_HEADERS
    keys = {row[6]: row for row in rows[1:3]}
    assert set(keys) == set(batch.payments.values_list("idempotency_key", flat=True))
    assert all(row[2].startswith("****") for row in keys.values())  # masked
    assert not AccessLog.objects.filter(object_type="benefits.reimbursementpayment").exists()
    assert AuditEvent.objects.filter(verb="payment_batch.export", object_id=str(batch.pk)).exists()
    # Full numbers need the PII_FULL capability: finance has it, and reading them is logged.
    r = client.post(f"/benefits/batches/{batch.pk}/bank-sheet/", {"full": "1"})
    rows = CalamineWorkbook.from_filelike(io.BytesIO(r.content)).get_sheet_by_index(0).to_python()
    assert {row[2] for row in rows[1:3]} == {"6222020000005678", "6222020000001234"}
    assert AccessLog.objects.filter(object_type="benefits.reimbursementpayment", row_count=2).exists()


def test_a_viewer_gets_no_sheet(client, cast, batch):
    client.force_login(cast.viewer)
    assert client.post(f"/benefits/batches/{batch.pk}/bank-sheet/").status_code == 403


def test_results_mark_payments_once_and_a_second_import_changes_nothing(client, cast, batch):
    paid, failed = batch.payments.order_by("id")
    data = _sheet([_result(paid, "成功", ref="BK-001"), _result(failed, "失败", reason="户名不符")])
    counts = services.payment_batch_import_results(actor=cast.finance, batch=batch, data=data)
    assert counts == {"paid": 1, "failed": 1, "unchanged": 0}
    paid.refresh_from_db()
    failed.refresh_from_db()
    assert (paid.status, paid.bank_reference) == (PaymentStatus.PAID, "BK-001")
    assert (failed.status, failed.failure_reason) == (PaymentStatus.FAILED, "户名不符")
    assert Reimbursement.objects.get(pk=paid.reimbursement_id).status == ReimbursementStatus.PAID
    again = services.payment_batch_import_results(actor=cast.finance, batch=batch, data=data)
    assert again == {"paid": 0, "failed": 0, "unchanged": 2}
    assert AuditEvent.objects.filter(verb="reimbursement_payment.paid").count() == 1


def test_a_bad_row_is_named_and_nothing_is_applied(client, cast, batch):
    first, second = batch.payments.order_by("id")
    data = _sheet([_result(first, "成功", ref="BK-1"), _result(second, "成功", ref="BK-2", amount=1.0),
                   [3, "x", "", "", 10, "", "hg-rb-999999-1", "成功", "BK-3", ""]])
    client.force_login(cast.finance)
    upload = io.BytesIO(data)
    upload.name = "回盘.xlsx"
    r = client.post(f"/benefits/batches/{batch.pk}/results/", {"upload": upload}, follow=True)
    text = r.content.decode()
    assert r.status_code == 200 and "第 3 行" in text and "金额 1" in text and "第 4 行" in text
    assert "hg-rb-999999-1" in text
    assert set(batch.payments.values_list("status", flat=True)) == {PaymentStatus.PENDING}


def test_success_for_a_payment_already_failed_is_refused(cast, batch):
    p = batch.payments.order_by("id").first()
    services.payment_mark_failed(actor=cast.finance, payment=p, reason="退回")
    with pytest.raises(ValidationError) as e:
        services.payment_batch_import_results(actor=cast.finance, batch=batch, data=_sheet([_result(p, "成功", ref="X")]))
    assert "重复付款" in str(e.value)


def test_another_subtrees_finance_cannot_import_or_export(client, cast, batch):
    qd = make_staff(cast.qingdao, Role.FINANCE, "qd_fin")
    p = batch.payments.order_by("id").first()
    client.force_login(qd)
    data = _sheet([_result(p, "成功", ref="QD")])
    upload = io.BytesIO(data)
    upload.name = "r.xlsx"
    assert client.post(f"/benefits/batches/{batch.pk}/results/", {"upload": upload}).status_code in (403, 404)
    assert client.post(f"/benefits/batches/{batch.pk}/bank-sheet/", {"full": "1"}).status_code in (403, 404)
    p.refresh_from_db()
    assert p.status == PaymentStatus.PENDING


@pytest.mark.parametrize("reorder", [False, True])
def test_the_banks_copy_of_our_own_sheet_imports_with_its_total_and_notes(client, cast, batch, reorder):
    from huigong.testing import bank_fills

    client.force_login(cast.finance)
    sheet = client.post(f"/benefits/batches/{batch.pk}/bank-sheet/", {"full": "1"}).content
    paid, failed = batch.payments.order_by("id")
    back = bank_fills(sheet, {paid.idempotency_key: ("成功", "BK-1", ""), failed.idempotency_key: ("失败", "", "户名不符")},
                      reorder=reorder)
    counts = services.payment_batch_import_results(actor=cast.finance, batch=batch, data=back)
    assert counts == {"paid": 1, "failed": 1, "unchanged": 0}
