"""Disbursement (发放): batches, payouts, bank sheets.

The machinery is the kernel's (huigong/core/disbursement): one state machine, sheet writer, result
reader, retry and reconciliation for every payment the product makes. This module is the aid side of it:
AidFlow tells the kernel the scope, the segregation of duties, the payee (the file) and the ledger.

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
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from huigong.accounts.models import Cap
from huigong.core import duties
from huigong.core.disbursement import services as disbursement
from huigong.core.disbursement.flow import Flow
from huigong.core.scope import ensure_path_in_scope, require
from huigong.orgs.models import UnionNode

from .. import clock
from ..models import (
    AidApplication,
    ApplicationStatus,
    ApprovalDecision,
    ApprovalStep,
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
    batch, _mine = disbursement.batch_create(
        AID, actor=actor, batch_fields={"node": node, "node_path": node.path, "title": title.strip()},
        payments=[{"application": a, "idempotency_key": idempotency_key(a.pk), "amount_fen": a.amount_approved_fen,
                   "payee_name": a.file.payee_name, "bank_name": a.file.bank_name,
                   "bank_account": a.file.bank_account, "bank_account_mask": a.file.bank_account_mask}
                  for a in apps],
        node_path=node.path, audit_new={"title": title.strip()})
    return batch


class AidFlow(Flow):
    """Aid payouts: one row per application, retried on the same row (备注 "aid-<id>#<attempt>"), sent to
    the bank once per attempt; the ledger (台账) and the budget's paid_fen are written when it is paid."""

    key = "aid"
    payment_model = Payout
    batch_model = PayoutBatch
    payment_verb, batch_verb = "aid_payout", "aid_batch"
    access_object_type = "assistance.payout"
    source_field = "application"
    attempt_field = "attempts"
    select_related = ("batch", "application__programme")
    retry_new_row = False
    export_sends = True
    sheet_key_has_attempt = True
    batch_has_status = True

    def check_actor(self, actor, node_path):
        _money_actor(actor, node_path)

    def check_batch(self, actor, batch):
        _money_actor(actor, batch.node_path)
        return batch.node_path

    def check_full(self, actor):
        require(actor, Cap.PII_FULL)

    def ensure_not_approver(self, actor, payments):
        _ensure_not_approver(actor, [p.application_id for p in payments])

    def payment_path(self, payment):
        return payment.batch.node_path

    def settled_fields(self, actor, now, status):
        return {"paid_at": now} if status == PayoutStatus.PAID else {}

    def on_paid(self, actor, payment, *, paid_on=None):
        app = AidApplication.objects.select_related("programme").get(pk=payment.application_id)
        LedgerEntry.objects.create(file_id=app.file_id, programme_id=app.programme_id, application=app,
                                   payout=payment, node_id=app.node_id, node_path=app.node_path,
                                   year=app.programme.year, amount_fen=payment.amount_fen,
                                   paid_on=paid_on or clock.today())
        ProgrammeBudget.objects.filter(pk=app.budget_id).update(paid_fen=F("paid_fen") + payment.amount_fen)
        moved = AidApplication.objects.filter(pk=app.pk, status=ApplicationStatus.NOTICE_ENDED).update(
            status=ApplicationStatus.PAID, updated_at=payment.paid_at)
        if not moved:
            raise ValidationError(_("申请 #%(id)s 状态为“%(s)s”，不能发放")
                                  % {"id": app.pk, "s": app.get_status_display()})

    def record_attempt(self, payment, status, actor, *, reference="", reason=""):
        PayoutAttempt.objects.get_or_create(payout=payment, number=payment.attempts, status=status, defaults={
            "batch_id": payment.batch_id, "bank_reference": reference, "failure_reason": reason[:255],
            "by": actor if getattr(actor, "pk", None) else None})

    def current_payee(self, payment):
        file = HardshipFile.objects.get(pk=payment.application.file_id)
        if not file.bank_account:
            raise ValidationError({"bank_account": _("档案 %(f)s 没有收款银行账号，请先在档案中更正") % {"f": file.file_no}})
        return {"payee_name": file.payee_name, "bank_name": file.bank_name, "bank_account": file.bank_account,
                "bank_account_mask": file.bank_account_mask}

    def check_retry_batch(self, actor, payment, batch):
        _money_actor(actor, batch.node_path)
        if not payment.application.node_path.startswith(batch.node_path):
            raise ValidationError({"batch": _("申请不在该批次单位的范围内")})

    def check_sendable(self, payments):
        # Applications locked and re-checked: one no longer past its notice is not sent to the bank.
        ok = set(AidApplication.objects.select_for_update().filter(
            pk__in=[p.application_id for p in payments], status=ApplicationStatus.NOTICE_ENDED)
            .values_list("pk", flat=True))
        bad = [p.idempotency_key for p in payments if p.application_id not in ok]
        if bad:
            raise ValidationError(_("以下发放记录的申请已不在“公示期满”状态，不能发送：%(k)s") % {"k": "、".join(bad)})

    def sheet_purpose(self, payment):
        return f"{payment.application.programme.name}"

    def ledger_total(self, payments):
        return LedgerEntry.objects.filter(payout__in=payments).aggregate(s=Sum("amount_fen"))["s"] or 0


AID = AidFlow()


def payout_mark_paid(*, actor, payout: Payout, bank_reference: str, paid_on: dt.date | None = None) -> Payout:
    return disbursement.payment_mark_paid(AID, actor=actor, payment=payout, bank_reference=bank_reference,
                                          paid_on=paid_on)


def payout_mark_failed(*, actor, payout: Payout, reason: str) -> Payout:
    return disbursement.payment_mark_failed(AID, actor=actor, payment=payout, reason=reason)


def payout_retry(*, actor, payout: Payout, batch: PayoutBatch | None = None) -> Payout:
    """failed → pending on the same row (attempts + 1), optionally into another batch of the same scope."""
    return disbursement.payment_retry(AID, actor=actor, payment=payout, batch=batch)


def payout_batch_mark_sent(*, actor, batch: PayoutBatch) -> PayoutBatch:
    """The sheet went to the bank: pending payouts become sent."""
    return disbursement.batch_mark_sent(AID, actor=actor, batch=batch)


def payout_batch_import_results(*, actor, batch: PayoutBatch, data: bytes) -> dict:
    """Apply a bank result sheet (validated in full first; each row idempotent)."""
    return disbursement.batch_import_results(AID, actor=actor, batch=batch, data=data)
