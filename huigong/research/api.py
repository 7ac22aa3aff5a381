"""API routes of the research programme (mounted under /api/v1/research): programmes, projects with
their team, fieldwork, tranches, reports and recommendations (with the outcome tracker's status), the
brand's figures, and recording fieldwork from a phone in the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Q
from ninja import Field, Query, Router, Schema, Status

from huigong.api.auth import actor_of
from huigong.api.schemas import MAX_INT32, Id, Input, PageQuery, Ref, page_of, paginate, ref, responses
from huigong.core.outcomes import kpis as tracked
from huigong.core.outcomes.models import TrackedItem
from huigong.core.scope import staff_of

from . import selectors, services
from .models import FieldworkKind, FieldworkLog, Programme, Project, ProjectStatus
from .outcomes import KIND

router = Router()


class ResearchProgrammeOut(Schema):
    id: int
    brand: str
    year: int
    title: str
    status: str
    node: Ref
    budget_fen: int
    committed_fen: int
    topics: list[str]

    @staticmethod
    def resolve_node(obj: Programme) -> dict:
        return ref(obj.node)

    @staticmethod
    def resolve_topics(obj: Programme) -> list[str]:
        return [t.title for t in obj.topics.all()]


ProgrammePage = page_of(ResearchProgrammeOut, "ResearchProgrammePage")


class ProjectOut(Schema):
    id: int
    programme_id: int
    topic: str
    team_name: str
    node: Ref
    status: str
    requested_fen: int
    approved_fen: int | None

    @staticmethod
    def resolve_topic(obj: Project) -> str:
        return obj.topic.title

    @staticmethod
    def resolve_node(obj: Project) -> dict:
        return ref(obj.node)


ProjectPage = page_of(ProjectOut, "ResearchProjectPage")


class ResearchMemberOut(Schema):
    name: str
    role: str
    age: int
    front_line: bool


class FieldworkOut(Schema):
    id: int
    kind: str
    occurred_on: dt.date
    place: str
    cadre: str
    people: int
    orders: int
    hours: Decimal


class TrancheOut(Schema):
    seq: int
    trigger: str
    amount_fen: int
    status: str
    payment_status: str | None


class RecommendationOut(Schema):
    owner: str
    text: str
    tracked_item_id: int | None
    tracked_status: str | None
    progress: int | None


class ResearchReportOut(Schema):
    id: int
    version: int
    title: str
    status: str
    char_count: int
    similarity: int


class ProjectDetailOut(ProjectOut):
    plan: str
    bank_account_mask: str
    midterm_verdict: str
    team: list[ResearchMemberOut]
    fieldwork: list[FieldworkOut]
    tranches: list[TrancheOut]
    reports: list[ResearchReportOut]
    recommendations: list[RecommendationOut]
    awards: list[str]

    # The lists are prepared by the route (project_get) on the instance, under private names.
    @staticmethod
    def resolve_team(obj: Project) -> list:
        return obj._team

    @staticmethod
    def resolve_fieldwork(obj: Project) -> list:
        return list(obj.fieldwork.all())

    @staticmethod
    def resolve_tranches(obj: Project) -> list:
        return obj._tranches

    @staticmethod
    def resolve_reports(obj: Project) -> list:
        return list(obj.reports.all())

    @staticmethod
    def resolve_recommendations(obj: Project) -> list:
        return obj._recs

    @staticmethod
    def resolve_awards(obj: Project) -> list:
        return [f"{a.get_level_display()} · {a.title}" for a in obj.awards.all()]


class ProjectFilters(Input):
    programme_id: Id | None = None
    status: ProjectStatus | None = None


class FieldworkIn(Input):
    kind: FieldworkKind
    occurred_on: dt.date
    place: str = Field(..., min_length=1, max_length=120)
    cadre: str = Field(..., min_length=1, max_length=30)
    people: int = Field(0, ge=0, le=MAX_INT32)
    orders: int = Field(0, ge=0, le=MAX_INT32)
    hours: Decimal = Field(Decimal(0), ge=0, le=10000, max_digits=7, decimal_places=1)
    summary: str = Field("", max_length=2000)


class SummaryOut(Schema):
    programmes: int
    topics: int
    projects: int
    reports: int
    recommendations: int
    policies_adopted: int
    recommendations_open: int
    recommendations_overdue: int
    fieldwork: int
    people: int
    orders: int
    awards: int


class SummaryFilters(Input):
    programme_id: Id | None = None


@router.get("/programmes", response=responses({200: ProgrammePage}))
def programme_list(request, page: Query[PageQuery]):
    actor = actor_of(request)
    return paginate(selectors.programme_list_for_actor(actor).prefetch_related("topics"), page)


@router.get("/projects", response=responses({200: ProjectPage}))
def project_list(request, filters: Query[ProjectFilters], page: Query[PageQuery]):
    actor = actor_of(request)
    programme = selectors.programme_get_for_actor(actor, filters.programme_id) if filters.programme_id else None
    return paginate(selectors.project_list_for_actor(actor, programme=programme, status=filters.status or ""), page)


@router.get("/projects/{project_id}", response=responses({200: ProjectDetailOut}))
def project_get(request, project_id: Id):
    actor = actor_of(request)
    p = selectors.project_get_for_actor(actor, project_id)
    year = p.programme.year
    recs = []
    for report in p.reports.prefetch_related("recommendations__item"):
        for rec in report.recommendations.all():
            item = rec.item
            recs.append({"owner": rec.owner, "text": rec.text, "tracked_item_id": item.pk if item else None,
                         "tracked_status": item.status if item else None, "progress": item.progress if item else None})
    p._recs = recs
    p._team = [{"name": m.name, "role": m.role, "age": year - m.birth_year, "front_line": m.front_line}
               for m in p.team.all()]
    p._tranches = [{"seq": t.seq, "trigger": t.trigger, "amount_fen": t.amount_fen, "status": t.status,
                    "payment_status": getattr(getattr(t, "payment", None), "status", None)}
                   for t in p.tranches.select_related("payment")]
    return p


@router.post("/projects/{project_id}/fieldwork", response=responses({201: FieldworkOut}, body=True))
def fieldwork_create(request, project_id: Id, payload: FieldworkIn):
    """A piece of fieldwork, as a cadre records it on a phone after a visit, an interview or a shift of
    orders (`orders` only for a ride-along)."""
    actor = actor_of(request)
    p = selectors.project_get_for_actor(actor, project_id)
    log: FieldworkLog = services.fieldwork_record(actor=actor, project=p, **payload.dict())
    return Status(201, log)


@router.get("/summary", response=responses({200: SummaryOut}))
def summary(request, filters: Query[SummaryFilters]):
    """The brand's figures over the programmes the caller sees (or one): topics, reports accepted, policies
    adopted (recommendations closed in the outcome tracker with evidence), fieldwork."""
    actor = actor_of(request)
    if filters.programme_id:
        programmes = [selectors.programme_get_for_actor(actor, filters.programme_id)]
    else:
        programmes = list(selectors.programme_list_for_actor(actor))
    ids = [p.pk for p in programmes]
    mine = staff_of(actor).node.path
    figures = selectors.programme_figures(ids)
    items = TrackedItem.objects.filter(
        Q(node__path__startswith=mine) | Q(research_recommendation__report__project__node_path__startswith=mine),
        kind=KIND, research_recommendation__report__project__programme_id__in=ids).distinct()
    s = tracked.summary(items)
    return {"programmes": len(ids), **figures, "policies_adopted": s["closed"], "recommendations_open": s["open"],
            "recommendations_overdue": s["overdue"]}
