"""The notice's PDF and its public page, for any scheme: a domain's views call these (its URLs stay its
own). The public page needs no login: a signed token, the frozen masked rows only, not indexed."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header

from huigong.core.money import format_yuan
from huigong.core.pdf import PdfUnavailable

from . import services as svc
from .models import NoticeStatus


def notice_pdf_response(scheme: svc.NoticeScheme, notice) -> HttpResponse:
    try:
        pdf = svc.notice_pdf(scheme, notice)
    except PdfUnavailable as e:
        return HttpResponse(str(e), status=503, content_type="text/plain; charset=utf-8")
    resp = HttpResponse(pdf, content_type="application/pdf")
    resp["Content-Disposition"] = content_disposition_header(
        False, f"公示-{notice.title}-{notice.starts_on:%Y%m%d}.pdf")
    return resp


def notice_public_response(request, scheme: svc.NoticeScheme, token: str, *,
                           template: str = "notices/public.html") -> HttpResponse:
    """The posted notice: its rows during the period and the grace days, then only "ended" (410)."""
    notice = svc.notice_from_token(scheme, token)
    if notice is None or notice.status == NoticeStatus.WITHDRAWN:
        raise Http404
    if not svc.public_rows_visible(scheme, notice):  # the period and its short grace are over: no names any more
        resp = render(request, "notices/public_ended.html", {
            "notice": notice, "ends_on": notice.ends_on.isoformat()}, status=410)
    elif request.GET.get("format") == "pdf":
        return notice_pdf_response(scheme, notice)
    else:
        rows = svc.notice_rows(scheme, notice)
        resp = render(request, template, {
            "notice": notice, "rows": rows, "total": format_yuan(sum(r.amount_fen for r in rows))})
    resp["X-Robots-Tag"] = "noindex"
    return resp
