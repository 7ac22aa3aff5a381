"""Console pages for event check-in: events and their gates, the gate page (camera, keyboard wedge,
offline queue: static/activities/gate.js), manual search, the failed-scan log and its review, and the
after-the-fact check-in from a paper list. Every page needs the event_checkin capability and the event
inside the actor's subtree (scoped selectors)."""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import get_template, render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huigong.core.audit import log_access
from huigong.core.scope import require
from huigong.orgs.forms import apply_service_errors

from . import checkin_forms as forms
from . import checkin_selectors as sel
from . import checkin_services as svc
from .models import Registration
from .models_checkin import ScanReason, ScanResult

PER_PAGE = 50


def _gate_messages() -> dict:
    reasons = {value: str(label) for value, label in ScanReason.choices}
    reasons.update({"unverified": _("无法在本机验证签名"), "signed_out": _("登录已失效，请重新登录"),
                    "no_camera": _("无法打开摄像头，请改用扫码枪或手动输入"),
                    "no_code_in_photo": _("照片中没有识别到签到码")})
    return {
        "admitted": _("准予入场"), "exited": _("已登记离场"), "refused": _("不予入场"),
        "conflict": _("离线重复入场，已标记待核查"), "party": _("共 %(n)s 人"), "unverified": _("签名未验证"),
        "local": _("离线判断"), "pending": _("待同步 %(n)s 条"), "online": _("在线"), "offline": _("离线"),
        "synced": _("已同步 %(n)s 条"), "idTail": _("尾号 %(tail)s"), "flagged": _("%(n)s 条待核查"), "reasons": reasons,
    }


@login_required
@require_GET
def home(request):
    require(request.user, svc.CAP)
    events = list(sel.events_for_actor(request.user)[:200])
    return render(request, "activities/gate/home.html", {"events": events})


@login_required
@require_http_methods(["GET", "POST"])
def event_gates(request, event_id: int):
    event = sel.event_get_for_actor(request.user, event_id)
    form = forms.GateForm(request.POST or None, event=event)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            gate = svc.gate_create(actor=request.user, event=event, name=d["name"], session=d["session"],
                                   allows_reentry=d["allows_reentry"], scans_exits=d["scans_exits"],
                                   auto_checkout_at=d["auto_checkout_at"])
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("已添加签到口：%(name)s") % {"name": gate.name})
            return redirect("activities_gate:event", event_id=event.pk)
    gates = list(sel.gates_for_actor(request.user, event=event))
    flagged = sel.scans_for_actor(request.user, event=event, flagged=True).filter(reviewed_at__isnull=True).count()
    return render(request, "activities/gate/event.html", {
        "event": event, "gates": gates, "form": form, "sessions": list(event.sessions.all()), "flagged": flagged})


@login_required
@require_http_methods(["GET", "POST"])
def gate_edit(request, gate_id: int):
    gate = sel.gate_get_for_actor(request.user, gate_id)
    form = forms.GateForm(request.POST or None, instance=gate, event=gate.event)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            svc.gate_update(actor=request.user, gate=sel.gate_get_for_actor(request.user, gate_id), name=d["name"],
                            session=d["session"], allows_reentry=d["allows_reentry"], scans_exits=d["scans_exits"],
                            auto_checkout_at=d["auto_checkout_at"], is_active=d["is_active"])
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("已保存签到口设置"))
            return redirect("activities_gate:event", event_id=gate.event_id)
    return render(request, "activities/gate/edit.html", {"gate": gate, "form": form})


@login_required
@require_GET
def gate_page(request, gate_id: int):
    gate = sel.gate_get_for_actor(request.user, gate_id)
    config = {
        "gate": gate.pk,
        "scanUrl": reverse("api:gate_scans", kwargs={"gate_id": gate.pk}),
        "csrf": get_token(request),
        "reentry": gate.allows_reentry,
        "exits": gate.scans_exits,
        "sessions": sel.gate_keys(gate),
        "storage": f"hg-gate-{gate.pk}-{request.user.pk}",
        "rosterUrl": reverse("activities_gate:roster", args=[gate.pk]),
        "sw": reverse("activities_gate:sw"),
        "swScope": reverse("activities_gate:home"),
        "msgs": _gate_messages(),
    }
    return render(request, "activities/gate/scan.html", {
        "gate": gate, "config": config, "counts": sel.gate_counts(gate), "sessions": sel.gate_sessions(gate)})


@login_required
@require_GET
def gate_roster(request, gate_id: int):
    """The gate's masked roster (one request; the gate page refreshes it while online) so that an offline
    admission can say who it is. Each fetch leaves an access row: who took which masked fields of how many
    seats onto a phone."""
    gate = sel.gate_get_for_actor(request.user, gate_id)
    roster = sel.gate_roster(gate)
    log_access(actor=request.user, object_type="activities.gate_roster", object_id=str(gate.pk),
               fields=sel.ROSTER_FIELDS, purpose="离线签到名单（脱敏）", node_path=gate.event.node.path,
               row_count=len(roster["seats"]))
    response = JsonResponse(roster)
    response["Cache-Control"] = "no-store"
    return response


SW_ASSETS = ("activities/gate.js", "activities/gate.css", "vendor/zxing/zxing-browser.min.js")


@lru_cache(maxsize=1)
def _sw_version() -> str:
    """Changes whenever the worker or an asset it precaches changes: a new version installs, and its
    activation deletes the caches of the old ones."""
    h = hashlib.sha256(get_template("activities/gate/sw.js").template.source.encode())
    for name in SW_ASSETS:
        h.update(static(name).encode())
        found = finders.find(name)
        if found:
            with open(found, "rb") as f:
                h.update(f.read())
    return h.hexdigest()[:12]


@login_required
@require_GET
def gate_sw(request):
    """The gate pages' service worker, served from our own origin at the gate pages' root so that its
    scope is the gate pages only (static/activities/gate.js registers it)."""
    require(request.user, svc.CAP)
    body = render_to_string("activities/gate/sw.js", {"config": json.dumps({
        "version": _sw_version(), "scope": reverse("activities_gate:home"),
        "static": settings.STATIC_URL, "precache": [static(n) for n in SW_ASSETS],
        "pages": r"^" + re.escape(reverse("activities_gate:home")) + r"\d+/$",
    })})
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@login_required
@require_GET
def gate_search(request, gate_id: int):
    gate = sel.gate_get_for_actor(request.user, gate_id)
    q = request.GET.get("q", "")
    seats = sel.seat_search(gate, q)
    return render(request, "activities/gate/search.html", {"gate": gate, "q": q, "seats": seats})


@login_required
@require_POST
def gate_manual(request, gate_id: int, registration_id: int):
    gate = sel.gate_get_for_actor(request.user, gate_id)
    sessions = [s.pk for s in sel.gate_sessions(gate)]
    reg = Registration.objects.select_related("person").filter(pk=registration_id, session_id__in=sessions).first()
    if reg is None:
        from django.http import Http404

        raise Http404
    scan = svc.checkin_manual(actor=request.user, gate=gate, registration=reg)
    if scan.result == ScanResult.ADMITTED:
        messages.success(request, _("%(name)s 已签到入场") % {"name": reg.person.name})
    else:
        messages.error(request, _("%(name)s 未能签到：%(reason)s") % {"name": reg.person.name,
                                                                 "reason": scan.get_reason_display()})
    q = request.POST.get("q", "")
    return redirect(f"{reverse('activities_gate:search', args=[gate.pk])}?q={q}" if q and not q.isdigit()
                    else reverse("activities_gate:search", args=[gate.pk]))


@login_required
@require_GET
def scan_log(request, event_id: int):
    event = sel.event_get_for_actor(request.user, event_id)
    only = request.GET.get("show", "failed")
    reason = request.GET.get("reason", "")
    if reason not in ScanReason.values:
        reason = ""
    qs = sel.scans_for_actor(request.user, event=event, failed=only == "failed", flagged=only == "flagged",
                             reason=reason)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "activities/gate/scans.html", {
        "event": event, "page": page, "show": only, "reason": reason, "reasons": ScanReason.choices,
        "review_form": forms.ReviewForm()})


@login_required
@require_POST
def scan_review(request, scan_id: int):
    scan = sel.scan_get_for_actor(request.user, scan_id)
    form = forms.ReviewForm(request.POST)
    if form.is_valid():
        try:
            svc.scan_review(actor=request.user, scan=scan, note=form.cleaned_data["note"])
        except ValidationError as e:
            messages.error(request, "；".join(e.messages))
        else:
            messages.success(request, _("已记录核查说明"))
    else:
        messages.error(request, _("请填写核查说明"))
    return redirect(f"{reverse('activities_gate:scans', args=[scan.event_id])}?show=flagged")


@login_required
@require_http_methods(["GET", "POST"])
def session_bulk(request, session_id: int):
    session = sel.session_get_for_actor(request.user, session_id)
    tick = forms.BulkTickForm(request.POST if request.POST.get("form") == "tick" else None)
    upload = forms.BulkUploadForm(request.POST if request.POST.get("form") == "upload" else None,
                                  request.FILES if request.POST.get("form") == "upload" else None)
    if request.method == "POST":
        try:
            with transaction.atomic():
                if request.POST.get("form") == "upload":
                    if not upload.is_valid():
                        raise ValidationError({"upload": _("请选择 .xlsx 文件")})
                    data = upload.cleaned_data["upload"].read()
                    regs = svc.bulk_sheet_read(session=session, data=data)
                    out = svc.checkin_bulk(actor=request.user, session=session, registrations=regs, source="xlsx")
                else:
                    ids = [int(v) for v in request.POST.getlist("seat") if v.isdigit()]
                    if not ids:
                        raise ValidationError({"seat": _("请勾选已到场的人员")})
                    if not tick.is_valid():
                        raise ValidationError({"at": _("签到时间格式不正确")})
                    regs = list(Registration.objects.filter(session=session, pk__in=ids))
                    from django.utils import timezone

                    at = tick.cleaned_data.get("at")
                    if at is not None and timezone.is_naive(at):
                        at = timezone.make_aware(at)
                    out = svc.checkin_bulk(actor=request.user, session=session, registrations=regs, at=at,
                                           source="list")
        except ValidationError as e:
            for m in e.messages:
                messages.error(request, m)
        else:
            messages.success(request, _("已补录签到 %(n)d 人；%(m)d 人此前已签到") % {
                "n": len(out.checked_in), "m": len(out.already)})
            return redirect("activities_gate:bulk", session_id=session.pk)
    seats = sel.session_seats(session)
    return render(request, "activities/gate/bulk.html", {
        "session": session, "event": session.event, "seats": seats, "tick": tick, "upload": upload,
        "checked": sum(1 for s in seats if getattr(s, "checkin", None) is not None)})
