"""The worker's benefit pages (惠工e家): open programmes and claims, 先办后补 with a receipt from the
phone, service sites near them. A worker sees only their own records."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huigong.portal.auth import consent_required, current_person, worker_required

from . import forms, selectors, services
from .models import BenefitProgramme, ProgrammeKind, ProgrammeStatus
from .views import _receipt_response


def _not_member(request):
    return render(request, "benefits/portal/not_member.html", {})


@worker_required
@require_GET
def programmes(request):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    offered = selectors.programmes_for_person(person)
    claimed = {c.programme_id: c for c in selectors.claims_for_person(person) if c.status != "cancelled"}
    applied = {r.programme_id for r in selectors.reimbursements_for_person(person) if r.status != "rejected"}
    rows = [{"p": p, "reason": reason, "claim": claimed.get(p.pk), "applied": p.pk in applied} for p, reason in offered]
    return render(request, "benefits/portal/programmes.html", {"rows": rows, "tab": "services"})


@worker_required
@require_POST
def claim(request, pk: int):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    programme = selectors.programme_for_person(person, pk)
    try:
        c = services.claim_create(actor=request.user, programme=programme, person=person)
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
        return redirect("benefits_portal:programmes")
    if c.status == "waitlisted":
        messages.warning(request, _("名额已满，已为您登记候补；有人取消时按先后顺序递补，结果会通知您。"))
    else:
        messages.success(request, _("申领成功：%(title)s") % {"title": programme.title})
    # What to do next (where to go, whom to ask; the place in the queue) is on the claim's own page.
    return redirect("benefits_portal:claim_detail", pk=c.pk)


@worker_required
@require_GET
def claims(request):
    """我的申领: place claims and 先办后补 reimbursements, each with its status."""
    person = current_person(request)
    if person is None:
        return _not_member(request)
    return render(request, "benefits/portal/claims.html", {
        "claims": selectors.claims_for_person(person),
        "reimbursements": selectors.reimbursements_for_person(person), "tab": "me"})


@worker_required
@require_GET
def claim_detail(request, pk: int):
    """One of the worker's own claims and its next step: whom to contact, what the programme says; a
    waitlisted claim shows its place in the queue."""
    person = current_person(request)
    if person is None:
        return _not_member(request)
    c = selectors.claim_for_person(person, pk)
    return render(request, "benefits/portal/claim_detail.html", {
        "c": c, "p": c.programme, "contact": selectors.programme_contact(c.programme, c.union),
        "position": selectors.waitlist_position(c), "tab": "me"})


@worker_required
@require_POST
def claim_cancel(request, pk: int):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    c = selectors.claim_for_person(person, pk)
    try:
        services.claim_cancel(actor=request.user, claim=c, reason="本人取消")
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
    else:
        messages.success(request, _("已取消，名额已退回"))
    return redirect("benefits_portal:claims")


@worker_required
@require_GET
def reimbursements(request):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    open_ones = [p for p, reason in selectors.programmes_for_person(person)
                 if p.kind == ProgrammeKind.REIMBURSEMENT and reason is None]
    return render(request, "benefits/portal/reimbursements.html", {
        "items": selectors.reimbursements_for_person(person), "open_programmes": open_ones, "tab": "services"})


def _reimbursable(person) -> list[int]:
    return [p.pk for p, reason in selectors.programmes_for_person(person)
            if p.kind == ProgrammeKind.REIMBURSEMENT and reason is None]


@worker_required
@consent_required("health")
@require_http_methods(["GET", "POST"])
def reimbursement_new(request):
    """Health certificates and check-up receipts are health information: a separate consent first."""
    person = current_person(request)
    if person is None:
        return _not_member(request)
    qs = BenefitProgramme.objects.filter(pk__in=_reimbursable(person), status=ProgrammeStatus.OPEN)
    initial = {"programme": request.GET.get("programme")} if request.GET.get("programme") else {}
    form = forms.ReimbursementSubmitForm(request.POST or None, request.FILES or None, programmes=qs, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.reimbursement_submit(actor=request.user, programme=d["programme"], person=person,
                                          amount_fen=forms.to_fen(d["amount_yuan"]), receipt=d["receipt"],
                                          note=d["note"])
        except ValidationError as e:
            from huigong.orgs.forms import apply_service_errors

            apply_service_errors(form, e, {"amount": "amount_yuan"})
        else:
            messages.success(request, _("已提交，工作人员审核后会通知您"))
            return redirect("benefits_portal:reimbursements")
    return render(request, "benefits/portal/reimbursement_form.html", {"form": form, "has_programmes": qs.exists(),
                                                                       "tab": "services"})


@worker_required
@require_GET
@never_cache
def my_receipt(request, pk: int):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    return _receipt_response(request.user, selectors.reimbursement_for_person(person, pk))


def _coord(raw: str | None, limit: float) -> float | None:
    try:
        v = float(raw)
    except (TypeError, ValueError):
        return None
    return v if -limit <= v <= limit else None


@worker_required
@require_GET
def sites(request):
    person = current_person(request)
    lat, lng = _coord(request.GET.get("lat"), 90), _coord(request.GET.get("lng"), 180)
    if lat is None or lng is None:
        lat = lng = None
    district = request.GET.get("district", "")[:40]
    rows = selectors.sites_for_worker(person=person, lat=lat, lng=lng, district=district)
    all_rows = rows if not district else selectors.sites_for_worker(person=person)
    districts = sorted({r.district for r in all_rows if r.district})
    return render(request, "benefits/portal/sites.html", {
        "rows": rows, "districts": districts, "district": district, "located": lat is not None, "tab": "services",
        # District links keep the location, so the filtered list stays sorted by distance.
        "where": f"&lat={lat:.5f}&lng={lng:.5f}" if lat is not None else ""})
