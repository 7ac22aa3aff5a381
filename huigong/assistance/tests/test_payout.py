import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from python_calamine import CalamineWorkbook

from huigong.core.models import AccessLog, AuditEvent
from huigong.testing import result_sheet

from ..models import (
    AidApplication,
    HardshipFile,
    LedgerEntry,
    Payout,
    PayoutAttempt,
    PayoutBatch,
    ProgrammeBudget,
)
from ..services import payouts
from ..services.ledger import batch_bank_sheet
from .flowkit import Flow

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow(cast):
    return Flow(cast)


def test_batch_takes_notice_ended_only_once(flow):
    apps = flow.ready_to_pay(2)
    flow.apply()  # submitted, not payable
    b = flow.batch()
    ps = list(b.payouts.order_by("pk"))
    assert [p.idempotency_key for p in ps] == [f"aid-{a.pk}" for a in apps]
    assert ps[0].bank_account == apps[0].file.bank_account and ps[0].bank_account_mask.endswith("3445")
    with pytest.raises(ValidationError, match="没有公示期满、待发放的申请"):
        flow.batch("第二批")
    with pytest.raises(ValidationError, match="不能发放"):
        flow.batch("第三批", applications=apps)


def test_payment_before_notice_ended_refused(flow):
    app = flow.approve_all(flow.apply())
    with pytest.raises(ValidationError, match="不能发放"):
        flow.batch(applications=[app])
    with pytest.raises(ValidationError):
        flow.batch()


def test_mark_paid_writes_ledger_once(flow):
    [app] = flow.ready_to_pay(1, amount_fen=88_800)
    b = flow.batch()
    p = b.payouts.get()
    payouts.payout_mark_paid(actor=flow.finance, payout=p, bank_reference="B20260310001")
    again = payouts.payout_mark_paid(actor=flow.finance, payout=p, bank_reference="B-OTHER")
    assert again.status == "paid" and again.bank_reference == "B20260310001"
    assert LedgerEntry.objects.filter(payout=p).count() == 1
    assert ProgrammeBudget.objects.get(pk=flow.budget.pk).paid_fen == 88_800
    assert AidApplication.objects.get(pk=app.pk).status == "paid"
    b.refresh_from_db()
    assert b.status == "done"
    with pytest.raises(ValidationError, match="已到账"):
        payouts.payout_mark_failed(actor=flow.finance, payout=p, reason="x")


def test_fail_then_retry_same_row(flow):
    flow.ready_to_pay(1)
    b = flow.batch()
    p = b.payouts.get()
    payouts.payout_mark_failed(actor=flow.finance, payout=p, reason="户名不符")
    with pytest.raises(ValidationError, match="请先重新发放"):
        payouts.payout_mark_paid(actor=flow.finance, payout=p, bank_reference="R1")
    b2 = payouts.PayoutBatch.objects.create(node=flow.cast.hangzhou, node_path=flow.cast.hangzhou.path, title="补发")
    p = payouts.payout_retry(actor=flow.finance, payout=p, batch=b2)
    assert p.status == "pending" and p.attempts == 2 and p.batch_id == b2.pk
    assert payouts.payout_retry(actor=flow.finance, payout=p).attempts == 2  # no-op when not failed
    payouts.payout_mark_paid(actor=flow.finance, payout=p, bank_reference="R2")
    assert Payout.objects.count() == 1
    assert list(PayoutAttempt.objects.filter(payout=p).order_by("number", "status")
                .values_list("number", "status")) == [(1, "failed"), (2, "paid")]


def test_roles_and_outsider(flow, cast):
    flow.ready_to_pay(1)
    with pytest.raises(PermissionDenied):  # admin has no MONEY
        payouts.payout_batch_create(actor=cast.city_admin, node=cast.hangzhou, title="x")
    with pytest.raises(PermissionDenied):
        payouts.payout_batch_create(actor=cast.outsider, node=cast.hangzhou, title="x")
    b = flow.batch()
    p = b.payouts.get()
    from huigong.accounts.models import Role
    from huigong.testing import make_staff
    qd_fin = make_staff(cast.qingdao, Role.FINANCE)
    with pytest.raises(PermissionDenied):
        payouts.payout_mark_paid(actor=qd_fin, payout=p, bank_reference="X")
    with pytest.raises(PermissionDenied):
        batch_bank_sheet(actor=qd_fin, batch=b)


def _sheet_rows(content: bytes):
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


def test_bank_sheet_masked_and_full(flow):
    flow.ready_to_pay(2, amount_fen=123_456)
    b = flow.batch()
    masked = _sheet_rows(batch_bank_sheet(actor=flow.finance, batch=b).content)
    assert masked[0][:7] == ["序号", "收款人姓名", "收款账号", "开户行", "金额（元）", "用途", "备注"]
    assert masked[1][2].startswith("****") and masked[1][4] == 1234.56 and masked[1][6].startswith("aid-")
    assert masked[1][6].endswith("#1")
    assert not AccessLog.objects.filter(object_type="assistance.payout").exists()
    full = _sheet_rows(batch_bank_sheet(actor=flow.finance, batch=b, full=True, attempt=1).content)
    assert full[1][2] == "6222020200112233445"
    assert AccessLog.objects.filter(object_type="assistance.payout", row_count=2).count() == 1


def _result_sheet(rows) -> bytes:
    return result_sheet(rows)


def test_import_results_validates_then_applies_idempotently(flow):
    a1, a2 = flow.ready_to_pay(2, amount_fen=100_000)
    b = flow.batch()
    k1, k2 = f"aid-{a1.pk}#1", f"aid-{a2.pk}#1"
    bad = _result_sheet([[1, "x", "", "", 1000, "", k1, "成功", "B1", ""],
                         [2, "x", "", "", 999, "", k2, "成功", "B2", ""],
                         [3, "x", "", "", 1000, "", "aid-999999", "成功", "B3", ""],
                         [4, "x", "", "", 1000, "", k2, "处理中", "", ""]])
    with pytest.raises(ValidationError) as e:
        payouts.payout_batch_import_results(actor=flow.finance, batch=b, data=bad)
    msg = " ".join(e.value.messages)
    assert "第 3 行" in msg and "第 4 行" in msg and "aid-999999" in msg
    assert not LedgerEntry.objects.exists()
    good = _result_sheet([[1, "x", "", "", 1000, "", k1, "成功", "B1", ""],
                          [2, "x", "", "", 1000, "", k2, "失败", "", "账户已销户"]])
    assert payouts.payout_batch_import_results(actor=flow.finance, batch=b, data=good) == \
        {"paid": 1, "failed": 1, "unchanged": 0, "stale": 0}
    assert payouts.payout_batch_import_results(actor=flow.finance, batch=b, data=good) == \
        {"paid": 0, "failed": 0, "unchanged": 2, "stale": 0}
    assert LedgerEntry.objects.count() == 1
    assert Payout.objects.get(idempotency_key=f"aid-{a2.pk}").failure_reason == "账户已销户"


def test_import_garbage_refused(flow):
    flow.ready_to_pay(1)
    b = flow.batch()
    with pytest.raises(ValidationError, match="无法读取该 Excel 文件"):
        payouts.payout_batch_import_results(actor=flow.finance, batch=b, data=b"not a sheet")


def test_import_zip_bomb_refused(flow):
    import zipfile

    flow.ready_to_pay(1)
    b = flow.batch()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    assert len(out.getvalue()) < 1024 * 1024
    with pytest.raises(ValidationError, match="压缩炸弹"):
        payouts.payout_batch_import_results(actor=flow.finance, batch=b, data=out.getvalue())


# --- review fixes ----------------------------------------------------------------------------------------

def _keys(content: bytes) -> list[str]:
    return [r[6] for r in _sheet_rows(content)[1:] if r[6]]


def test_bank_sheet_sends_pending_rows_once(flow):
    """Review #2: a second download must not hand the bank the same payments again."""
    a1, a2 = flow.ready_to_pay(2)
    b = flow.batch()
    assert _keys(batch_bank_sheet(actor=flow.finance, batch=b).content) == [f"aid-{a1.pk}#1", f"aid-{a2.pk}#1"]
    assert set(b.payouts.values_list("status", flat=True)) == {"sent"}
    assert PayoutAttempt.objects.filter(payout__batch=b, status="sent", number=1).count() == 2
    assert PayoutBatch.objects.get(pk=b.pk).status == "sent"
    with pytest.raises(ValidationError, match="本批次没有待发送的发放记录"):
        batch_bank_sheet(actor=flow.finance, batch=b)
    p1 = Payout.objects.get(application=a1)
    payouts.payout_mark_failed(actor=flow.finance, payout=p1, reason="户名不符")
    payouts.payout_retry(actor=flow.finance, payout=p1)
    # the new sheet holds only the retried payout, on its second attempt
    assert _keys(batch_bank_sheet(actor=flow.finance, batch=b).content) == [f"aid-{a1.pk}#2"]
    # downloading attempt 1 again: only what is still at the bank on attempt 1, audited as a re-download
    again = batch_bank_sheet(actor=flow.finance, batch=b, attempt=1)
    assert _keys(again.content) == [f"aid-{a2.pk}#1"] and "第1次发送" in again.filename
    assert AuditEvent.objects.filter(verb="aid_batch.export_again").count() == 1
    with pytest.raises(ValidationError, match="第 3 次发送"):
        batch_bank_sheet(actor=flow.finance, batch=b, attempt=3)


def test_bank_sheet_rechecks_the_applications(flow):
    """Review #4: an application no longer past its notice is not sent to the bank."""
    [a] = flow.ready_to_pay(1)
    b = flow.batch()
    AidApplication.objects.filter(pk=a.pk).update(status="rejected")
    with pytest.raises(ValidationError, match="已不在“公示期满”状态"):
        batch_bank_sheet(actor=flow.finance, batch=b)
    assert b.payouts.get().status == "pending"


def test_retry_takes_the_files_current_bank_details(flow):
    """Review #3: the account that failed is not paid into again."""
    [a] = flow.ready_to_pay(1)
    p = flow.batch().payouts.get()
    payouts.payout_mark_failed(actor=flow.finance, payout=p, reason="账号已销户")
    HardshipFile.objects.filter(pk=a.file_id).update(bank_account="6217000011112222333", bank_name="中国建设银行",
                                                      bank_account_mask="****2333", payee_name="新收款人")
    p = payouts.payout_retry(actor=flow.finance, payout=p)
    p = Payout.objects.get(pk=p.pk)
    assert (p.bank_account, p.bank_name, p.payee_name) == ("6217000011112222333", "中国建设银行", "新收款人")
    log = AuditEvent.objects.filter(verb="aid_payout.retry").latest("pk")
    assert "3445" in str(log.old) and "****2333" in str(log.new)
    assert "6217000011112222333" not in str(log.new) + str(log.old)


def test_retry_into_another_batch_closes_the_old_one(flow):
    """Review #15."""
    a1, a2 = flow.ready_to_pay(2)
    b = flow.batch()
    p1, p2 = Payout.objects.get(application=a1), Payout.objects.get(application=a2)
    payouts.payout_mark_paid(actor=flow.finance, payout=p2, bank_reference="R-2")
    payouts.payout_mark_failed(actor=flow.finance, payout=p1, reason="户名不符")
    b2 = PayoutBatch.objects.create(node=flow.cast.hangzhou, node_path=flow.cast.hangzhou.path, title="补发")
    payouts.payout_retry(actor=flow.finance, payout=p1, batch=b2)
    assert PayoutBatch.objects.get(pk=b.pk).status == "done"
    assert PayoutBatch.objects.get(pk=b2.pk).status == "draft"


def test_stale_result_sheet_cannot_undo_a_retry(flow):
    """Review #9: the bank's answer to attempt 1 arrives after the payout was retried."""
    [a] = flow.ready_to_pay(1)
    b = flow.batch()
    batch_bank_sheet(actor=flow.finance, batch=b)
    old_fail = _result_sheet([[1, "x", "", "", 1000, "", f"aid-{a.pk}#1", "失败", "", "户名不符"]])
    payouts.payout_batch_import_results(actor=flow.finance, batch=b, data=old_fail)
    p = payouts.payout_retry(actor=flow.finance, payout=b.payouts.get())
    batch_bank_sheet(actor=flow.finance, batch=b)  # attempt 2 sent
    counts = payouts.payout_batch_import_results(actor=flow.finance, batch=b, data=old_fail)
    assert counts == {"paid": 0, "failed": 0, "unchanged": 0, "stale": 1}
    assert Payout.objects.get(pk=p.pk).status == "sent"  # attempt 2 still at the bank
    old_ok = _result_sheet([[1, "x", "", "", 1000, "", f"aid-{a.pk}#1", "成功", "B-OLD", ""]])
    with pytest.raises(ValidationError, match="第 2 行.*第 1 次发送"):
        payouts.payout_batch_import_results(actor=flow.finance, batch=b, data=old_ok)
    no_attempt = _result_sheet([[1, "x", "", "", 1000, "", f"aid-{a.pk}", "成功", "B-1", ""]])
    with pytest.raises(ValidationError, match="发放编号#发送次数"):
        payouts.payout_batch_import_results(actor=flow.finance, batch=b, data=no_attempt)
    new_ok = _result_sheet([[1, "x", "", "", 1000, "", f"aid-{a.pk}#2", "成功", "B-2", ""]])
    assert payouts.payout_batch_import_results(actor=flow.finance, batch=b, data=new_ok)["paid"] == 1
    assert LedgerEntry.objects.count() == 1


def test_result_amount_with_more_than_two_decimals_refused(flow):
    """Review #18: 1000.004 is not silently rounded to 1000.00."""
    [a] = flow.ready_to_pay(1)
    b = flow.batch()
    sheet = _result_sheet([[1, "x", "", "", "1000.004", "", f"aid-{a.pk}#1", "成功", "B1", ""]])
    with pytest.raises(ValidationError, match="第 2 行.*超过两位小数"):
        payouts.payout_batch_import_results(actor=flow.finance, batch=b, data=sheet)
    assert not LedgerEntry.objects.exists()


def test_errors_while_applying_name_the_row(flow):
    """Review #19: a row refused while applying says which row."""
    a1, a2 = flow.ready_to_pay(2)
    b = flow.batch()
    payouts.payout_mark_failed(actor=flow.finance, payout=Payout.objects.get(application=a2), reason="退票")
    sheet = _result_sheet([[1, "x", "", "", 1000, "", f"aid-{a1.pk}#1", "成功", "B1", ""],
                           [2, "x", "", "", 1000, "", f"aid-{a2.pk}#1", "成功", "B2", ""]])
    with pytest.raises(ValidationError) as e:
        payouts.payout_batch_import_results(actor=flow.finance, batch=b, data=sheet)
    assert e.value.messages[0].startswith("第 3 行") and "请先重新发放" in e.value.messages[0]
    assert not LedgerEntry.objects.exists()  # the whole sheet rolled back


def test_batch_error_does_not_reveal_out_of_scope_applications(flow, cast):
    """Review #17: an application outside the node reads as missing, not with its status."""
    from huigong.accounts.models import Role
    from huigong.testing import make_staff

    [a] = flow.ready_to_pay(1)
    qd_fin = make_staff(cast.qingdao, Role.FINANCE)
    with pytest.raises(ValidationError) as e:
        payouts.payout_batch_create(actor=qd_fin, node=cast.qingdao, title="x", applications=[a.pk])
    msg = " ".join(e.value.messages)
    assert "不存在" in msg and "公示期满" not in msg.split("：")[0]
    assert not Payout.objects.exists()


@pytest.mark.parametrize("reorder", [False, True])
def test_the_banks_copy_of_our_own_sheet_imports_with_its_total_and_notes(flow, reorder):
    """The 代发 sheet the system wrote, filled in and saved by the bank (its 合计 row kept, notes and a
    signature line under it, a title row above, columns reordered): it imports as written."""
    from huigong.testing import bank_fills

    a1, a2 = flow.ready_to_pay(2, amount_fen=100_000)
    b = flow.batch()
    sheet = batch_bank_sheet(actor=flow.finance, batch=b, full=True, with_results=True).content
    assert any(r[1] == "合计" for r in _sheet_rows(sheet))
    back = bank_fills(sheet, {f"aid-{a1.pk}#1": ("成功", "B1", ""), f"aid-{a2.pk}#1": ("失败", "", "户名不符")},
                      reorder=reorder)
    assert payouts.payout_batch_import_results(actor=flow.finance, batch=b, data=back) == \
        {"paid": 1, "failed": 1, "unchanged": 0, "stale": 0}
    assert LedgerEntry.objects.count() == 1


def test_a_row_without_a_key_that_is_not_a_total_or_note_is_still_an_error(flow):
    a1, = flow.ready_to_pay(1, amount_fen=100_000)
    b = flow.batch()
    sheet = _result_sheet([[1, "x", "", "", 1000, "", f"aid-{a1.pk}#1", "成功", "B1", ""],
                           [2, "张三", "6222", "工行", 500, "", "", "成功", "B2", ""]])
    with pytest.raises(ValidationError) as e:
        payouts.payout_batch_import_results(actor=flow.finance, batch=b, data=sheet)
    assert "第 3 行" in " ".join(e.value.messages)
    assert not LedgerEntry.objects.exists()
