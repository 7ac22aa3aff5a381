"""The worker's event pages (惠工e家): events open to them, registration with companions or a ranked
ballot, their seats with the waitlist position, offers to claim, self-removal, the ticket slot (filled
by check-in) and the attendance certificate."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from huigong.core.capacity.models import Allocation, Ballot, EntryStatus
from huigong.core.pdf import PdfUnavailable
from huigong.portal.auth import current_person, worker_required

from . import attendance, selectors, services


def _not_member(request):
    return render(request, "activities/portal/not_member.html", {})


@worker_required
@require_GET
def events(request):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    mine = {r.session.event_id for r in selectors.registrations_for_person(person)
            if r.status in ("entered", "waiting", "offered", "granted")}
    rows = [{"e": e, "reason": reason, "mine": e.pk in mine} for e, reason in selectors.events_for_person(person)]
    return render(request, "activities/portal/events.html", {"rows": rows, "tab": "services"})


@worker_required
@require_GET
def event(request, pk: int):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    e = selectors.event_for_person(person, pk)
    m = services.active_membership(person)
    reason = services.audience_reason(e, person, m) or services.window_reason(e)
    sessions = list(e.sessions.filter(ends_at__gt=timezone.now()))
    held = {r.session_id: r for r in selectors.registrations_for_person(person).filter(session__event=e)
            if r.status in ("entered", "waiting", "offered", "granted")}
    ballot = Ballot.objects.filter(group=f"activities.event:{e.pk}", person_id=person.pk).first()
    return render(request, "activities/portal/event.html", {
        "e": e, "reason": reason, "rows": [{"s": s, "reg": held.get(s.pk)} for s in sessions],
        "ranked": e.allocation == Allocation.RANKED, "ballot": ballot.choices if ballot else [],
        "companions": range(1, e.max_companions + 1),
        # A ranked ballot's companions (placed with the worker, in the same session), as last submitted.
        "ballot_companions": [(i, names[i - 1] if i <= len(names) else "") for i in range(1, e.max_companions + 1)
                              for names in [ballot.extra.get("companions", []) if ballot else []]]})


@worker_required
@require_POST
def register(request, pk: int):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    from .models import EventSession

    event_id = EventSession.objects.filter(pk=pk).values_list("event_id", flat=True).first()
    if event_id is None:
        raise Http404
    selectors.event_for_person(person, event_id)
    names = [request.POST.get(f"companion_{i}", "").strip() for i in range(1, 11)]
    names = [n for n in names if n]
    try:
        reg = services.register(actor=request.user, session=pk, person=person, companions=names)
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
        return redirect("activities_portal:event", pk=event_id)
    if reg.status == EntryStatus.WAITING:
        messages.warning(request, _("名额已满，已为您登记候补；有人取消时按先后顺序递补，结果会通知您。"))
    elif reg.status == EntryStatus.ENTERED:
        messages.success(request, _("已报名参加抽签，抽签结果会通知您。"))
    else:
        messages.success(request, _("报名成功"))
    return redirect("activities_portal:registration", pk=reg.pk)


@worker_required
@require_POST
def ballot(request, pk: int):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    e = selectors.event_for_person(person, pk)
    choices = [c for c in request.POST.getlist("choice") if c]
    names = [n for n in (request.POST.get(f"companion_{i}", "").strip() for i in range(1, 11)) if n]
    try:
        services.ballot_cast(actor=request.user, event=e, person=person, session_ids=choices, companions=names)
    except (ValidationError, ValueError) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", [_("请从本活动的场次中选择")])))
    else:
        messages.success(request, _("志愿已提交，分配结果会通知您。"))
    return redirect("activities_portal:event", pk=e.pk)


@worker_required
@require_GET
def mine(request):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    regs = list(selectors.registrations_for_person(person)[:200])
    positions = selectors.waitlist_positions(regs)
    return render(request, "activities/portal/mine.html", {
        "rows": [{"r": r, "position": positions.get(r.pk)} for r in regs], "tab": "me"})


@worker_required
@require_GET
def registration(request, pk: int):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    reg = selectors.registration_for_person(person, pk)
    seats = selectors.seats_of(reg)
    positions = selectors.waitlist_positions(seats)
    return render(request, "activities/portal/registration.html", {
        "registration": reg, "event": reg.session.event, "session": reg.session,
        "seats": [{"r": s, "position": positions.get(s.pk)} for s in seats], "position": positions.get(reg.pk),
        "admissible": selectors.admissible(reg), "can_cancel": reg.status in ("entered", "waiting", "offered", "granted")
        and reg.session.ends_at > timezone.now()})


@worker_required
@require_POST
def registration_action(request, pk: int, action: str):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    reg = selectors.registration_for_person(person, pk)
    try:
        if action == "cancel":
            services.registration_cancel(actor=request.user, registration=reg, reason=request.POST.get("reason", ""))
            messages.success(request, _("已取消报名"))
        elif action == "accept":
            services.offer_accept(actor=request.user, registration=reg)
            messages.success(request, _("已确认名额"))
        elif action == "decline":
            services.offer_decline(actor=request.user, registration=reg)
            messages.success(request, _("已放弃名额"))
        else:
            raise Http404
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
    return redirect("activities_portal:registration", pk=reg.lead_id or reg.pk)


@worker_required
@require_GET
def certificate(request, pk: int):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    reg = selectors.registration_for_person(person, pk)
    try:
        data = attendance.certificate_pdf(reg, request)
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
        return redirect("activities_portal:registration", pk=reg.pk)
    except PdfUnavailable as e:
        messages.error(request, str(e))
        return redirect("activities_portal:registration", pk=reg.pk)
    resp = HttpResponse(data, content_type="application/pdf")
    resp["Content-Disposition"] = attendance.disposition(f"参加证明-{reg.session.event.title}.pdf")
    return resp


@require_GET
def certificate_verify(request, token: str):
    """Public: whoever scans a certificate's QR sees whether it is genuine (masked name, event, date)."""
    from huigong.core.crypto import mask_name

    reg = attendance.certificate_check(token)
    return render(request, "activities/portal/certificate_verify.html", {
        "reg": reg, "name": mask_name(reg.person.name) if reg else ""}, status=200 if reg else 404)
