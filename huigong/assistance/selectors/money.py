"""Reads of payout batches, payouts and the ledger (台账), scoped to the actor's subtree."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from huigong.accounts.models import Cap
from huigong.core.money import format_yuan
from huigong.core.scope import ensure_path_in_scope, require, root_path, staff_of

from ..models import LedgerEntry, Payout, PayoutBatch, PayoutStatus, ProgrammeBudget


def batches_for_actor(actor) -> QuerySet[PayoutBatch]:
    require(actor, Cap.VIEW)
    return (PayoutBatch.objects.filter(node_path__startswith=root_path(actor)).select_related("node")
            .annotate(n=Count("payouts"), total=Sum("payouts__amount_fen"),
                      paid=Count("payouts", filter=Q(payouts__status=PayoutStatus.PAID)),
                      failed=Count("payouts", filter=Q(payouts__status=PayoutStatus.FAILED)))
            .order_by("-created_at", "-pk"))


def batch_get_for_actor(actor, pk) -> PayoutBatch:
    staff_of(actor)
    try:
        batch = PayoutBatch.objects.select_related("node").get(pk=pk)
    except (PayoutBatch.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    ensure_path_in_scope(actor, batch.node_path)
    require(actor, Cap.VIEW)
    return batch


def payouts_of(batch: PayoutBatch) -> list[Payout]:
    return list(batch.payouts.select_related("application__programme", "application__file")
                .defer("bank_account").order_by("pk"))


def payout_get_for_actor(actor, pk) -> Payout:
    staff_of(actor)
    try:
        p = Payout.objects.select_related("batch", "application").defer("bank_account").get(pk=pk)
    except (Payout.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    ensure_path_in_scope(actor, p.batch.node_path)
    require(actor, Cap.VIEW)
    return p


def ledger_entries(actor, *, node_path: str = "", year: int | None = None) -> QuerySet[LedgerEntry]:
    require(actor, Cap.VIEW)
    prefix = root_path(actor)
    if node_path:
        ensure_path_in_scope(actor, node_path)
        prefix = node_path
    qs = LedgerEntry.objects.filter(node_path__startswith=prefix)
    if year:
        qs = qs.filter(year=year)
    return qs.select_related("file", "file__head", "programme", "payout", "node").order_by("paid_on", "pk")


def ledger_summary(actor, *, node_path: str = "", year: int | None = None) -> dict:
    """Files, applications and money per programme × node, and the three totals that must agree:
    the ledger, the paid payouts and the budgets' paid_fen (for budgets held inside the subtree)."""
    prefix = node_path or root_path(actor)
    entries = ledger_entries(actor, node_path=node_path, year=year)
    rows = list(entries.values("programme__name", "programme__year", "node__name", "node_path")
                .annotate(households=Count("file", distinct=True), n=Count("pk"), total=Sum("amount_fen"))
                .order_by("programme__year", "programme__name", "node_path"))
    for r in rows:
        r["total_yuan"] = format_yuan(r["total"] or 0)
    ledger_total = entries.aggregate(s=Sum("amount_fen"))["s"] or 0
    payouts = Payout.objects.filter(application__node_path__startswith=prefix, status=PayoutStatus.PAID)
    budgets = ProgrammeBudget.objects.filter(node_path__startswith=prefix)
    if year:
        payouts = payouts.filter(application__programme__year=year)
        budgets = budgets.filter(programme__year=year)
    from ..models import AidApplication, HardshipFile

    apps = AidApplication.objects.filter(node_path__startswith=prefix)
    files = HardshipFile.objects.filter(node_path__startswith=prefix)
    if year:
        apps = apps.filter(programme__year=year)
    payouts_total = payouts.aggregate(s=Sum("amount_fen"))["s"] or 0
    # Paid from budgets held inside the subtree: what those budgets' paid_fen must add up to. The rest
    # came from budgets held above the subtree (which also pay other subtrees).
    inner_paid = payouts.filter(application__budget__node_path__startswith=prefix).aggregate(
        s=Sum("amount_fen"))["s"] or 0
    return {
        "rows": rows,
        "households": entries.values("file").distinct().count(),
        "ledger_total": ledger_total,
        "payouts_total": payouts_total,
        "payouts_inner_budget_total": inner_paid,
        "payouts_outer_budget_total": payouts_total - inner_paid,
        "budget_paid_total": budgets.aggregate(s=Sum("paid_fen"))["s"] or 0,
        "budget_total": budgets.aggregate(s=Sum("total_fen"))["s"] or 0,
        "budget_committed": budgets.aggregate(s=Sum("committed_fen"))["s"] or 0,
        "applications": dict(apps.values_list("status").annotate(n=Count("pk")).values_list("status", "n")),
        "files": dict(files.values_list("status").annotate(n=Count("pk")).values_list("status", "n")),
    }


def reconciles(summary: dict) -> bool:
    """The ledger equals the paid payouts, and the paid_fen of the budgets held inside the subtree equals
    the paid payouts drawn on those budgets. (Payments drawn on a budget held above the subtree are shown
    apart, as payouts_outer_budget_total: that budget's paid_fen also counts other subtrees.)"""
    return summary["ledger_total"] == summary["payouts_total"] and \
        summary["budget_paid_total"] == summary["payouts_inner_budget_total"]
