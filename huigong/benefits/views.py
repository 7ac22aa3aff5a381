"""Console pages for benefit programmes, claims, reimbursement review and payments, visits and sites.
VIEW reads, BENEFIT writes, MONEY pays; every lookup goes through a scoped selector."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huigong.accounts.models import Cap
from huigong.core import banksheet
from huigong.core.disbursement.pages import result_import
from huigong.core.duties import DutyConflict
from huigong.core.files import file_response
from huigong.core.scope import require
from huigong.orgs.forms import apply_service_errors

from . import forms, selectors, services
from .models import (
    ClaimStatus,
    PaymentStatus,
    ProgrammeKind,
    ProgrammeStatus,
    ReimbursementStatus,
    ServiceBoard,
)

PER_PAGE = 50


def _error(request, exc: ValidationError) -> None:
    messages.error(request, "；".join(exc.messages))


@login_required
@require_GET
def home(request):
    staff = require(request.user, Cap.VIEW)
    board = request.GET.get("board", "")
    if board not in ServiceBoard.values:
        board = ""
    programmes = list(selectors.programme_list_for_actor(request.user, board=board))
    groups = []
    for value, label in ServiceBoard.choices:
        rows = [p for p in programmes if p.board == value]
        if rows:
            groups.append({"board": value, "label": label, "programmes": rows})
    pending = selectors.reimbursement_list_for_actor(request.user, status=ReimbursementStatus.SUBMITTED).count()
    year = timezone.localdate().year
    visits = selectors.visit_totals(selectors.visit_list_for_actor(request.user, year=year))
    return render(request, "benefits/home.html", {
        "groups": groups, "boards": ServiceBoard.choices, "board": board, "pending": pending, "visits": visits,
        "year": year, "open_count": sum(1 for p in programmes if p.status == ProgrammeStatus.OPEN),
        "can_write": staff.can(Cap.BENEFIT), "can_pay": staff.can(Cap.MONEY),
    })


@login_required
@require_http_methods(["GET", "POST"])
def programme_create(request):
    staff = require(request.user, Cap.BENEFIT)
    form = forms.ProgrammeForm(request.POST or None, actor=request.user, initial={"node": staff.node.pk})
    if request.method == "POST" and form.is_valid():
        try:
            programme = services.programme_create(actor=request.user, **form.service_kwargs())
        except ValidationError as e:
            apply_service_errors(form, e, {"reimbursement_cap_fen": "cap_yuan"})
        else:
            messages.success(request, _("已创建项目：%(title)s（草稿，开放后会员才能申领）") % {"title": programme.title})
            return redirect("benefits:programme_detail", pk=programme.pk)
    return render(request, "benefits/programme_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def programme_edit(request, pk: int):
    """Staff edit a programme of their subtree: texts, dates, eligibility, quota/cap and status. The
    field changes and the status change are one transaction: all saved, or nothing."""
    require(request.user, Cap.BENEFIT)
    programme = selectors.programme_get_for_actor(request.user, pk, for_write=True)
    form = forms.ProgrammeEditForm(request.POST or None, programme=programme)
    if request.method == "POST" and form.is_valid():
        changes, status = form.changes()
        try:
            with transaction.atomic():
                if changes:
                    programme = services.programme_update(actor=request.user, programme=programme, **changes)
                if status != programme.status:
                    fn = {ProgrammeStatus.OPEN: services.programme_open,
                          ProgrammeStatus.CLOSED: services.programme_close}.get(status)
                    if fn is None:
                        raise ValidationError({"status": [
                            _("已开放的项目不能退回草稿")]})
                    programme = fn(actor=request.user, programme=programme)
        except ValidationError as e:
            apply_service_errors(form, e, {"reimbursement_cap_fen": "cap_yuan"})
        else:
            messages.success(request, _("已保存项目：%(title)s") % {"title": programme.title})
            return redirect("benefits:programme_detail", pk=programme.pk)
    return render(request, "benefits/programme_form.html", {"form": form, "programme": programme})


@login_required
@require_GET
def programme_detail(request, pk: int):
    staff = require(request.user, Cap.VIEW)
    programme = selectors.programme_get_for_actor(request.user, pk)
    can_write = staff.can(Cap.BENEFIT) and selectors.programme_can_write(request.user, programme)
    stats = selectors.programme_stats(request.user, programme)
    labels = dict(ReimbursementStatus.choices if programme.kind == ProgrammeKind.REIMBURSEMENT else ClaimStatus.choices)
    ctx = {"programme": programme, "can_write": can_write, "can_pay": staff.can(Cap.MONEY),
           "stat_rows": [(labels.get(k, k), v["n"]) for k, v in stats.items()]}
    if programme.kind == ProgrammeKind.QUOTA:
        status = request.GET.get("status", "")
        status = status if status in ClaimStatus.values else ""
        qs = selectors.claim_list_for_actor(request.user, programme, status=status)
        ctx.update(page_obj=Paginator(qs, PER_PAGE).get_page(request.GET.get("page")), status=status,
                   statuses=ClaimStatus.choices, sub_quotas=list(programme.sub_quotas.select_related("enterprise")
                                                                 .order_by("enterprise__name")),
                   sub_form=forms.SubQuotaForm(actor=request.user) if can_write else None)
    elif programme.kind == ProgrammeKind.REIMBURSEMENT:
        qs = selectors.reimbursement_list_for_actor(request.user, programme=programme)
        ctx.update(page_obj=Paginator(qs, PER_PAGE).get_page(request.GET.get("page")),
                   batches=selectors.batch_list_for_actor(request.user, programme))
    else:
        qs = selectors.visit_list_for_actor(request.user, programme=programme)
        ctx.update(page_obj=Paginator(qs, PER_PAGE).get_page(request.GET.get("page")),
                   totals=selectors.visit_totals(qs))
    return render(request, "benefits/programme_detail.html", ctx)


@login_required
@require_POST
def programme_transition(request, pk: int, action: str):
    require(request.user, Cap.BENEFIT)
    programme = selectors.programme_get_for_actor(request.user, pk, for_write=True)
    fn = {"open": services.programme_open, "close": services.programme_close}.get(action)
    if fn is None:
        raise Http404
    try:
        fn(actor=request.user, programme=programme)
    except ValidationError as e:
        _error(request, e)
    else:
        messages.success(request, _("项目已开放申领") if action == "open" else _("项目已结束"))
    return redirect("benefits:programme_detail", pk=pk)


@login_required
@require_POST
def sub_quota_set(request, pk: int):
    require(request.user, Cap.BENEFIT)
    programme = selectors.programme_get_for_actor(request.user, pk, for_write=True)
    form = forms.SubQuotaForm(request.POST, actor=request.user)
    if form.is_valid():
        try:
            services.programme_set_sub_quota(actor=request.user, programme=programme, **form.cleaned_data)
        except ValidationError as e:
            _error(request, e)
        else:
            messages.success(request, _("已设置单位名额"))
    else:
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("benefits:programme_detail", pk=pk)


@login_required
@require_POST
def claim_cancel(request, pk: int):
    require(request.user, Cap.BENEFIT)
    claim = selectors.claim_get_for_actor(request.user, pk)
    try:
        services.claim_cancel(actor=request.user, claim=claim, reason=request.POST.get("reason", "")[:255])
    except ValidationError as e:
        _error(request, e)
    else:
        messages.success(request, _("已取消 %(name)s 的申领，名额已退回") % {"name": claim.person.name})
    return redirect("benefits:programme_detail", pk=claim.programme_id)


# --- reimbursements --------------------------------------------------------------------------------


@login_required
@require_GET
def reimbursement_queue(request):
    staff = require(request.user, Cap.VIEW)
    status = request.GET.get("status", ReimbursementStatus.SUBMITTED)
    status = status if status in ReimbursementStatus.values or status == "all" else ReimbursementStatus.SUBMITTED
    qs = selectors.reimbursement_list_for_actor(request.user, status="" if status == "all" else status)
    return render(request, "benefits/reimbursement_queue.html", {
        "page_obj": Paginator(qs, PER_PAGE).get_page(request.GET.get("page")), "status": status,
        "statuses": ReimbursementStatus.choices, "can_write": staff.can(Cap.BENEFIT)})


@login_required
@require_http_methods(["GET", "POST"])
def reimbursement_detail(request, pk: int):
    staff = require(request.user, Cap.VIEW)
    item = selectors.reimbursement_get_for_actor(request.user, pk)
    form = forms.ReviewForm(request.POST or None)
    if request.method == "POST":
        require(request.user, Cap.BENEFIT)
        action = request.POST.get("action")
        if form.is_valid():
            try:
                if action == "approve":
                    services.reimbursement_approve(actor=request.user, reimbursement=item,
                                                   approved_fen=forms.to_fen(form.cleaned_data["approved_yuan"]),
                                                   reason=form.cleaned_data["reason"])
                    messages.success(request, _("已批准，进入待发放"))
                elif action == "reject":
                    services.reimbursement_reject(actor=request.user, reimbursement=item,
                                                  reason=form.cleaned_data["reason"])
                    messages.success(request, _("已驳回并通知申请人"))
                else:
                    raise Http404
            except ValidationError as e:
                apply_service_errors(form, e, {"approved_fen": "approved_yuan"})
            except DutyConflict as e:  # said on the form, not a bare 403: the rule is the answer
                form.add_error(None, str(e))
            else:
                nxt = selectors.reimbursement_list_for_actor(request.user, status=ReimbursementStatus.SUBMITTED).first()
                return redirect("benefits:reimbursement_detail", pk=nxt.pk) if nxt else \
                    redirect("benefits:reimbursements")
    payments = list(item.payments.defer("bank_account").order_by("attempt"))
    return render(request, "benefits/reimbursement_detail.html", {
        "item": item, "form": form, "payments": payments, "is_image": item.receipt_type.startswith("image/"),
        "can_review": staff.can(Cap.BENEFIT) and item.status == ReimbursementStatus.SUBMITTED,
        "can_pay": staff.can(Cap.MONEY), "paid_form": forms.PaidForm(), "failed_form": forms.FailedForm()})


@login_required
@require_GET
@never_cache
def receipt(request, pk: int):
    """The receipt file, to staff whose subtree holds the application. MEDIA_ROOT is never served."""
    require(request.user, Cap.VIEW)
    item = selectors.reimbursement_get_for_actor(request.user, pk)
    return _receipt_response(request.user, item)


def _receipt_response(actor, item):
    """Decrypted as it streams, with an access row: a receipt is often a health certificate."""
    return file_response(item.receipt, actor=actor, object_type="benefits.reimbursement", object_id=item.pk,
                         node_path=item.union.path, purpose="查看先办后补票据", content_type=item.receipt_type,
                         filename=f"receipt-{item.pk}.{item.receipt.name.rsplit('.', 1)[-1]}", as_attachment=False)


# --- payments --------------------------------------------------------------------------------------


@login_required
@require_POST
def payment_batch_create(request, pk: int):
    require(request.user, Cap.MONEY)
    programme = selectors.programme_get_for_actor(request.user, pk)
    batch, skipped = services.payment_batch_create(actor=request.user, programme=programme)
    n = batch.payments.count()
    messages.success(request, _("已生成发放批次：%(n)d 笔") % {"n": n})
    for s in skipped[:10]:
        messages.warning(request, s)
    return redirect("benefits:batch_detail", pk=batch.pk)


@login_required
@require_GET
def batch_detail(request, pk: int):
    staff = require(request.user, Cap.VIEW)
    batch = selectors.payment_batch_get_for_actor(request.user, pk)
    payments = list(selectors.payment_list_for_actor(request.user, batch=batch))
    if not payments and batch.payments.exists():
        raise Http404  # a batch of another subtree's payments
    total = sum(p.amount_fen for p in payments)
    paid = sum(p.amount_fen for p in payments if p.status == PaymentStatus.PAID)
    return render(request, "benefits/batch_detail.html", {
        "batch": batch, "payments": payments, "total": total, "paid": paid, "can_pay": staff.can(Cap.MONEY),
        "can_see_accounts": staff.can(Cap.PII_FULL), "pending": sum(p.status == PaymentStatus.PENDING for p in payments),
        "import_form": banksheet.ResultImportForm(),
        "paid_form": forms.PaidForm(), "failed_form": forms.FailedForm()})


@login_required
@require_POST
def batch_bank_sheet(request, pk: int):
    """The pending payments as the bank's 批量代发 sheet (masked accounts unless `full` is asked for)."""
    batch = selectors.payment_batch_get_for_actor(request.user, pk)
    try:
        return banksheet.download(*services.payment_batch_bank_sheet(actor=request.user, batch=batch,
                                                                     full=request.POST.get("full") == "1"))
    except ValidationError as e:
        _error(request, e)
        return redirect("benefits:batch_detail", pk=batch.pk)


@login_required
@require_POST
def batch_import_results(request, pk: int):
    """The bank's result sheet (回盘): every row checked, then each payment marked paid or failed."""
    require(request.user, Cap.MONEY)
    batch = selectors.payment_batch_get_for_actor(request.user, pk)
    counts = result_import(request, lambda data: services.payment_batch_import_results(
        actor=request.user, batch=batch, data=data))
    if counts is not None:
        messages.success(request, _("回盘已导入：到账 %(paid)d 笔，失败 %(failed)d 笔，未变 %(unchanged)d 笔") % counts)
    return redirect("benefits:batch_detail", pk=batch.pk)


@login_required
@require_POST
def payment_action(request, pk: int, action: str):
    require(request.user, Cap.MONEY)
    payment = selectors.payment_get_for_actor(request.user, pk)
    try:
        if action == "paid":
            services.payment_mark_paid(actor=request.user, payment=payment,
                                       bank_reference=request.POST.get("bank_reference", ""))
            messages.success(request, _("已登记到账"))
        elif action == "failed":
            services.payment_mark_failed(actor=request.user, payment=payment, reason=request.POST.get("reason", ""))
            messages.success(request, _("已登记失败，可重新发起"))
        elif action == "retry":
            services.payment_retry(actor=request.user, payment=payment)
            messages.success(request, _("已重新发起，新的幂等键已生成"))
        else:
            raise Http404
    except ValidationError as e:
        _error(request, e)
    return redirect("benefits:batch_detail", pk=payment.batch_id)


# --- visits ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def visits(request):
    staff = require(request.user, Cap.VIEW)
    can_write = staff.can(Cap.BENEFIT)
    programmes = selectors.programme_list_for_actor(request.user, kind=ProgrammeKind.DISTRIBUTION)
    sites = selectors.site_list_for_actor(request.user)
    form = forms.VisitForm(request.POST or None, actor=request.user, programmes=programmes, sites=sites,
                           initial={"node": staff.node.pk}) if can_write else None
    if request.method == "POST":
        require(request.user, Cap.BENEFIT)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.visit_record(actor=request.user, node=d["node"], programme=d["programme"],
                                      enterprise=d["enterprise"], site=d["site"], visited_on=d["visited_on"],
                                      headcount=d["headcount"], goods=d["goods"],
                                      value_fen=int(d["value_yuan"] * 100), note=d["note"])
            except ValidationError as e:
                apply_service_errors(form, e, {"value_fen": "value_yuan"})
            else:
                messages.success(request, _("已记录走访"))
                return redirect("benefits:visits")
    year = request.GET.get("year", "")
    year = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else None
    qs = selectors.visit_list_for_actor(request.user, year=year)
    return render(request, "benefits/visits.html", {
        "form": form, "page_obj": Paginator(qs, PER_PAGE).get_page(request.GET.get("page")),
        "totals": selectors.visit_totals(qs), "year": year})


# --- sites -----------------------------------------------------------------------------------------


@login_required
@require_GET
def sites(request):
    require(request.user, Cap.VIEW)
    district = request.GET.get("district", "")[:40]
    qs = selectors.site_list_for_actor(request.user, district=district)
    districts = sorted({d for d in selectors.site_list_for_actor(request.user)
                        .values_list("benefit_profile__district", flat=True) if d})
    return render(request, "benefits/sites.html", {
        "page_obj": Paginator(qs, PER_PAGE).get_page(request.GET.get("page")), "district": district,
        "districts": districts})


@login_required
@require_http_methods(["GET", "POST"])
def site_detail(request, pk: int):
    staff = require(request.user, Cap.VIEW)
    site = selectors.site_get_for_actor(request.user, pk)
    profile = getattr(site, "benefit_profile", None)
    can_write = staff.can(Cap.BENEFIT)
    initial = {"opening_hours": site.opening_hours}
    if profile:
        initial.update(district=profile.district, offerings="、".join(profile.offerings), boards=profile.boards,
                       capacity=profile.capacity, intro=profile.intro)
    which = request.POST.get("form") if request.method == "POST" else None
    profile_form = forms.SiteProfileForm(request.POST if which == "profile" else None, initial=initial)
    usage_form = forms.UsageForm(request.POST if which == "usage" else None)
    if request.method == "POST":
        require(request.user, Cap.BENEFIT)
        try:
            if which == "profile" and profile_form.is_valid():
                d = profile_form.cleaned_data
                services.site_profile_save(actor=request.user, site=site, district=d["district"],
                                           offerings=profile_form.offerings_list(), boards=d["boards"],
                                           opening_hours=d["opening_hours"], capacity=d["capacity"], intro=d["intro"])
                messages.success(request, _("已保存阵地信息"))
                return redirect("benefits:site_detail", pk=pk)
            if which == "usage" and usage_form.is_valid():
                services.site_usage_record(actor=request.user, site=site, **usage_form.cleaned_data)
                messages.success(request, _("已记录使用人次"))
                return redirect("benefits:site_detail", pk=pk)
        except ValidationError as e:
            apply_service_errors(profile_form if which == "profile" else usage_form, e)
    usage = selectors.site_usage_recent(site, 30)
    return render(request, "benefits/site_detail.html", {
        "site": site, "profile": profile, "profile_form": profile_form, "usage_form": usage_form, "usage": usage,
        "usage_sum": sum(u.visitors for u in usage), "can_write": can_write})
