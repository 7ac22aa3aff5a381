"""Console pages: programmes with budgets and caps, applications, the approval queue (待我审批) and the
application detail with its step timeline. Thin: forms in, services do the work, selectors read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huigong.accounts.models import Cap
from huigong.core.duties import DutyConflict
from huigong.core.money import format_yuan
from huigong.core.scope import path_in_scope, require
from huigong.orgs.forms import apply_service_errors
from huigong.orgs.models import NodeLevel

from ..forms_flow import (
    ApplicationEditForm,
    ApplicationFilterForm,
    ApplicationForm,
    BudgetForm,
    CapForm,
    DecideForm,
    ProgrammeForm,
    YuanField,
)
from ..models import (
    ApplicationStatus,
    FileStatus,
    HardshipCause,
    HardshipFile,
    HardshipLevel,
    HouseholdYearCap,
    ProgrammeStatus,
)
from ..selectors import aid as sel
from ..services import aid as svc
from ..services import approval

PER_PAGE = 50


def labels(p) -> dict:
    """Chinese labels of a programme's level / cause / approval-level codes."""
    return {"levels": [str(NodeLevel(x).label) for x in p.approval_levels],
            "eligible": [str(HardshipLevel(x).label) for x in p.eligible_levels],
            "causes": [str(HardshipCause(x).label) for x in p.required_causes]}


def _error_message(request, exc: ValidationError) -> None:
    for m in exc.messages:
        messages.error(request, m)


@login_required
@require_GET
def programme_list(request):
    staff = require(request.user, Cap.VIEW)
    programmes = list(sel.programmes_for_actor(request.user))
    for p in programmes:
        budgets = sel.budgets_for_actor(request.user, p)
        p.total_fen = sum(b.total_fen for b in budgets)
        p.committed = sum(b.committed_fen for b in budgets)
        p.paid = sum(b.paid_fen for b in budgets)
        p.can_manage = staff.can(Cap.ASSIST) and path_in_scope(request.user, p.node_path)
        p.level_labels = labels(p)["levels"]
    caps = HouseholdYearCap.objects.filter(node_path__startswith=staff.node.path).select_related("node") \
        .order_by("-year", "node_path")
    return render(request, "assistance/programme_list.html", {
        "programmes": programmes, "caps": caps, "can_assist": staff.can(Cap.ASSIST),
        "cap_form": CapForm(actor=request.user) if staff.can(Cap.ASSIST) else None,
    })


@login_required
@require_http_methods(["GET", "POST"])
def programme_create(request):
    require(request.user, Cap.ASSIST)
    form = ProgrammeForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            p = svc.programme_create(
                actor=request.user, node=d["node"], kind=d["kind"], name=d["name"], year=d["year"],
                amount_fen=YuanField.fen(d["amount"]), amount_mode=d["amount_mode"],
                approval_levels=d["approval_levels"], eligible_levels=d["eligible_levels"],
                required_causes=d["required_causes"], notice_days=d["notice_days"], description=d["description"])
        except ValidationError as e:
            apply_service_errors(form, e, {"amount_fen": "amount"})
        else:
            messages.success(request, _("已创建项目“%(n)s”，设置预算后即可开始受理") % {"n": p.name})
            return redirect("assistance:programme_detail", p.pk)
    return render(request, "assistance/programme_form.html", {"form": form})


@login_required
@require_GET
def programme_detail(request, pk: int):
    staff = require(request.user, Cap.VIEW)
    p = sel.programme_get_for_actor(request.user, pk)
    can_manage = staff.can(Cap.ASSIST) and path_in_scope(request.user, p.node_path)
    apps = sel.applications_for_actor(request.user, programme_id=p.pk)[:100]
    return render(request, "assistance/programme_detail.html", {
        "p": p, "budgets": sel.budgets_for_actor(request.user, p), "apps": apps, "can_manage": can_manage,
        "can_apply": staff.can(Cap.ASSIST) and p.status == ProgrammeStatus.OPEN,
        "budget_form": BudgetForm(actor=request.user, programme=p) if can_manage else None,
        "amount": format_yuan(p.amount_fen), **labels(p),
    })


@login_required
@require_POST
def programme_status(request, pk: int):
    p = sel.programme_get_for_actor(request.user, pk, for_write=True)
    action = request.POST.get("action")
    try:
        if action == "open":
            svc.programme_open(actor=request.user, programme=p)
            messages.success(request, _("项目已开始受理"))
        elif action == "close":
            svc.programme_close(actor=request.user, programme=p)
            messages.success(request, _("项目已结束受理"))
        else:
            raise Http404
    except ValidationError as e:
        _error_message(request, e)
    return redirect("assistance:programme_detail", p.pk)


@login_required
@require_POST
def programme_budget(request, pk: int):
    p = sel.programme_get_for_actor(request.user, pk, for_write=True)
    form = BudgetForm(request.POST, actor=request.user, programme=p)
    if form.is_valid():
        try:
            svc.programme_budget_set(actor=request.user, programme=p, node=form.cleaned_data["node"],
                                     total_fen=YuanField.fen(form.cleaned_data["total"]))
            messages.success(request, _("预算已保存"))
        except ValidationError as e:
            _error_message(request, e)
    else:
        for errs in form.errors.values():
            for e in errs:
                messages.error(request, e)
    return redirect("assistance:programme_detail", p.pk)


@login_required
@require_POST
def household_cap(request):
    require(request.user, Cap.ASSIST)
    form = CapForm(request.POST, actor=request.user)
    if form.is_valid():
        try:
            svc.household_cap_set(actor=request.user, node=form.cleaned_data["node"], year=form.cleaned_data["year"],
                                  cap_fen=YuanField.fen(form.cleaned_data["cap"]))
            messages.success(request, _("每户年度上限已保存"))
        except ValidationError as e:
            _error_message(request, e)
    else:
        for errs in form.errors.values():
            for e in errs:
                messages.error(request, e)
    return redirect("assistance:programme_list")


@login_required
@require_GET
def application_list(request):
    staff = require(request.user, Cap.VIEW)
    form = ApplicationFilterForm(request.GET or None)
    f = form.cleaned_data if form.is_valid() else {}
    qs = sel.applications_for_actor(request.user, status=f.get("status") or "", programme_id=f.get("programme"),
                                    q=(f.get("q") or "").strip())
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "assistance/application_list.html", {
        "form": form, "page_obj": page, "can_assist": staff.can(Cap.ASSIST),
        "queue_count": sel.approval_queue(request.user).count() if staff.can(Cap.APPROVE) else None,
        "statuses": ApplicationStatus.choices, "status": f.get("status") or "",
    })


@login_required
@require_GET
def approval_queue(request):
    require(request.user, Cap.APPROVE)
    rows = sel.approval_queue_rows(request.user)
    return render(request, "assistance/approval_queue.html", {
        "rows": rows, "actionable": sum(1 for r in rows if not r.blocked)})


def _file_by_no(actor, file_no: str) -> HardshipFile | None:
    f = HardshipFile.objects.filter(file_no=file_no.strip()).select_related("head").first()
    if f is None or not path_in_scope(actor, f.node_path):
        return None
    return f


@login_required
@require_http_methods(["GET", "POST"])
def application_create(request):
    require(request.user, Cap.ASSIST)
    programmes = sel.programmes_for_actor(request.user, status=ProgrammeStatus.OPEN)
    initial = {"programme": request.GET.get("programme"), "file_no": request.GET.get("file_no", "")}
    if request.GET.get("file"):
        f = HardshipFile.objects.filter(pk=request.GET["file"]).first() if request.GET["file"].isdigit() else None
        if f is not None and path_in_scope(request.user, f.node_path):
            initial["file_no"] = f.file_no
    form = ApplicationForm(request.POST or None, programmes=programmes, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        file = _file_by_no(request.user, d["file_no"])
        if file is None:
            form.add_error("file_no", _("找不到该档案或不在您的管辖范围内"))
        else:
            try:
                app = svc.aid_application_create(actor=request.user, programme=d["programme"], file=file,
                                                 amount_fen=YuanField.fen(d["amount"]), reason=d["reason"])
            except ValidationError as e:
                apply_service_errors(form, e, {"amount_fen": "amount", "file": "file_no"})
            else:
                orphaned = request.POST.get("submit_now") and approval.approval_chain(
                    app, extra_parties=[request.user]).orphaned
                if orphaned:
                    # Not submitted blind: the chain has a step nobody can act on; the page shows it.
                    messages.warning(request, _("申请已保存为草稿，尚未提交：审批链中“%(n)s”暂无可审批人员，请查看审批链后再提交")
                                     % {"n": "、".join(s.node.name for s in orphaned)})
                elif request.POST.get("submit_now"):
                    try:
                        svc.aid_application_submit(actor=request.user, application=app)
                        messages.success(request, _("申请已提交审批"))
                    except ValidationError as e:
                        _error_message(request, e)
                else:
                    messages.success(request, _("申请已保存为草稿"))
                return redirect("assistance:application_detail", app.pk)
    open_files = HardshipFile.objects.filter(node_path__startswith=request.user.staff.node.path,
                                             status=FileStatus.OPEN).select_related("head").order_by("file_no")[:200]
    return render(request, "assistance/application_form.html", {"form": form, "open_files": open_files})


@login_required
@require_GET
def application_detail(request, pk: int):
    staff = require(request.user, Cap.VIEW)
    app = sel.application_get_for_actor(request.user, pk)
    steps = sel.steps_of(app)
    rounds: dict[int, list] = {}
    for s in steps:
        rounds.setdefault(s.round, []).append(s)
    step = approval.current_step(app) if app.status == ApplicationStatus.SUBMITTED else None
    can_edit = staff.can(Cap.ASSIST) and app.status in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED)
    # The chain (who can act at each step) while it matters: before submission (as it would be for
    # whoever submits it now) and while it is being decided.
    chain = None
    if app.status in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED, ApplicationStatus.SUBMITTED):
        chain = approval.approval_chain(app, extra_parties=[request.user] if can_edit else ())
    current = chain.current if chain else None
    may = current.may_act(request.user.pk) if current and staff.can(Cap.APPROVE) else ""
    can_decide = bool(step and may)
    acting_for = current.node if may == "acting" else None
    blocked = ""
    if current and staff.can(Cap.APPROVE) and not may and staff.node_id in (
            current.node.pk, current.acting_node.pk if current.acting_node else None):
        blocked = chain.blocked_reason(request.user.pk)
    notice_entry = getattr(app, "notice_entry", None) if hasattr(app, "notice_entry") else None
    payout = app.payout if hasattr(app, "payout") else None
    return render(request, "assistance/application_detail.html", {
        "app": app, "rounds": sorted(rounds.items(), reverse=True), "step": step, "can_decide": can_decide,
        "decide_form": DecideForm(acting_for=acting_for) if can_decide else None, "can_edit": can_edit,
        "chain": chain, "acting_for": acting_for, "blocked": blocked,
        "can_withdraw": staff.can(Cap.ASSIST) and app.status in (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED,
                                                                 ApplicationStatus.RETURNED),
        "edit_form": ApplicationEditForm(initial={"amount": app.amount_requested_fen / 100, "reason": app.reason})
        if can_edit else None,
        "notice_entry": notice_entry, "payout": payout, "causes": list(app.file.causes.all()),
    })


@login_required
@require_POST
def application_action(request, pk: int, action: str):
    app = sel.application_get_for_actor(request.user, pk)
    # Refused before the form is read (a 403, not a form error): deciding is approvers' work, the rest
    # the assistance staff's.
    require(request.user, Cap.APPROVE if action == "decide" else Cap.ASSIST)
    try:
        if action == "submit":
            svc.aid_application_submit(actor=request.user, application=app)
            messages.success(request, _("申请已提交审批"))
        elif action == "withdraw":
            svc.aid_application_withdraw(actor=request.user, application=app)
            messages.success(request, _("申请已撤回"))
        elif action == "edit":
            form = ApplicationEditForm(request.POST)
            if not form.is_valid():
                for errs in form.errors.values():
                    for e in errs:
                        messages.error(request, e)
            else:
                svc.aid_application_update(actor=request.user, application=app,
                                           amount_fen=YuanField.fen(form.cleaned_data["amount"]),
                                           reason=form.cleaned_data["reason"])
                messages.success(request, _("申请已修改"))
        elif action == "decide":
            # The reason field only for whom the chain lets act for the step; anyone else is refused by
            # the service (403), not asked for a reason.
            current = approval.approval_chain(app).current
            acting_for = current.node if current and current.may_act(request.user.pk) == "acting" else None
            form = DecideForm(request.POST, acting_for=acting_for)
            if not form.is_valid():
                for errs in form.errors.values():
                    for e in errs:
                        messages.error(request, e)
            else:
                d = form.cleaned_data
                approval.approval_decide(actor=request.user, application=app, decision=d["decision"],
                                         comment=d["comment"], amount_fen=YuanField.fen(d["amount"]),
                                         acting_reason=d.get("acting_reason", ""))
                messages.success(request, _("审批意见已提交"))
        else:
            raise Http404
    except ValidationError as e:
        _error_message(request, e)
    except DutyConflict as e:  # said on the page, not a bare 403: the rule is the answer
        messages.error(request, str(e))
    return redirect("assistance:application_detail", app.pk)

