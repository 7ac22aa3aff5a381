"""Tranche payments on the kernel's disbursement service (core.disbursement): one row per tranche
(OneToOne, key "rs-<tranche>"), retried on the same row (备注 "rs-<id>#<attempt>"), a sheet moves its rows
to SENT so the bank gets each payment once; nobody pays a project whose application they approved."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.core import duties
from huigong.core.disbursement import services as disbursement
from huigong.core.disbursement.flow import Flow
from huigong.core.scope import OutOfScope, require, staff_of

from .models import (
    Programme,
    Project,
    ProjectStatus,
    ResearchStep,
    Tranche,
    TrancheBatch,
    TranchePayment,
    TrancheStatus,
)

MONEY = "money"
PII_FULL = "pii_full"


def _money_over(actor, programme_path: str) -> str:
    """MONEY at the programme's union or above; returns the actor's node path."""
    require(actor, MONEY)
    mine = staff_of(actor).node.path
    if not programme_path.startswith(mine):
        if mine.startswith(programme_path):
            raise PermissionDenied(_("经费由主办工会的财务人员发放"))
        raise OutOfScope
    return mine


def approvers_of(project_ids) -> list[int]:
    return list(ResearchStep.objects.filter(project_id__in=list(project_ids), decided_by__isnull=False)
                .values_list("decided_by_id", flat=True))


class TrancheFlow(Flow):
    key = "research"
    payment_model = TranchePayment
    batch_model = TrancheBatch
    payment_verb, batch_verb = "research_payment", "research_batch"
    access_object_type = "research.tranchepayment"
    source_field = "tranche"
    attempt_field = "attempts"
    select_related = ("tranche", "tranche__project", "tranche__project__topic")
    retry_new_row = False
    export_sends = True
    sheet_key_has_attempt = True
    batch_has_status = True

    def check_actor(self, actor, node_path):
        require(actor, MONEY)
        mine = staff_of(actor).node.path
        if not node_path.startswith(mine):
            raise OutOfScope

    def check_batch(self, actor, batch):
        _money_over(actor, batch.node_path)
        return batch.node_path

    def check_full(self, actor):
        require(actor, PII_FULL)

    def ensure_not_approver(self, actor, payments):
        ids = Tranche.objects.filter(pk__in=[p.tranche_id for p in payments]).values_list("project_id", flat=True)
        duties.ensure_not_approver(actor, approvers_of(ids))

    def payment_path(self, payment):
        return payment.tranche.project.node_path

    def settled_fields(self, actor, now, status):
        return {"paid_at": now} if status == "paid" else {}

    def on_paid(self, actor, payment, *, paid_on=None):
        if not Tranche.objects.filter(pk=payment.tranche_id, status=TrancheStatus.DUE).update(
                status=TrancheStatus.PAID):
            raise ValidationError(_("经费分期 %(k)s 不在可发放状态") % {"k": payment.idempotency_key})

    def current_payee(self, payment):
        p = Project.objects.get(pk=payment.tranche.project_id)
        return {"payee_name": p.payee_name, "bank_name": p.bank_name, "bank_account": p.bank_account,
                "bank_account_mask": p.bank_account_mask}

    def check_sendable(self, payments):
        bad = [p.idempotency_key for p in payments if p.tranche.status != TrancheStatus.DUE]
        if bad:
            raise ValidationError(_("以下经费分期已不可发放：%(k)s") % {"k": "、".join(bad)})

    def sheet_purpose(self, payment):
        t = payment.tranche
        return _("调研经费 %(topic)s 第%(n)d期") % {"topic": t.project.topic.title[:20], "n": t.seq}

    def ledger_total(self, payments):
        return Tranche.objects.filter(pk__in=payments.values("tranche_id"), status=TrancheStatus.PAID).aggregate(
            s=Sum("amount_fen"))["s"] or 0


TRANCHES = TrancheFlow()


@transaction.atomic
def batch_create(*, actor, programme: Programme, title: str = "") -> tuple[TrancheBatch, list[str]]:
    """A batch of every payable tranche of the programme that has no payment yet. A tranche whose
    project the actor approved is left out with the reason. Concurrent batches split the tranches
    between them (rows locked; the payment's OneToOne and UNIQUE key back that up)."""
    mine = _money_over(actor, programme.node_path)
    qs = (Tranche.objects.select_for_update(of=("self",)).select_related("project")
          .filter(project__programme=programme, status=TrancheStatus.DUE, payment__isnull=True,
                  project__node_path__startswith=mine)
          .exclude(project__status=ProjectStatus.TERMINATED).order_by("project_id", "seq"))
    approved = {}
    for pid, uid in ResearchStep.objects.filter(project__programme=programme, decided_by__isnull=False).values_list(
            "project_id", "decided_by_id"):
        approved.setdefault(pid, set()).add(uid)
    skipped, payments = [], []
    for t in qs:
        if TranchePayment.objects.filter(tranche_id=t.pk).exists():  # committed after our snapshot
            continue
        if actor.pk in approved.get(t.project_id, set()):
            skipped.append(_("%(team)s：职责分离，您审批了该课题，须由其他人员发放") % {"team": t.project.team_name})
            continue
        p = t.project
        payments.append({"tranche": t, "amount_fen": t.amount_fen, "idempotency_key": f"rs-{t.pk}",
                         "payee_name": p.payee_name, "bank_name": p.bank_name, "bank_account": p.bank_account,
                         "bank_account_mask": p.bank_account_mask})
    if not payments:
        raise ValidationError(skipped[0] if skipped else _("没有可发放的经费分期"))
    batch, _mine = disbursement.batch_create(
        TRANCHES, actor=actor, node_path=programme.node_path,
        batch_fields={"programme": programme, "node_path": programme.node_path,
                      "title": (title or _("%(t)s 经费发放 %(d)s") % {"t": programme.title,
                                                                   "d": timezone.localdate()})[:160]},
        payments=payments, audit_new={"programme": programme.pk, "skipped": len(skipped)})
    return batch, skipped


def bank_sheet(*, actor, batch: TrancheBatch, full: bool = False, attempt: int | None = None):
    return disbursement.batch_bank_sheet(TRANCHES, actor=actor, batch=batch, full=full, with_results=True,
                                         attempt=attempt)


def import_results(*, actor, batch: TrancheBatch, data: bytes) -> dict[str, int]:
    return disbursement.batch_import_results(TRANCHES, actor=actor, batch=batch, data=data)


def mark_paid(*, actor, payment: TranchePayment, bank_reference: str) -> TranchePayment:
    return disbursement.payment_mark_paid(TRANCHES, actor=actor, payment=payment, bank_reference=bank_reference)


def mark_failed(*, actor, payment: TranchePayment, reason: str) -> TranchePayment:
    return disbursement.payment_mark_failed(TRANCHES, actor=actor, payment=payment, reason=reason)


def retry(*, actor, payment: TranchePayment) -> TranchePayment:
    return disbursement.payment_retry(TRANCHES, actor=actor, payment=payment)


def reconcile(programme: Programme):
    return disbursement.reconcile(TRANCHES, TranchePayment.objects.filter(batch__programme=programme))
