"""Subsidy tranches paid through the kernel's disbursement service (huigong.core.disbursement): a Flow
like reimbursements' (a row per attempt, key "hg-edu-<tranche>-<attempt>", one live attempt per
tranche by a partial UNIQUE; the sheet may be downloaded again, the bank pays a key once).

Invariants: a tranche is paid at most once (the partial UNIQUE, and on_paid moves it PAYING → PAID with
a conditional UPDATE); a stopped tranche is never paid (a batch takes only DUE tranches, the sheet
re-checks under lock, and on_paid refuses a tranche that is no longer PAYING, which rolls the payment
back); nobody pays what they approved."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.core import duties
from huigong.core.crypto import mask_bank
from huigong.core.disbursement import services as disbursement
from huigong.core.disbursement.flow import Flow
from huigong.core.scope import OutOfScope, ensure_path_in_scope, require, staff_of
from huigong.members.models import Person

from .. import notifications
from ..models import ApplicationStep, Programme, SubsidyBatch, SubsidyPayment, Tranche, TrancheStatus
from .programmes import MONEY


def _payee(person: Person) -> dict:
    return {"payee_name": person.name, "bank_name": person.bank_name, "bank_account": person.bank_account,
            "bank_account_mask": person.bank_account_mask or mask_bank(person.bank_account)}


def _approvers(application_ids) -> list[int]:
    return list(ApplicationStep.objects.filter(application_id__in=list(application_ids), decided_by__isnull=False)
                .values_list("decided_by_id", flat=True))


class SubsidyFlow(Flow):
    key = "education"
    payment_model = SubsidyPayment
    batch_model = SubsidyBatch
    payment_verb, batch_verb = "edu_payment", "edu_batch"
    access_object_type = "education.subsidypayment"
    source_field = "tranche"
    attempt_field = "attempt"
    select_related = ("tranche", "tranche__application", "tranche__application__programme",
                      "tranche__application__person")
    retry_new_row = True
    export_sends = True  # a new sheet re-checks (check_sendable) that no tranche was stopped, then SENT
    paid_again_needs_same_reference = True

    def check_actor(self, actor, node_path):
        require(actor, MONEY)
        ensure_path_in_scope(actor, node_path)

    def check_batch(self, actor, batch):
        require(actor, MONEY)
        mine = staff_of(actor).node.path
        if not (batch.node_path.startswith(mine) or mine.startswith(batch.node_path)):
            raise OutOfScope
        return mine

    def check_full(self, actor):
        require(actor, "pii_full")

    def ensure_not_approver(self, actor, payments):
        duties.ensure_not_approver(actor, _approvers(p.tranche.application_id for p in payments))

    def payment_path(self, payment):
        return payment.tranche.node_path

    def batch_payments(self, actor, batch):
        return SubsidyPayment.objects.filter(batch_id=batch.pk,
                                             tranche__node_path__startswith=staff_of(actor).node.path)

    def settled_fields(self, actor, now, status):
        return {"settled_at": now, "settled_by": actor}

    def on_paid(self, actor, payment, *, paid_on=None):
        t = payment.tranche
        n = Tranche.objects.filter(pk=t.pk, status=TrancheStatus.PAYING).update(
            status=TrancheStatus.PAID, paid_on=paid_on or timezone.localdate())
        if not n:
            t.refresh_from_db()
            raise ValidationError(_("该笔补贴已停发（%(r)s），不能再标记到账，请标记失败") % {"r": t.stop_reason or t.get_status_display()})
        notifications.paid(t, payment)

    def on_failed(self, actor, payment):
        Tranche.objects.filter(pk=payment.tranche_id, status=TrancheStatus.PAYING).update(status=TrancheStatus.DUE)

    def on_retried(self, actor, old, new):
        n = Tranche.objects.filter(pk=old.tranche_id, status=TrancheStatus.DUE).update(status=TrancheStatus.PAYING)
        if not n:
            raise ValidationError(_("该笔补贴已停发，不能重新发放"))

    def current_payee(self, payment):
        t = Tranche.objects.select_for_update().select_related("application").get(pk=payment.tranche_id)
        person = Person.objects.get(pk=t.application.person_id)
        if not person.bank_account_mask:
            raise ValidationError({"bank_account": [_("%(person_name)s：未登记银行账户") % {"person_name": person.name}]})
        return _payee(person)

    def check_sendable(self, payments):
        ids = [p.tranche_id for p in payments]
        stopped = Tranche.objects.filter(pk__in=ids).exclude(status=TrancheStatus.PAYING).count()
        if stopped:
            raise ValidationError(_("有 %(n)s 笔补贴已停发，请重新生成批次") % {"n": stopped})

    def sheet_purpose(self, payment):
        return _("求学圆梦补贴")

    def new_payment_key(self, source_id, attempt):
        return f"hg-edu-{source_id}-{attempt}"

    def ledger_total(self, payments):
        return Tranche.objects.filter(pk__in=payments.values("tranche_id"), status=TrancheStatus.PAID).aggregate(
            s=Sum("amount_fen"))["s"] or 0


SUBSIDY = SubsidyFlow()


@transaction.atomic
def batch_create(*, actor, programme: Programme, title: str = "") -> tuple[SubsidyBatch, list[str]]:
    """A batch of the round's DUE tranches in the actor's subtree. Returns the batch and the reasons
    some were left out (no bank account, the payer approved the application)."""
    require(actor, MONEY)
    prefix = staff_of(actor).node.path
    if not (programme.node_path.startswith(prefix) or prefix.startswith(programme.node_path)):
        raise OutOfScope
    tranches = list(Tranche.objects.select_for_update(of=("self",)).select_related("application__person")
                    .filter(application__programme=programme, status=TrancheStatus.DUE, node_path__startswith=prefix)
                    .order_by("pk"))
    approvers: dict[int, set[int]] = {}
    for app_id, user_id in ApplicationStep.objects.filter(
            application_id__in={t.application_id for t in tranches}, decided_by__isnull=False).values_list(
            "application_id", "decided_by_id"):
        approvers.setdefault(app_id, set()).add(user_id)
    skipped, payments, chosen = [], [], []
    for t in tranches:
        person = t.application.person
        if not person.bank_account_mask:
            skipped.append(_("%(person_name)s：未登记银行账户") % {"person_name": person.name})
            continue
        if actor.pk in approvers.get(t.application_id, set()):
            skipped.append(_("%(person_name)s：职责分离，您审批了该申请，须由其他人员发放") % {"person_name": person.name})
            continue
        attempt = (t.payments.order_by("-attempt").values_list("attempt", flat=True).first() or 0) + 1
        payments.append({"tranche": t, "attempt": attempt, "amount_fen": t.amount_fen,
                         "idempotency_key": SUBSIDY.new_payment_key(t.pk, attempt), **_payee(person)})
        chosen.append(t.pk)
    batch, mine = disbursement.batch_create(
        SUBSIDY, actor=actor, node_path=prefix, allow_empty=True,
        batch_fields={"programme": programme, "node_path": prefix,
                      "title": (title or _("%(t)s 补贴发放 %(d)s") % {"t": programme.title,
                                                                    "d": timezone.localdate()})[:160]},
        payments=payments, audit_new={"programme": programme.pk, "skipped": len(skipped)})
    Tranche.objects.filter(pk__in=[p.tranche_id for p in mine], status=TrancheStatus.DUE).update(
        status=TrancheStatus.PAYING)
    return batch, skipped


def batch_bank_sheet(*, actor, batch: SubsidyBatch, full: bool = False) -> tuple[bytes, str]:
    out = disbursement.batch_bank_sheet(SUBSIDY, actor=actor, batch=batch, full=full, with_results=True)
    return out.content, out.filename


def batch_import_results(*, actor, batch: SubsidyBatch, data: bytes) -> dict[str, int]:
    return disbursement.batch_import_results(SUBSIDY, actor=actor, batch=batch, data=data)


def payment_mark_paid(*, actor, payment: SubsidyPayment, bank_reference: str) -> SubsidyPayment:
    return disbursement.payment_mark_paid(SUBSIDY, actor=actor, payment=payment, bank_reference=bank_reference)


def payment_mark_failed(*, actor, payment: SubsidyPayment, reason: str) -> SubsidyPayment:
    return disbursement.payment_mark_failed(SUBSIDY, actor=actor, payment=payment, reason=reason)


def payment_retry(*, actor, payment: SubsidyPayment, batch: SubsidyBatch | None = None) -> SubsidyPayment:
    return disbursement.payment_retry(SUBSIDY, actor=actor, payment=payment, batch=batch)


def reconcile(payments=None):
    return disbursement.reconcile(SUBSIDY, payments)


