"""Fault injection for money (issue 16, item 8): a process building a batch, writing the bank sheet or
importing the bank's result sheet is killed with SIGKILL at a random point, 200 times; after every kill
there is no partial batch, no payment made twice, and the ledger equals the paid payments.

Fast by construction: Django and the world are set up once here; each run forks a child that opens its own
connection and runs one kernel operation (core/disbursement) with a statement counter on it. At a randomly
drawn statement (before it runs, or just after it ran, which makes "after the last statement, before
COMMIT" reachable) the child tells the parent and waits, and the parent SIGKILLs it. Draws past the end
let the operation complete. The parent then checks the invariants on its own connection. The seed is
printed on failure (HG_KILL_SEED=… replays a run)."""

import os
import random
import signal
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.db.models import Count, Exists, OuterRef, Sum

from huigong.core.disbursement import services as disbursement
from huigong.core.models import AuditEvent
from huigong.testing import result_sheet

from ..models import AidApplication, LedgerEntry, Payout, PayoutAttempt, PayoutBatch, ProgrammeBudget
from ..services import payouts
from ..services.payouts import AID
from .flowkit import Flow

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres, pytest.mark.slow]

RUNS = int(os.environ.get("HG_KILL_RUNS") or 200)
OPS = ("create", "sheet", "import")


def _child(fn, kill_at: int, after: bool, w: int) -> None:
    """In the forked child: run fn on a fresh connection; at statement kill_at, say so and wait for SIGKILL."""
    try:
        connection.close()  # the parent's socket is not ours to use (it was closed before the fork)
        seen = 0

        def counter(execute, sql, params, many, context):
            nonlocal seen
            seen += 1
            if seen == kill_at and not after:
                os.write(w, b"K")
                time.sleep(30)
            result = execute(sql, params, many, context)
            if seen == kill_at and after:
                os.write(w, b"K")
                time.sleep(30)
            return result

        with connection.execute_wrapper(counter):
            try:
                fn()
            except ValidationError:  # a refused operation is an ordinary outcome
                pass
        os.write(w, f"D{seen}".encode())
    except BaseException as e:  # noqa: BLE001 - anything else is a failure the parent reports
        os.write(w, f"E{type(e).__name__}: {e}"[:900].encode())
    finally:
        os._exit(0)


def _run_killed(fn, kill_at: int, after: bool) -> tuple[str, int]:
    connections.close_all()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        _child(fn, kill_at, after, w)
    os.close(w)
    try:
        msg = os.read(r, 1024).decode()
        assert msg, "the child died without a word"
        assert not msg.startswith("E"), f"the child failed: {msg[1:]}"
        if msg.startswith("K"):
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
            return "killed", kill_at
        os.waitpid(pid, 0)
        return "done", int(msg[1:] or 0)
    finally:
        os.close(r)


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
    seed = int(os.environ.get("HG_KILL_SEED") or random.SystemRandom().randrange(1 << 30))
    rng = random.Random(seed)
    flow = Flow(cast, budget_fen=10**10)
    finance = flow.finance
    finance.staff.node  # noqa: B018 - the profile is read before the fork, once
    flow.ready_to_pay(12)
    # Statements an operation took when it completed: the draw's range (generous until one completes).
    longest = {op: 200 for op in OPS}
    tally = {(op, outcome): 0 for op in OPS for outcome in ("killed", "done")}
    started = time.monotonic()
    given = checking = 0.0
    try:
        for run in range(RUNS):
            op = OPS[run % 3]
            t0 = time.monotonic()
            unbatched = list(AidApplication.objects.filter(status="notice_ended", payout__isnull=True)
                             .values_list("pk", flat=True))
            if op == "create" and not unbatched:
                flow.ready_to_pay(6)
                unbatched = list(AidApplication.objects.filter(status="notice_ended", payout__isnull=True)
                                 .values_list("pk", flat=True))
            # The given for sheets and imports, done here unkilled when the kills left nothing to work on.
            if op == "sheet" and not Payout.objects.filter(status="pending").exists():
                for p in Payout.objects.filter(status="failed"):
                    payouts.payout_retry(actor=finance, payout=p)
                if not Payout.objects.filter(status="pending").exists():
                    payouts.payout_batch_create(actor=finance, node=cast.hangzhou, title="补充",
                                                applications=unbatched[:2] or None)
            if op == "import" and not Payout.objects.filter(status="sent").exists():
                b = Payout.objects.filter(status="pending").values_list("batch_id", flat=True).first()
                if b is None:
                    b = payouts.payout_batch_create(actor=finance, node=cast.hangzhou, title="补充",
                                                    applications=unbatched[:2] or None).pk
                disbursement.batch_bank_sheet(AID, actor=finance, batch=PayoutBatch.objects.get(pk=b))
            given += time.monotonic() - t0
            if op == "create":
                picked = rng.sample(unbatched, k=min(len(unbatched), rng.randint(1, 2)))

                def fn(picked=picked, title=f"第{run}批"):
                    payouts.payout_batch_create(actor=finance, node=cast.hangzhou, title=title, applications=picked)
            elif op == "sheet":
                batch = PayoutBatch.objects.get(pk=rng.choice(list(
                    Payout.objects.filter(status="pending").values_list("batch_id", flat=True).distinct())))

                full = rng.random() < 0.5

                def fn(batch=batch, full=full):
                    disbursement.batch_bank_sheet(AID, actor=finance, batch=batch, full=full, with_results=True)
            else:
                batch = PayoutBatch.objects.get(pk=rng.choice(list(
                    Payout.objects.filter(status="sent").values_list("batch_id", flat=True).distinct())))
                data = _result_for(batch, rng)

                def fn(batch=batch, data=data):
                    payouts.payout_batch_import_results(actor=finance, batch=batch, data=data)
            # One run in four goes to its end unkilled: otherwise a result import (the longest operation)
            # rarely completes, and a seed could end with nothing paid and an empty ledger to balance.
            kill_at = 10**9 if rng.random() < 0.25 else rng.randint(1, int(longest[op] * 1.15) + 1)
            outcome, n = _run_killed(fn, kill_at, after=rng.random() < 0.5)
            if outcome == "done":
                longest[op] = n if tally[op, "done"] == 0 else max(longest[op], n)
            tally[op, outcome] += 1
            t0 = time.monotonic()
            _check_invariants(flow)
            checking += time.monotonic() - t0
    except BaseException:
        print(f"\nHG_KILL_SEED={seed} (run {run}: {op}, kill at statement {kill_at}); tally {tally}")
        raise
    elapsed = time.monotonic() - started
    print(f"\nseed {seed}: {RUNS} runs in {elapsed:.1f} s ({given:.1f} s of givens, {checking:.1f} s of checks); {tally}; longest {longest}; "
          f"paid {Payout.objects.filter(status='paid').count()}, ledger {LedgerEntry.objects.aggregate(s=Sum('amount_fen'))}")
    # Every kind of operation was both killed part-way and completed, so both sides were exercised.
    assert all(tally[op, "killed"] > 0 for op in OPS), tally
    assert Payout.objects.filter(status="paid").exists()
