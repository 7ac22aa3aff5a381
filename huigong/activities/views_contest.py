"""Console pages of contests: the list of the subtree's contests, and a contest's rounds, ranking, unit
leaderboard (最佳组织奖) and before/after accuracy report."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from huigong.core.scope import OutOfScope, root_path

from . import selectors, services_contest
from .models_contest import Contest

STEP = selectors.STEP


def _contests(actor):
    selectors._can_view(actor)
    root = root_path(actor)
    return Contest.objects.select_related("node", "bank").filter(
        Q(node__path__startswith=root) | Q(node__path__in=selectors._ancestor_paths(root)))


@login_required
@require_GET
def contest_list(request):
    return render(request, "activities/contests.html", {"contests": _contests(request.user)[:200]})


@login_required
@require_GET
def contest_detail(request, pk: int):
    selectors._can_view(request.user)
    contest = Contest.objects.select_related("node", "bank").filter(pk=pk).first()
    if contest is None:
        raise Http404
    root = root_path(request.user)
    owned = contest.node.path.startswith(root)
    if not owned and not root.startswith(contest.node.path):
        raise OutOfScope()
    scope = "" if owned else root
    rounds = [{"r": r, "ranking": services_contest.ranking(r, root=scope, limit=20)} for r in contest.rounds.all()]
    return render(request, "activities/contest_detail.html", {
        "contest": contest, "rounds": rounds, "units": services_contest.unit_board(contest) if owned else [],
        "accuracy": services_contest.accuracy_report(contest), "stats": services_contest.participation(contest)})
