"""The worker's contest pages: a contest's rounds and attempts left, a timed attempt (the phone counts
down with a static script; the server holds the deadline), the ranking."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huigong.portal.auth import current_person, worker_required

from . import services, services_contest
from .models_contest import Attempt, Contest, ContestRound, ContestStatus, Question


def _contest_for(person, pk) -> Contest:
    m = services.active_membership(person)
    c = Contest.objects.select_related("node").filter(pk=pk).exclude(status=ContestStatus.DRAFT).first()
    if c is None or m is None or not m.union.path.startswith(c.node.path):
        raise Http404
    return c


@worker_required
@require_GET
def contest(request, pk: int):
    person = current_person(request)
    if person is None:
        raise Http404
    c = _contest_for(person, pk)
    m = services.active_membership(person)
    rows = []
    for r in c.rounds.all():
        mine = list(Attempt.objects.filter(round=r, person=person).order_by("number"))
        rows.append({"r": r, "attempts": mine, "left": max(0, r.attempts_limit - len(mine)),
                     "reason": services_contest.refuse_reason(r, person, m)})
    return render(request, "activities/portal/contest.html", {"c": c, "rows": rows})


@worker_required
@require_POST
def start(request, pk: int):
    person = current_person(request)
    if person is None:
        raise Http404
    rnd = ContestRound.objects.filter(pk=pk).select_related("contest").first()
    if rnd is None:
        raise Http404
    _contest_for(person, rnd.contest_id)
    try:
        a = services_contest.attempt_start(actor=request.user, round=rnd, person=person)
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
        return redirect("activities_portal:contest", pk=rnd.contest_id)
    return redirect("activities_portal:attempt", pk=a.pk)


@worker_required
@require_http_methods(["GET", "POST"])
def attempt(request, pk: int):
    person = current_person(request)
    if person is None:
        raise Http404
    a = Attempt.objects.select_related("round__contest").filter(pk=pk, person=person).first()
    if a is None:
        raise Http404
    if request.method == "POST" and a.finished_at is None:
        answers = {k[2:]: v for k, v in request.POST.items() if k.startswith("q_")}
        try:
            a = services_contest.attempt_submit(actor=request.user, attempt=a, answers=answers)
        except ValidationError as e:
            messages.error(request, "；".join(e.messages))
        return redirect("activities_portal:attempt", pk=a.pk)
    qs = {q.pk: q for q in Question.objects.filter(pk__in=a.questions)}
    questions = [{"q": qs[i], "given": a.answers.get(str(i))} for i in a.questions if i in qs]
    left = max(0, int((a.deadline - timezone.now()).total_seconds()))
    return render(request, "activities/portal/attempt.html", {"a": a, "questions": questions, "left": left})


@worker_required
@require_GET
def board(request, pk: int):
    person = current_person(request)
    if person is None:
        raise Http404
    c = _contest_for(person, pk)
    rounds = []
    for r in c.rounds.all():
        rows = services_contest.ranking(r, limit=None)
        mine = next((x for x in rows if x["attempt"].person_id == person.pk), None)
        rounds.append({"r": r, "top": rows[:20], "mine": mine})
    return render(request, "activities/portal/board.html", {"c": c, "rounds": rounds})
