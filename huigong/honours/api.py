"""API routes for the honours register, nomination lists (with their composition meter) and innovation
results (mounted under /api/v1/ as the app declares them in apps.py). Every route calls the same
selectors and services as the pages."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Query, Router, Schema, Status

from huigong.api.auth import actor_of
from huigong.api.schemas import MAX_ID, Id, Input, PageQuery, Ref, page_of, paginate, ref, responses
from huigong.members.selectors import person_get_for_actor
from huigong.orgs import selectors as org_selectors

from . import selectors, services
from .models import (
    HolderKind,
    Honour,
    HonourStatus,
    Innovation,
    InnovationKind,
    InnovationStatus,
    ListStatus,
    NominationList,
    ReviewDecision,
    TitleLevel,
    TitleType,
)
from .services.common import HONOUR, VIEW

honours_router = Router()
campaigns_router = Router()
innovations_router = Router()


def _view(actor):
    from huigong.core.scope import require

    return require(actor, VIEW)


# --- honours ----------------------------------------------------------------------------------------------


class HonourOut(Schema):
    id: int
    holder_kind: HolderKind
    holder_name: str
    union: Ref
    title_type: TitleType
    title_label: str
    level: TitleLevel
    year: int
    granting_body: str
    certificate_no: str
    status: HonourStatus
    status_label: str
    certificate_recalled_at: dt.datetime | None

    @staticmethod
    def resolve_union(obj: Honour) -> dict:
        return ref(obj.union)

    @staticmethod
    def resolve_title_label(obj: Honour) -> str:
        return f"{obj.get_level_display()}{obj.get_title_type_display()}"

    @staticmethod
    def resolve_status_label(obj: Honour) -> str:
        return str(obj.get_status_display())


HonourPage = page_of(HonourOut, "HonourPage")


class HonourFilters(Input):
    q: str = Field("", max_length=50)
    title_type: TitleType | None = None
    level: TitleLevel | None = None
    status: HonourStatus | None = None
    year: int | None = Field(None, ge=1950, le=2100)


class HonourIn(Input):
    person_id: int = Field(..., ge=1, le=MAX_ID)
    title_type: TitleType
    level: TitleLevel
    year: int = Field(..., ge=1950, le=2100)
    granting_body: str = Field(..., min_length=1, max_length=120)
    certificate_no: str = Field("", max_length=40)


@honours_router.get("", response=responses({200: HonourPage}))
def honour_list(request, filters: Query[HonourFilters], page: Query[PageQuery]):
    actor = actor_of(request)
    _view(actor)
    return paginate(selectors.honour_list_for_actor(actor, q=filters.q, title_type=filters.title_type or "",
                                                    level=filters.level or "", status=filters.status or "",
                                                    year=filters.year), page)


@honours_router.get("/{honour_id}", response=responses({200: HonourOut}))
def honour_get(request, honour_id: Id):
    actor = actor_of(request)
    _view(actor)
    return selectors.honour_get_for_actor(actor, honour_id)


@honours_router.post("", response=responses({201: HonourOut}, body=True))
def honour_create(request, payload: HonourIn):
    actor = actor_of(request)
    from huigong.core.scope import require

    require(actor, HONOUR)
    person, membership = person_get_for_actor(actor, payload.person_id)
    union = membership.union
    h = services.honour_create(actor=actor, union=union, title_type=payload.title_type, level=payload.level,
                               year=payload.year, granting_body=payload.granting_body,
                               certificate_no=payload.certificate_no, person=person)
    return Status(201, h)


# --- nomination lists ------------------------------------------------------------------------------------


class HonourCampaignOut(Schema):
    id: int
    title: str
    node: Ref
    title_type: TitleType
    level: TitleLevel
    year: int
    status: str


CampaignPage = page_of(HonourCampaignOut, "CampaignPage")


class MeterRowOut(Schema):
    attribute: str
    label: str
    op: str
    percent: int
    count: int
    actual_percent: float
    ok: bool
    why: str


class ListOut(Schema):
    id: int
    campaign: Ref
    node: Ref
    status: ListStatus
    status_label: str
    nominees: int
    places: int | None
    meter: list[MeterRowOut]
    problems: list[str]
    can_submit: bool


def _list_out(nl: NominationList) -> dict:
    m = services.meter_of(nl)
    return {"id": nl.pk, "campaign": {"id": nl.campaign_id, "name": nl.campaign.title}, "node": ref(nl.node),
            "status": nl.status, "status_label": str(nl.get_status_display()), "nominees": m.total,
            "places": m.places, "problems": [str(p) for p in m.problems],
            "can_submit": m.ok and nl.status in (ListStatus.DRAFT, ListStatus.RETURNED),
            "meter": [{"attribute": r.rule.attribute, "label": str(r.rule.get_attribute_display()), "op": r.rule.op,
                       "percent": r.rule.percent, "count": r.count, "actual_percent": r.percent, "ok": r.ok,
                       "why": str(r.why)} for r in m.rows]}


class HonourDecideIn(Input):
    decision: str = Field(..., pattern="^(approved|returned|rejected)$")
    comment: str = Field("", max_length=1000)
    acting_reason: str = Field("", max_length=1000)


@campaigns_router.get("", response=responses({200: CampaignPage}))
def campaign_list(request, page: Query[PageQuery]):
    actor = actor_of(request)
    _view(actor)
    qs = selectors.campaign_list_for_actor(actor)
    return paginate([{"id": c.pk, "title": c.title, "node": ref(c.node), "title_type": c.title_type,
                      "level": c.level, "year": c.year, "status": c.status} for c in qs], page)


@campaigns_router.get("/lists/{list_id}", response=responses({200: ListOut}))
def list_get(request, list_id: Id):
    actor = actor_of(request)
    _view(actor)
    return _list_out(selectors.list_get_for_actor(actor, list_id))


@campaigns_router.post("/lists/{list_id}/submit", response=responses({200: ListOut}, body=True))
def list_submit(request, list_id: Id):
    actor = actor_of(request)
    nl = selectors.list_get_for_actor(actor, list_id)
    return _list_out(services.list_submit(actor=actor, nomination_list=nl))


@campaigns_router.post("/lists/{list_id}/decide", response=responses({200: ListOut}, body=True))
def list_decide(request, list_id: Id, payload: HonourDecideIn):
    actor = actor_of(request)
    nl = selectors.list_get_for_actor(actor, list_id)
    return _list_out(services.list_decide(actor=actor, nomination_list=nl, decision=payload.decision,
                                          comment=payload.comment, acting_reason=payload.acting_reason))


# --- innovation ------------------------------------------------------------------------------------------


class GainOut(Schema):
    metric: str
    unit: str
    baseline: str
    after: str
    annual_value_fen: int
    method: str
    verifier: str
    verified_on: dt.date | None

    @staticmethod
    def resolve_baseline(obj) -> str:
        return f"{obj.baseline.normalize():f}"

    @staticmethod
    def resolve_after(obj) -> str:
        return f"{obj.after.normalize():f}"


class ReviewOut(Schema):
    decision: str
    decision_label: str
    reason: str
    reviewer_node: str
    at: dt.datetime

    @staticmethod
    def resolve_decision_label(obj) -> str:
        return str(obj.get_decision_display())


class InnovationOut(Schema):
    id: int
    title: str
    kind: InnovationKind
    kind_label: str
    union: Ref
    lead_name: str
    team: list[str]
    studio: str
    implemented_on: dt.date | None
    status: InnovationStatus
    status_label: str
    flagged_for_nomination: bool
    gains: list[GainOut]
    reviews: list[ReviewOut]

    @staticmethod
    def resolve_union(obj: Innovation) -> dict:
        return ref(obj.union)

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_gains(obj) -> list:
        return list(obj.gains.all())

    @staticmethod
    def resolve_reviews(obj) -> list:
        return list(obj.reviews.all())


class InnovationRow(Schema):
    id: int
    title: str
    kind: InnovationKind
    lead_name: str
    union: Ref
    status: InnovationStatus
    created_at: dt.datetime

    @staticmethod
    def resolve_union(obj: Innovation) -> dict:
        return ref(obj.union)


InnovationPage = page_of(InnovationRow, "InnovationPage")


class InnovationFilters(Input):
    status: InnovationStatus | None = None
    kind: InnovationKind | None = None
    q: str = Field("", max_length=50)


class InnovationIn(Input):
    union_id: int = Field(..., ge=1, le=MAX_ID)
    title: str = Field(..., min_length=1, max_length=160)
    kind: InnovationKind
    summary: str = Field(..., min_length=1, max_length=5000)
    person_id: int | None = Field(None, ge=1, le=MAX_ID)
    lead_name: str = Field("", max_length=50)
    team: list[str] = Field(default_factory=list, max_length=30)
    studio: str = Field("", max_length=120)
    implemented_on: dt.date | None = None


class InnovationReviewIn(Input):
    decision: ReviewDecision
    reason: str = Field("", max_length=2000)


@innovations_router.get("", response=responses({200: InnovationPage}))
def innovation_list(request, filters: Query[InnovationFilters], page: Query[PageQuery]):
    actor = actor_of(request)
    _view(actor)
    return paginate(selectors.innovation_list_for_actor(actor, status=filters.status or "", kind=filters.kind or "",
                                                        q=filters.q), page)


@innovations_router.get("/{innovation_id}", response=responses({200: InnovationOut}))
def innovation_get(request, innovation_id: Id):
    actor = actor_of(request)
    _view(actor)
    return selectors.innovation_get_for_actor(actor, innovation_id)


@innovations_router.post("", response=responses({201: InnovationOut}, body=True))
def innovation_create(request, payload: InnovationIn):
    actor = actor_of(request)
    from huigong.core.scope import require

    require(actor, HONOUR)
    union = org_selectors.node_get_for_actor(actor, payload.union_id)
    person = person_get_for_actor(actor, payload.person_id)[0] if payload.person_id else None
    inv = services.innovation_submit(actor=actor, union=union, title=payload.title, kind=payload.kind,
                                     summary=payload.summary, person=person, lead_name=payload.lead_name,
                                     team=payload.team, studio=payload.studio, implemented_on=payload.implemented_on)
    return Status(201, inv)


@innovations_router.post("/{innovation_id}/review", response=responses({200: InnovationOut}, body=True))
def innovation_review(request, innovation_id: Id, payload: InnovationReviewIn):
    actor = actor_of(request)
    inv = selectors.innovation_get_for_actor(actor, innovation_id)
    services.innovation_review(actor=actor, innovation=inv, decision=payload.decision, reason=payload.reason)
    return selectors.innovation_get_for_actor(actor, innovation_id)
