"""Console pages: screening rules, sweeps (coverage, candidates, rule pass) and the visit entry form."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huigong.accounts.models import Cap
from huigong.core.money import fen_to_yuan, format_yuan
from huigong.core.scope import path_in_scope, require, root_path
from huigong.members.selectors import member_picker_label, person_get_for_actor, picker_filter
from huigong.orgs import selectors as org_selectors
from huigong.orgs.forms import apply_service_errors
from huigong.orgs.models import UnionNode

from ..forms_files import RuleForm, SweepForm, VisitForm, to_fen
from ..models import HardshipLevel, SweepStatus
from ..selectors import files as file_sel
from ..selectors import screening as sel
from ..services import screening as svc


@login_required
@require_http_methods(["GET", "POST"])
def rule_list(request):
    staff = require(request.user, Cap.VIEW)
    can_write = staff.can(Cap.ASSIST)
    form = RuleForm(request.POST or None, actor=request.user, initial={"node": staff.node.pk})
    if request.method == "POST":
        require(request.user, Cap.ASSIST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                svc.screening_rule_create(actor=request.user, node=d["node"], dibao_fen=to_fen(d["dibao_yuan"]),
                                          relative_multiple=d["relative_multiple"],
                                          effective_from=d["effective_from"], note=d["note"])
            except ValidationError as e:
                apply_service_errors(form, e, {"dibao_fen": "dibao_yuan"})
            else:
                messages.success(request, _("已保存排查标准"))
                return redirect("assistance:rule_list")
    rules = list(sel.rule_list_for_actor(request.user))
    mine = root_path(request.user)
    current = svc.rule_for_path(mine)
    for r in rules:
        r.editable = can_write and path_in_scope(request.user, r.node_path)
        r.dibao_yuan = format_yuan(r.dibao_fen)
        r.in_force_here = current is not None and r.pk == current.pk
    return render(request, "assistance/rule_list.html", {"rules": rules, "form": form, "can_write": can_write,
                                                         "current": current})


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request, pk: int):
    rule = sel.rule_get_for_actor(request.user, pk, for_write=True)
    initial = {"dibao_yuan": fen_to_yuan(rule.dibao_fen), "relative_multiple": rule.relative_multiple, "note": rule.note}
    form = RuleForm(request.POST or None, actor=request.user, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            svc.screening_rule_update(actor=request.user, rule=rule, dibao_fen=to_fen(d["dibao_yuan"]),
                                      relative_multiple=d["relative_multiple"], note=d["note"])
        except ValidationError as e:
            apply_service_errors(form, e, {"dibao_fen": "dibao_yuan"})
        else:
            messages.success(request, _("已修改排查标准"))
            return redirect("assistance:rule_list")
    return render(request, "assistance/rule_form.html", {"form": form, "rule": rule})


@login_required
@require_POST
def rule_delete(request, pk: int):
    rule = sel.rule_get_for_actor(request.user, pk, for_write=True)
    svc.screening_rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("已删除排查标准"))
    return redirect("assistance:rule_list")


@login_required
@require_GET
def sweep_list(request):
    staff = require(request.user, Cap.VIEW)
    page = Paginator(sel.sweep_list_for_actor(request.user), 30).get_page(request.GET.get("page"))
    for s in page.object_list:
        s.percent = min(100, int((s.visited or 0) * 100 / s.total)) if s.total else 0
    return render(request, "assistance/sweep_list.html", {"page_obj": page, "can_write": staff.can(Cap.ASSIST)})


@login_required
@require_http_methods(["GET", "POST"])
def sweep_create(request):
    staff = require(request.user, Cap.ASSIST)
    form = SweepForm(request.POST or None, actor=request.user, initial={"node": staff.node.pk})
    if request.method == "POST" and form.is_valid():
        try:
            sweep = svc.sweep_open(actor=request.user, **form.cleaned_data)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("已发起排查，已分配到 %(n)d 个基层工会") % {"n": sweep.assignments.count()})
            return redirect("assistance:sweep_detail", pk=sweep.pk)
    return render(request, "assistance/sweep_form.html", {"form": form})


@login_required
@require_GET
def sweep_detail(request, pk: int):
    staff = require(request.user, Cap.VIEW)
    sweep = sel.sweep_get_for_actor(request.user, pk)
    node = None
    if request.GET.get("node"):
        node = org_selectors.node_get_for_actor(request.user, request.GET["node"])
    total, rows = sel.sweep_coverage(request.user, sweep, node=node)
    level = request.GET.get("level", "")
    if level not in HardshipLevel.values:
        level = ""
    candidates = Paginator(sel.candidate_list(request.user, sweep, level=level, node=node), 50).get_page(
        request.GET.get("page"))
    full = file_sel.may_see_figures(request.user)
    for v in candidates.object_list:
        v.shown_name = sel.display_name(request.user, v.person.name)
        v.income_yuan = format_yuan(v.monthly_income_fen) if full else file_sel.HIDDEN
        v.per_capita_yuan = format_yuan(v.per_capita_fen or 0) if full else file_sel.HIDDEN
    if full:
        file_sel.log_figures_listed(request.user, object_type="assistance.sweep", object_id=str(sweep.pk),
                                    node_path=sel.sweep_scope_path(request.user, sweep),
                                    fields=["visit.monthly_income_fen", "visit.per_capita_fen"],
                                    n=len(candidates.object_list), purpose=_("排查初筛对象列表"))
    own_scope = sweep.node_path.startswith(root_path(request.user))
    my_assignments = []
    if staff.can(Cap.ASSIST) and sweep.status == SweepStatus.OPEN:
        my_assignments = list(sel.assignments_for_actor(request.user, sweep).filter(node__level__in=[
            "grassroots", "joint", "industry", "township"]).order_by("node_path")[:50])
    crumbs = []
    if node is not None:
        base = sel.sweep_scope_path(request.user, sweep)
        crumbs = [n for n in UnionNode.objects.get_ancestors(node) if n.path.startswith(base)] + [node]
    return render(request, "assistance/sweep_detail.html", {
        "sweep": sweep, "total": total, "rows": rows, "candidates": candidates, "level": level, "node": node,
        "levels": HardshipLevel.choices, "crumbs": crumbs, "my_assignments": my_assignments,
        "can_run": staff.can(Cap.ASSIST) and own_scope, "can_assist": staff.can(Cap.ASSIST),
        "can_see_names": staff.can(Cap.PII_FULL),
    })


@login_required
@require_POST
def sweep_apply(request, pk: int):
    sweep = sel.sweep_get_for_actor(request.user, pk, for_write=True)
    result = svc.sweep_rules_apply(actor=request.user, sweep=sweep)
    messages.success(request, _("初筛完成：评估 %(n)d 户，深度困难 %(deep)d、相对困难 %(rel)d、意外致困 %(sud)d") % {
        "n": result["evaluated"], "deep": result["deep"], "rel": result["relative"], "sud": result["sudden"]})
    return redirect("assistance:sweep_detail", pk=sweep.pk)


@login_required
@require_POST
def sweep_close(request, pk: int):
    sweep = sel.sweep_get_for_actor(request.user, pk, for_write=True)
    try:
        svc.sweep_close(actor=request.user, sweep=sweep)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("排查已结束"))
    return redirect("assistance:sweep_detail", pk=sweep.pk)


VISIT_PICKER_LIMIT = 500  # members rendered into the visit form's picker; the rest are found by search
VISIT_SEARCH_LIMIT = 30


def _visit_people(actor, queue, wanted: str | None) -> list[tuple[int, str]]:
    """The visit picker's choices: the first members of the queue, plus the one asked for (posted or
    preselected) when it is further down, so a member found by search validates and stays chosen."""
    rows = list(queue[:VISIT_PICKER_LIMIT])
    if wanted and wanted.isdigit() and all(m.person_id != int(wanted) for m in rows):
        rows += list(queue.filter(person_id=int(wanted))[:1])
    return [(m.person_id, member_picker_label(m, actor=actor)) for m in rows]


@login_required
@require_GET
def sweep_visit_people(request, pk: int):
    """JSON search for the visit form's member picker: members of the assignment's queue by name, pinyin,
    initials, ID tail ("…041X"), full ID number or phone; only masked labels leave the server."""
    assignment = sel.assignment_get_for_actor(request.user, pk)
    queue = sel.visit_queue(request.user, assignment)
    q = request.GET.get("q", "").strip()[:40]
    rows = list(queue.filter(picker_filter(q, record_prefix=root_path(request.user)))[:VISIT_SEARCH_LIMIT]) \
        if q else []
    return JsonResponse({"results": [{"value": str(m.person_id), "text": member_picker_label(m, actor=request.user)}
                                     for m in rows]})


@login_required
@require_http_methods(["GET", "POST"])
def sweep_visit(request, pk: int):
    """Quick visit entry for one assigned union: its members not yet visited, one form per visit."""
    assignment = sel.assignment_get_for_actor(request.user, pk)
    queue = sel.visit_queue(request.user, assignment)
    preselect = request.GET.get("person")
    people = _visit_people(request.user, queue, request.POST.get("person") or preselect)
    search_url = reverse("assistance:sweep_visit_people", args=[assignment.pk])
    form = VisitForm(request.POST or None, people=people, search_url=search_url,
                     initial={"person": preselect} if preselect else None)
    if request.method == "POST" and form.is_valid():
        person, _m = person_get_for_actor(request.user, form.cleaned_data["person"])
        try:
            svc.sweep_visit_record(actor=request.user, sweep=assignment.sweep, person=person,
                                   visited_on=form.cleaned_data["visited_on"], note=form.cleaned_data["note"],
                                   **form.facts())
        except ValidationError as e:
            apply_service_errors(form, e, {"monthly_income_fen": "monthly_income_yuan",
                                           "rigid_expense_fen": "rigid_expense_yuan"})
        else:
            messages.success(request, _("已录入 %(name)s 的走访") % {"name": person.name})
            return redirect("assistance:sweep_visit", pk=assignment.pk)
    assignment.refresh_from_db()
    remaining = queue.count()
    # Members who joined after the sweep opened are in the queue but not yet in member_total.
    total = max(assignment.member_total, assignment.visited_count + remaining)
    return render(request, "assistance/sweep_visit.html", {
        "assignment": assignment, "sweep": assignment.sweep, "form": form, "remaining": remaining, "total": total,
        "percent": min(100, int(assignment.visited_count * 100 / total)) if total else 0,
        "flags": [form[n] for n in ("has_illness", "has_disability", "has_disaster", "has_job_loss",
                                    "has_work_injury")],
    })
