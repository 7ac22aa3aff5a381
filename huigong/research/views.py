"""Console pages of the research programme. VIEW reads; RESEARCH keeps the guide and the teams' work;
APPROVE decides applications; MONEY pays tranches. Every page checks its capability first, then finds
its object through a scoped selector (another subtree's id is a 404), then calls one service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q, Sum
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huigong.core import banksheet
from huigong.core.files import file_response
from huigong.core.outcomes import kpis as tracked
from huigong.core.outcomes import selectors as outcome_selectors
from huigong.core.outcomes.models import TrackedItem
from huigong.core.scope import require, staff_of
from huigong.orgs.forms import apply_service_errors
from huigong.orgs.models import UnionNode

from . import forms, payments, selectors, services
from .models import (
    LIVE,
    Award,
    FieldworkLog,
    MemberRole,
    ProgrammeStatus,
    ProjectStatus,
    Recommendation,
    ReportStatus,
    TeamMember,
    TrancheBatch,
)
from .outcomes import KIND

VIEW, RESEARCH, APPROVE, MONEY = "view", "research", "approve", "money"


def _error(request, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for errs in exc.message_dict.values():
            for e in errs:
                messages.error(request, e)
    else:
        messages.error(request, "；".join(exc.messages))


def _form_errors(request, form) -> None:
    for field, errs in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for e in errs:
            messages.error(request, f"{label}：{e}" if label else e)


# --- the brand's page and programmes ---------------------------------------------------------------------


@login_required
@require_GET
def home(request):
    """The brand's page (e.g. 新音台): its programmes, figures (topics, reports, policies adopted), the
    fieldwork that stands out and the awards, over what the actor can see."""
    staff = require(request.user, VIEW)
    programmes = list(selectors.programme_list_for_actor(request.user))
    mine = staff.node.path
    # Figures count the actor's subtree only: a district sees its own teams of the city's programme.
    ids = [p.pk for p in programmes]
    figures = selectors.programme_figures(ids)
    projects = selectors.project_list_for_actor(request.user).filter(programme_id__in=ids)
    # Recommendations tracked in the actor's subtree, or made by the actor's own teams (a district sees
    # the fate of its teams' recommendations, tracked by the city).
    items = TrackedItem.objects.filter(Q(node__path__startswith=mine)
                                       | Q(research_recommendation__report__project__node_path__startswith=mine),
                                       kind=KIND).distinct()
    outcome = tracked.summary(items)
    top_fieldwork = (FieldworkLog.objects.filter(project__in=projects, orders__gt=0)
                     .values("project_id", "project__team_name", "cadre").annotate(orders=Sum("orders"))
                     .order_by("-orders")[:5])
    awards = Award.objects.filter(project__in=projects).select_related("project", "project__topic")[:10]
    return render(request, "research/home.html", {
        "programmes": programmes, "figures": figures, "outcome": outcome, "top_fieldwork": top_fieldwork,
        "awards": awards, "can_write": staff.can(RESEARCH),
        "reports": projects.filter(status=ProjectStatus.COMPLETED).count(),
    })


@login_required
@require_http_methods(["GET", "POST"])
def programme_create(request):
    staff = require(request.user, RESEARCH)
    form = forms.ProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            p = services.programme_create(actor=request.user, node=staff.node, **form.service_kwargs())
        except ValidationError as e:
            apply_service_errors(form, e, {"budget_fen": "budget_yuan"})
        else:
            messages.success(request, _("已创建调研计划：%(t)s（草稿，请添加选题后开放申报）") % {"t": p.title})
            return redirect("research:programme_detail", pk=p.pk)
    return render(request, "research/programme_form.html", {"form": form})


@login_required
@require_GET
def programme_detail(request, pk: int):
    staff = require(request.user, VIEW)
    programme = selectors.programme_get_for_actor(request.user, pk)
    manages = programme.node_path.startswith(staff.node.path)
    projects = list(selectors.project_list_for_actor(request.user, programme=programme))
    batches = (TrancheBatch.objects.filter(programme=programme, node_path__startswith=staff.node.path)
               .annotate(total=Sum("payments__amount_fen")) if staff.can(MONEY) else [])
    return render(request, "research/programme_detail.html", {
        "programme": programme, "topics": programme.topics.all(), "rules": programme.rules.all(),
        "projects": projects, "batches": batches, "manages": manages,
        "can_manage": manages and staff.can(RESEARCH), "can_apply": staff.can(RESEARCH)
        and programme.status == ProgrammeStatus.OPEN, "can_pay": manages and staff.can(MONEY),
        "topic_form": forms.TopicForm(), "rule_form": forms.RuleForm(),
        "figures": selectors.programme_figures([programme.pk]),
    })


@login_required
@require_POST
def programme_action(request, pk: int, action: str):
    require(request.user, RESEARCH)
    programme = selectors.programme_get_for_actor(request.user, pk)
    try:
        services.programme_transition(actor=request.user, programme=programme, action=action)
    except ValidationError as e:
        _error(request, e)
    return redirect("research:programme_detail", pk=programme.pk)


@login_required
@require_POST
def topic_add(request, pk: int):
    require(request.user, RESEARCH)
    programme = selectors.programme_get_for_actor(request.user, pk)
    form = forms.TopicForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        d = form.cleaned_data
        try:
            services.topic_add(actor=request.user, programme=programme, title=d["title"], area=d["area"],
                               description=d["description"], max_fen=forms.to_fen(d["max_yuan"]))
        except ValidationError as e:
            _error(request, e)
        else:
            messages.success(request, _("已添加选题：%(t)s") % {"t": d["title"]})
    return redirect("research:programme_detail", pk=programme.pk)


@login_required
@require_POST
def rule_set(request, pk: int):
    require(request.user, RESEARCH)
    programme = selectors.programme_get_for_actor(request.user, pk)
    form = forms.RuleForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        d = form.cleaned_data
        try:
            services.rule_set(actor=request.user, programme=programme, kind=d["kind"], value=d["value"],
                              age_limit=d["age_limit"])
        except ValidationError as e:
            _error(request, e)
        else:
            messages.success(request, _("已更新团队组成规则"))
    return redirect("research:programme_detail", pk=programme.pk)


# --- projects --------------------------------------------------------------------------------------------


def _node_choices(actor, programme):
    mine = staff_of(actor).node.path
    base = mine if mine.startswith(programme.node_path) else programme.node_path
    return UnionNode.objects.filter(path__startswith=base, depth__lte=len(base) // 4 + 1).order_by("path")


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request, pk: int):
    require(request.user, RESEARCH)
    programme = selectors.programme_get_for_actor(request.user, pk)
    nodes = _node_choices(request.user, programme)
    form = forms.ProjectForm(request.POST or None, programme=programme, nodes=nodes,
                             initial={"node": staff_of(request.user).node_id})
    if request.method == "POST" and form.is_valid():
        try:
            p = services.project_create(actor=request.user, programme=programme, **form.service_kwargs())
        except ValidationError as e:
            apply_service_errors(form, e, {"requested_fen": "requested_yuan"})
        else:
            messages.success(request, _("已保存申报草稿，请添加调研队成员后提交"))
            return redirect("research:project_detail", pk=p.pk)
    return render(request, "research/project_form.html", {"form": form, "programme": programme})


@login_required
@require_GET
def project_detail(request, pk: int):
    staff = require(request.user, VIEW)
    p = selectors.project_get_for_actor(request.user, pk)
    programme = p.programme
    team = list(p.team.all())
    manages = programme.node_path.startswith(staff.node.path) and staff.can(RESEARCH)
    team_side = staff.can(RESEARCH)
    chain = services.approval_chain(p)
    step = chain.current
    reports = list(p.reports.all())
    recs = list(Recommendation.objects.filter(report__project=p).select_related("report", "item", "item__node")
                .order_by("report__version", "seq"))
    links = outcome_selectors.links_by_item([rec.item_id for rec in recs], request.user)
    for rec in recs:  # the tracker's page is the tracking union's (the programme's): link it where it opens
        rec.can_open = rec.item is not None and rec.item.node.path.startswith(staff.node.path)
        rec.links = links.get(rec.item_id, [])  # e.g. the check-up finding it came from, read only
    year = programme.year
    for m in team:
        m.age = year - m.birth_year
    fieldwork = list(p.fieldwork.all())
    return render(request, "research/project_detail.html", {
        "p": p, "programme": programme, "team": team, "chain": chain, "reports": reports, "recs": recs,
        "fieldwork": fieldwork, "totals": {"orders": sum(f.orders for f in fieldwork),
                                           "people": sum(f.people for f in fieldwork),
                                           "hours": sum(f.hours for f in fieldwork)},
        "tranches": list(p.tranches.select_related("payment")), "awards": list(p.awards.all()),
        "problems": services.team_problems(programme, team) if p.status in (ProjectStatus.DRAFT,
                                                                               ProjectStatus.RETURNED) else [],
        "editable": team_side and p.status in (ProjectStatus.DRAFT, ProjectStatus.RETURNED),
        "can_fieldwork": team_side and p.status in LIVE,
        "can_decide": staff.can(APPROVE) and p.status == ProjectStatus.SUBMITTED and step is not None
        and bool(step.may_act(request.user.pk)),
        "blocked": chain.blocked_reason(request.user.pk) if step is not None else "",
        "can_midterm": manages and p.status == ProjectStatus.FIELDWORK,
        "can_report": team_side and p.status == ProjectStatus.MIDTERM
        and not any(r.status == ReportStatus.SUBMITTED for r in reports),
        "pending_report": next((r for r in reports if r.status == ReportStatus.SUBMITTED), None) if manages else None,
        "can_award": manages and p.status == ProjectStatus.COMPLETED,
        "member_form": forms.MemberForm(initial={"role": MemberRole.MEMBER}),
        "fieldwork_form": forms.FieldworkForm(initial={"occurred_on": timezone.localdate()}),
        "decide_form": forms.DecideForm(), "midterm_form": forms.MidtermForm(), "report_form": forms.ReportForm(),
        "report_decide_form": forms.ReportDecideForm(),
        "award_form": forms.AwardForm(initial={"awarded_on": timezone.localdate()}),
    })


@login_required
@require_POST
def project_team(request, pk: int):
    require(request.user, RESEARCH)
    p = selectors.project_get_for_actor(request.user, pk)
    try:
        if request.POST.get("remove"):
            member = TeamMember.objects.filter(project=p, pk=request.POST["remove"]).first()
            if member is None:
                raise ValidationError(_("该成员不存在"))
            services.team_member_remove(actor=request.user, member=member)
        else:
            form = forms.MemberForm(request.POST)
            if not form.is_valid():
                _form_errors(request, form)
                return redirect("research:project_detail", pk=p.pk)
            services.team_member_add(actor=request.user, project=p, **form.cleaned_data)
    except ValidationError as e:
        _error(request, e)
    return redirect("research:project_detail", pk=p.pk)


@login_required
@require_POST
def project_submit(request, pk: int):
    require(request.user, RESEARCH)
    p = selectors.project_get_for_actor(request.user, pk)
    try:
        services.project_submit(actor=request.user, project=p)
    except ValidationError as e:
        _error(request, e)
    else:
        messages.success(request, _("已提交立项审批"))
    return redirect("research:project_detail", pk=p.pk)


@login_required
@require_POST
def project_decide(request, pk: int):
    require(request.user, APPROVE)
    p = selectors.project_get_for_actor(request.user, pk)
    form = forms.DecideForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("research:project_detail", pk=p.pk)
    d = form.cleaned_data
    amount = forms.to_fen(d["amount_yuan"]) if d["amount_yuan"] is not None else None
    try:
        services.project_decide(actor=request.user, project=p, decision=d["decision"], comment=d["comment"],
                                amount_fen=amount, acting_reason=d["acting_reason"])
    except ValidationError as e:
        _error(request, e)
    else:
        messages.success(request, _("已记录审批意见"))
    return redirect("research:project_detail", pk=p.pk)


@login_required
@require_POST
def fieldwork_add(request, pk: int):
    require(request.user, RESEARCH)
    p = selectors.project_get_for_actor(request.user, pk)
    form = forms.FieldworkForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            services.fieldwork_record(actor=request.user, project=p, **form.cleaned_data)
        except ValidationError as e:
            _error(request, e)
        else:
            messages.success(request, _("已记录调研日志"))
    return redirect(reverse("research:project_detail", args=[p.pk]) + "#fieldwork")


@login_required
@require_POST
def midterm(request, pk: int):
    require(request.user, RESEARCH)
    p = selectors.project_get_for_actor(request.user, pk)
    form = forms.MidtermForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            services.midterm_check(actor=request.user, project=p, **form.cleaned_data)
        except ValidationError as e:
            _error(request, e)
        else:
            messages.success(request, _("已记录中期检查结论"))
    return redirect("research:project_detail", pk=p.pk)


@login_required
@require_POST
def report_upload(request, pk: int):
    require(request.user, RESEARCH)
    p = selectors.project_get_for_actor(request.user, pk)
    form = forms.ReportForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        d = form.cleaned_data
        try:
            r = services.report_submit(actor=request.user, project=p, title=d["title"], upload=d["file"],
                                       recommendations=d["recommendations"])
        except ValidationError as e:
            _error(request, e)
        else:
            messages.success(request, _("已提交报告（%(n)d 字，最高重复率 %(s)d%%），等待验收")
                             % {"n": r.char_count, "s": r.similarity})
    return redirect("research:project_detail", pk=p.pk)


@login_required
@require_GET
def report_file(request, pk: int):
    require(request.user, VIEW)
    r = selectors.report_get_for_actor(request.user, pk)
    return file_response(r.file, actor=request.user, object_type="research.report", object_id=r.pk,
                         node_path=r.project.node_path, purpose=_("查阅调研报告"), content_type=r.content_type,
                         filename=f"{r.title}-v{r.version}.{r.extension}")


@login_required
@require_POST
def report_decide(request, pk: int):
    require(request.user, RESEARCH)
    r = selectors.report_get_for_actor(request.user, pk)
    form = forms.ReportDecideForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            services.report_decide(actor=request.user, report=r, accept=form.cleaned_data["accept"] == "1",
                                   comment=form.cleaned_data["comment"])
        except ValidationError as e:
            _error(request, e)
        else:
            messages.success(request, _("已记录验收结论"))
    return redirect("research:project_detail", pk=r.project_id)


@login_required
@require_POST
def award(request, pk: int):
    require(request.user, RESEARCH)
    p = selectors.project_get_for_actor(request.user, pk)
    form = forms.AwardForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            services.award_give(actor=request.user, project=p, **form.cleaned_data)
        except ValidationError as e:
            _error(request, e)
        else:
            messages.success(request, _("已记录奖项"))
    return redirect("research:project_detail", pk=p.pk)


# --- tranche payments --------------------------------------------------------------------------------------


@login_required
@require_POST
def batch_create(request, pk: int):
    require(request.user, MONEY)
    programme = selectors.programme_get_for_actor(request.user, pk)
    try:
        batch, skipped = payments.batch_create(actor=request.user, programme=programme)
    except ValidationError as e:
        _error(request, e)
        return redirect("research:programme_detail", pk=programme.pk)
    for s in skipped:
        messages.warning(request, s)
    return redirect("research:batch_detail", pk=batch.pk)


@login_required
@require_GET
def batch_detail(request, pk: int):
    require(request.user, MONEY)
    batch = selectors.batch_get_for_actor(request.user, pk)
    rows = list(batch.payments.select_related("tranche", "tranche__project", "tranche__project__topic")
                .order_by("pk"))
    return render(request, "research/batch_detail.html", {
        "batch": batch, "rows": rows, "total": sum(r.amount_fen for r in rows),
        "results_form": forms.ResultsForm(), "can_full": staff_of(request.user).can("pii_full")})


@login_required
@require_POST
def batch_sheet(request, pk: int):
    require(request.user, MONEY)
    batch = selectors.batch_get_for_actor(request.user, pk)
    attempt = request.POST.get("attempt")
    try:
        sheet = payments.bank_sheet(actor=request.user, batch=batch, full=request.POST.get("full") == "1",
                                    attempt=int(attempt) if attempt and attempt.isdigit() else None)
    except ValidationError as e:
        _error(request, e)
        return redirect("research:batch_detail", pk=batch.pk)
    return banksheet.download(sheet.content, sheet.filename)


@login_required
@require_POST
def batch_results(request, pk: int):
    require(request.user, MONEY)
    batch = selectors.batch_get_for_actor(request.user, pk)
    form = forms.ResultsForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("research:batch_detail", pk=batch.pk)
    try:
        counts = payments.import_results(actor=request.user, batch=batch, data=form.cleaned_data["file"].read())
    except ValidationError as e:
        _error(request, e)
    else:
        messages.success(request, _("回盘已导入：到账 %(p)d 笔，失败 %(f)d 笔") % {"p": counts.get("paid", 0),
                                                                           "f": counts.get("failed", 0)})
    return redirect("research:batch_detail", pk=batch.pk)


@login_required
@require_POST
def payment_action(request, pk: int, action: str):
    require(request.user, MONEY)
    pay = selectors.payment_get_for_actor(request.user, pk)
    form = forms.PaymentActionForm(request.POST)
    form.is_valid()
    d = form.cleaned_data
    try:
        if action == "paid":
            payments.mark_paid(actor=request.user, payment=pay, bank_reference=d.get("bank_reference", ""))
        elif action == "failed":
            payments.mark_failed(actor=request.user, payment=pay, reason=d.get("reason", ""))
        elif action == "retry":
            payments.retry(actor=request.user, payment=pay)
        else:
            raise ValidationError(_("无效的操作"))
    except ValidationError as e:
        _error(request, e)
    return redirect("research:batch_detail", pk=pay.batch_id)


@login_required
@require_GET
def project_pdf(request, pk: int):
    """The project's 调研成果报告 as a Chinese PDF: team, fieldwork, the accepted report, each recommendation
    and its outcome (adopted, with the policies' document numbers)."""
    from huigong.core.pdf import PdfUnavailable

    from .pdfs import project_report_pdf

    require(request.user, VIEW)
    p = selectors.project_get_for_actor(request.user, pk)
    try:
        body = project_report_pdf(p)
    except PdfUnavailable as exc:
        return render(request, "research/pdf_unavailable.html", {"reason": str(exc)}, status=503)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="research-project-{p.pk}.pdf"'
    return response


SHOWCASE_SIZE = 50


@login_required
@require_GET
def showcase(request):
    """The brand's showcase: finished projects with their accepted reports, and the recommendations adopted
    as policies (closed in the outcome tracker, with the policies' document numbers), over what the actor
    can see: projects of its subtree, and recommendations tracked in it or made by its own teams."""
    from huigong.core.outcomes.models import Evidence, EvidenceKind
    from huigong.core.outcomes.models import Status as ItemStatus

    from .models import Report, ReportStatus

    staff = require(request.user, VIEW)
    mine = staff.node.path
    completed = selectors.project_list_for_actor(request.user, status=ProjectStatus.COMPLETED)
    reports = list(Report.objects.filter(project__in=completed, status=ReportStatus.ACCEPTED)
                   .select_related("project__topic", "project__programme", "project__node")
                   .annotate(orders=Sum("project__fieldwork__orders"))
                   .order_by("-project__programme__year", "-decided_at", "-id")[:SHOWCASE_SIZE])
    adopted = list(Recommendation.objects.filter(
        Q(item__node__path__startswith=mine) | Q(report__project__node_path__startswith=mine),
        item__status=ItemStatus.CLOSED).select_related("item__node", "report__project__topic", "report__project__programme")
        .distinct().order_by("-item__ended_at", "-id")[:SHOWCASE_SIZE])
    policies: dict[int, list[str]] = {}
    for item_id, number in (Evidence.objects.filter(item_id__in=[r.item_id for r in adopted], kind=EvidenceKind.POLICY)
                            .exclude(doc_number="").order_by("added_at", "id").values_list("item_id", "doc_number")):
        policies.setdefault(item_id, []).append(number)
    for rec in adopted:
        rec.policies = policies.get(rec.item_id, [])
        rec.can_open = rec.item.node.path.startswith(mine)  # the tracker's page is the tracking union's
    return render(request, "research/showcase.html", {"reports": reports, "adopted": adopted})
