"""API routes of the kernel's outcome tracker (mounted under /api/v1/outcomes): every tracked item of the
caller's subtree whatever domain made it (check-up findings, research recommendations), its timeline, its
evidence (metadata), and its transitions — progress, a note, evidence, submit, the verdict on effect
(close or reopen), drop, a new due date — through the tracker's own services, so the API refuses what the
pages refuse (closing without evidence of effect, a verdict by whoever submitted). The export is the
pages' sheet (CSV or .xlsx).

The kernel imports no surface, so its API lives here, on the API surface, and reads the kernel."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status

from huigong.api.auth import actor_of
from huigong.api.schemas import Id, Input, PageQuery, Ref, page_of, paginate, ref, responses
from huigong.core import scope
from huigong.core.outcomes import kinds, selectors, services, transfer
from huigong.core.outcomes.models import EvidenceKind, TimelineEntry, TrackedItem
from huigong.core.outcomes.models import Status as ItemStatus
from huigong.orgs.models import UnionNode

router = Router()

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- out -------------------------------------------------------------------------------------------------


def _kind(item: TrackedItem):
    return kinds.KINDS.get(item.kind)


class OutcomesItemOut(Schema):
    id: int
    kind: str
    kind_label: str
    source_id: str
    title: str
    category: str
    category_label: str
    severity: str
    severity_label: str
    node: Ref
    owner_kind: str
    owner_name: str
    owner_enterprise: Ref | None
    status: str
    status_label: str
    progress: int
    due_date: dt.date | None
    overdue: bool
    escalation_level: int
    cycle: int
    created_at: dt.datetime
    ended_at: dt.datetime | None

    @staticmethod
    def resolve_kind_label(obj: TrackedItem) -> str:
        return kinds.label_of(obj.kind)

    @staticmethod
    def resolve_category_label(obj: TrackedItem) -> str:
        k = _kind(obj)
        return k.category_label(obj.category) if k and obj.category else obj.category

    @staticmethod
    def resolve_severity_label(obj: TrackedItem) -> str:
        k = _kind(obj)
        return k.severity_label(obj.severity) if k and obj.severity else obj.severity

    @staticmethod
    def resolve_node(obj: TrackedItem) -> dict:
        return ref(obj.node)

    @staticmethod
    def resolve_owner_enterprise(obj: TrackedItem):
        return ref(obj.owner_enterprise)

    @staticmethod
    def resolve_status_label(obj: TrackedItem) -> str:
        k = _kind(obj)
        return k.status_label(obj.status) if k else obj.get_status_display()

    @staticmethod
    def resolve_overdue(obj: TrackedItem) -> bool:
        return obj.is_overdue(timezone.localdate())


OutcomesItemPage = page_of(OutcomesItemOut, "OutcomesItemPage")


class OutcomesEvidenceOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    has_file: bool
    content_type: str
    doc_number: str
    issuer: str
    issued_on: dt.date | None
    text: str
    of_effect: bool
    cycle: int
    added_at: dt.datetime

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(EvidenceKind(obj.kind).label) if obj.kind in EvidenceKind.values else obj.kind

    @staticmethod
    def resolve_has_file(obj) -> bool:
        return bool(obj.file)


class OutcomesLinkOut(Schema):
    id: int
    relation: str
    relation_label: str
    outgoing: bool = Field(..., description=gettext_lazy("true：本事项指向对方；false：对方指向本事项"))
    other_id: int
    other_title: str
    other_kind: str
    other_status: str
    note: str


class OutcomesItemDetailOut(OutcomesItemOut):
    description: str
    source_url: str
    evidence: list[OutcomesEvidenceOut]
    links: list[OutcomesLinkOut]

    @staticmethod
    def resolve_source_url(obj: TrackedItem) -> str:
        k = _kind(obj)
        return k.source_url(obj) if k and k.source_url else ""

    @staticmethod
    def resolve_evidence(obj: TrackedItem) -> list:
        return list(obj.evidence.order_by("added_at", "id"))

    @staticmethod
    def resolve_links(obj: TrackedItem) -> list:
        return obj.api_links


class OutcomesTimelineEntryOut(Schema):
    id: int
    at: dt.datetime
    kind: str
    kind_label: str
    from_status: str
    to_status: str
    progress: int | None
    text: str
    actor: str = Field(..., alias="actor_label")

    @staticmethod
    def resolve_kind_label(obj: TimelineEntry) -> str:
        return obj.get_kind_display()


OutcomesTimelinePage = page_of(OutcomesTimelineEntryOut, "OutcomesTimelinePage")


def _detail(item: TrackedItem, actor) -> TrackedItem:
    """The item with its links as the actor may see them (an item outside the subtree is left out)."""
    item.api_links = []
    for row in selectors.links_of(item, actor):
        link, other = row["link"], row["other"]
        item.api_links.append({
            "id": link.pk, "relation": link.relation, "relation_label": link.get_relation_display(),
            "outgoing": row["outgoing"], "other_id": other.pk, "other_title": other.title, "other_kind": other.kind,
            "other_status": other.status, "note": link.note})
    return item


# --- in --------------------------------------------------------------------------------------------------


class OutcomesItemFilters(Input):
    kind: str = Field("", max_length=64, description=gettext_lazy("类型代码，如 checkups.finding"))
    status: Literal["", "open", "in_progress", "reopened", "verifying", "closed", "dropped"] = ""
    owner: str = Field("", max_length=100, description=gettext_lazy("责任主体名称（部分匹配）"))
    owner_enterprise_id: Id | None = None
    due_from: dt.date | None = Field(None, description=gettext_lazy("办结期限不早于"))
    due_to: dt.date | None = Field(None, description=gettext_lazy("办结期限不晚于"))
    overdue: bool | None = Field(None, description=gettext_lazy("true：仅逾期；false：未逾期"))
    union_id: Id | None = Field(None, description=gettext_lazy("只看这个工会及其下级"))
    q: str = Field("", max_length=60, description=gettext_lazy("事项或责任主体（部分匹配）"))


def _items(actor, f: OutcomesItemFilters):
    node_path = ""
    if f.union_id is not None:
        # An out-of-scope union is not told apart from a missing one (422, like any unknown id named in a query).
        node = UnionNode.objects.filter(pk=f.union_id).first()
        if node is None or not scope.path_in_scope(actor, node.path):
            raise ValidationError({"union_id": _("工会 %(union_id)s 不存在") % {"union_id": f.union_id}})
        node_path = node.path
    if f.due_from and f.due_to and f.due_from > f.due_to:
        raise ValidationError({"due_to": _("办结期限不晚于：不能早于“办结期限不早于”")})
    return selectors.items_for_actor(actor, kind=f.kind, status=f.status, overdue=f.overdue, node_path=node_path,
                                     q=f.q, owner=f.owner, owner_enterprise_id=f.owner_enterprise_id,
                                     due_from=f.due_from, due_to=f.due_to)


class OutcomesProgressIn(Input):
    progress: int = Field(..., ge=0, le=100)
    note: str = Field("", max_length=2000)


class OutcomesNoteIn(Input):
    text: str = Field(..., min_length=1, max_length=5000)


class OutcomesEvidenceIn(Input):
    kind: Literal["policy", "instruction", "note"] = Field(
        ..., description=gettext_lazy("policy 政策文件（需文号）、instruction 领导批示（需批示人和内容）、note 情况说明；"
                                      "文件与照片请在控制台上传"))
    title: str = Field("", max_length=200)
    doc_number: str = Field("", max_length=100)
    issuer: str = Field("", max_length=100)
    issued_on: dt.date | None = None
    text: str = Field("", max_length=5000)
    of_effect: bool = Field(False, description=gettext_lazy("这份材料能证明整改或落实的成效（提交验证需要）"))


class OutcomesSubmitIn(Input):
    note: str = Field("", max_length=2000)


class OutcomesVerdictIn(Input):
    effective: bool = Field(..., description=gettext_lazy("true：确认成效并办结；false：未见成效，重新办理"))
    comment: str = Field("", max_length=2000, description=gettext_lazy("意见（未见成效时必填）"))


class OutcomesReopenIn(Input):
    comment: str = Field(..., min_length=1, max_length=2000, description=gettext_lazy("重新办理的理由"))


class OutcomesDropIn(Input):
    reason: str = Field(..., min_length=1, max_length=2000)


class OutcomesDueIn(Input):
    due_date: dt.date | None
    reason: str = Field("", max_length=500, description=gettext_lazy("调整理由（已有期限时必填）"))


# --- routes ----------------------------------------------------------------------------------------------


@router.get("/items", response=responses({200: OutcomesItemPage}),
            summary=gettext_lazy("跟踪事项列表（按类型、状态、责任主体、期限、逾期筛选）"))
def item_list(request, filters: Query[OutcomesItemFilters], page: Query[PageQuery]):
    return paginate(_items(actor_of(request), filters).order_by("-id"), page)


@router.get("/items/export", response=responses({200: None}),
            summary=gettext_lazy("导出跟踪事项表（CSV 或 .xlsx，与控制台导出相同，可再导入）"))
def item_export(request, filters: Query[OutcomesItemFilters], format: Literal["csv", "xlsx"] = "csv"):
    actor = actor_of(request)
    scope.require(actor, "export")
    qs = _items(actor, filters)
    if format == "xlsx":
        body, ctype, name = transfer.export_xlsx(qs), XLSX, "outcomes.xlsx"
    else:
        body, ctype, name = transfer.export_csv(qs), "text/csv; charset=utf-8", "outcomes.csv"
    resp = HttpResponse(body, content_type=ctype)
    resp["Content-Disposition"] = content_disposition_header(True, name)
    resp["Cache-Control"] = "no-store"
    return resp


@router.get("/items/{item_id}", response=responses({200: OutcomesItemDetailOut}))
def item_get(request, item_id: Id):
    actor = actor_of(request)
    return _detail(selectors.item_get_for_actor(actor, item_id), actor)


@router.get("/items/{item_id}/timeline", response=responses({200: OutcomesTimelinePage}),
            summary=gettext_lazy("办理记录（状态变更、进度、备注、佐证、提醒、督办，按时间先后）"))
def item_timeline(request, item_id: Id, page: Query[PageQuery]):
    item = selectors.item_get_for_actor(actor_of(request), item_id)
    return paginate(item.timeline.order_by("at", "id"), page)


@router.post("/items/{item_id}/notes", response=responses({201: OutcomesTimelineEntryOut}, body=True),
             summary=gettext_lazy("添加办理记录（备注）"))
def item_note(request, item_id: Id, payload: OutcomesNoteIn):
    actor = actor_of(request)
    item = selectors.item_get_for_actor(actor, item_id)
    return Status(201, services.item_note(actor=actor, item=item, text=payload.text))


def _act(request, item_id: int, fn, **kw):
    actor = actor_of(request)
    item = selectors.item_get_for_actor(actor, item_id)
    item = fn(actor=actor, item=item, **kw)
    return _detail(selectors.item_get_for_actor(actor, item.pk), actor)


@router.post("/items/{item_id}/progress", response=responses({200: OutcomesItemDetailOut}, body=True),
             summary=gettext_lazy("更新进度（首次更新使事项进入推进中；100% 不等于办结）"))
def item_progress(request, item_id: Id, payload: OutcomesProgressIn):
    return _act(request, item_id, services.item_progress, progress=payload.progress, note=payload.note)


@router.get("/items/{item_id}/evidence", response=responses({200: list[OutcomesEvidenceOut]}),
            summary=gettext_lazy("佐证材料（元数据；文件在控制台查看）"))
def evidence_list(request, item_id: Id):
    item = selectors.item_get_for_actor(actor_of(request), item_id)
    return list(item.evidence.order_by("added_at", "id"))


@router.post("/items/{item_id}/evidence", response=responses({201: OutcomesEvidenceOut}, body=True),
             summary=gettext_lazy("添加佐证材料（政策文件文号、领导批示或情况说明）"))
def evidence_add(request, item_id: Id, payload: OutcomesEvidenceIn):
    actor = actor_of(request)
    item = selectors.item_get_for_actor(actor, item_id)
    ev = services.evidence_add(actor=actor, item=item, kind=payload.kind, title=payload.title,
                               doc_number=payload.doc_number, issuer=payload.issuer, issued_on=payload.issued_on,
                               text=payload.text, of_effect=payload.of_effect)
    return Status(201, ev)


@router.post("/items/{item_id}/submit", response=responses({200: OutcomesItemDetailOut}, body=True),
             summary=gettext_lazy("提交验证（需本轮的成效证据）"))
def item_submit(request, item_id: Id, payload: OutcomesSubmitIn):
    return _act(request, item_id, services.item_submit, note=payload.note)


@router.post("/items/{item_id}/verdict", response=responses({200: OutcomesItemDetailOut}, body=True),
             summary=gettext_lazy("成效验证：确认办结，或未见成效重新办理（不能由提交人验证）"))
def item_verdict(request, item_id: Id, payload: OutcomesVerdictIn):
    return _act(request, item_id, services.item_verify, effective=payload.effective, comment=payload.comment)


@router.post("/items/{item_id}/reopen", response=responses({200: OutcomesItemDetailOut}, body=True),
             summary=gettext_lazy("重新办理已办结的事项（例如回访发现问题复发）"))
def item_reopen(request, item_id: Id, payload: OutcomesReopenIn):
    actor = actor_of(request)
    item = selectors.item_get_for_actor(actor, item_id)
    if item.status != ItemStatus.CLOSED:
        raise ValidationError(_("只有已办结的事项才能重新办理；待验证的事项请作出成效结论"))
    return _act(request, item_id, services.item_verify, effective=False, comment=payload.comment)


@router.post("/items/{item_id}/drop", response=responses({200: OutcomesItemDetailOut}, body=True),
             summary=gettext_lazy("撤销事项（需理由）"))
def item_drop(request, item_id: Id, payload: OutcomesDropIn):
    return _act(request, item_id, services.item_drop, reason=payload.reason)


@router.post("/items/{item_id}/due", response=responses({200: OutcomesItemDetailOut}, body=True),
             summary=gettext_lazy("调整办结期限（提醒与督办从新期限重新计算）"))
def item_due(request, item_id: Id, payload: OutcomesDueIn):
    return _act(request, item_id, services.item_set_due, due_date=payload.due_date, reason=payload.reason)

