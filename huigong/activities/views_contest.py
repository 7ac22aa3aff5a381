"""Console pages of contests: the list of the subtree's contests, and a contest's rounds, ranking, unit
leaderboard (最佳组织奖) and before/after accuracy report; run from here too: a new contest (with a new or
an existing bank), its question bank (add, edit, .xlsx import all or nothing), rounds (before/main/after,
timed) and opening/closing. Writing needs the `events` capability and the contest inside the subtree."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huigong.core.scope import OutOfScope, path_in_scope, require, root_path, staff_of
from huigong.orgs.forms import apply_service_errors

from . import forms_contest as forms
from . import selectors, services_contest
from .models_contest import Contest, ContestStatus, Question
from .services import CAP

STEP = selectors.STEP


def _contests(actor):
    selectors._can_view(actor)
    root = root_path(actor)
    return Contest.objects.select_related("node", "bank").filter(
        Q(node__path__startswith=root) | Q(node__path__in=selectors._ancestor_paths(root)))


@login_required
@require_GET
def contest_list(request):
    return render(request, "activities/contests.html", {"contests": _contests(request.user)[:200],
                                                        "can_write": staff_of(request.user).can(CAP)})


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
        "accuracy": services_contest.accuracy_report(contest), "stats": services_contest.participation(contest),
        "can_write": owned and staff_of(request.user).can(CAP)})


def _owned(actor, pk: int) -> Contest:
    """A contest the actor runs: the events capability and the contest's node inside the subtree."""
    require(actor, CAP)
    contest = Contest.objects.select_related("node", "bank", "bank__node").filter(pk=pk).first()
    if contest is None:
        raise Http404
    if not path_in_scope(actor, contest.node.path):
        raise OutOfScope()
    return contest


@login_required
@require_http_methods(["GET", "POST"])
def contest_create(request):
    require(request.user, CAP)
    form = forms.ContestForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            with transaction.atomic():
                bank = d["bank"] or services_contest.bank_create(actor=request.user, node=d["node"],
                                                                 title=d["bank_title"])
                contest = services_contest.contest_create(actor=request.user, node=d["node"], bank=bank,
                                                          title=d["title"])
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("已创建知识竞赛：%(title)s") % {"title": contest.title})
            return redirect("activities:contest_bank", pk=contest.pk)
    return render(request, "activities/contest_form.html", {"form": form, "heading": _("新建知识竞赛")})


@login_required
@require_http_methods(["GET", "POST"])
def contest_bank(request, pk: int):
    """The contest's question bank: its questions, a new one, and a sheet of them."""
    contest = _owned(request.user, pk)
    bank = contest.bank
    if not path_in_scope(request.user, bank.node.path):
        raise OutOfScope()  # a bank of an ancestor union: used here, edited there
    which = request.POST.get("form")
    qform = forms.QuestionForm(request.POST if which == "question" else None)
    upload = forms.BankUploadForm(request.POST if which == "upload" else None,
                                  request.FILES if which == "upload" else None)
    if request.method == "POST":
        if which == "question" and qform.is_valid():
            try:
                services_contest.question_add(actor=request.user, bank=bank, **qform.service_kwargs())
            except ValidationError as e:
                apply_service_errors(qform, e)
            else:
                messages.success(request, _("已添加题目"))
                return redirect("activities:contest_bank", pk=contest.pk)
        elif which == "upload" and upload.is_valid():
            try:
                n = services_contest.bank_import(actor=request.user, bank=bank,
                                                 data=upload.cleaned_data["upload"].read())
            except ValidationError as e:
                for m in e.messages:
                    messages.error(request, m)
            else:
                messages.success(request, _("已导入题目 %(n)d 道") % {"n": n})
                return redirect("activities:contest_bank", pk=contest.pk)
    return render(request, "activities/contest_bank.html", {
        "contest": contest, "bank": bank, "questions": list(bank.questions.order_by("pk")), "qform": qform,
        "upload": upload})


@login_required
@require_http_methods(["GET", "POST"])
def question_edit(request, pk: int):
    require(request.user, CAP)
    question = Question.objects.select_related("bank__node").filter(pk=pk).first()
    if question is None:
        raise Http404
    if not path_in_scope(request.user, question.bank.node.path):
        raise OutOfScope()
    contest = Contest.objects.filter(bank=question.bank, node__path__startswith=root_path(request.user)).first()
    initial = {"text": question.text, "choices": "\n".join(question.choices), "answer": question.answer + 1,
               "topic": question.topic}
    form = forms.QuestionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services_contest.question_update(actor=request.user, question=question, **form.service_kwargs())
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("已保存题目"))
            if contest is not None:
                return redirect("activities:contest_bank", pk=contest.pk)
            return redirect("activities:contests")
    return render(request, "activities/contest_form.html", {
        "form": form, "heading": _("编辑题目"), "contest": contest})


@login_required
@require_http_methods(["GET", "POST"])
def round_add(request, pk: int):
    contest = _owned(request.user, pk)
    form = forms.RoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services_contest.round_add(actor=request.user, contest=contest, **form.cleaned_data)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("已添加轮次"))
            return redirect("activities:contest_detail", pk=contest.pk)
    return render(request, "activities/contest_form.html", {
        "form": form, "heading": _("添加轮次"), "contest": contest})


@login_required
@require_POST
def contest_action(request, pk: int, action: str):
    contest = _owned(request.user, pk)
    status = {"open": ContestStatus.OPEN, "close": ContestStatus.CLOSED}.get(action)
    if status is None:
        raise Http404
    try:
        services_contest.contest_set_status(actor=request.user, contest=contest, status=status)
    except ValidationError as e:
        for m in e.messages:
            messages.error(request, m)
    else:
        messages.success(request, _("竞赛已开放答题") if status == ContestStatus.OPEN else _("竞赛已结束"))
    return redirect("activities:contest_detail", pk=contest.pk)
