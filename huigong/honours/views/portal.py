"""The worker's pages (惠工e家): 劳模之家 (her titles and entitlements) and 职工创新 (submit a result or
a suggestion, follow it: every decision with its reason). Public: a certificate's verification page."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huigong.portal.auth import current_person, worker_required

from .. import selectors, services
from ..models import HolderKind, HonourStatus, InnovationKind
from ..services.vetting import honour_from_token
from .common import REFUSALS, posted_date, posted_yuan_fen, refused


def _not_member(request):
    return render(request, "honours/portal/not_member.html", {})


@worker_required
@require_GET
def mine(request):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    honours = list(selectors.honours_for_person(person))
    ctx = selectors.holder_page(honours[0]) if honours else {"honours": [], "entitlements": [], "payments": []}
    return render(request, "honours/portal/mine.html", {**ctx, "tab": "me"})


@worker_required
@require_GET
def innovations(request):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    items = list(selectors.innovations_for_person(person).prefetch_related("reviews"))
    for i in items:
        i.last_review = (list(i.reviews.all()) or [None])[-1]
    return render(request, "honours/portal/innovations.html", {"items": items, "tab": "services"})


@worker_required
@require_http_methods(["GET", "POST"])
def innovation_new(request):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    if request.method == "POST":
        p = request.POST
        try:
            inv = services.innovation_submit(
                actor=request.user, via_portal=True, person=person, title=p.get("title", ""), kind=p.get("kind", ""),
                summary=p.get("summary", ""), team=p.get("team", "").replace("，", ",").replace("、", ",").split(","),
                studio=p.get("studio", ""),
                implemented_on=posted_date(request, "implemented_on", _("实施日期"), required=False))
        except REFUSALS as e:
            refused(request, e)
        else:
            messages.success(request, _("已提交。每一步处理结果和理由都会在这里告诉您。"))
            return redirect("honours_portal:innovation", pk=inv.pk)
    return render(request, "honours/portal/innovation_form.html", {
        "kinds": InnovationKind.choices, "f": request.POST, "tab": "services"})


@worker_required
@require_GET
def innovation(request, pk: int):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    inv = selectors.innovation_for_person(person, pk)
    return render(request, "honours/portal/innovation.html", {
        "inv": inv, "reviews": inv.reviews.all(), "gains": inv.gains.all(), "awards": inv.awards.select_related("round"),
        "editable": inv.status in services.innovation.EDITABLE, "tab": "services"})


@worker_required
@require_POST
def innovation_gain(request, pk: int):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    inv = selectors.innovation_for_person(person, pk)
    p = request.POST
    try:
        services.gain_add(actor=request.user, person=person, innovation=inv, metric=p.get("metric", ""),
                          unit=p.get("unit", ""), baseline=p.get("baseline", ""), after=p.get("after", ""),
                          annual_value_fen=posted_yuan_fen(request, "annual_value", _("年化效益")),
                          method=p.get("method", ""))
    except REFUSALS as e:
        refused(request, e)
    return redirect("honours_portal:innovation", pk=inv.pk)


@worker_required
@require_POST
def innovation_resubmit(request, pk: int):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    inv = selectors.innovation_for_person(person, pk)
    try:
        services.innovation_resubmit(actor=request.user, person=person, innovation=inv,
                                     note=request.POST.get("note", ""))
    except REFUSALS as e:
        refused(request, e)
    else:
        messages.success(request, _("已重新提交"))
    return redirect("honours_portal:innovation", pk=inv.pk)


@require_GET
def verify(request, token: str):
    """Public: what a certificate's QR code opens. Shows the masked holder, the title and whether it is
    still valid (a revoked title says so); nothing else."""
    h = honour_from_token(token)
    if h is None:
        raise Http404
    from huigong.core.crypto import mask_name

    resp = render(request, "honours/portal/verify.html", {
        # A person's name is masked; a unit's or a collective's is no personal data and shows whole.
        "h": h, "holder": mask_name(h.holder_name) if h.holder_kind == HolderKind.PERSON else h.holder_name,
        "valid": h.status == HonourStatus.ACTIVE})
    resp["X-Robots-Tag"] = "noindex"
    return resp
