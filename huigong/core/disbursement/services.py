"""Disbursement (发放): the one exactly-once bank flow every domain pays through.

Invariants (each domain's Flow supplies only scope, segregation, the payee and its own ledger):
- A payment is inserted at most once per idempotency key (UNIQUE; INSERT … ON CONFLICT DO NOTHING), so
  two officers building batches at the same time split the items between them instead of doubling them.
- Every transition is one conditional UPDATE from the states it may leave (pending/sent → paid or failed,
  failed → pending on a retry); whoever gets 0 rows did not move it. Repeating a transition that already
  happened is a no-op that returns the state; the flow's on_paid (ledger, budget, item status) runs only
  for the winner, in the same transaction, and may refuse (ValidationError), which rolls the payment back.
- A new sheet of a sending flow moves its rows PENDING → SENT under lock, with an attempt row each, so a
  second download cannot hand the bank the same payments again; re-downloading one attempt is audited apart.
- A result sheet is validated in full first (every problem named by its row; any problem → nothing
  applied); a row of an earlier attempt than the payment's current one is stale: its failure is ignored
  (reported), its success refused (the retry would pay twice).
- Everything is audited in the transaction that writes it; full account numbers leave an access row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.core import banksheet
from huigong.core.audit import audit, log_access
from huigong.core.money import format_yuan

from .flow import Flow
from .models import OPEN, BatchState, State

# --- batches ---------------------------------------------------------------------------------------------


def batch_create(flow: Flow, *, actor, batch_fields: dict, payments: list[dict], node_path: str,
                 audit_new: dict | None = None, allow_empty: bool = False):
    """A batch row and its payments (each dict: the payment's fields but the batch), inserted with
    ON CONFLICT DO NOTHING on the idempotency key. Returns (batch, the payments that are this batch's)."""
    batch = flow.batch_model.objects.create(created_by=actor if getattr(actor, "pk", None) else None, **batch_fields)
    flow.payment_model.objects.bulk_create([flow.payment_model(batch=batch, **p) for p in payments],
                                           ignore_conflicts=True)
    mine = list(flow.payment_model.objects.filter(batch=batch).order_by("pk"))
    if not mine and payments and not allow_empty:  # every one was taken by a concurrent batch
        raise ValidationError(_("这些申请已在其他批次中"))
    audit(actor=actor, verb=f"{flow.batch_verb}.create", obj=batch, node_path=node_path,
          new={**(audit_new or {}), "payments": [p.idempotency_key for p in mine],
               "total_fen": sum(p.amount_fen for p in mine)})
    return batch, mine


def _close_batch_if_done(flow: Flow, batch_id: int) -> None:
    if not flow.batch_has_status:
        return
    if not flow.payment_model.objects.filter(batch_id=batch_id).exclude(status=State.PAID).exists():
        flow.batch_model.objects.filter(pk=batch_id).exclude(status=BatchState.DONE).update(
            status=BatchState.DONE, done_at=timezone.now())


def _reopen_batch(flow: Flow, batch_id: int) -> None:
    if flow.batch_has_status:
        flow.batch_model.objects.filter(pk=batch_id, status=BatchState.DONE).update(status=BatchState.SENT,
                                                                                     done_at=None)


# --- the state machine -------------------------------------------------------------------------------------


def _lock(flow: Flow, actor, payment):
    p = (flow.payment_model.objects.select_for_update(of=("self",)).select_related(*flow.select_related)
         .get(pk=payment.pk))
    flow.check_actor(actor, flow.payment_path(p))
    flow.ensure_not_approver(actor, [p])
    return p


def _move(flow: Flow, p, from_states, to_state: str, **fields) -> bool:
    """The one conditional UPDATE every transition is; refreshes p either way."""
    n = (flow.payment_model.objects.filter(pk=p.pk, status__in=list(from_states))
         .update(status=to_state, **fields))
    p.refresh_from_db()
    return bool(n)


@transaction.atomic
def payment_mark_paid(flow: Flow, *, actor, payment, bank_reference: str, paid_on: dt.date | None = None):
    p = _lock(flow, actor, payment)
    reference = (bank_reference or "").strip()[:64]
    if not reference:
        raise ValidationError({"bank_reference": _("请填写银行流水号")})
    before = p.status
    if not _move(flow, p, OPEN, State.PAID, bank_reference=reference, failure_reason="",
                 **flow.settled_fields(actor, timezone.now(), State.PAID)):
        if p.status == State.PAID:  # already paid: nothing more happens, whoever asks and however often
            if flow.paid_again_needs_same_reference and p.bank_reference != reference:
                raise ValidationError({"bank_reference": _("该笔已到账，流水号不同")})
            return p
        raise ValidationError(_("发放记录 %(k)s 已标记失败，请先重新发放") % {"k": p.idempotency_key})
    flow.on_paid(actor, p, paid_on=paid_on)
    flow.record_attempt(p, State.PAID, actor, reference=reference)
    _close_batch_if_done(flow, p.batch_id)
    audit(actor=actor, verb=f"{flow.payment_verb}.paid", obj=p, object_repr=p.idempotency_key,
          node_path=flow.payment_path(p), old={"status": before},
          new={"status": State.PAID, "bank_reference": reference, "amount_fen": p.amount_fen})
    return p


@transaction.atomic
def payment_mark_failed(flow: Flow, *, actor, payment, reason: str):
    p = _lock(flow, actor, payment)
    reason = (reason or "").strip()[:255]
    if not reason:
        raise ValidationError({"reason": _("请填写失败原因")})
    before = p.status
    if not _move(flow, p, OPEN, State.FAILED, failure_reason=reason,
                 **flow.settled_fields(actor, timezone.now(), State.FAILED)):
        if p.status == State.FAILED:
            return p
        raise ValidationError(_("发放记录 %(k)s 已到账，不能标记失败") % {"k": p.idempotency_key})
    flow.on_failed(actor, p)
    flow.record_attempt(p, State.FAILED, actor, reason=reason)
    audit(actor=actor, verb=f"{flow.payment_verb}.failed", obj=p, object_repr=p.idempotency_key,
          node_path=flow.payment_path(p), old={"status": before}, new={"status": State.FAILED, "reason": reason})
    return p


def _payee_record(p) -> dict:
    return {"payee_name": p.payee_name, "bank_name": p.bank_name, "bank_account": p.bank_account_mask}


@transaction.atomic
def payment_retry(flow: Flow, *, actor, payment, batch=None):
    """A failed payment goes to the bank again, to the payee's current account (a failure is often a
    wrong or closed account since corrected): on the same row (failed → pending, attempts + 1) or as a new
    attempt row, as the flow says; optionally in another batch of the same scope."""
    p = _lock(flow, actor, payment)
    if batch is not None:
        flow.check_retry_batch(actor, p, batch)
    source = {f"{flow.source_field}_id": getattr(p, f"{flow.source_field}_id")}
    rows = flow.payment_model.objects.filter(**source)
    if flow.retry_new_row:
        if p.status != State.FAILED:
            raise ValidationError({"status": _("只有失败的发放可以重新发起")})
        if rows.exclude(status=State.FAILED).exists():
            raise ValidationError({"status": _("该申请已有进行中或已到账的发放")})
    elif p.status in OPEN:
        return p  # nothing to retry
    elif p.status == State.PAID:
        raise ValidationError(_("发放记录 %(k)s 已到账，无需重发") % {"k": p.idempotency_key})
    payee = flow.current_payee(p)
    old = {"status": State.FAILED, "payment": p.pk, "batch": p.batch_id, **_payee_record(p)}
    old_batch_id = p.batch_id
    if flow.retry_new_row:
        n = (rows.aggregate(m=Max(flow.attempt_field))["m"] or 0) + 1
        new = flow.payment_model.objects.create(
            batch_id=batch.pk if batch is not None else p.batch_id, amount_fen=p.amount_fen,
            idempotency_key=flow.new_payment_key(getattr(p, f"{flow.source_field}_id"), n),
            **{flow.attempt_field: n}, **source, **payee)
    else:
        fields = {flow.attempt_field: F(flow.attempt_field) + 1, "failure_reason": "", **payee}
        if batch is not None:
            fields["batch_id"] = batch.pk
        if not _move(flow, p, (State.FAILED,), State.PENDING, **fields):  # a concurrent retry won
            return p
        new = p
    _reopen_batch(flow, new.batch_id)
    if old_batch_id != new.batch_id:
        _close_batch_if_done(flow, old_batch_id)  # the old batch may have nothing open left
    flow.on_retried(actor, p, new)
    audit(actor=actor, verb=f"{flow.payment_verb}.retry", obj=new, object_repr=new.idempotency_key,
          node_path=flow.payment_path(new), old=old,
          new={"status": State.PENDING, "payment": new.pk, "attempt": flow.attempt(new), "batch": new.batch_id,
               **_payee_record(new)})
    return new


def _send(flow: Flow, actor, batch, rows) -> int:
    """PENDING → SENT for the rows handed to the bank, an attempt row each, the batch SENT."""
    n = (flow.payment_model.objects.filter(pk__in=[p.pk for p in rows], status=State.PENDING)
         .update(status=State.SENT))
    for p in rows:
        flow.record_attempt(p, State.SENT, actor)
    if flow.batch_has_status and batch.status == BatchState.DRAFT:
        batch.status, batch.sent_at = BatchState.SENT, timezone.now()
        batch.save(update_fields=["status", "sent_at"])
    return n


@transaction.atomic
def batch_mark_sent(flow: Flow, *, actor, batch):
    """The sheet went to the bank by another way: the batch's pending payments become sent."""
    node_path = flow.check_batch(actor, batch)
    b = flow.batch_model.objects.select_for_update().get(pk=batch.pk)
    flow.ensure_not_approver(actor, list(flow.batch_payments(actor, b)))
    rows = list(flow.batch_payments(actor, b).select_for_update(of=("self",)).filter(status=State.PENDING))
    n = _send(flow, actor, b, rows)
    audit(actor=actor, verb=f"{flow.batch_verb}.sent", obj=b, node_path=node_path, new={"payouts": n})
    return b


# --- the bank's 批量代发 sheet -------------------------------------------------------------------------------


@dataclass
class Sheet:
    content: bytes
    filename: str
    rows: int
    full: bool


def _write(flow: Flow, rows, *, full: bool, with_results: bool) -> bytes:
    return banksheet.write_bank_sheet([
        banksheet.SheetRow(payee=p.payee_name, account=p.bank_account if full else p.bank_account_mask,
                           bank=p.bank_name, amount_fen=p.amount_fen, purpose=flow.sheet_purpose(p),
                           key=flow.sheet_key(p))
        for p in rows], with_results=with_results)


@transaction.atomic
def batch_bank_sheet(flow: Flow, *, actor, batch, full: bool = False, with_results: bool = False,
                     attempt: int | None = None, preview: bool = False) -> Sheet:
    """The batch in the bank's 批量代发 layout; 备注 is each payment's key (with its attempt where the flow
    numbers attempts on one row), which the result sheet carries back.

    A new sheet (attempt=None) holds the PENDING payments; a sending flow re-checks their items and marks
    them SENT in this transaction, so a second download hands nothing twice. `attempt=n` re-downloads what
    is still SENT on attempt n (audited apart). A `preview` is masked and changes nothing."""
    node_path = flow.check_batch(actor, batch)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    mine = flow.batch_payments(actor, batch).select_related(*flow.select_related).order_by("pk")
    empty = (_("本批次没有待发送的发放记录：已发送的代发表请按发送次数重新下载") if flow.export_sends
             else _("本批次没有待发送的发放记录"))
    if preview:
        rows = list(mine.filter(status=State.PENDING))
        if not rows:
            raise ValidationError(_("本批次没有待发送的发放记录"))
        audit(actor=actor, verb=f"{flow.batch_verb}.preview", obj=batch, node_path=node_path, new={"rows": len(rows)})
        return Sheet(_write(flow, rows, full=False, with_results=False),
                     f"批量代发-{batch.title}-预览（未提交银行）-{stamp}.xlsx", len(rows), False)
    if full:
        flow.check_full(actor)
    b = flow.batch_model.objects.select_for_update().get(pk=batch.pk)
    label = ""
    if attempt is None:
        rows = list(mine.select_for_update(of=("self",)).filter(status=State.PENDING))
        if not rows:
            raise ValidationError(empty)
        flow.ensure_not_approver(actor, rows)
        if flow.export_sends:
            flow.check_sendable(rows)
            _send(flow, actor, b, rows)
        verb = "export"
    else:
        rows = list(mine.filter(status=State.SENT, **{flow.attempt_field: attempt}))
        if not rows:
            raise ValidationError({"attempt": _("本批次没有第 %(n)d 次发送、仍在银行处理中的记录") % {"n": attempt}})
        flow.ensure_not_approver(actor, rows)
        verb, label = "export_again", _("-第%(n)d次发送-重新下载") % {"n": attempt}
    content = _write(flow, rows, full=full, with_results=with_results)
    audit(actor=actor, verb=f"{flow.batch_verb}.{verb}", obj=b, node_path=node_path,
          new={"rows": len(rows), "full": full, "attempt": attempt, "payments": [flow.sheet_key(p) for p in rows]})
    if full:
        log_access(actor=actor, object_type=flow.access_object_type, object_id=f"batch:{b.pk}",
                   fields=["bank_account"], purpose=_("银行批量代发表"), node_path=node_path, row_count=len(rows))
    return Sheet(content, f"批量代发-{b.title}{label}-{stamp}.xlsx", len(rows), full)


# --- the bank's result sheet (回盘) ------------------------------------------------------------------------


def parse_results(flow: Flow, payments: dict, data: bytes) -> list[dict]:
    """Reads and validates a result sheet against the batch's payments ({idempotency key: payment}).
    Every problem is collected, naming its row; any problem → ValidationError and nothing applied.
    Rows: {"payment", "row", "ok", "reference" | "reason"}, or {"payment", "row", "stale", "attempt"}."""
    out, errors, seen = [], [], set()
    for i, c, _raw in banksheet.result_rows(data):
        cell, here = c["key"], banksheet.where(i)
        key, _sep, n_text = cell.partition("#") if flow.sheet_key_has_attempt else (cell, "", "")
        p = payments.get(key)
        if p is None:
            errors.append(_("%(w)s：备注 %(k)s 不是本批次的发放记录") % {"w": here, "k": cell or "—"})
            continue
        current = flow.attempt(p)
        if flow.sheet_key_has_attempt and (not n_text.isdigit() or not 1 <= int(n_text) <= current):
            errors.append(_("%(w)s：备注 %(k)s 须为代发表中的“发放编号#发送次数”（本记录现为第 %(n)d 次）")
                          % {"w": here, "k": cell, "n": current})
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
        ok, failed = status in banksheet.RESULT_OK, status in banksheet.RESULT_FAIL
        attempt = int(n_text) if n_text else current
        if attempt < current:  # the bank's answer to an earlier attempt
            if ok and p.status != State.PAID:
                errors.append(_("%(w)s：这是第 %(a)d 次发送的回盘，报告成功，但该记录已重新发放（第 %(n)d 次）：请先与银行核对，避免重复付款")
                              % {"w": here, "a": attempt, "n": current})
            else:
                out.append({"payment": p, "row": i, "stale": True, "attempt": attempt})
            continue
        if ok:
            if not c["reference"]:
                errors.append(_("%(w)s：成功的记录须有银行流水号") % {"w": here})
            elif p.status == State.FAILED:
                errors.append(_("%(w)s：%(k)s 已标记失败，银行却回报成功：请先重新发放，并与银行核对，避免重复付款")
                              % {"w": here, "k": cell})
            else:
                out.append({"payment": p, "row": i, "ok": True, "reference": c["reference"]})
        elif failed:
            if p.status == State.PAID:
                errors.append(_("%(w)s：%(k)s 已到账，银行却回报失败") % {"w": here, "k": cell})
            else:
                out.append({"payment": p, "row": i, "ok": False, "reason": c["reason"] or _("银行退回")})
        else:
            errors.append(_("%(w)s：状态“%(s)s”无效，应为 %(ok)s 或 %(failed)s") % {
                "w": here, "s": c["status"] or "—", "ok": "成功", "failed": "失败"})
    if errors:
        raise ValidationError(errors)
    if not out:
        raise ValidationError({"upload": _("表中没有结果行")})
    return out


@transaction.atomic
def batch_import_results(flow: Flow, *, actor, batch, data: bytes) -> dict[str, int]:
    """Applies a bank result sheet: all rows validated first, then each payment is marked paid or failed,
    idempotently (a sheet imported twice changes nothing the second time). Returns counts."""
    node_path = flow.check_batch(actor, batch)
    payments = list(flow.batch_payments(actor, batch).select_related(*flow.select_related))
    flow.ensure_not_approver(actor, payments)
    rows = parse_results(flow, {p.idempotency_key: p for p in payments}, data)
    counts = {"paid": 0, "failed": 0, "unchanged": 0}
    if flow.sheet_key_has_attempt:
        counts["stale"] = 0
    stale = []
    for row in rows:
        p = row["payment"]
        if row.get("stale"):  # that attempt's outcome is already recorded
            counts["stale"] += 1
            stale.append(f"{p.idempotency_key}#{row['attempt']}")
            continue
        before = flow.payment_model.objects.filter(pk=p.pk).values_list("status", flat=True).get()
        try:
            if row["ok"]:
                payment_mark_paid(flow, actor=actor, payment=p, bank_reference=row["reference"])
                counts["paid" if before != State.PAID else "unchanged"] += 1
            else:
                payment_mark_failed(flow, actor=actor, payment=p, reason=row["reason"])
                counts["failed" if before != State.FAILED else "unchanged"] += 1
        except ValidationError as e:
            raise ValidationError([f"{banksheet.where(row['row'])}：{m}" for m in e.messages]) from None
    audit(actor=actor, verb=f"{flow.batch_verb}.import_results", obj=batch, node_path=node_path,
          new={**counts, "stale_rows": stale})
    return counts


# --- reconciliation ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reconciliation:
    paid_fen: int
    ledger_fen: int
    paid_twice: int  # items with more than one PAID payment: must be 0

    @property
    def ok(self) -> bool:
        return self.paid_fen == self.ledger_fen and self.paid_twice == 0


def reconcile(flow: Flow, payments=None) -> Reconciliation:
    """The paid payments (of `payments`, a queryset of the flow's, or all) against the domain's ledger."""
    qs = flow.payment_model.objects.all() if payments is None else payments
    paid = qs.filter(status=State.PAID)
    twice = (paid.values(f"{flow.source_field}_id").annotate(n=Count("pk")).filter(n__gt=1).count())
    return Reconciliation(paid_fen=paid.aggregate(s=Sum("amount_fen"))["s"] or 0, ledger_fen=flow.ledger_total(qs),
                          paid_twice=twice)
