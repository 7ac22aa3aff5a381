"""API routes for the honours register, nomination lists (with their composition meter) and innovation
results (mounted under /api/v1/ as the app declares them in apps.py). Every route calls the same
selectors and services as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from huigong.api.auth import actor_of
from huigong.api.schemas import MAX_ID, Id, Input, PageQuery, Ref, page_of, paginate, ref, responses
from huigong.core.scope import require
from huigong.members.selectors import person_get_for_actor
from huigong.orgs import selectors as org_selectors
from huigong.orgs.api import node_ref_for_actor

from . import selectors, services
from .models import (
    Entitlement,
    EntitlementKind,
    EntitlementStatus,
    HolderKind,
    Honour,
    HonourStatus,
    Innovation,
    InnovationKind,
    InnovationStatus,
    ListStatus,
    NominationList,
    PayStatus,
    ReviewDecision,
    RevocationCase,
    RevocationGround,
    RevocationStatus,
    TitleLevel,
    TitleType,
)
from .services import payments
from .services.common import HONOUR, VIEW

honours_router = Router()
campaigns_router = Router()
innovations_router = Router()
revocations_router = Router()
entitlements_router = Router()
payments_router = Router()


def _view(actor):
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


# --- revocation ------------------------------------------------------------------------------------------


class HonourBriefOut(Schema):
    id: int
    holder_name: str
    title_label: str
    status: HonourStatus

    @staticmethod
    def resolve_title_label(obj: Honour) -> str:
        return f"{obj.get_level_display()}{obj.get_title_type_display()}（{obj.year}）"


class HonourRevocationOut(Schema):
    id: int
    node: Ref
    ground: RevocationGround
    ground_label: str
    grounds_text: str
    status: RevocationStatus
    status_label: str
    honours: list[HonourBriefOut]
    created_at: dt.datetime
    decided_at: dt.datetime | None

    @staticmethod
    def resolve_node(obj: RevocationCase) -> dict:
        return ref(obj.node)

    @staticmethod
    def resolve_ground_label(obj: RevocationCase) -> str:
        return str(obj.get_ground_display())

    @staticmethod
    def resolve_status_label(obj: RevocationCase) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_honours(obj: RevocationCase) -> list:
        return [i.honour for i in obj.items.select_related("honour")]


HonourRevocationPage = page_of(HonourRevocationOut, "HonourRevocationPage")


class HonourRevocationFilters(Input):
    status: RevocationStatus | None = None


def _honours_named(actor, ids: list[int]) -> list[Honour]:
    """Titles named in a request body: one missing or outside the actor's subtree is the client's input
    error (422 naming the field), told apart from neither."""
    out = []
    for pk in ids[:200]:
        try:
            out.append(selectors.honour_get_for_actor(actor, pk))
        except Http404:
            raise ValidationError({"honour_ids": [_("荣誉 %(id)s 不存在") % {"id": pk}]}) from None
    return out


@revocations_router.get("", response=responses({200: HonourRevocationPage}))
def revocation_list(request, filters: Query[HonourRevocationFilters], page: Query[PageQuery]):
    actor = actor_of(request)
    _view(actor)
    qs = selectors.revocation_list_for_actor(actor).select_related("node").prefetch_related("items__honour")
    if filters.status:
        qs = qs.filter(status=filters.status)
    return paginate(qs, page)


@revocations_router.get("/{case_id}", response=responses({200: HonourRevocationOut}))
def revocation_get(request, case_id: Id):
    actor = actor_of(request)
    _view(actor)
    return selectors.revocation_get_for_actor(actor, case_id)


@revocations_router.post("", response=responses({201: HonourRevocationOut}, body=True),
                         summary=gettext_lazy("提出撤销称号（可一次撤销多项，逐级审批；multipart，证据材料为文件）"))
def revocation_create(request, honour_ids: Form[list[int]], ground: Form[RevocationGround],
                      grounds_text: Form[str], evidence: File[UploadedFile]):
    actor = actor_of(request)
    staff = require(actor, HONOUR)
    case = services.revocation_propose(actor=actor, node=staff.node, honours=_honours_named(actor, honour_ids),
                                       ground=ground, grounds_text=grounds_text, evidence=evidence)
    return Status(201, case)


@revocations_router.post("/{case_id}/decide", response=responses({200: HonourRevocationOut}, body=True))
def revocation_decide(request, case_id: Id, payload: HonourDecideIn):
    actor = actor_of(request)
    case = selectors.revocation_get_for_actor(actor, case_id)
    return services.revocation_decide(actor=actor, case=case, decision=payload.decision, comment=payload.comment,
                                      acting_reason=payload.acting_reason)


# --- entitlements ----------------------------------------------------------------------------------------


class HonourEntitlementOut(Schema):
    id: int
    honour_id: int
    holder_name: str
    kind: EntitlementKind
    kind_label: str
    period: str
    due_on: dt.date
    status: EntitlementStatus
    status_label: str
    amount_fen: int
    delivered_on: dt.date | None
    note: str
    stop_reason: str

    @staticmethod
    def resolve_holder_name(obj: Entitlement) -> str:
        return obj.honour.holder_name

    @staticmethod
    def resolve_kind_label(obj: Entitlement) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_status_label(obj: Entitlement) -> str:
        return str(obj.get_status_display())


HonourEntitlementPage = page_of(HonourEntitlementOut, "HonourEntitlementPage")


class HonourEntitlementFilters(Input):
    kind: EntitlementKind | None = None
    status: EntitlementStatus | None = None
    period: str = Field("", max_length=12)
    honour_id: int | None = Field(None, ge=1, le=MAX_ID)


class HonourDueFilters(Input):
    kind: EntitlementKind | None = None
    within_days: int | None = Field(None, ge=0, le=3660)


class HonourScheduleIn(Input):
    union_id: int = Field(..., ge=1, le=MAX_ID)
    year: int = Field(..., ge=2000, le=2100)


class HonourScheduleOut(Schema):
    created: int


class HonourDeliverIn(Input):
    delivered_on: dt.date
    note: str = Field("", max_length=255)


@entitlements_router.get("", response=responses({200: HonourEntitlementPage}))
def entitlement_list(request, filters: Query[HonourEntitlementFilters], page: Query[PageQuery]):
    actor = actor_of(request)
    _view(actor)
    return paginate(selectors.entitlement_list_for_actor(actor, kind=filters.kind or "", status=filters.status or "",
                                                         period=filters.period, honour_id=filters.honour_id), page)


@entitlements_router.get("/due", response=responses({200: HonourEntitlementPage}),
                         summary=gettext_lazy("待落实的劳模待遇（within_days：到期日在今后若干天内）"))
def entitlement_due(request, filters: Query[HonourDueFilters], page: Query[PageQuery]):
    actor = actor_of(request)
    _view(actor)
    qs = selectors.entitlements_due_for_actor(actor, within_days=filters.within_days)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return paginate(qs, page)


@entitlements_router.post("/schedule", response=responses({200: HonourScheduleOut}, body=True),
                          summary=gettext_lazy("生成某年度的劳模待遇（幂等，已有的不重复生成）"))
def entitlement_schedule(request, payload: HonourScheduleIn):
    actor = actor_of(request)
    node = node_ref_for_actor(actor, payload.union_id, "union_id")
    return {"created": services.entitlements_schedule_year(actor=actor, node=node, year=payload.year)}


@entitlements_router.post("/{entitlement_id}/deliver", response=responses({200: HonourEntitlementOut}, body=True),
                          summary=gettext_lazy("记录待遇已落实（体检、疗休养、慰问；津贴随发放到账落实）"))
def entitlement_deliver(request, entitlement_id: Id, payload: HonourDeliverIn):
    actor = actor_of(request)
    e = selectors.entitlement_get_for_actor(actor, entitlement_id)
    return services.entitlement_deliver(actor=actor, entitlement=e, delivered_on=payload.delivered_on,
                                        note=payload.note)


# --- allowance and prize payments --------------------------------------------------------------------------


class HonourPaymentOut(Schema):
    id: int
    payee_name: str
    bank_account_mask: str
    amount_fen: int
    idempotency_key: str
    status: PayStatus
    bank_reference: str
    failure_reason: str


class HonourBatchOut(Schema):
    id: int
    kind: str
    title: str
    payments: list[HonourPaymentOut]
    skipped: list[str]


class HonourAllowanceBatchIn(Input):
    union_id: int = Field(..., ge=1, le=MAX_ID)
    year: int = Field(..., ge=2000, le=2100)
    title: str = Field("", max_length=160)


class HonourPrizeBatchIn(Input):
    round_id: int = Field(..., ge=1, le=MAX_ID)
    title: str = Field("", max_length=160)


class HonourImportOut(Schema):
    paid: int
    failed: int
    unchanged: int


HonourPayKind = Literal["allowance", "prize"]


def _batch_out(kind: str, batch, skipped: list[str]) -> dict:
    return {"id": batch.pk, "kind": kind, "title": batch.title, "skipped": [str(s) for s in skipped],
            "payments": list(batch.payments.defer("bank_account").order_by("id"))}


@payments_router.post("/allowance-batches", response=responses({201: HonourBatchOut}, body=True),
                      summary=gettext_lazy("新建荣誉津贴发放批次（该年度待发放、称号有效、无在途发放的津贴）"))
def allowance_batch_create(request, payload: HonourAllowanceBatchIn):
    actor = actor_of(request)
    node = node_ref_for_actor(actor, payload.union_id, "union_id")
    batch, skipped = services.allowance_batch_create(actor=actor, node=node, year=payload.year, title=payload.title)
    return Status(201, _batch_out("allowance", batch, skipped))


@payments_router.post("/prize-batches", response=responses({201: HonourBatchOut}, body=True),
                      summary=gettext_lazy("新建创新成果奖金发放批次（已评定的评审）"))
def prize_batch_create(request, payload: HonourPrizeBatchIn):
    actor = actor_of(request)
    try:
        r = selectors.round_get_for_actor(actor, payload.round_id)
    except Http404:
        raise ValidationError({"round_id": [_("评审 %(id)s 不存在") % {"id": payload.round_id}]}) from None
    batch, skipped = services.prize_batch_create(actor=actor, round=r, title=payload.title)
    return Status(201, _batch_out("prize", batch, skipped))


@payments_router.post("/batches/{kind}/{batch_id}/bank-sheet", response=responses({200: None}),
                      summary=gettext_lazy("银行批量代发表 .xlsx（待发放的记录标记为银行处理中；full=true 完整账号，记录查看日志）"))
def batch_bank_sheet(request, kind: HonourPayKind, batch_id: Id, full: bool = False):
    from huigong.core import banksheet

    actor = actor_of(request)
    batch = selectors.batch_get_for_actor(actor, kind, batch_id)
    sheet = payments.batch_bank_sheet(actor=actor, batch=batch, full=full)
    return banksheet.download(sheet.content, sheet.filename)


@payments_router.post("/batches/{kind}/{batch_id}/bank-results", response=responses({200: HonourImportOut}, body=True),
                      summary=gettext_lazy("导入银行回盘（整表校验，幂等）"))
def batch_bank_results(request, kind: HonourPayKind, batch_id: Id, file: File[UploadedFile]):
    actor = actor_of(request)
    batch = selectors.batch_get_for_actor(actor, kind, batch_id)
    if file.size > 5 * 1024 * 1024:
        raise ValidationError({"file": [_("文件超过 5 MB")]})
    return payments.batch_import_results(actor=actor, batch=batch, data=file.read())
