"""Console pages for 求学圆梦: rounds, review, the draw, the 公示, cohorts, payments, reports.
VIEW reads, "education" writes, "approve" reviews, "money" pays; every lookup is a scoped selector."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huigong.core import facets
from huigong.core.files import file_response
from huigong.core.money import format_yuan
from huigong.core.notices.views import notice_pdf_response
from huigong.core.scope import require, staff_of
from huigong.orgs.forms import apply_service_errors

from . import clock, eligibility, forms, reports, selectors, services
from .models import (
    Application,
    ApplicationStatus,
    EnrolmentStatus,
    Major,
    SubsidyPayment,
)
from .services import notices as edu_notices
from .services import payments

EDU, APPROVE, MONEY, VIEW = services.EDU, services.APPROVE, services.MONEY, services.VIEW
CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}


def _error(request, exc: ValidationError) -> None:
    messages.error(request, "；".join(exc.messages))


def _can(user, cap: str) -> bool:
    try:
        return staff_of(user).can(cap)
    except PermissionDenied:
        return False


@login_required
@require_GET
def home(request):
    require(request.user, VIEW)
    return render(request, "education/home.html", {
        "programmes": selectors.programme_list_for_actor(request.user),
        "institutions": selectors.institution_list_for_actor(request.user),
        "queue": len(selectors.review_queue_for_actor(request.user)) if _can(request.user, APPROVE) else 0,
        "can_edit": _can(request.user, EDU)})


@login_required
@require_http_methods(["GET", "POST"])
def institution_create(request):
    require(request.user, EDU)
    form = forms.InstitutionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.institution_create(actor=request.user, node=staff_of(request.user).node, **form.cleaned_data)
            messages.success(request, _("已登记合作院校"))
            return redirect("education:home")
        except ValidationError as e:
            apply_service_errors(form, e)
    return render(request, "education/form.html", {"form": form, "title": _("登记合作院校")})


@login_required
@require_http_methods(["GET", "POST"])
def programme_create(request):
    require(request.user, EDU)
    form = forms.ProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            p = services.programme_create(actor=request.user, node=staff_of(request.user).node, **form.service_kwargs())
            messages.success(request, _("已创建项目，请添加合作院校的专业后开放申报"))
            return redirect("education:programme_detail", pk=p.pk)
        except ValidationError as e:
            apply_service_errors(form, e, {"tranches": "tranche_plan", "fallback_fen": "fallback_yuan",
                                           "rules": None})
    return render(request, "education/programme_form.html", {"form": form})


@login_required
@require_GET
def programme_detail(request, pk: int):
    p = selectors.programme_get_for_actor(request.user, pk)
    own = p.node_path.startswith(staff_of(request.user).node.path)
    record = selectors.draw_for(p)
    return render(request, "education/programme_detail.html", {
        "p": p, "own": own, "figures": selectors.programme_figures(p),
        "majors": p.majors.select_related("institution"), "quotas": p.quotas.order_by("key"),
        "quota_names": dict(p.node.get_children().values_list("pk", "name")) if p.quotas.exists() else {},
        "institutions": selectors.institution_list_for_actor(request.user),
        "rules": eligibility.requirements(p),
        "priorities": [str(dict(facets.choices()).get(k, k)) for k in p.priorities or []],
        "tranches": [{"label": t["trigger"], "term": t.get("term"), "fen": format_yuan(t["fen"]) if "fen" in t else "",
                      "share": t.get("share")} for t in p.tranches],
        "record": record, "notices": selectors.notice_list_for_actor(request.user, p),
        "batches": p.batches.filter(node_path__startswith=staff_of(request.user).node.path)
        if _can(request.user, MONEY) else [],
        "can_edit": own and _can(request.user, EDU), "can_pay": _can(request.user, MONEY),
        "major_form": forms.MajorForm(), "draw_form": forms.DrawForm(),
        "carry_targets": p.carried_to.all()})


@login_required
@require_http_methods(["GET", "POST"])
def programme_rules(request, pk: int):
    """The eligibility editor: rules and priorities as data on a round being prepared (locked once it
    opens), with a live preview of how many members of the round's subtree pass each rule (htmx asks
    for the preview part as the form changes; one query)."""
    require(request.user, EDU)
    p = selectors.programme_get_for_actor(request.user, pk)
    if not p.node_path.startswith(staff_of(request.user).node.path):
        raise PermissionDenied(_("只有主办工会可以修改申报条件"))
    locked = p.status != "draft"
    data = request.POST if request.method == "POST" else (request.GET if request.GET.get("preview") else None)
    form = forms.RulesForm(data) if data is not None else forms.RulesForm(initial=forms.RulesForm.initial_for(p))
    rules, error = p.rules or {}, ""
    if data is not None:
        if form.is_valid():
            try:
                rules = services.programmes.clean_rules(form.rules())
            except ValidationError as e:
                error = "；".join(e.messages)
        else:
            error = _("请按提示修改后再预览")
    preview = eligibility.preview(p, rules, clock.today()) if not error else None
    if request.headers.get("HX-Request") and request.method == "GET":
        return render(request, "education/_rules_preview.html", {"preview": preview, "error": error})
    if request.method == "POST":
        if locked:
            messages.error(request, _("项目已开放申报，申报条件不能再修改"))
            return redirect("education:programme_detail", pk=p.pk)
        if form.is_valid() and not error:
            try:
                services.programme_rules_set(actor=request.user, programme=p, rules=form.rules(),
                                             priorities=form.priority_keys())
                messages.success(request, _("申报条件已保存"))
                return redirect("education:programme_rules", pk=p.pk)
            except ValidationError as e:
                apply_service_errors(form, e)
    return render(request, "education/rules.html", {"p": p, "form": form, "locked": locked, "preview": preview,
                                                    "error": error, "current": eligibility.requirements(p)},
                  status=400 if request.method == "POST" else 200)


ACTIONS = {
    "open": lambda u, p, r: services.programme_open(actor=u, programme=p),
    "close": lambda u, p, r: services.programme_close(actor=u, programme=p),
    "first_check": lambda u, p, r: services.first_check_run(actor=u, programme=p),
    "quotas": lambda u, p, r: services.quotas_compute(actor=u, programme=p),
    "draw": lambda u, p, r: services.programme_draw(actor=u, programme=p, seed=r.POST.get("seed", "")),
    "notice": lambda u, p, r: edu_notices.notice_publish(actor=u, programme=p),
}


@login_required
@require_POST
def programme_action(request, pk: int, action: str):
    require(request.user, EDU)
    if action not in ACTIONS:
        raise Http404
    p = selectors.programme_get_for_actor(request.user, pk)
    try:
        with transaction.atomic():
            ACTIONS[action](request.user, p, request)
        messages.success(request, _("操作成功"))
    except ValidationError as e:
        _error(request, e)
    return redirect("education:programme_detail", pk=p.pk)


@login_required
@require_POST
def major_add(request, pk: int):
    require(request.user, EDU)
    p = selectors.programme_get_for_actor(request.user, pk)
    form = forms.MajorForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请完整填写专业信息"))
        return redirect("education:programme_detail", pk=p.pk)
    d = form.cleaned_data
    inst = selectors.institution_list_for_actor(request.user).filter(pk=d["institution"]).first()
    if inst is None:
        messages.error(request, _("请选择合作院校"))
        return redirect("education:programme_detail", pk=p.pk)
    try:
        services.major_add(actor=request.user, programme=p, institution=inst, name=d["name"], level=d["level"],
                           seats=d["seats"], tuition_fen=int(round(float(d.get("tuition_yuan") or 0) * 100)))
    except ValidationError as e:
        _error(request, e)
    return redirect("education:programme_detail", pk=p.pk)


@login_required
@require_GET
def applications(request, pk: int):
    p = selectors.programme_get_for_actor(request.user, pk)
    status = request.GET.get("status", "")
    if status not in ApplicationStatus.values:
        status = ""
    rows = selectors.application_list_for_actor(request.user, programme=p, status=status).order_by(
        "draw_rank", "submitted_at", "pk")[:500]
    return render(request, "education/applications.html", {"p": p, "rows": rows, "status": status,
                                                           "statuses": ApplicationStatus.choices})


@login_required
@require_GET
def review_queue(request):
    require(request.user, APPROVE)
    return render(request, "education/queue.html", {"rows": selectors.review_queue_for_actor(request.user)})


@login_required
@require_GET
def application_detail(request, pk: int):
    a = selectors.application_get_for_actor(request.user, pk)
    chain = services.application_chains([a]).get(a.pk)
    current = chain.current if chain else None
    may = current.may_act(request.user.pk) if current else ""
    return render(request, "education/application_detail.html", {
        "a": a, "steps": selectors.tracker(a), "chain": chain, "may": may,
        "blocked": chain.blocked_reason(request.user.pk) if chain and current else "",
        "reasons": eligibility.reasons(a.programme, a.check_failures),
        "decide_form": forms.DecideForm(), "enrol_form": forms.EnrolForm(),
        "can_enrol": a.status == ApplicationStatus.CONFIRMED and not hasattr(a, "enrolment") and _can(request.user, EDU),
        "can_score": a.programme.ranking == "merit" and a.draw_rank is None and _can(request.user, EDU),
        "points_form": forms.PointsForm(initial={"points": a.merit_points}),
        "tranches": a.tranches.order_by("seq")})


@login_required
@require_POST
def application_points(request, pk: int):
    """Merit rounds: record the applicant's published score (audited, old and new)."""
    require(request.user, EDU)
    a = selectors.application_get_for_actor(request.user, pk)
    form = forms.PointsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("成绩/积分：%(e)s") % {"e": "；".join(m for ms in form.errors.values() for m in ms)})
        return redirect("education:application_detail", pk=a.pk)
    try:
        services.application_points_set(actor=request.user, application=a, points=form.cleaned_data["points"],
                                        note=form.cleaned_data.get("note", ""))
        messages.success(request, _("成绩已登记"))
    except ValidationError as e:
        _error(request, e)
    return redirect("education:application_detail", pk=a.pk)


@login_required
@require_POST
def application_decide(request, pk: int):
    require(request.user, APPROVE)
    a = selectors.application_get_for_actor(request.user, pk)
    form = forms.DecideForm(request.POST)
    if form.is_valid():
        try:
            services.application_decide(actor=request.user, application=a, **form.cleaned_data)
            messages.success(request, _("已审批"))
        except ValidationError as e:
            _error(request, e)
    return redirect("education:application_detail", pk=a.pk)


@login_required
@require_GET
def application_document(request, pk: int, which: str):
    a = selectors.application_get_for_actor(request.user, pk)
    if which not in ("admission_letter", "xuexin_report") or not getattr(a, which):
        raise Http404
    f = getattr(a, which)
    ext = f.name.rsplit(".", 1)[-1]
    return file_response(f, actor=request.user, object_type="education.application", object_id=a.pk,
                         node_path=a.node_path, purpose=_("查看求学圆梦申报材料"),
                         content_type=CONTENT_TYPES.get(ext, "application/octet-stream"),
                         filename=f"{which}-{a.pk}.{ext}", as_attachment=False)


@login_required
@require_POST
def enrolment_confirm(request, pk: int):
    require(request.user, EDU)
    a = selectors.application_get_for_actor(request.user, pk)
    form = forms.EnrolForm(request.POST)
    if form.is_valid():
        try:
            e = services.enrolment_confirm(actor=request.user, application=a, **form.cleaned_data)
            messages.success(request, _("已确认入学"))
            return redirect("education:enrolment_detail", pk=e.pk)
        except ValidationError as e:
            _error(request, e)
    else:
        messages.error(request, _("请填写入学日期"))
    return redirect("education:application_detail", pk=a.pk)


@login_required
@require_GET
def enrolments(request, pk: int):
    p = selectors.programme_get_for_actor(request.user, pk)
    rows = selectors.enrolment_list_for_actor(request.user, programme=p)
    if request.GET.get("format") == "xlsx":
        require(request.user, "export")
        data = reports.roster_xlsx(rows)
        resp = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        resp["Content-Disposition"] = content_disposition_header(True, f"学员名册-{p.title}.xlsx")
        return resp
    return render(request, "education/enrolments.html", {"p": p, "rows": rows[:1000]})


@login_required
@require_GET
def enrolment_detail(request, pk: int):
    e = selectors.enrolment_get_for_actor(request.user, pk)
    return render(request, "education/enrolment_detail.html", {
        "e": e, "terms": e.terms.all(), "tranches": e.application.tranches.order_by("seq"),
        "clawbacks": e.clawbacks.all(), "majors": Major.objects.filter(programme=e.programme).exclude(pk=e.major_id),
        "can_edit": _can(request.user, EDU) and e.status == EnrolmentStatus.STUDYING,
        "term_form": forms.TermForm(), "drop_form": forms.DropForm(), "grad_form": forms.GraduateForm(),
        "transfer_form": forms.TransferForm()})


@login_required
@require_POST
def enrolment_action(request, pk: int, action: str):
    require(request.user, EDU)
    e = selectors.enrolment_get_for_actor(request.user, pk)
    form_cls = {"term": forms.TermForm, "drop": forms.DropForm, "graduate": forms.GraduateForm,
                "transfer": forms.TransferForm}.get(action)
    if form_cls is None:
        raise Http404
    form = form_cls(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(str(m) for errs in form.errors.values() for m in errs))
        return redirect("education:enrolment_detail", pk=e.pk)
    d = form.cleaned_data
    try:
        if action == "term":
            services.term_record(actor=request.user, enrolment=e, term=d["term"], passed=d["passed"] == "1")
        elif action == "drop":
            services.enrolment_drop(actor=request.user, enrolment=e, reason=d["reason"])
        elif action == "graduate":
            services.enrolment_graduate(actor=request.user, enrolment=e, graduated_on=d["graduated_on"], proof=d["proof"])
        else:
            major = Major.objects.filter(programme=e.programme, pk=d["major"]).first()
            if major is None:
                raise ValidationError({"major": _("请选择本项目的另一个专业")})
            services.enrolment_transfer(actor=request.user, enrolment=e, major=major, reason=d["reason"])
        messages.success(request, _("已登记"))
    except ValidationError as exc:
        _error(request, exc)
    return redirect("education:enrolment_detail", pk=e.pk)


@login_required
@require_GET
def notice_detail(request, pk: int):
    n = selectors.notice_get_for_actor(request.user, pk)
    if request.GET.get("format") == "pdf":
        return notice_pdf_response(edu_notices.EDU_NOTICES, n)
    from huigong.core.notices import services as ns

    return render(request, "education/notice_detail.html", {
        "n": n, "rows": ns.notice_rows(edu_notices.EDU_NOTICES, n), "objections": n.objections.all(),
        "blocker": ns.notice_end_blocker(edu_notices.EDU_NOTICES, n),
        "share": request.build_absolute_uri(
            reverse("education_portal:notice_public", args=[ns.share_token(edu_notices.EDU_NOTICES, n)])),
        "can_edit": _can(request.user, EDU) and n.node_path.startswith(staff_of(request.user).node.path),
        "objection_form": forms.ObjectionForm(), "resolve_form": forms.ResolveForm()})


@login_required
@require_POST
def notice_action(request, pk: int, action: str):
    require(request.user, EDU)
    n = selectors.notice_get_for_actor(request.user, pk)
    try:
        if action == "end":
            edu_notices.notice_end(actor=request.user, notice=n)
        elif action == "objection":
            form = forms.ObjectionForm(request.POST)
            if not form.is_valid():
                raise ValidationError({"content": _("请填写异议内容")})
            app = None
            if form.cleaned_data.get("application"):
                app = Application.objects.filter(pk=form.cleaned_data["application"], notice_entry__notice=n).first()
                if app is None:
                    raise ValidationError({"application": _("该申请不在本次公示中")})
            edu_notices.objection_record(actor=request.user, notice=n, content=form.cleaned_data["content"],
                                         application=app, channel=form.cleaned_data.get("channel", ""))
        elif action == "resolve":
            form = forms.ResolveForm(request.POST)
            oid = request.POST.get("objection", "")
            obj = n.objections.filter(pk=int(oid)).first() if oid.isdigit() else None
            if obj is None or not form.is_valid():
                raise ValidationError({"resolution": _("请填写处理结果")})
            edu_notices.objection_resolve(actor=request.user, objection=obj, upheld=form.cleaned_data["upheld"] == "1",
                                          resolution=form.cleaned_data["resolution"])
        else:
            raise Http404
        messages.success(request, _("操作成功"))
    except ValidationError as e:
        _error(request, e)
    return redirect("education:notice_detail", pk=n.pk)


@login_required
@require_POST
def batch_create(request, pk: int):
    require(request.user, MONEY)
    p = selectors.programme_get_for_actor(request.user, pk)
    try:
        batch, skipped = payments.batch_create(actor=request.user, programme=p)
    except ValidationError as e:
        _error(request, e)
        return redirect("education:programme_detail", pk=p.pk)
    for s in skipped:
        messages.warning(request, s)
    return redirect("education:batch_detail", pk=batch.pk)


@login_required
@require_GET
def batch_detail(request, pk: int):
    require(request.user, MONEY)
    b = selectors.batch_get_for_actor(request.user, pk)
    rows = list(payments.SUBSIDY.batch_payments(request.user, b).select_related("tranche__application"))
    return render(request, "education/batch_detail.html", {
        "b": b, "rows": rows, "total": sum(r.amount_fen for r in rows),
        "paid": sum(r.amount_fen for r in rows if r.status == "paid"),
        "pending": sum(1 for r in rows if r.status == "pending"), "upload_form": forms.ResultsUploadForm(),
        "can_see_accounts": _can(request.user, "pii_full")})


@login_required
@require_POST
def batch_bank_sheet(request, pk: int):
    require(request.user, MONEY)
    b = selectors.batch_get_for_actor(request.user, pk)
    try:
        content, name = payments.batch_bank_sheet(actor=request.user, batch=b, full=request.POST.get("full") == "1")
    except ValidationError as e:
        _error(request, e)
        return redirect("education:batch_detail", pk=b.pk)
    resp = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = content_disposition_header(True, name)
    return resp


@login_required
@require_POST
def batch_import_results(request, pk: int):
    require(request.user, MONEY)
    b = selectors.batch_get_for_actor(request.user, pk)
    form = forms.ResultsUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            counts = payments.batch_import_results(actor=request.user, batch=b, data=form.cleaned_data["upload"].read())
            messages.success(request, _("回盘已登记：到账 %(p)s 笔，失败 %(f)s 笔") % {
                "p": counts.get("paid", 0), "f": counts.get("failed", 0)})
        except ValidationError as e:
            _error(request, e)
    return redirect("education:batch_detail", pk=b.pk)


@login_required
@require_POST
def payment_action(request, pk: int, action: str):
    require(request.user, MONEY)
    pay: SubsidyPayment = selectors.payment_get_for_actor(request.user, pk)
    try:
        if action == "paid":
            payments.payment_mark_paid(actor=request.user, payment=pay, bank_reference=request.POST.get("bank_reference", ""))
        elif action == "failed":
            payments.payment_mark_failed(actor=request.user, payment=pay, reason=request.POST.get("reason", ""))
        elif action == "retry":
            payments.payment_retry(actor=request.user, payment=pay)
        else:
            raise Http404
    except ValidationError as e:
        _error(request, e)
    return redirect("education:batch_detail", pk=pay.batch_id)


@login_required
@require_GET
def report(request, pk: int):
    p = selectors.programme_get_for_actor(request.user, pk)
    by = request.GET.get("by", "union")
    if by not in reports.DIMENSIONS:
        by = "union"
    rows = reports.funnel(selectors.application_list_for_actor(request.user, programme=p), by)
    return render(request, "education/report.html", {
        "p": p, "rows": rows, "by": by, "dims": [(k, v[1]) for k, v in reports.DIMENSIONS.items()],
        "figures": selectors.programme_figures(p)})

