"""The ledger (台账) page with node/year filters, and its .xlsx / PDF exports."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from huigong.accounts.models import Cap
from huigong.core.money import format_yuan
from huigong.core.pdf import PdfUnavailable
from huigong.core.scope import require

from ..forms_flow import LedgerFilterForm
from ..selectors.money import ledger_summary, reconciles
from ..services import ledger as svc


def _filters(request):
    staff = require(request.user, Cap.VIEW)
    form = LedgerFilterForm(request.GET or None, actor=request.user,
                            initial={"year": timezone.localdate().year})
    f = form.cleaned_data if form.is_valid() else {}
    node = f.get("node") or staff.node
    year = f.get("year") if request.GET else timezone.localdate().year
    return staff, form, node, year


@login_required
@require_GET
def ledger(request):
    staff, form, node, year = _filters(request)
    s = ledger_summary(request.user, node_path=node.path, year=year)
    rows = svc.ledger_rows(request.user, node=node, year=year, full=False)
    for key in ("ledger_total", "payouts_total", "budget_paid_total", "budget_total", "budget_committed",
                "payouts_inner_budget_total", "payouts_outer_budget_total"):
        s[key + "_yuan"] = format_yuan(s[key])
    return render(request, "assistance/ledger.html", {
        "form": form, "node": node, "year": year, "s": s, "rows": rows[:500], "more": max(0, len(rows) - 500),
        "ok": reconciles(s), "can_export": staff.can(Cap.EXPORT), "can_full": staff.can(Cap.EXPORT) and
        staff.can(Cap.PII_FULL),
    })


@login_required
@require_GET
def ledger_export(request, fmt: str):
    _staff, _form, node, year = _filters(request)
    full = request.GET.get("full") == "1"
    try:
        out = (svc.ledger_export_pdf if fmt == "pdf" else svc.ledger_export_xlsx)(
            actor=request.user, node=node, year=year, full=full)
    except PdfUnavailable as e:
        return HttpResponse(str(e), status=503, content_type="text/plain; charset=utf-8")
    resp = HttpResponse(out.content, content_type=out.content_type)
    resp["Content-Disposition"] = content_disposition_header(fmt != "pdf", out.filename)
    resp["Cache-Control"] = "no-store"
    return resp
