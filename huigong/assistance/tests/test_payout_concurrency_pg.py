"""Money under contention on PostgreSQL, real threads each on its own connection: every approved
application is paid exactly once however many officers mark the same batch, retries after failures
never double a payment, the ledger reconciles to the fen, and concurrent approvals racing for the last
of a budget (or a household's cap) can't both pass."""

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db.models import Sum

from huigong.testing import run_in_threads

from ..models import AidApplication, LedgerEntry, Payout, PayoutStatus, ProgrammeBudget
from ..selectors.money import ledger_summary
from ..services import approval, payouts
from .flowkit import Flow

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 16


def _run(fn, items, threads=THREADS):
    return run_in_threads(fn, items, threads)


def _warm(*users):
    for u in users:
        u.staff.node  # noqa: B018 - cache the profile before threads share the user


def test_many_threads_paying_one_batch_pay_each_once(on_postgres, cast):
    flow = Flow(cast)
    amounts = [100_000 + 37 * i for i in range(12)]
    apps = [flow.approve_all(flow.apply(amount_fen=a)) for a in amounts]
    flow.publish_and_end(apps)
    batch = flow.batch("仪式批次")
    ids = list(batch.payouts.values_list("pk", flat=True))
    _warm(flow.finance)
    rng = random.Random(7)
    work = [(pid, f"REF-{pid}-{t}") for t in range(THREADS) for pid in ids]
    rng.shuffle(work)
    results = _run(lambda w: payouts.payout_mark_paid(actor=flow.finance, payout=Payout(pk=w[0]),
                                                      bank_reference=w[1]).status, work)
    assert Counter(r for _, r in results) == {"paid": len(work)}
    assert LedgerEntry.objects.count() == 12
    assert Payout.objects.filter(status=PayoutStatus.PAID).count() == 12
    total = sum(amounts)
    assert LedgerEntry.objects.aggregate(s=Sum("amount_fen"))["s"] == total
    assert ProgrammeBudget.objects.get(pk=flow.budget.pk).paid_fen == total
    s = ledger_summary(cast.city_admin, node_path=cast.hangzhou.path)
    assert s["ledger_total"] == s["payouts_total"] == s["budget_paid_total"] == total


def test_concurrent_batches_split_not_double(on_postgres, cast):
    flow = Flow(cast)
    apps = [flow.approve_all(flow.apply(amount_fen=50_000)) for _ in range(10)]
    flow.publish_and_end(apps)
    _warm(flow.finance)
    results = _run(lambda i: payouts.payout_batch_create(actor=flow.finance, node=cast.hangzhou,
                                                         title=f"批次{i}").pk, range(8), threads=8)
    assert Payout.objects.count() == 10
    assert len({p.application_id for p in Payout.objects.all()}) == 10
    assert any(k == "ok" for k, _ in results)


def test_failures_and_concurrent_retries_pay_once(on_postgres, cast):
    flow = Flow(cast)
    apps = [flow.approve_all(flow.apply(amount_fen=70_000)) for _ in range(6)]
    flow.publish_and_end(apps)
    batch = flow.batch()
    ps = list(batch.payouts.order_by("pk"))
    for p in ps[:3]:
        payouts.payout_mark_failed(actor=flow.finance, payout=p, reason="账号错误")
    _warm(flow.finance)
    # many officers press "retry" on the failed ones at once, then many mark everything paid
    _run(lambda p: payouts.payout_retry(actor=flow.finance, payout=p), ps[:3] * THREADS)
    assert all(p.attempts == 2 for p in Payout.objects.filter(pk__in=[p.pk for p in ps[:3]]))
    _run(lambda p: payouts.payout_mark_paid(actor=flow.finance, payout=p, bank_reference=f"R{p.pk}"), ps * THREADS)
    assert LedgerEntry.objects.count() == 6 and Payout.objects.count() == 6
    assert AidApplication.objects.filter(status="paid").count() == 6
    s = ledger_summary(cast.city_admin, node_path=cast.hangzhou.path)
    assert s["ledger_total"] == s["payouts_total"] == s["budget_paid_total"] == 6 * 70_000


def test_approvals_racing_for_the_last_budget(on_postgres, cast):
    flow = Flow(cast, levels=("city",), budget_fen=250_000)
    apps = [flow.apply(amount_fen=100_000) for _ in range(10)]
    _warm(flow.city_leader)
    results = _run(lambda a: approval.approval_decide(actor=flow.city_leader, application=a,
                                                      decision="approved").status, apps)
    assert Counter(k for k, _ in results) == {"ok": 2, "refused": 8}
    assert all("预算不足" in m for k, m in results if k == "refused")
    b = ProgrammeBudget.objects.get(pk=flow.budget.pk)
    assert b.committed_fen == 200_000 <= b.total_fen
    assert AidApplication.objects.filter(status="approved").count() == 2


def test_approvals_racing_for_one_households_cap(on_postgres, cast):
    flow = Flow(cast, levels=("city",), cap_fen=150_000)
    from ..services import aid
    file = flow.new_file()
    apps = []
    for i in range(6):
        p = aid.programme_create(actor=cast.city_admin, node=cast.hangzhou, kind="other", name=f"临时救助{i}",
                                 year=flow.prog.year, amount_fen=100_000, approval_levels=["city"])
        aid.programme_open(actor=cast.city_admin, programme=p)
        aid.programme_budget_set(actor=cast.city_admin, programme=p, node=cast.hangzhou, total_fen=1_000_000)
        apps.append(flow.apply(file=file, amount_fen=100_000, programme=p))
    _warm(flow.city_leader)
    results = _run(lambda a: approval.approval_decide(actor=flow.city_leader, application=a,
                                                      decision="approved").status, apps)
    assert Counter(k for k, _ in results) == {"ok": 1, "refused": 5}
    assert all("超过每户年度上限" in m for k, m in results if k == "refused")


def test_upheld_objection_racing_a_batch_never_pays_a_rejected_application(on_postgres, cast, monkeypatch):
    """Review #4: the batch reads the application, an objection is upheld meanwhile: either the objection
    wins (no payout) or it finds the payout and is refused; never a rejected application with a payout.
    The batch is held between its read and its insert so the objection lands in that window."""
    import threading
    import time

    from ..models import NoticeObjection, PayoutBatch
    from ..services import notices

    flow = Flow(cast)
    [app] = flow.ready_to_pay(1)
    app = AidApplication.objects.get(pk=app.pk)
    objection = NoticeObjection.objects.create(notice=app.notice_entry.notice, application=app,
                                               received_on=app.notice_entry.notice.ends_on, content="举报收入不实")
    _warm(flow.finance, cast.city_admin)
    in_window = threading.Event()
    real_create = PayoutBatch.objects.create

    def slow_create(**kw):
        in_window.set()
        time.sleep(0.5)
        return real_create(**kw)

    monkeypatch.setattr(PayoutBatch.objects, "create", slow_create)

    def batch(_):
        return payouts.payout_batch_create(actor=flow.finance, node=cast.hangzhou, title="抢跑批次").pk

    def uphold(_):
        in_window.wait(5)
        return notices.notice_objection_resolve(actor=cast.city_admin, objection=objection, upheld=True,
                                                resolution="经核实属实").pk

    with ThreadPoolExecutor(max_workers=2) as pool:
        fb = pool.submit(_run, batch, [0], 1)
        fu = pool.submit(_run, uphold, [0], 1)
        [rb], [ru] = fb.result(), fu.result()
    app.refresh_from_db()
    has_payout = Payout.objects.filter(application=app).exists()
    assert not (app.status == "rejected" and has_payout), (rb, ru)
    assert rb[0] == "ok" and ru[0] == "refused" and has_payout and app.status == "notice_ended", (rb, ru)
