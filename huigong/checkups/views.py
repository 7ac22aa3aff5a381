"""Console pages of the check-ups. Thin: scoped selector, capability, form, service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huigong.core import scope
from huigong.core.duties import DutyConflict
from huigong.core.files import file_response
from huigong.core.outcomes import selectors as outcome_selectors
from huigong.core.outcomes.models import Status as ItemStatus
from huigong.core.pdf import PdfUnavailable
from huigong.orgs.models import Enterprise

from . import forms, pdfs, selectors, services
from .models import Answer, ExamStatus, Response, Severity

CAP = services.CAP


def _can(request) -> bool:
    return scope.staff_of(request.user).can(CAP)


def _errors(request, exc: ValidationError) -> None:
    messages.error(request, "；".join(exc.messages))


def _pdf(request, render_fn, filename: str) -> HttpResponse:
    try:
        body = render_fn()
    except PdfUnavailable as exc:
        return render(request, "checkups/pdf_unavailable.html", {"reason": str(exc)}, status=503)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# --- campaigns -------------------------------------------------------------------------------------------


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    campaigns = list(selectors.campaigns_for_actor(request.user).order_by("-year", "-id")[:50])
    reports = {c.pk: selectors.campaign_report_cached(c) for c in campaigns[:5]}
    for c in campaigns:
        c.report = reports.get(c.pk)
    root = scope.root_path(request.user)
    mine = (selectors.exams_for_actor(request.user).exclude(campaign__node__path__startswith=root)
            .order_by("-campaign__year", "enterprise__name")[:100])
    return render(request, "checkups/home.html", {"campaigns": campaigns, "mine": mine, "can_write": _can(request)})


@require_http_methods(["GET", "POST"])
@login_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    staff = scope.require(request.user, CAP)
    templates = selectors.templates_for_actor(request.user).filter(active=True)
    form = forms.CampaignForm(request.POST or None, templates=templates)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            c = services.campaign_create(actor=request.user, node=staff.node, title=d["title"], kind=d["kind"],
                                         year=d["year"], templates=d["templates"], starts_on=d["starts_on"],
                                         ends_on=d["ends_on"], reply_days=d["reply_days"],
                                         rectify_days=d["rectify_days"], return_visit_days=d["return_visit_days"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("已创建体检活动"))
            return redirect("checkups:campaign", pk=c.pk)
    return render(request, "checkups/campaign_form.html", {"form": form, "has_templates": templates.exists()})


@require_GET
@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    c = selectors.campaign_get_for_actor(request.user, pk)
    exams = selectors.exams_for_actor(request.user, c).order_by("enterprise__name", "id")
    status = request.GET.get("status", "")
    if status in ExamStatus.values:
        exams = exams.filter(status=status)
    page = Paginator(exams, 50).get_page(request.GET.get("page"))
    not_enrolled = (Enterprise.objects.filter(union__path__startswith=c.node.path)
                    .exclude(pk__in=c.examinations.values("enterprise_id")).count())
    return render(request, "checkups/campaign.html", {
        "c": c, "page_obj": page, "r": selectors.campaign_report_cached(c), "not_enrolled": not_enrolled,
        "statuses": ExamStatus.choices, "status": status, "can_write": _can(request)})


@require_POST
@login_required
def campaign_enroll(request: HttpRequest, pk: int) -> HttpResponse:
    c = selectors.campaign_get_for_actor(request.user, pk)
    scope.require(request.user, CAP)
    enterprises = Enterprise.objects.filter(union__path__startswith=c.node.path).select_related("union")
    try:
        added = services.campaign_enroll(actor=request.user, campaign=c, enterprises=enterprises)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("已加入 %(n)d 家企业") % {"n": added})
    return redirect("checkups:campaign", pk=c.pk)


@require_GET
@login_required
def campaign_report(request: HttpRequest, pk: int) -> HttpResponse:
    c = selectors.campaign_get_for_actor(request.user, pk)
    r = selectors.campaign_report_cached(c)
    return render(request, "checkups/report.html", {"c": c, "r": r})


@require_GET
@login_required
def campaign_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    c = selectors.campaign_get_for_actor(request.user, pk)
    return _pdf(request, lambda: pdfs.campaign_report_pdf(c, selectors.campaign_report_cached(c)), f"campaign-{c.pk}.pdf")


# --- templates -------------------------------------------------------------------------------------------


@require_GET
@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    return _template_list(request, forms.SeedForm())


def _template_list(request, seed_form, status=200):
    templates = selectors.templates_for_actor(request.user).order_by("kind", "name", "id")
    return render(request, "checkups/templates.html", {"templates": templates, "seed_form": seed_form,
                                                       "can_write": _can(request)}, status=status)


@require_POST
@login_required
def template_seed(request: HttpRequest) -> HttpResponse:
    staff = scope.require(request.user, CAP)
    form = forms.SeedForm(request.POST)
    if not form.is_valid():
        return _template_list(request, form)
    t = services.template_seed(actor=request.user, node=staff.node, kind=form.cleaned_data["kind"])
    messages.success(request, _("已按起始模板建立清单，可修改条目和权重"))
    return redirect("checkups:template", pk=t.pk)


@require_http_methods(["GET", "POST"])
@login_required
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    t = selectors.template_get_for_actor(request.user, pk)
    editable = selectors.template_editable(request.user, t)
    form = forms.TemplateItemForm(request.POST or None)
    if request.method == "POST":
        scope.require(request.user, CAP)
        if not editable:
            raise scope.OutOfScope
        if form.is_valid():
            try:
                services.template_item_add(actor=request.user, template=t, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("已添加条目"))
                return redirect("checkups:template", pk=t.pk)
    items = list(t.items.all())
    return render(request, "checkups/template.html", {"t": t, "items": items, "form": form, "editable": editable,
                                                      "total_weight": sum(i.weight for i in items)})


@require_POST
@login_required
def template_item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    from .models import TemplateItem

    item = TemplateItem.objects.select_related("template__node").filter(pk=pk).first()
    if item is None:
        raise scope.OutOfScope
    t = selectors.template_get_for_actor(request.user, item.template_id)
    scope.require(request.user, CAP)
    if not selectors.template_editable(request.user, t):
        raise scope.OutOfScope
    form = forms.TemplateItemForm(request.POST)
    if form.is_valid():
        try:
            services.template_item_update(actor=request.user, item=item, **form.cleaned_data)
            messages.success(request, _("已保存"))
        except ValidationError as exc:
            _errors(request, exc)
    else:
        messages.error(request, "；".join(f"{form.fields[k].label}：{v[0]}" for k, v in form.errors.items()))
    return redirect("checkups:template", pk=t.pk)


# --- one enterprise ------------------------------------------------------------------------------------


@require_GET
@login_required
def exam_detail(request: HttpRequest, pk: int) -> HttpResponse:
    exam = selectors.exam_get_for_actor(request.user, pk)
    ctx = selectors.exam_report(exam)
    # The tracker's links of each finding (e.g. a finding that led to a research recommendation), read only.
    links = outcome_selectors.links_by_item([f.item_id for f in ctx["findings"]], request.user)
    for f in ctx["findings"]:
        f.links = links.get(f.item_id, [])
    open_findings = exam.findings.filter(instrument__isnull=True)
    ctx.update({
        "can_write": _can(request), "finding_form": forms.FindingForm(),
        "instrument_form": forms.InstrumentForm(findings=open_findings), "has_open_findings": open_findings.exists(),
        "reply_form": forms.ReplyForm(initial={"replied_on": timezone.localdate()}),
        "photos": list(exam.responses.exclude(photo="").select_related("template_item")),
    })
    return render(request, "checkups/exam.html", ctx)


def _answers_from_post(request, items, *, with_photos: bool) -> dict:
    answers = {}
    for it in items:
        a = request.POST.get(f"answer_{it.pk}", "")
        if not a:
            continue
        answers[it.pk] = {"answer": a, "note": request.POST.get(f"note_{it.pk}", ""),
                          "severity": request.POST.get(f"severity_{it.pk}", "") or None,
                          "recommendation": request.POST.get(f"rec_{it.pk}", "")}
        if with_photos and request.FILES.get(f"photo_{it.pk}"):
            answers[it.pk]["photo"] = request.FILES[f"photo_{it.pk}"]
    return answers


@require_http_methods(["GET", "POST"])
@login_required
def self_assess(request: HttpRequest, pk: int) -> HttpResponse:
    exam = selectors.exam_get_for_actor(request.user, pk)
    scope.require(request.user, CAP)
    items = services.checklist(exam.campaign)
    errors = []
    if request.method == "POST":
        try:
            services.self_assessment_save(actor=request.user, exam=exam,
                                          answers=_answers_from_post(request, items, with_photos=False))
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, _("自查结果已保存"))
            return redirect("checkups:exam", pk=exam.pk)
    given = {r.template_item_id: r for r in exam.responses.filter(stage=Response.Stage.SELF)}
    for it in items:
        it.given = given.get(it.pk)
        it.posted = request.POST.get(f"answer_{it.pk}", it.given.answer if it.given else "")
    return render(request, "checkups/self_assess.html", {"exam": exam, "items": items, "errors": errors,
                                                         "answers": Answer.choices},
                  status=400 if errors else 200)


@require_http_methods(["GET", "POST"])
@login_required
def visit(request: HttpRequest, pk: int) -> HttpResponse:
    """The visit on a phone: one card per checklist item (result, note, photo, severity)."""
    exam = selectors.exam_get_for_actor(request.user, pk)
    scope.require(request.user, CAP)
    items = services.checklist(exam.campaign)
    head = forms.VisitHeadForm(request.POST or None, initial={
        "visited_on": timezone.localdate(), "workers_covered": exam.workers_covered})
    errors = []
    if request.method == "POST" and head.is_valid():
        d = head.cleaned_data
        try:
            with transaction.atomic():
                found = services.visit_record(actor=request.user, exam=exam, visited_on=d["visited_on"], team=d["team"],
                                              workers_covered=d["workers_covered"],
                                              answers=_answers_from_post(request, items, with_photos=True))
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, _("现场体检已登记，发现问题 %(n)d 条") % {"n": len(found)})
            return redirect("checkups:exam", pk=exam.pk)
    self_answers = {r.template_item_id: r for r in exam.responses.filter(stage=Response.Stage.SELF)}
    for it in items:
        it.self_answer = self_answers.get(it.pk)
        it.posted = request.POST.get(f"answer_{it.pk}", "")
        it.posted_note = request.POST.get(f"note_{it.pk}", "")
    return render(request, "checkups/visit.html", {
        "exam": exam, "items": items, "head": head, "errors": errors, "answers": Answer.choices,
        "severities": Severity.choices, "done": exam.status in (ExamStatus.VISITED, ExamStatus.RETURN_VISITED)},
        status=400 if (errors or head.errors) else 200)


@require_POST
@login_required
def finding_add(request: HttpRequest, pk: int) -> HttpResponse:
    exam = selectors.exam_get_for_actor(request.user, pk)
    scope.require(request.user, CAP)
    form = forms.FindingForm(request.POST)
    if form.is_valid():
        try:
            services.finding_add(actor=request.user, exam=exam, **form.cleaned_data)
            messages.success(request, _("已登记问题"))
        except ValidationError as exc:
            _errors(request, exc)
    else:
        messages.error(request, "；".join(f"{form.fields[k].label}：{v[0]}" for k, v in form.errors.items()))
    return redirect("checkups:exam", pk=exam.pk)


@require_POST
@login_required
def instrument_issue(request: HttpRequest, pk: int) -> HttpResponse:
    exam = selectors.exam_get_for_actor(request.user, pk)
    scope.require(request.user, CAP)
    form = forms.InstrumentForm(request.POST, findings=exam.findings.filter(instrument__isnull=True))
    if form.is_valid():
        d = form.cleaned_data
        try:
            inst = services.instrument_issue(actor=request.user, exam=exam, kind=d["kind"], findings=d["findings"],
                                             reply_days=d["reply_days"])
            messages.success(request, _("已发出 %(kind)s %(number)s") % {"kind": inst.get_kind_display(),
                                                                       "number": inst.number})
        except ValidationError as exc:
            _errors(request, exc)
    else:
        messages.error(request, "；".join(f"{form.fields[k].label}：{v[0]}" for k, v in form.errors.items()))
    return redirect("checkups:exam", pk=exam.pk)


@require_GET
@login_required
def instrument_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    inst = selectors.instrument_get_for_actor(request.user, pk)
    if inst.pdf:
        return file_response(inst.pdf, actor=request.user, object_type="checkups.instrument", object_id=inst.pk,
                             node_path=inst.examination.union.path, purpose="checkups.instrument",
                             content_type="application/pdf", filename=f"instrument-{inst.pk}.pdf",
                             as_attachment=False)
    return _pdf(request, lambda: pdfs.instrument_pdf(inst), f"instrument-{inst.pk}.pdf")


@require_POST
@login_required
def instrument_reply(request: HttpRequest, pk: int) -> HttpResponse:
    inst = selectors.instrument_get_for_actor(request.user, pk)
    scope.require(request.user, CAP)
    form = forms.ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.instrument_reply(actor=request.user, instrument=inst, **form.cleaned_data)
            messages.success(request, _("已登记企业回复"))
        except ValidationError as exc:
            _errors(request, exc)
    else:
        messages.error(request, "；".join(f"{form.fields[k].label}：{v[0]}" for k, v in form.errors.items()))
    return redirect("checkups:exam", pk=inst.examination_id)


@require_http_methods(["GET", "POST"])
@login_required
def return_visit(request: HttpRequest, pk: int) -> HttpResponse:
    exam = selectors.exam_get_for_actor(request.user, pk)
    scope.require(request.user, CAP)
    findings = list(exam.findings.select_related("item").order_by("id"))
    head = forms.ReturnVisitHeadForm(request.POST or None, initial={"visited_on": timezone.localdate()})
    errors = []
    if request.method == "POST" and head.is_valid():
        verdicts = {f.pk: (request.POST.get(f"verdict_{f.pk}", ""), request.POST.get(f"comment_{f.pk}", ""))
                    for f in findings if request.POST.get(f"verdict_{f.pk}")}
        try:
            services.return_visit_record(actor=request.user, exam=exam, visited_on=head.cleaned_data["visited_on"],
                                         note=head.cleaned_data["note"], verdicts=verdicts)
        except (ValidationError, DutyConflict) as exc:
            errors = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        else:
            messages.success(request, _("回访已登记"))
            return redirect("checkups:exam", pk=exam.pk)
    return render(request, "checkups/return_visit.html", {
        "exam": exam, "findings": findings, "head": head, "errors": errors, "verifying": ItemStatus.VERIFYING,
        "closed": ItemStatus.CLOSED}, status=400 if (errors or head.errors) else 200)


@require_GET
@login_required
def exam_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    exam = selectors.exam_get_for_actor(request.user, pk)
    return _pdf(request, lambda: pdfs.exam_report_pdf(exam), f"exam-{exam.pk}.pdf")


@require_GET
@login_required
def response_photo(request: HttpRequest, pk: int) -> HttpResponse:
    r = Response.objects.select_related("examination__union").filter(pk=pk).first()
    if r is None or not r.photo:
        raise scope.OutOfScope
    selectors.exam_get_for_actor(request.user, r.examination_id)
    return file_response(r.photo, actor=request.user, object_type="checkups.response", object_id=r.pk,
                         node_path=r.examination.union.path, purpose="checkups.photo",
                         content_type=r.photo_type or "image/jpeg", filename=f"photo-{r.pk}", as_attachment=False)
