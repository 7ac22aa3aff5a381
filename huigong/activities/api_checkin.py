"""API routes for event check-in (mounted at /api/v1/event-checkin): gates, scans (the gate page posts
here, one scan online or its offline queue as a batch), the failed-scan log and its review, and the
after-the-fact check-in from a paper list. Staff with the event_checkin capability, in the event's subtree."""

from __future__ import annotations

import datetime as dt
import uuid as uuidlib

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status

from huigong.api.auth import actor_of
from huigong.api.schemas import Id, Input, PageQuery, page_of, paginate, responses

from . import checkin_selectors as sel
from . import checkin_services as svc
from .models import Registration
from .models_checkin import Gate, Scan, ScanKind, ScanReason, ScanResult

router = Router()


class GateIn(Input):
    event_id: Id
    name: str = Field(..., max_length=60)
    session_id: Id | None = None
    allows_reentry: bool = False
    scans_exits: bool = False
    auto_checkout_at: dt.time | None = None


class GateOut(Schema):
    id: int
    event_id: int
    name: str
    session_id: int | None
    allows_reentry: bool
    scans_exits: bool
    auto_checkout_at: dt.time | None
    is_active: bool


GatePage = page_of(GateOut, "GatePage")


class GateFilters(Input):
    event_id: Id | None = None


class ScanItem(Input):
    uuid: uuidlib.UUID = Field(..., description=gettext_lazy("扫码时由签到口生成的唯一编号；重复上传只记一次"))
    code: str = Field(..., max_length=200)
    kind: ScanKind = ScanKind.ENTRY
    scanned_at: dt.datetime | None = Field(None, description=gettext_lazy("扫码时间（离线扫码时为设备时间）"))
    offline: bool = False
    local_result: str = Field("", max_length=9, description=gettext_lazy("离线时签到口的判断：admitted、exited 或 refused"))
    local_reason: str = Field("", max_length=20)


class ScansIn(Input):
    scans: list[ScanItem] = Field(..., min_length=1, max_length=svc.MAX_BATCH)


class ScanAnswer(Schema):
    uuid: uuidlib.UUID
    id: int
    result: ScanResult
    reason: str
    message: str
    flagged: bool
    key: str | None = Field(None, description=gettext_lazy("报名编号:场次编号"))
    name: str | None = None
    entry_no: int | None = None
    scanned_at: dt.datetime


class ScansOut(Schema):
    results: list[ScanAnswer]


class ScanOut(Schema):
    id: int
    uuid: uuidlib.UUID
    gate_id: int | None
    registration_id: int | None
    kind: ScanKind
    method: str
    result: ScanResult
    reason: str
    flagged: bool
    offline: bool
    local_result: str
    scanned_at: dt.datetime
    reviewed_at: dt.datetime | None
    review_note: str


ScanPage = page_of(ScanOut, "ScanPage")


class ScanFilters(Input):
    event_id: Id
    failed: bool = False
    flagged: bool = False
    reason: ScanReason | None = None


class ScanReviewIn(Input):
    note: str = Field(..., max_length=200)


class BulkIn(Input):
    registration_ids: list[Id] = Field(..., min_length=1, max_length=5000)
    at: dt.datetime | None = None


class BulkOut(Schema):
    checked_in: list[int]
    already: list[int]


def seat_label(reg: Registration | None) -> str | None:
    if reg is None:
        return None
    if reg.seq and reg.companion_name:
        return _("%(companion)s（%(name)s的随行人员）") % {"companion": reg.companion_name, "name": reg.person.name}
    return reg.person.name


def answer(scan: Scan) -> dict:
    reg = scan.registration
    if scan.result == ScanResult.ADMITTED:
        message = str(ScanResult.ADMITTED.label)
    elif scan.result == ScanResult.EXITED:
        message = str(ScanResult.EXITED.label)
    else:
        message = str(ScanReason(scan.reason).label) if scan.reason in ScanReason.values else scan.reason
    return {"uuid": scan.uuid, "id": scan.pk, "result": scan.result, "reason": scan.reason, "message": message,
            "flagged": scan.flagged, "key": f"{reg.pk}:{reg.session_id}" if reg else None, "name": seat_label(reg),
            "entry_no": scan.entry_no, "scanned_at": scan.scanned_at}


@router.get("/gates", response=responses({200: GatePage}))
def gate_list(request, filters: Query[GateFilters], page: Query[PageQuery]):
    actor = actor_of(request)
    event = sel.event_get_for_actor(actor, filters.event_id) if filters.event_id else None
    return paginate(sel.gates_for_actor(actor, event=event).order_by("id"), page)


@router.post("/gates", response=responses({201: GateOut}, body=True))
def gate_create(request, payload: GateIn):
    actor = actor_of(request)
    event = sel.event_get_for_actor(actor, payload.event_id)
    session = sel.session_get_for_actor(actor, payload.session_id) if payload.session_id else None
    gate = svc.gate_create(actor=actor, event=event, name=payload.name, session=session,
                           allows_reentry=payload.allows_reentry, scans_exits=payload.scans_exits,
                           auto_checkout_at=payload.auto_checkout_at)
    return Status(201, gate)


@router.get("/gates/{gate_id}", response=responses({200: GateOut}))
def gate_get(request, gate_id: Id):
    return sel.gate_get_for_actor(actor_of(request), gate_id)


@router.post("/gates/{gate_id}/scans", response=responses({200: ScansOut}, body=True))
def gate_scans(request, payload: ScansIn, gate_id: Id):
    """One scan (online) or a gate's offline queue. Each scan is recorded once by its uuid: sending it
    again answers what was answered the first time and changes nothing."""
    actor = actor_of(request)
    gate: Gate = sel.gate_for_scans(actor, gate_id)
    items = [svc.ScanIn(uuid=s.uuid, code=s.code, kind=s.kind, scanned_at=s.scanned_at, offline=s.offline,
                        local_result=s.local_result, local_reason=s.local_reason) for s in payload.scans]
    if len(items) == 1 and not items[0].offline:
        scans = [svc.scan_record(actor=actor, gate=gate, item=items[0])]
    else:
        scans = svc.scans_sync(actor=actor, gate=gate, items=items)
    return {"results": [answer(s) for s in scans]}


@router.get("/scans", response=responses({200: ScanPage}))
def scan_list(request, filters: Query[ScanFilters], page: Query[PageQuery]):
    actor = actor_of(request)
    event = sel.event_get_for_actor(actor, filters.event_id)
    return paginate(sel.scans_for_actor(actor, event=event, failed=filters.failed, flagged=filters.flagged,
                                        reason=filters.reason or ""), page)


@router.post("/scans/{scan_id}/review", response=responses({200: ScanOut}, body=True))
def scan_review(request, payload: ScanReviewIn, scan_id: Id):
    actor = actor_of(request)
    scan = sel.scan_get_for_actor(actor, scan_id)
    return svc.scan_review(actor=actor, scan=scan, note=payload.note)


@router.post("/sessions/{session_id}/bulk", response=responses({200: BulkOut}, body=True))
def session_bulk(request, payload: BulkIn, session_id: Id):
    """After the event, from the paper list: the seats given are checked in at `at` (the session's start
    by default), all or none."""
    actor = actor_of(request)
    session = sel.session_get_for_actor(actor, session_id)
    regs = list(Registration.objects.filter(session=session, pk__in=payload.registration_ids))
    missing = set(payload.registration_ids) - {r.pk for r in regs}
    if missing:
        from django.core.exceptions import ValidationError

        raise ValidationError({"registration_ids": _("不是本场次的报名：%(ids)s") % {
            "ids": ", ".join(str(i) for i in sorted(missing)[:20])}})
    out = svc.checkin_bulk(actor=actor, session=session, registrations=regs, at=payload.at, source="api")
    return {"checked_in": [r.pk for r in out.checked_in], "already": [r.pk for r in out.already]}
