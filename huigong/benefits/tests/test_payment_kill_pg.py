"""Fault injection for money (issue 16, item 8), reimbursement payments: a process building a payment
batch, writing the bank's 批量代发 sheet or importing the bank's result sheet (回盘) is killed with SIGKILL
at a random point; after every kill there is no partial batch, no payment made twice, and the ledger (the
approved sums of paid reimbursements) equals the paid payments. The harness is the disbursement kernel's,
shared with aid payouts (huigong/core/disbursement/tests/killkit.py): 120 runs here by default, fewer than
aid's 200 (HG_KILL_RUNS=… changes both)."""

import pytest
from django.db.models import Count, Sum

from huigong.benefits import services
from huigong.benefits.models import (
    PaymentBatch,
    PaymentStatus,
    ProgrammeKind,
    Reimbursement,
    ReimbursementPayment,
    ReimbursementStatus,
)
from huigong.benefits.services import REIMBURSEMENT
from huigong.benefits.testing import bulk_members, clerk, make_programme, receipt_png
from huigong.core.disbursement import services as disbursement
from huigong.core.disbursement.tests.killkit import kill_runs, runs
from huigong.core.models import AuditEvent
from huigong.members.models import Person
from huigong.testing import result_sheet

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres, pytest.mark.slow]

RUNS = runs(120)
OPS = ("create", "sheet", "import")


class World:
    def __init__(self, cast):
        self.cast = cast
        self.clerk = clerk(cast)
        self.finance = cast.finance
        self.programme = make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.REIMBURSEMENT, quota=None,
                                        reimbursement_cap_fen=6000)
        for u in (self.clerk, self.finance, cast.city_admin):
            u.staff.node  # noqa: B018 - the profile is read before the fork, once

    def approve(self, n: int) -> None:
        """n members with bank accounts, each with a receipt approved (by the city admin: not the payer)."""
        for i, person in enumerate(bulk_members(self.cast.tech, n)):
            Person.objects.filter(pk=person.pk).update(bank_account=f"62220200{person.pk:08d}",
                                                       bank_account_mask=f"**** {person.pk % 10000:04d}",
                                                       bank_name="工商银行")
            item = services.reimbursement_submit(actor=self.clerk, programme=self.programme.pk, person=person,
                                                 amount_fen=3000 + 100 * i, receipt=receipt_png())
            services.reimbursement_approve(actor=self.cast.city_admin, reimbursement=item)

    def unbatched(self) -> list[int]:
        return list(Reimbursement.objects.filter(programme=self.programme, status=ReimbursementStatus.APPROVED)
                    .exclude(payments__status__in=[PaymentStatus.PENDING, PaymentStatus.PAID])
                    .values_list("pk", flat=True))

    def pending_batches(self) -> list[int]:
        return list(ReimbursementPayment.objects.filter(status=PaymentStatus.PENDING)
                    .values_list("batch_id", flat=True).distinct())


def _check_invariants() -> None:
    # No partial batch: each batch came with its audit event, which lists exactly the payments it made;
    # any other payment of the batch is a retry, with its own event.
    batches = {b.pk: b for b in PaymentBatch.objects.all()}
    created = {int(e.object_id): e for e in AuditEvent.objects.filter(verb="payment_batch.create")}
    assert set(batches) == set(created), "a batch without its audit event (or the reverse)"
    retried = set(AuditEvent.objects.filter(verb="reimbursement_payment.retry").values_list("object_repr", flat=True))
    for pk, event in created.items():
        keys = set(ReimbursementPayment.objects.filter(batch_id=pk).values_list("idempotency_key", flat=True))
        listed = set(event.new["payments"])
        assert listed <= keys and not (keys - listed - retried), f"batch {pk}: {sorted(keys)} against {sorted(listed)}"
    # One live payment per reimbursement; paid exactly once, with its event, and the reimbursement follows.
    live = (ReimbursementPayment.objects.exclude(status=PaymentStatus.FAILED).values("reimbursement_id")
            .annotate(n=Count("pk")).filter(n__gt=1))
    assert not live.exists(), "two live payments of one reimbursement"
    paid = ReimbursementPayment.objects.filter(status=PaymentStatus.PAID)
    events = (AuditEvent.objects.filter(verb="reimbursement_payment.paid").values("object_id")
              .annotate(n=Count("pk")))
    assert not events.filter(n__gt=1).exists(), "a payment paid twice"
    assert {int(e["object_id"]) for e in events} == set(paid.values_list("pk", flat=True)), "paid without its event"
    assert set(Reimbursement.objects.filter(status=ReimbursementStatus.PAID).values_list("pk", flat=True)) == \
        set(paid.values_list("reimbursement_id", flat=True))
    # The ledger equals the paid payments.
    rec = disbursement.reconcile(REIMBURSEMENT)
    assert rec.ok, rec
    assert rec.paid_fen == (paid.aggregate(s=Sum("amount_fen"))["s"] or 0)


def _result_for(batch_id: int, rng) -> bytes:
    """The bank's answer for the batch's payments: pending ones paid (3 in 10) or refused; paid ones
    again with their reference (importing a sheet again must change nothing)."""
    rows = []
    payments = ReimbursementPayment.objects.filter(batch_id=batch_id).exclude(status=PaymentStatus.FAILED)
    for n, p in enumerate(payments.order_by("pk"), start=1):
        ok = rng.random() < 0.3 if p.status == PaymentStatus.PENDING else True
        ref = p.bank_reference or f"R{p.pk}-{p.attempt}"
        rows.append([n, p.payee_name, p.bank_account_mask, p.bank_name, p.amount_fen / 100, "补贴",
                     p.idempotency_key, "成功" if ok else "失败", ref if ok else "", "" if ok else "户名不符"])
    return result_sheet(rows)


def test_sigkill_at_random_points_leaves_no_partial_batch_no_double_payment_and_a_balanced_ledger(
        on_postgres, cast):
    w = World(cast)
    w.approve(10)
    finance = w.finance

    def batch_now(ids):
        return services.payment_batch_create(actor=finance, programme=w.programme, title="补充",
                                             reimbursement_ids=ids)[0]

    def prepare(op, run, rng):
        waiting = w.unbatched()
        if op == "create" and not waiting:
            w.approve(6)
            waiting = w.unbatched()
        # The given for sheets and imports, done here unkilled when the kills left nothing pending.
        if op in ("sheet", "import") and not w.pending_batches():
            for p in ReimbursementPayment.objects.filter(status=PaymentStatus.FAILED):
                if not ReimbursementPayment.objects.filter(reimbursement_id=p.reimbursement_id).exclude(
                        status=PaymentStatus.FAILED).exists():
                    services.payment_retry(actor=finance, payment=p)
            if not w.pending_batches():
                if not waiting:
                    w.approve(2)
                    waiting = w.unbatched()
                batch_now(waiting[:2])
        if op == "create":
            picked = rng.sample(waiting, k=min(len(waiting), rng.randint(1, 2)))
            return lambda: services.payment_batch_create(actor=finance, programme=w.programme, title=f"第{run}批",
                                                         reimbursement_ids=picked)
        batch = PaymentBatch.objects.get(pk=rng.choice(w.pending_batches()))
        if op == "sheet":
            full = rng.random() < 0.5
            return lambda: services.payment_batch_bank_sheet(actor=finance, batch=batch, full=full)
        data = _result_for(batch.pk, rng)
        return lambda: services.payment_batch_import_results(actor=finance, batch=batch, data=data)

    kill_runs(n=RUNS, ops=OPS, prepare=prepare, check=_check_invariants, summary=lambda: (
        f"paid {ReimbursementPayment.objects.filter(status=PaymentStatus.PAID).count()}, "
        f"ledger {disbursement.reconcile(REIMBURSEMENT)}"))
    assert ReimbursementPayment.objects.filter(status=PaymentStatus.PAID).exists()
