"""API routes for 求学圆梦 (mounted at /api/v1/education): rounds with their funnel and money, the
published draw and its verification, applications and review, the cohort."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Query, Router, Schema

from huigong.api.auth import actor_of
from huigong.api.schemas import Id, Input, PageQuery, Ref, page_of, paginate, ref, responses

from . import reports, selectors, services
from .models import ApplicationStatus, DegreeLevel, EnrolmentStatus, ProgrammeStatus

router = Router()


class EduProgrammeOut(Schema):
    id: int
    node: Ref
    title: str
    year: int
    status: ProgrammeStatus
    status_label: str
    opens_on: dt.date
    closes_on: dt.date
    total: int | None
    remaining: int | None
    allocation: str
    rules: dict
    tranches: list[dict]
    fallback_fen: int

    @staticmethod
    def resolve_node(obj) -> dict:
        return ref(obj.node)

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())


ProgrammePage = page_of(EduProgrammeOut, "EduProgrammePage")


class FunnelRow(Schema):
    label: str | None
    applied: int
    eligible: int
    approved: int
    drawn: int
    enrolled: int
    graduated: int
    paid_fen: int
    committed_fen: int


class FunnelOut(Schema):
    by: str
    rows: list[FunnelRow]
    committed_fen: int
    paid_fen: int


class EduDrawOut(Schema):
    seed: str
    entrants_hash: str
    entrants: list[int]
    result: list[list]
    precedence: dict[str, int] = Field({}, description="Published precedence per entrant (priority tier, or merit "
                                       "points); higher drawn first, the seeded ticket breaking ties")
    drawn_at: dt.datetime
    problems: list[str] = Field(..., description="Empty when re-running the draw from the seed and the list gives the stored order")


class EduDrawIn(Input):
    seed: str = Field("", max_length=128)


class EducationApplicationOut(Schema):
    id: int
    programme_id: int
    person_name: str
    union: Ref
    major: str
    level: DegreeLevel
    status: ApplicationStatus
    status_label: str
    check_failures: list[str]
    draw_rank: int | None
    submitted_at: dt.datetime | None

    @staticmethod
    def resolve_person_name(obj) -> str:
        return obj.person.name

    @staticmethod
    def resolve_union(obj) -> dict:
        return ref(obj.union)

    @staticmethod
    def resolve_major(obj) -> str:
        return str(obj.major)

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_check_failures(obj) -> list[str]:
        return [c for c in obj.check_failures.split(",") if c]


ApplicationPage = page_of(EducationApplicationOut, "EduApplicationPage")


class ApplicationFilters(Input):
    programme_id: Id | None = None
    status: ApplicationStatus | None = None


class EduDecideIn(Input):
    decision: str = Field(..., pattern="^(approved|returned|rejected)$")
    comment: str = Field("", max_length=2000)
    acting_reason: str = Field("", max_length=500)


class EnrolmentOut(Schema):
    id: int
    application_id: int
    person_name: str
    major: str
    status: EnrolmentStatus
    enrolled_on: dt.date
    terms_passed: int
    graduated_on: dt.date | None

    @staticmethod
    def resolve_person_name(obj) -> str:
        return obj.person.name

    @staticmethod
    def resolve_major(obj) -> str:
        return str(obj.major)


EnrolmentPage = page_of(EnrolmentOut, "EduEnrolmentPage")


@router.get("/programmes", response=responses({200: ProgrammePage}))
def programme_list(request, page: Query[PageQuery]):
    return paginate(selectors.programme_list_for_actor(actor_of(request)).order_by("-year", "pk"), page)


@router.get("/programmes/{programme_id}", response=responses({200: EduProgrammeOut}))
def programme_get(request, programme_id: Id):
    return selectors.programme_get_for_actor(actor_of(request), programme_id)


@router.get("/programmes/{programme_id}/funnel", response=responses({200: FunnelOut}))
def programme_funnel(request, programme_id: Id, by: str = "union"):
    actor = actor_of(request)
    p = selectors.programme_get_for_actor(actor, programme_id)
    by = by if by in reports.DIMENSIONS else "union"
    rows = reports.funnel(selectors.application_list_for_actor(actor, programme=p), by)
    return {"by": by, "rows": rows, "committed_fen": sum(r["committed_fen"] for r in rows),
            "paid_fen": sum(r["paid_fen"] for r in rows)}


def _draw_out(p) -> dict:
    record, problems = services.draw_verify(p)
    return {"seed": record.seed, "entrants_hash": record.entrants_hash, "entrants": record.entrants,
            "result": record.result, "precedence": (record.places or {}).get("precedence") or {},
            "drawn_at": record.drawn_at, "problems": problems}


@router.get("/programmes/{programme_id}/draw", response=responses({200: EduDrawOut}))
def programme_draw_get(request, programme_id: Id):
    """The published draw and the verdict of re-running it (`problems` empty: verified)."""
    p = selectors.programme_get_for_actor(actor_of(request), programme_id)
    if selectors.draw_for(p) is None:
        from django.http import Http404

        raise Http404
    return _draw_out(p)


@router.post("/programmes/{programme_id}/draw", response=responses({200: EduDrawOut}, body=True))
def programme_draw(request, programme_id: Id, payload: EduDrawIn):
    actor = actor_of(request)
    p = selectors.programme_get_for_actor(actor, programme_id)
    services.programme_draw(actor=actor, programme=p, seed=payload.seed)
    return _draw_out(p)


@router.get("/applications", response=responses({200: ApplicationPage}))
def application_list(request, filters: Query[ApplicationFilters], page: Query[PageQuery]):
    actor = actor_of(request)
    p = selectors.programme_get_for_actor(actor, filters.programme_id) if filters.programme_id else None
    return paginate(selectors.application_list_for_actor(actor, programme=p, status=filters.status or "")
                    .order_by("pk"), page)


@router.get("/applications/{application_id}", response=responses({200: EducationApplicationOut}))
def application_get(request, application_id: Id):
    return selectors.application_get_for_actor(actor_of(request), application_id)


@router.post("/applications/{application_id}/decide", response=responses({200: EducationApplicationOut}, body=True))
def application_decide(request, application_id: Id, payload: EduDecideIn):
    actor = actor_of(request)
    a = selectors.application_get_for_actor(actor, application_id)
    return services.application_decide(actor=actor, application=a, decision=payload.decision,
                                       comment=payload.comment, acting_reason=payload.acting_reason)


@router.get("/enrolments", response=responses({200: EnrolmentPage}))
def enrolment_list(request, page: Query[PageQuery], programme_id: Id | None = None):
    actor = actor_of(request)
    p = selectors.programme_get_for_actor(actor, programme_id) if programme_id else None
    return paginate(selectors.enrolment_list_for_actor(actor, programme=p).order_by("pk"), page)
