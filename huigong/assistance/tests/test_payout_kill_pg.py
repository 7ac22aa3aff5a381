"""Fault injection for money (issue 16, item 8), aid payouts: a process building a batch, writing the bank
sheet or importing the bank's result sheet is killed with SIGKILL at a random point, 200 times; after every
kill there is no partial batch, no payment made twice, and the ledger equals the paid payments. The
harness (fork, statement counter, kill, seed) is the disbursement kernel's, shared with reimbursement
payments: huigong/core/disbursement/tests/killkit.py."""

import pytest
from django.db.models import Count, Exists, OuterRef, Sum

from huigong.core.disbursement import services as disbursement
from huigong.core.disbursement.tests.killkit import kill_runs, runs
from huigong.core.models import AuditEvent
from huigong.testing import result_sheet

from ..models import AidApplication, LedgerEntry, Payout, PayoutAttempt, PayoutBatch, ProgrammeBudget
from ..services import payouts
from ..services.payouts import AID
from .flowkit import Flow

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres, pytest.mark.slow]

RUNS = runs(200)
OPS = ("create", "sheet", "import")


def _check_invariants(flow) -> None:
    # No partial batch: every batch row came with its payouts and its audit event, in one transaction.
    assert not PayoutBatch.objects.annotate(n=Count("payouts")).filter(n=0).exists(), "a batch without payouts"
    batches = set(PayoutBatch.objects.values_list("pk", flat=True))
    audited = set(AuditEvent.objects.filter(verb="aid_batch.create").values_list("object_id", flat=True))
    assert {str(b) for b in batches} == audited, "a batch without its audit event (or the reverse)"
    # A payout at the bank was sent in full: its attempt row exists and its batch is no longer a draft.
    sent = Payout.objects.filter(status="sent")
    assert not sent.exclude(Exists(PayoutAttempt.objects.filter(
        payout=OuterRef("pk"), number=OuterRef("attempts"), status="sent"))).exists(), "sent without its attempt"
    assert not sent.filter(batch__status="draft").exists(), "sent from a draft batch"
    # Paid exactly once: one ledger row per paid payout and none for any other; the application follows.
    paid = Payout.objects.filter(status="paid")
    assert LedgerEntry.objects.count() == paid.count()
    assert not LedgerEntry.objects.exclude(payout__status="paid").exists()
    assert set(AidApplication.objects.filter(status="paid").values_list("pk", flat=True)) == \
        set(paid.values_list("application_id", flat=True))
    twice = (AuditEvent.objects.filter(verb="aid_payout.paid").values("object_id").annotate(n=Count("pk"))
             .filter(n__gt=1))
    assert not twice.exists(), "a payout paid twice"
    # The ledger equals the paid payouts, and so does the budget's paid_fen.
    rec = disbursement.reconcile(AID)
    assert rec.ok, rec
    assert ProgrammeBudget.objects.get(pk=flow.budget.pk).paid_fen == rec.paid_fen


def _result_for(batch, rng) -> bytes:
    """The bank's answer for what is at the bank in this batch (or, once in a while, a sheet already
    answered: importing it again must change nothing)."""
    rows = []
    for n, p in enumerate(Payout.objects.filter(batch=batch).exclude(status="pending").order_by("pk"), start=1):
        ok = rng.random() < 0.3 if p.status == "sent" else p.status == "paid"
        ref = p.bank_reference or f"B{p.pk}-{p.attempts}"
        rows.append([n, p.payee_name, p.bank_account_mask, p.bank_name, p.amount_fen / 100, "救助",
                     f"{p.idempotency_key}#{p.attempts}", "成功" if ok else "失败", ref if ok else "",
                     "" if ok else "户名不符"])
    return result_sheet(rows)


def test_sigkill_at_random_points_leaves_no_partial_batch_no_double_payment_and_a_balanced_ledger(
        on_postgres, cast):
    flow = Flow(cast, budget_fen=10**10)
    finance = flow.finance
    finance.staff.node  # noqa: B018 - the profile is read before the fork, once
    flow.ready_to_pay(12)

    def unbatched():
        return list(AidApplication.objects.filter(status="notice_ended", payout__isnull=True)
                    .values_list("pk", flat=True))

    def prepare(op, run, rng):
        waiting = unbatched()
        if op == "create" and not waiting:
            flow.ready_to_pay(6)
            waiting = unbatched()
        # The given for sheets and imports, done here unkilled when the kills left nothing to work on.
        if op == "sheet" and not Payout.objects.filter(status="pending").exists():
            for p in Payout.objects.filter(status="failed"):
                payouts.payout_retry(actor=finance, payout=p)
            if not Payout.objects.filter(status="pending").exists():
                payouts.payout_batch_create(actor=finance, node=cast.hangzhou, title="补充",
                                            applications=waiting[:2] or None)
        if op == "import" and not Payout.objects.filter(status="sent").exists():
            b = Payout.objects.filter(status="pending").values_list("batch_id", flat=True).first()
            if b is None:
                b = payouts.payout_batch_create(actor=finance, node=cast.hangzhou, title="补充",
                                                applications=waiting[:2] or None).pk
            disbursement.batch_bank_sheet(AID, actor=finance, batch=PayoutBatch.objects.get(pk=b))
        if op == "create":
            picked = rng.sample(waiting, k=min(len(waiting), rng.randint(1, 2)))
            return lambda: payouts.payout_batch_create(actor=finance, node=cast.hangzhou, title=f"第{run}批",
                                                       applications=picked)
        if op == "sheet":
            batch = PayoutBatch.objects.get(pk=rng.choice(list(
                Payout.objects.filter(status="pending").values_list("batch_id", flat=True).distinct())))
            full = rng.random() < 0.5
            return lambda: disbursement.batch_bank_sheet(AID, actor=finance, batch=batch, full=full,
                                                         with_results=True)
        batch = PayoutBatch.objects.get(pk=rng.choice(list(
            Payout.objects.filter(status="sent").values_list("batch_id", flat=True).distinct())))
        data = _result_for(batch, rng)
        return lambda: payouts.payout_batch_import_results(actor=finance, batch=batch, data=data)

    kill_runs(n=RUNS, ops=OPS, prepare=prepare, check=lambda: _check_invariants(flow), summary=lambda: (
        f"paid {Payout.objects.filter(status='paid').count()}, "
        f"ledger {LedgerEntry.objects.aggregate(s=Sum('amount_fen'))}"))
    assert Payout.objects.filter(status="paid").exists()
