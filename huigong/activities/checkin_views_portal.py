"""The worker's own ticket: the seat's signed QR code, full screen for the gate's camera, with its text for
a keyboard-wedge scanner or for reading out. Only the seat's own worker (or the worker whose companion it
is) sees it; any other seat is a 404."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from huigong.portal.auth import current_person, worker_required

from .checkin_services import admissible, ticket_code
from .checkin_tickets_qr import ticket_qr_svg
from .models import Registration


@worker_required
@require_GET
def ticket(request, registration_id: int):
    person = current_person(request)
    if person is None:
        raise Http404
    reg = (Registration.objects.select_related("session", "session__event", "person", "lead")
           .filter(Q(person=person) | Q(lead__person=person), pk=registration_id).first())
    if reg is None:
        raise Http404
    ok = admissible(reg)
    return render(request, "activities/portal/checkin_ticket_page.html", {
        "registration": reg, "ok": ok, "code": ticket_code(reg) if ok else "",
        "qr": ticket_qr_svg(reg, scale=8) if ok else ""})
