"""Console pages for 公示, plus the public share page (no login: a signed token, masked rows only)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huigong.accounts.models import Cap
from huigong.core.money import format_yuan
from huigong.core.notices.views import notice_pdf_response, notice_public_response
from huigong.core.scope import require
from huigong.orgs.forms import apply_service_errors

from ..forms_flow import NoticeForm, ObjectionForm, ResolveForm
from ..models import AidApplication, NoticeObjection, NoticeStatus
from ..selectors import aid as sel
from ..services import notices as svc


def _rows(notice):
    rows = sel.notice_rows(notice)
    for r in rows:
        r.amount_yuan = format_yuan(r.amount_fen)
    return rows


@login_required
@require_GET
def notice_list(request):
    staff = require(request.user, Cap.VIEW)
    notices = list(sel.notices_for_actor(request.user))
    for n in notices:
        n.total_yuan = format_yuan(n.total or 0)
    approved = sel.approved_unpublished(request.user).count()
    return render(request, "assistance/notice_list.html", {
        "notices": notices, "approved": approved, "can_assist": staff.can(Cap.ASSIST)})


@login_required
@require_http_methods(["GET", "POST"])
def notice_create(request):
    require(request.user, Cap.ASSIST)
    approved = list(sel.approved_unpublished(request.user).order_by("programme", "pk"))
    form = NoticeForm(request.POST or None, actor=request.user, approved=approved,
                      initial={"applications": [a.pk for a in approved]})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            n = svc.notice_publish(actor=request.user, node=d["node"], applications=[int(x) for x in d["applications"]],
                                   title=d["title"], contact=d["contact"], body=d["body"], days=d["days"],
                                   starts_on=d["starts_on"])
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("公示已发布"))
            return redirect("assistance:notice_detail", n.pk)
    for a in approved:
        a.amount_yuan = format_yuan(a.amount_approved_fen or 0)
    return render(request, "assistance/notice_form.html", {"form": form, "approved": approved})


@login_required
@require_GET
def notice_detail(request, pk: int):
    staff = require(request.user, Cap.VIEW)
    notice = sel.notice_get_for_actor(request.user, pk)
    rows = _rows(notice)
    objections = list(notice.objections.select_related("application", "recorded_by").order_by("received_on", "pk"))
    can_assist = staff.can(Cap.ASSIST)
    share_url = request.build_absolute_uri(reverse("assistance:notice_public", args=[svc.share_token(notice)]))
    return render(request, "assistance/notice_detail.html", {
        "notice": notice, "rows": rows, "total": format_yuan(sum(r.amount_fen for r in rows)),
        "objections": objections, "can_assist": can_assist, "share_url": share_url,
        "end_blocker": svc.notice_end_blocker(notice) if notice.status == NoticeStatus.PUBLISHED else None,
        "objection_form": ObjectionForm(entries=rows) if can_assist and notice.status == NoticeStatus.PUBLISHED
        else None,
        "resolve_form": ResolveForm(auto_id=False) if can_assist else None,
    })


@login_required
@require_GET
def notice_pdf(request, pk: int):
    require(request.user, Cap.VIEW)
    notice = sel.notice_get_for_actor(request.user, pk)
    return _pdf_response(notice)


def _pdf_response(notice):
    return notice_pdf_response(svc.SCHEME, notice)


@login_required
@require_POST
def notice_objection(request, pk: int):
    notice = sel.notice_get_for_actor(request.user, pk)
    require(request.user, Cap.ASSIST)  # refused before the form is read: a 403, not a form error
    form = ObjectionForm(request.POST, entries=sel.notice_rows(notice))
    if form.is_valid():
        d = form.cleaned_data
        app = AidApplication.objects.filter(pk=d["application"]).first() if d["application"] else None
        try:
            svc.notice_objection_record(actor=request.user, notice=notice, application=app, content=d["content"],
                                        received_on=d["received_on"], channel=d["channel"])
            messages.success(request, _("异议已登记"))
        except ValidationError as e:
            for m in e.messages:
                messages.error(request, m)
    else:
        for errs in form.errors.values():
            for e in errs:
                messages.error(request, e)
    return redirect("assistance:notice_detail", notice.pk)


@login_required
@require_POST
def notice_objection_resolve(request, pk: int):
    try:
        obj = NoticeObjection.objects.select_related("notice").get(pk=pk)
    except NoticeObjection.DoesNotExist:
        raise Http404 from None
    notice = sel.notice_get_for_actor(request.user, obj.notice_id)
    require(request.user, Cap.ASSIST)
    form = ResolveForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            svc.notice_objection_resolve(actor=request.user, objection=obj, upheld=d["upheld"],
                                         resolution=d["resolution"], outcome=d["outcome"] or "rejected")
            messages.success(request, _("异议已处理"))
        except ValidationError as e:
            for m in e.messages:
                messages.error(request, m)
    else:
        for errs in form.errors.values():
            for e in errs:
                messages.error(request, e)
    return redirect("assistance:notice_detail", notice.pk)


@login_required
@require_POST
def notice_end(request, pk: int):
    notice = sel.notice_get_for_actor(request.user, pk)
    try:
        svc.notice_end(actor=request.user, notice=notice)
        messages.success(request, _("公示期满，申请可进入发放"))
    except ValidationError as e:
        for m in e.messages:
            messages.error(request, m)
    return redirect("assistance:notice_detail", notice.pk)


@require_GET
def notice_public(request, token: str):
    """The posted notice: reachable without login through its signed token; masked rows only (the
    kernel's public page, with aid's programme column)."""
    return notice_public_response(request, svc.SCHEME, token, template="assistance/notice_public.html")
