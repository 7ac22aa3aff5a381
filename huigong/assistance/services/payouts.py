"""Disbursement (发放): batches, payouts, bank sheets.

Exactly-once payment:
- A payout is created for an application at most once: idempotency_key "aid-<application id>" and the
  application are UNIQUE, rows are inserted with INSERT … ON CONFLICT DO NOTHING, so two finance officers
  building batches at the same time split the applications between them instead of doubling them.
- Marking paid is one conditional UPDATE (status pending/sent → paid). Whoever gets 0 rows did not pay:
  if the payout is already paid it is an idempotent no-op that returns the existing state; the ledger
  row, the budget's paid_fen and the application's PAID are written only by the winner, in the same
  transaction (and the ledger's UNIQUE payout would refuse a second row anyway).
- A failed payout is retried on the same row (failed → pending, attempts + 1, optionally moved to a new
  batch), with the payee and bank account copied afresh from the file (the failure is often a wrong
  account that has since been corrected); every outcome leaves a PayoutAttempt row.
- The bank sheet (services/ledger.py) carries each row's attempt in 备注 as "aid-<id>#<attempt>"; the result
  sheet is matched on it, so a stale sheet from an earlier attempt cannot undo a retry: its failure rows
  are ignored (and reported), its success rows refused (a payment the retry would double).
- Building a batch locks the candidate applications and re-reads their status, so an objection upheld at
  the same moment either wins (no payout) or finds the payout and refuses.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.accounts.models import Cap
from huigong.core import banksheet, duties
from huigong.core.audit import audit
from huigong.core.money import format_yuan
from huigong.core.scope import ensure_path_in_scope, require
from huigong.orgs.models import UnionNode

from .. import clock
from ..models import (
    AidApplication,
    ApplicationStatus,
    ApprovalDecision,
    ApprovalStep,
    BatchStatus,
    HardshipFile,
    LedgerEntry,
    Payout,
    PayoutAttempt,
    PayoutBatch,
    PayoutStatus,
    ProgrammeBudget,
)


def idempotency_key(application_id: int) -> str:
    return f"aid-{application_id}"


def _ensure_not_approver(actor, application_ids) -> None:
    """Nobody pays what they approved (core/duties.py): any approving step of any round counts."""
    duties.ensure_not_approver(actor, ApprovalStep.objects.filter(
        application_id__in=list(application_ids), decision=ApprovalDecision.APPROVED,
        decided_by__isnull=False).values_list("decided_by_id", flat=True).distinct())


def _money_actor(actor, path: str):
    staff = require(actor, Cap.MONEY)
    ensure_path_in_scope(actor, path)
    return staff


@transaction.atomic
def payout_batch_create(*, actor, node: UnionNode, title: str, applications=None) -> PayoutBatch:
    """A batch of every NOTICE_ENDED application of the node's subtree not yet in a payout (or of the
    given ones, each of which must qualify)."""
    _money_actor(actor, node.path)
    if not (title or "").strip():
        raise ValidationError({"title": _("请填写批次名称")})
    # Locked (and re-read after the lock): an objection upheld meanwhile has moved the application out of
    # NOTICE_ENDED, and then it is not paid.
    qs = (AidApplication.objects.select_for_update(of=("self",))
          .filter(node_path__startswith=node.path, status=ApplicationStatus.NOTICE_ENDED, payout__isnull=True)
          .select_related("file", "programme"))
    if applications is not None:
        ids = sorted({a.pk if hasattr(a, "pk") else int(a) for a in applications})
        found = {a.pk: a for a in qs.filter(pk__in=ids)}
        for i in ids:
            if i not in found:
                # Scope first: an application outside the node's subtree does not exist for this actor.
                a = AidApplication.objects.filter(pk=i, node_path__startswith=node.path).first()
                why = a.get_status_display() if a else _("不存在")
                raise ValidationError({"applications": _("申请 #%(id)s 不能发放（%(why)s）：须公示期满、在本单位范围内且未发放")
                                       % {"id": i, "why": why}})
        apps = [found[i] for i in ids]
    else:
        apps = list(qs.order_by("pk"))
    still = set(AidApplication.objects.filter(pk__in=[a.pk for a in apps], status=ApplicationStatus.NOTICE_ENDED)
                .values_list("pk", flat=True))
    apps = [a for a in apps if a.pk in still]
    if not apps:
        raise ValidationError(_("没有公示期满、待发放的申请"))
    _ensure_not_approver(actor, [a.pk for a in apps])
    for a in apps:
        if not a.file.bank_account:
            raise ValidationError({"applications": _("档案 %(f)s 没有收款银行账号")
                                   % {"f": a.file.file_no}})
    batch = PayoutBatch.objects.create(node=node, node_path=node.path, title=title.strip(), created_by=actor)
    Payout.objects.bulk_create([
        Payout(batch=batch, application=a, idempotency_key=idempotency_key(a.pk), amount_fen=a.amount_approved_fen,
               payee_name=a.file.payee_name, bank_name=a.file.bank_name, bank_account=a.file.bank_account,
               bank_account_mask=a.file.bank_account_mask) for a in apps], ignore_conflicts=True)
    mine = list(batch.payouts.values_list("application_id", flat=True))
    if not mine:  # every one was taken by a concurrent batch
        raise ValidationError(_("这些申请已在其他批次中"))
    audit(actor=actor, verb="aid_batch.create", obj=batch, node_path=node.path,
          new={"title": batch.title, "applications": mine,
               "total_fen": sum(a.amount_approved_fen for a in apps if a.pk in set(mine))})
    return batch


def _payout_locked(actor, payout: Payout) -> Payout:
    p = Payout.objects.select_related("batch").get(pk=payout.pk)
    _money_actor(actor, p.batch.node_path)
    _ensure_not_approver(actor, [p.application_id])
    return p


def _attempt(p: Payout, status: str, actor, *, reference: str = "", reason: str = "") -> None:
    PayoutAttempt.objects.get_or_create(payout=p, number=p.attempts, status=status, defaults={
        "batch_id": p.batch_id, "bank_reference": reference, "failure_reason": reason[:255],
        "by": actor if getattr(actor, "pk", None) else None})


def _close_batch_if_done(batch_id: int) -> None:
    if not Payout.objects.filter(batch_id=batch_id).exclude(status=PayoutStatus.PAID).exists():
        PayoutBatch.objects.filter(pk=batch_id).exclude(status=BatchStatus.DONE).update(
            status=BatchStatus.DONE, done_at=timezone.now())


@transaction.atomic
def payout_mark_paid(*, actor, payout: Payout, bank_reference: str, paid_on: dt.date | None = None) -> Payout:
    p = _payout_locked(actor, payout)
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        raise ValidationError({"bank_reference": _("请填写银行流水号")})
    now = timezone.now()
    n = (Payout.objects.filter(pk=p.pk, status__in=(PayoutStatus.PENDING, PayoutStatus.SENT))
         .update(status=PayoutStatus.PAID, bank_reference=bank_reference[:64], paid_at=now, failure_reason=""))
    p.refresh_from_db()
    if not n:
        if p.status == PayoutStatus.PAID:
            return p  # already paid: nothing more happens, whoever asks and however often
        raise ValidationError(_("发放记录 %(k)s 已标记失败，请先重新发放")
                              % {"k": p.idempotency_key})
    app = AidApplication.objects.select_related("programme").get(pk=p.application_id)
    paid_on = paid_on or clock.today()
    LedgerEntry.objects.create(file_id=app.file_id, programme_id=app.programme_id, application=app, payout=p,
                               node_id=app.node_id, node_path=app.node_path, year=app.programme.year,
                               amount_fen=p.amount_fen, paid_on=paid_on)
    ProgrammeBudget.objects.filter(pk=app.budget_id).update(paid_fen=F("paid_fen") + p.amount_fen)
    moved = AidApplication.objects.filter(pk=app.pk, status=ApplicationStatus.NOTICE_ENDED).update(
        status=ApplicationStatus.PAID, updated_at=now)
    if not moved:
        raise ValidationError(_("申请 #%(id)s 状态为“%(s)s”，不能发放")
                              % {"id": app.pk, "s": app.get_status_display()})
    _attempt(p, PayoutStatus.PAID, actor, reference=bank_reference)
    _close_batch_if_done(p.batch_id)
    audit(actor=actor, verb="aid_payout.paid", obj=p, object_repr=p.idempotency_key, node_path=app.node_path,
          old={"status": "pending"}, new={"status": "paid", "bank_reference": bank_reference,
                                          "amount_fen": p.amount_fen})
    return p


@transaction.atomic
def payout_mark_failed(*, actor, payout: Payout, reason: str) -> Payout:
    p = _payout_locked(actor, payout)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写失败原因")})
    n = (Payout.objects.filter(pk=p.pk, status__in=(PayoutStatus.PENDING, PayoutStatus.SENT))
         .update(status=PayoutStatus.FAILED, failure_reason=reason[:255]))
    p.refresh_from_db()
    if not n:
        if p.status == PayoutStatus.FAILED:
            return p
        raise ValidationError(_("发放记录 %(k)s 已到账，不能标记失败")
                              % {"k": p.idempotency_key})
    _attempt(p, PayoutStatus.FAILED, actor, reason=reason)
    audit(actor=actor, verb="aid_payout.failed", obj=p, object_repr=p.idempotency_key,
          node_path=p.batch.node_path, old={"status": "pending"}, new={"status": "failed", "reason": reason})
    return p


@transaction.atomic
def payout_retry(*, actor, payout: Payout, batch: PayoutBatch | None = None) -> Payout:
    """failed → pending on the same row (attempts + 1), optionally into another batch of the same scope."""
    p = _payout_locked(actor, payout)
    if batch is not None:
        _money_actor(actor, batch.node_path)
        if not p.application.node_path.startswith(batch.node_path):
            raise ValidationError({"batch": _("申请不在该批次单位的范围内")})
    if p.status in (PayoutStatus.PENDING, PayoutStatus.SENT):
        return p
    file = HardshipFile.objects.get(pk=p.application.file_id)
    if p.status == PayoutStatus.FAILED and not file.bank_account:
        raise ValidationError({"bank_account": _("档案 %(f)s 没有收款银行账号，请先在档案中更正") % {"f": file.file_no}})
    old_batch_id = p.batch_id
    before = {"status": "failed", "batch": old_batch_id, "payee_name": p.payee_name, "bank_name": p.bank_name,
              "bank_account": p.bank_account_mask}
    # The payee and account are taken afresh from the file: a failure is often a wrong or closed account.
    fields = {"status": PayoutStatus.PENDING, "attempts": F("attempts") + 1, "failure_reason": "",
              "payee_name": file.payee_name, "bank_name": file.bank_name, "bank_account": file.bank_account,
              "bank_account_mask": file.bank_account_mask}
    if batch is not None:
        fields["batch"] = batch
    n = Payout.objects.filter(pk=p.pk, status=PayoutStatus.FAILED).update(**fields)
    p.refresh_from_db()
    if not n:
        if p.status in (PayoutStatus.PENDING, PayoutStatus.SENT):
            return p
        raise ValidationError(_("发放记录 %(k)s 已到账，无需重发") % {"k": p.idempotency_key})
    PayoutBatch.objects.filter(pk=p.batch_id, status=BatchStatus.DONE).update(status=BatchStatus.SENT, done_at=None)
    if old_batch_id != p.batch_id:
        _close_batch_if_done(old_batch_id)  # the old batch may have nothing open left
    audit(actor=actor, verb="aid_payout.retry", obj=p, object_repr=p.idempotency_key, node_path=p.batch.node_path,
          old=before, new={"status": "pending", "attempts": p.attempts, "batch": p.batch_id,
                           "payee_name": p.payee_name, "bank_name": p.bank_name,
                           "bank_account": p.bank_account_mask})
    return p


@transaction.atomic
def payout_batch_mark_sent(*, actor, batch: PayoutBatch) -> PayoutBatch:
    """The sheet went to the bank: pending payouts become sent."""
    _money_actor(actor, batch.node_path)
    b = PayoutBatch.objects.select_for_update().get(pk=batch.pk)
    _ensure_not_approver(actor, b.payouts.values_list("application_id", flat=True))
    pending = list(b.payouts.select_for_update().filter(status=PayoutStatus.PENDING))
    n = b.payouts.filter(pk__in=[p.pk for p in pending], status=PayoutStatus.PENDING).update(status=PayoutStatus.SENT)
    for p in pending:
        _attempt(p, PayoutStatus.SENT, actor)
    if b.status == BatchStatus.DRAFT:
        b.status = BatchStatus.SENT
        b.sent_at = timezone.now()
        b.save(update_fields=["status", "sent_at"])
    audit(actor=actor, verb="aid_batch.sent", obj=b, node_path=b.node_path, new={"payouts": n})
    return b


# --- Bank result sheet ---------------------------------------------------------------------------------


def parse_result_sheet(batch: PayoutBatch, data: bytes) -> list[dict]:
    """Read and validate a bank result sheet (the export's layout + 状态, 银行流水号, 失败原因).
    Every problem is collected, naming its row; any problem → ValidationError and nothing applied."""
    payouts = {p.idempotency_key: p for p in batch.payouts.all()}
    out, errors, seen = [], [], set()
    for i, c, _raw in banksheet.result_rows(data):
        cell = c["key"]
        here = banksheet.where(i)
        key, _sep, n_text = cell.partition("#")
        p = payouts.get(key)
        if p is None:
            errors.append(_("%(w)s：备注 %(k)s 不是本批次的发放记录")
                          % {"w": here, "k": cell or "—"})
            continue
        if not n_text.isdigit() or not 1 <= int(n_text) <= p.attempts:
            errors.append(_("%(w)s：备注 %(k)s 须为代发表中的“发放编号#发送次数”（本记录现为第 %(n)d 次）")
                          % {"w": here, "k": cell, "n": p.attempts})
            continue
        if key in seen:
            errors.append(_("%(w)s：%(k)s 重复") % {"w": here, "k": key})
            continue
        seen.add(key)
        amount = banksheet.parse_amount_fen(c["amount"])
        if amount == banksheet.FRACTION:
            errors.append(_("%(w)s：金额 %(a)s 超过两位小数（分），不能四舍五入") % {"w": here, "a": c["amount"].replace(",", "")})
            continue
        if amount != p.amount_fen:
            errors.append(_("%(w)s：金额 %(a)s 与发放金额 %(b)s 元不符")
                          % {"w": here, "a": c["amount"] or "—", "b": format_yuan(p.amount_fen)})
            continue
        status = c["status"].lower()
        attempt = int(n_text)
        stale = attempt < p.attempts
        if stale and status in banksheet.RESULT_OK and p.status != PayoutStatus.PAID:
            errors.append(_("%(w)s：这是第 %(a)d 次发送的回盘，报告成功，但该记录已重新发放（第 %(n)d 次）：请先与银行核对，避免重复付款")
                          % {"w": here, "a": attempt, "n": p.attempts})
            continue
        if stale:
            out.append({"payout": p, "row": i, "stale": True, "attempt": attempt})
            continue
        if status in banksheet.RESULT_OK:
            if not c["reference"]:
                errors.append(_("%(w)s：成功的记录须有银行流水号")
                              % {"w": here})
                continue
            out.append({"payout": p, "row": i, "ok": True, "reference": c["reference"]})
        elif status in banksheet.RESULT_FAIL:
            out.append({"payout": p, "row": i, "ok": False, "reason": c["reason"] or _("银行退回")})
        else:
            errors.append(_("%(w)s：状态“%(s)s”无效，应为 成功 或 失败 / %(w)s: status %(s)s must be 成功 or 失败")
                          % {"w": here, "s": c["status"] or "—"})
    if errors:
        raise ValidationError(errors)
    if not out:
        raise ValidationError({"upload": _("表中没有结果行")})
    return out


@transaction.atomic
def payout_batch_import_results(*, actor, batch: PayoutBatch, data: bytes) -> dict:
    """Apply a bank result sheet: all rows validated first, then mark_paid / mark_failed per row, each
    idempotent (a sheet imported twice changes nothing the second time)."""
    _money_actor(actor, batch.node_path)
    _ensure_not_approver(actor, batch.payouts.values_list("application_id", flat=True))
    rows = parse_result_sheet(batch, data)
    counts = {"paid": 0, "failed": 0, "unchanged": 0, "stale": 0}
    stale = []
    for row in rows:
        p = row["payout"]
        if row.get("stale"):  # a result for an earlier attempt: that attempt's outcome is already recorded
            counts["stale"] += 1
            stale.append(f"{p.idempotency_key}#{row['attempt']}")
            continue
        try:
            _apply_result_row(actor, row)
        except ValidationError as e:
            raise ValidationError([f"{banksheet.where(row['row'])}：{m}" for m in e.messages]) from None
        counts[row["counted"]] += 1
    audit(actor=actor, verb="aid_batch.import_results", obj=batch, node_path=batch.node_path,
          new={**counts, "stale_rows": stale})
    return counts


def _apply_result_row(actor, row: dict) -> None:
    p = row["payout"]
    before = Payout.objects.get(pk=p.pk).status
    if row["ok"]:
        if before == PayoutStatus.FAILED:
            raise ValidationError(_("%(k)s 已标记失败，银行却回报成功：请先重新发放") % {"k": p.idempotency_key})
        payout_mark_paid(actor=actor, payout=p, bank_reference=row["reference"])
        row["counted"] = "paid" if before != PayoutStatus.PAID else "unchanged"
    else:
        if before == PayoutStatus.PAID:
            raise ValidationError(_("%(k)s 已到账，银行却回报失败") % {"k": p.idempotency_key})
        payout_mark_failed(actor=actor, payout=p, reason=row["reason"])
        row["counted"] = "failed" if before != PayoutStatus.FAILED else "unchanged"

