"""Money: model workers' allowances and innovation prizes, both on the kernel's disbursement service
(`core.disbursement`), each with its Flow. A row per attempt (keys "hg-al-<entitlement>-<n>" and
"hg-pz-<award>-<n>"), a partial UNIQUE keeps one live attempt per item, sheets move rows to SENT.

Invariants of the allowance: paid at most once per holder and year (UNIQUE entitlement per period, one
live payment per entitlement, the kernel's conditional transitions), and never after the title ended:
a revoked or deceased holder's entitlements are STOPPED in the revoking transaction, a stopped one is
left out of new batches, refused when a sheet is made (check_sendable) and refused when a payment would
turn PAID (on_paid rolls it back)."""

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
from huigong.core.money import format_yuan
from huigong.core.scope import ensure_path_in_scope, require, staff_of
from huigong.members.models import Person
from huigong.orgs.models import UnionNode

from ..models import (
    AllowanceBatch,
    AllowancePayment,
    Entitlement,
    EntitlementKind,
    EntitlementStatus,
    HonourStatus,
    InnovationAward,
    JudgingRound,
    PayStatus,
    PrizeBatch,
    PrizePayment,
    RoundStatus,
)
from .common import MONEY, PII_FULL, tell


def payee(person: Person) -> dict:
    return {"payee_name": person.name, "bank_name": person.bank_name, "bank_account": person.bank_account,
            "bank_account_mask": person.bank_account_mask or mask_bank(person.bank_account)}


def _bank_consent_ok(person: Person) -> bool:
    """The worker's separate consent for their bank account (PIPL art. 29), as benefits asks it."""
    from huigong.portal.models import WorkerAccount
    from huigong.portal.selectors import consent_active

    accounts = list(WorkerAccount.objects.filter(person=person))
    return not accounts or any(consent_active(a, "bank_account") for a in accounts)


class _HonoursFlow(Flow):
    retry_new_row = True
    export_sends = True
    paid_again_needs_same_reference = True

    def check_actor(self, actor, node_path):
        require(actor, MONEY)
        ensure_path_in_scope(actor, node_path)

    def check_batch(self, actor, batch):
        require(actor, MONEY)
        ensure_path_in_scope(actor, batch.node_path)
        return batch.node_path

    def check_full(self, actor):
        require(actor, PII_FULL)

    def settled_fields(self, actor, now, status):
        return {"settled_at": now, "settled_by": actor if getattr(actor, "pk", None) else None}


class AllowanceFlow(_HonoursFlow):
    key = "honour_allowance"
    payment_model = AllowancePayment
    batch_model = AllowanceBatch
    payment_verb, batch_verb = "allowance_payment", "allowance_batch"
    access_object_type = "honours.allowancepayment"
    source_field = "entitlement"
    select_related = ("entitlement", "entitlement__honour", "entitlement__honour__person")

    def ensure_not_approver(self, actor, payments):
        # Who granted the title (the award or the register entry) does not pay its allowance.
        duties.ensure_not_approver(actor, Entitlement.objects.filter(
            pk__in=[p.entitlement_id for p in payments]).values_list("honour__created_by_id", flat=True))

    def payment_path(self, payment):
        return payment.entitlement.node_path

    def check_sendable(self, payments):
        stopped = [p for p in payments if Entitlement.objects.filter(pk=p.entitlement_id).exclude(
            status=EntitlementStatus.DUE).exists() or p.entitlement.honour.status != HonourStatus.ACTIVE]
        if stopped:
            raise ValidationError(_("以下津贴已停止（称号已撤销或获得者已故），请先标记失败：%(names)s")
                                  % {"names": "、".join(p.payee_name for p in stopped)})

    def on_paid(self, actor, payment, *, paid_on=None):
        e = Entitlement.objects.select_for_update(of=("self",)).select_related("honour__person").get(pk=payment.entitlement_id)
        if e.status != EntitlementStatus.DUE or e.honour.status != HonourStatus.ACTIVE:
            raise ValidationError(_("%(n)s 的荣誉津贴已停止（%(r)s），不能登记到账")
                                  % {"n": payment.payee_name, "r": e.stop_reason or e.honour.get_status_display()})
        e.status, e.delivered_on = EntitlementStatus.DELIVERED, paid_on or timezone.localdate()
        e.save(update_fields=["status", "delivered_on"])
        tell(e.honour.person, event="honour.allowance_paid", key=f"allowance-payment:{payment.pk}:paid",
             title=_("荣誉津贴已发放（%(p)s）") % {"p": e.period},
             body=_("%(a)s 元已转入您尾号 %(t)s 的账户。") % {"a": format_yuan(payment.amount_fen),
                                                          "t": payment.bank_account_mask[-4:]},
             node_path=e.node_path)

    def current_payee(self, payment):
        person = payment.entitlement.honour.person
        if not person.bank_account_mask:
            raise ValidationError({"bank_account": [_("%(person_name)s：未登记银行账户") % {"person_name": person.name}]})
        return payee(person)

    def sheet_purpose(self, payment):
        return _("荣誉津贴%(p)s") % {"p": payment.entitlement.period}

    def new_payment_key(self, source_id, attempt):
        return f"hg-al-{source_id}-{attempt}"

    def ledger_total(self, payments):
        # An allowance is DELIVERED exactly when one of its payments is PAID: their amounts.
        return Entitlement.objects.filter(pk__in=payments.filter(status=PayStatus.PAID).values("entitlement_id"),
                                          status=EntitlementStatus.DELIVERED).aggregate(
            s=Sum("amount_fen"))["s"] or 0


class PrizeFlow(_HonoursFlow):
    key = "innovation_prize"
    payment_model = PrizePayment
    batch_model = PrizeBatch
    payment_verb, batch_verb = "prize_payment", "prize_batch"
    access_object_type = "honours.prizepayment"
    source_field = "award"
    select_related = ("award", "award__innovation", "award__innovation__person")

    def ensure_not_approver(self, actor, payments):
        # Who scored or made the award does not pay it.
        rounds = InnovationAward.objects.filter(pk__in=[p.award_id for p in payments]).values_list("round_id", flat=True)
        judges = JudgingRound.panel.through.objects.filter(judginground_id__in=rounds).values_list("user_id", flat=True)
        duties.ensure_not_approver(actor, list(judges) + list(
            JudgingRound.objects.filter(pk__in=rounds).values_list("created_by_id", flat=True)))

    def payment_path(self, payment):
        return payment.award.node_path

    def on_paid(self, actor, payment, *, paid_on=None):
        inv = payment.award.innovation
        tell(inv.person, event="innovation.awarded", key=f"prize-payment:{payment.pk}:paid",
             title=_("创新成果奖金已发放：%(t)s") % {"t": inv.title},
             body=_("%(a)s 元已转入您尾号 %(t)s 的账户。") % {"a": format_yuan(payment.amount_fen),
                                                          "t": payment.bank_account_mask[-4:]},
             node_path=payment.award.node_path)

    def current_payee(self, payment):
        person = payment.award.innovation.person
        if person is None or not person.bank_account_mask:
            raise ValidationError({"bank_account": [_("%(person_name)s：未登记银行账户")
                                                    % {"person_name": payment.payee_name}]})
        return payee(person)

    def sheet_purpose(self, payment):
        return _("职工创新奖金")

    def new_payment_key(self, source_id, attempt):
        return f"hg-pz-{source_id}-{attempt}"

    def ledger_total(self, payments):
        return InnovationAward.objects.filter(pk__in=payments.filter(status=PayStatus.PAID).values("award_id")).aggregate(
            s=Sum("prize_fen"))["s"] or 0


ALLOWANCE = AllowanceFlow()
PRIZE = PrizeFlow()


@transaction.atomic
def allowance_batch_create(*, actor, node: UnionNode, year: int, title: str = "") -> tuple[AllowanceBatch, list[str]]:
    """A batch of the year's allowances due in the node's subtree that have no live payment, for active
    titles only. Returns the batch and why some were left out. Concurrent batches split the items (the
    rows are locked; the kernel inserts ON CONFLICT DO NOTHING on the key; a partial UNIQUE backs it)."""
    require(actor, MONEY)
    ensure_path_in_scope(actor, node.path)
    qs = (Entitlement.objects.select_for_update(of=("self",)).select_related("honour__person")
          .filter(kind=EntitlementKind.ALLOWANCE, period=str(year), status=EntitlementStatus.DUE,
                  node_path__startswith=node.path, honour__status=HonourStatus.ACTIVE).order_by("id"))
    skipped, payments = [], []
    for e in qs:
        if e.payments.exclude(status=PayStatus.FAILED).exists():
            continue
        person = e.honour.person
        if not person.bank_account_mask:
            skipped.append(_("%(person_name)s：未登记银行账户") % {"person_name": person.name})
            continue
        if e.honour.created_by_id == getattr(actor, "pk", None):
            skipped.append(_("%(person_name)s：职责分离，您登记或授予了该称号，须由其他人员发放")
                           % {"person_name": person.name})
            continue
        if not _bank_consent_ok(person):
            skipped.append(_("%(person_name)s：未授权使用银行账户") % {"person_name": person.name})
            continue
        attempt = (e.payments.order_by("-attempt").values_list("attempt", flat=True).first() or 0) + 1
        payments.append({"entitlement": e, "attempt": attempt, "amount_fen": e.amount_fen,
                         "idempotency_key": ALLOWANCE.new_payment_key(e.pk, attempt), **payee(person)})
    batch, _mine = disbursement.batch_create(
        ALLOWANCE, actor=actor, node_path=node.path, allow_empty=True,
        batch_fields={"node": node, "node_path": node.path,
                      "title": (title or _("%(y)s 年荣誉津贴") % {"y": year})[:160]},
        payments=payments, audit_new={"year": year, "skipped": len(skipped)})
    return batch, skipped


@transaction.atomic
def prize_batch_create(*, actor, round: JudgingRound, title: str = "") -> tuple[PrizeBatch, list[str]]:
    require(actor, MONEY)
    ensure_path_in_scope(actor, round.node_path)
    if round.status != RoundStatus.AWARDED:
        raise ValidationError(_("评审尚未评定奖项"))
    skipped, payments = [], []
    for a in (InnovationAward.objects.select_for_update(of=("self",)).select_related("innovation__person")
              .filter(round=round, prize_fen__gt=0).order_by("id")):
        if a.payments.exclude(status=PayStatus.FAILED).exists():
            continue
        person = a.innovation.person
        if person is None or not person.bank_account_mask:
            skipped.append(_("%(person_name)s：未登记银行账户") % {"person_name": a.innovation.lead_name})
            continue
        attempt = (a.payments.order_by("-attempt").values_list("attempt", flat=True).first() or 0) + 1
        payments.append({"award": a, "attempt": attempt, "amount_fen": a.prize_fen,
                         "idempotency_key": PRIZE.new_payment_key(a.pk, attempt), **payee(person)})
    batch, _mine = disbursement.batch_create(
        PRIZE, actor=actor, node_path=round.node_path, allow_empty=True,
        batch_fields={"round": round, "node_path": round.node_path, "title": (title or round.title)[:160]},
        payments=payments, audit_new={"round": round.pk, "skipped": len(skipped)})
    return batch, skipped


def flow_of(payment) -> Flow:
    return ALLOWANCE if isinstance(payment, AllowancePayment) else PRIZE


def payment_mark_paid(*, actor, payment, bank_reference: str):
    return disbursement.payment_mark_paid(flow_of(payment), actor=actor, payment=payment, bank_reference=bank_reference)


def payment_mark_failed(*, actor, payment, reason: str):
    return disbursement.payment_mark_failed(flow_of(payment), actor=actor, payment=payment, reason=reason)


def payment_retry(*, actor, payment):
    return disbursement.payment_retry(flow_of(payment), actor=actor, payment=payment)


def batch_bank_sheet(*, actor, batch, full: bool = False):
    flow = ALLOWANCE if isinstance(batch, AllowanceBatch) else PRIZE
    return disbursement.batch_bank_sheet(flow, actor=actor, batch=batch, full=full, with_results=True)


def batch_import_results(*, actor, batch, data: bytes):
    flow = ALLOWANCE if isinstance(batch, AllowanceBatch) else PRIZE
    return disbursement.batch_import_results(flow, actor=actor, batch=batch, data=data)


def staff_path(actor) -> str:
    return staff_of(actor).node.path
