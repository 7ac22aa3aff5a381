"""API routes of the check-ups (mounted under /api/v1/checkups): campaigns, a campaign's report, an
examination's findings with their rectification status, and rectification progress on a finding (through
the kernel's outcome tracker)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Query, Router, Schema

from huigong.api.auth import actor_of
from huigong.api.schemas import Input, PageQuery, Ref, page_of, paginate, ref, responses
from huigong.core.outcomes import services as outcomes

from . import selectors

router = Router()


class CheckupCampaignOut(Schema):
    id: int
    title: str
    kind: str
    year: int
    node: Ref
    starts_on: dt.date
    ends_on: dt.date
    status: str

    @staticmethod
    def resolve_node(obj) -> dict:
        return ref(obj.node)


CampaignPage = page_of(CheckupCampaignOut, "CheckupCampaignPage")


class CategoryRow(Schema):
    category: str
    label: str
    total: int
    closed: int
    open: int
    overdue: int
    issued: int
    accepted: int
    completed: int


class CheckupReportOut(Schema):
    campaign_id: int
    enterprises_enrolled: int
    enterprises_examined: int
    workers_covered: int
    return_visits: int
    return_visits_overdue: int
    findings: int
    findings_closed: int
    findings_overdue: int
    recommendations_issued: int
    recommendations_accepted: int
    recommendations_completed: int
    avg_days_to_close: float | None
    by_category: list[CategoryRow]


class FindingOut(Schema):
    id: int
    category: str
    severity: str
    description: str
    legal_basis: str
    tracked_item_id: int = Field(..., alias="item_id")
    status: str
    progress: int
    due_date: dt.date | None
    instrument: str | None

    @staticmethod
    def resolve_status(obj) -> str:
        return obj.item.status

    @staticmethod
    def resolve_progress(obj) -> int:
        return obj.item.progress

    @staticmethod
    def resolve_due_date(obj):
        return obj.item.due_date

    @staticmethod
    def resolve_instrument(obj):
        return obj.instrument.number if obj.instrument_id else None


FindingPage = page_of(FindingOut, "CheckupFindingPage")


class ProgressIn(Input):
    progress: int = Field(..., ge=0, le=100)
    note: str = Field("", max_length=500)


@router.get("/campaigns", response=responses({200: CampaignPage}))
def campaign_list(request, page: Query[PageQuery]):
    return paginate(selectors.campaigns_for_actor(actor_of(request)).order_by("-year", "-id"), page)


@router.get("/campaigns/{campaign_id}/report", response=responses({200: CheckupReportOut}))
def campaign_report(request, campaign_id: int):
    c = selectors.campaign_get_for_actor(actor_of(request), campaign_id)
    r = selectors.campaign_report(c)
    t, e = r["totals"], r["exams"]
    return {"campaign_id": c.pk, "enterprises_enrolled": e["enrolled"], "enterprises_examined": e["examined"],
            "workers_covered": e["workers"], "return_visits": e["return_visited"],
            "return_visits_overdue": e["return_overdue"], "findings": t["total"], "findings_closed": t["closed"],
            "findings_overdue": t["overdue"], "recommendations_issued": t["issued"],
            "recommendations_accepted": t["accepted"], "recommendations_completed": t["completed"],
            "avg_days_to_close": t["avg_days_to_close"], "by_category": r["by_category"]}


@router.get("/examinations/{exam_id}/findings", response=responses({200: FindingPage}))
def exam_findings(request, exam_id: int, page: Query[PageQuery]):
    exam = selectors.exam_get_for_actor(actor_of(request), exam_id)
    return paginate(exam.findings.select_related("item", "instrument").order_by("id"), page)


@router.post("/findings/{finding_id}/progress", response=responses({200: FindingOut}, body=True))
def finding_progress(request, finding_id: int, payload: ProgressIn):
    actor = actor_of(request)
    f = selectors.finding_get_for_actor(actor, finding_id)
    outcomes.item_progress(actor=actor, item=f.item, progress=payload.progress, note=payload.note)
    f.item.refresh_from_db()
    return f
