"""API routes for the union tree, enterprises and service sites (mounted by huigong/api/api.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Length, Substr
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status

from huigong.api.auth import actor_of
from huigong.api.schemas import (
    MAX_INT32,
    Id,
    Input,
    PageQuery,
    Ref,
    changes_of,
    page_of,
    paginate,
    ref,
    responses,
)

from . import selectors, services
from .models import EnterpriseKind, EnterpriseSize, NodeLevel, SiteKind, UnionNode

unions_router = Router()
enterprises_router = Router()
sites_router = Router()


def node_ref_for_actor(actor, node_id: int, field: str) -> UnionNode:
    """A union named in a request body. A missing one is the client's input error (422, naming the
    field); one outside the actor's subtree is answered the same way (no existence oracle)."""
    try:
        return selectors.node_get_for_actor(actor, node_id)
    except Http404:
        raise ValidationError({field: [_("工会 %(node_id)s 不存在") % {"node_id": node_id}]}) from None


def enterprise_ref_for_actor(actor, enterprise_id: int, field: str):
    try:
        return selectors.enterprise_get_for_actor(actor, enterprise_id)
    except Http404:
        raise ValidationError(
            {field: [_("单位 %(enterprise_id)s 不存在") % {"enterprise_id": enterprise_id}]}
        ) from None


# --- Unions ------------------------------------------------------------------------------------------


class UnionOut(Schema):
    id: int
    code: str
    name: str
    level: NodeLevel
    level_label: str
    region_code: str
    address: str
    contact_name: str
    contact_phone: str
    parent_id: int | None = Field(None, description=gettext_lazy("上级工会"))
    depth: int
    child_count: int

    @staticmethod
    def resolve_level_label(obj) -> str:
        return str(obj.get_level_display())

    @staticmethod
    def resolve_child_count(obj) -> int:
        return obj.numchild


class UnionDetailOut(UnionOut):
    member_count: int = Field(..., description=gettext_lazy("本级及下级在会会员数"))
    created_at: dt.datetime


UnionPage = page_of(UnionOut, "UnionPage")


class UnionFilters(PageQuery):
    level: NodeLevel | None = None
    parent: Id | None = Field(None, description=gettext_lazy("只列此工会的直接下级"))
    q: str = Field("", max_length=100, description=gettext_lazy("名称或编码"))


class UnionCreateIn(Input):
    parent_id: Id
    code: str = Field(..., max_length=32)
    name: str = Field(..., max_length=120)
    level: NodeLevel
    region_code: str = Field("", max_length=6)
    address: str = Field("", max_length=255)
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=30)


class UnionPatchIn(Input):
    code: str | None = Field(None, max_length=32)
    name: str | None = Field(None, max_length=120)
    level: NodeLevel | None = None
    region_code: str | None = Field(None, max_length=6)
    address: str | None = Field(None, max_length=255)
    contact_name: str | None = Field(None, max_length=50)
    contact_phone: str | None = Field(None, max_length=30)


class UnionMoveIn(Input):
    new_parent_id: Id


def _with_parent_id(qs):
    """parent_id from the materialised path in the same query (the parent's path is the node's path
    minus one step), so a page of nodes costs no extra query per row."""
    parent = UnionNode.objects.filter(
        path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - UnionNode.steplen)
    ).values("id")[:1]
    return qs.annotate(parent_id=Subquery(parent, output_field=IntegerField()))


def _union_detail(node: UnionNode) -> dict:
    node = _with_parent_id(UnionNode.objects.filter(pk=node.pk)).get()
    node.member_count = selectors.member_counts_by_path(node).get(node.path, 0)
    return node


@unions_router.get("", response=responses({200: UnionPage}), summary=gettext_lazy("工会列表"))
def union_list(request, filters: Query[UnionFilters]):
    actor = actor_of(request)
    qs = selectors.node_list_for_actor(actor)
    if filters.parent is not None:
        parent = selectors.node_get_for_actor(actor, filters.parent)
        qs = qs.filter(path__startswith=parent.path, depth=parent.depth + 1)
    if filters.level:
        qs = qs.filter(level=filters.level)
    if filters.q.strip():
        q = filters.q.strip()
        qs = qs.filter(Q(name__icontains=q) | Q(code__istartswith=q))
    return paginate(_with_parent_id(qs).order_by("path"), filters)


@unions_router.get(
    "/{int:union_id}",
    response=responses({200: UnionDetailOut}),
    summary=gettext_lazy("工会详情"),
)
def union_get(request, union_id: Id):
    return _union_detail(selectors.node_get_for_actor(actor_of(request), union_id))


@unions_router.post(
    "", response=responses({201: UnionDetailOut}, body=True), summary=gettext_lazy("新建下级工会")
)
def union_create(request, payload: UnionCreateIn):
    actor = actor_of(request)
    parent = node_ref_for_actor(actor, payload.parent_id, "parent_id")
    data = payload.dict(exclude={"parent_id"})
    node = services.node_create(actor=actor, parent=parent, **data)
    return Status(201, _union_detail(node))


@unions_router.patch(
    "/{int:union_id}",
    response=responses({200: UnionDetailOut}, body=True),
    summary=gettext_lazy("修改工会"),
)
def union_update(request, union_id: Id, payload: UnionPatchIn):
    actor = actor_of(request)
    node = selectors.node_get_for_actor(actor, union_id)
    node = services.node_update(actor=actor, node=node, **changes_of(payload))
    return _union_detail(node)


@unions_router.post(
    "/{int:union_id}/move",
    response=responses({200: UnionDetailOut}, body=True),
    summary=gettext_lazy("移动工会（含下级）"),
)
def union_move(request, union_id: Id, payload: UnionMoveIn):
    actor = actor_of(request)
    node = selectors.node_get_for_actor(actor, union_id)
    new_parent = node_ref_for_actor(actor, payload.new_parent_id, "new_parent_id")
    node = services.node_move(actor=actor, node=node, new_parent=new_parent)
    return _union_detail(node)


# --- Enterprises -------------------------------------------------------------------------------------


class EnterpriseOut(Schema):
    id: int
    name: str
    uscc: str = Field(..., description=gettext_lazy("统一社会信用代码"))
    kind: EnterpriseKind
    kind_label: str
    industry: str
    size: EnterpriseSize | None
    employee_count: int
    union: Ref
    region_code: str
    address: str
    created_at: dt.datetime

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_size(obj):
        return obj.size or None

    @staticmethod
    def resolve_union(obj) -> dict:
        return ref(obj.union)


EnterprisePage = page_of(EnterpriseOut, "EnterprisePage")


class EnterpriseFilters(PageQuery):
    q: str = Field("", max_length=100, description=gettext_lazy("名称或完整信用代码"))
    kind: EnterpriseKind | None = None
    union: Id | None = Field(None, description=gettext_lazy("此工会及下级"))
    industry: str = Field("", max_length=64)


class EnterpriseCreateIn(Input):
    union_id: Id
    name: str = Field(..., max_length=200)
    uscc: str = Field(..., max_length=32)
    kind: EnterpriseKind = EnterpriseKind.ENTERPRISE
    industry: str = Field("", max_length=64)
    size: EnterpriseSize | None = None
    employee_count: int = Field(0, ge=0, le=MAX_INT32)
    region_code: str = Field("", max_length=6)
    address: str = Field("", max_length=255)


class EnterprisePatchIn(Input):
    union_id: Id | None = None
    name: str | None = Field(None, max_length=200)
    uscc: str | None = Field(None, max_length=32)
    kind: EnterpriseKind | None = None
    industry: str | None = Field(None, max_length=64)
    size: EnterpriseSize | None = None
    employee_count: int | None = Field(None, ge=0, le=MAX_INT32)
    region_code: str | None = Field(None, max_length=6)
    address: str | None = Field(None, max_length=255)


@enterprises_router.get(
    "", response=responses({200: EnterprisePage}), summary=gettext_lazy("单位列表")
)
def enterprise_list(request, filters: Query[EnterpriseFilters]):
    actor = actor_of(request)
    node = selectors.node_get_for_actor(actor, filters.union) if filters.union is not None else None
    qs = selectors.enterprise_list_for_actor(
        actor, q=filters.q, kind=filters.kind or "", node=node, industry=filters.industry
    )
    return paginate(qs.order_by("name", "id"), filters)


@enterprises_router.get(
    "/{int:enterprise_id}", response=responses({200: EnterpriseOut}), summary=gettext_lazy("单位详情")
)
def enterprise_get(request, enterprise_id: Id):
    return selectors.enterprise_get_for_actor(actor_of(request), enterprise_id)


@enterprises_router.post(
    "", response=responses({201: EnterpriseOut}, body=True), summary=gettext_lazy("登记单位")
)
def enterprise_create(request, payload: EnterpriseCreateIn):
    actor = actor_of(request)
    union = node_ref_for_actor(actor, payload.union_id, "union_id")
    data = payload.dict(exclude={"union_id"})
    data["size"] = data["size"] or ""
    return Status(201, services.enterprise_create(actor=actor, union=union, **data))


@enterprises_router.patch(
    "/{int:enterprise_id}",
    response=responses({200: EnterpriseOut}, body=True),
    summary=gettext_lazy("修改单位"),
)
def enterprise_update(request, enterprise_id: Id, payload: EnterprisePatchIn):
    actor = actor_of(request)
    ent = selectors.enterprise_get_for_actor(actor, enterprise_id)
    changes = changes_of(payload, nullable=("size",))
    if "union_id" in changes:
        changes["union"] = node_ref_for_actor(actor, changes.pop("union_id"), "union_id")
    if "size" in changes:
        changes["size"] = changes["size"] or ""
    return services.enterprise_update(actor=actor, enterprise=ent, **changes)


# --- Service sites -----------------------------------------------------------------------------------


class SiteOut(Schema):
    id: int
    name: str
    kind: SiteKind
    kind_label: str
    union: Ref
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    opening_hours: str
    services: str
    phone: str
    is_active: bool
    closed_on: dt.date | None = Field(None, description=gettext_lazy("关闭日期（关闭时记录，重新开放时清除）"))
    created_at: dt.datetime

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_union(obj) -> dict:
        return ref(obj.union)


SitePage = page_of(SiteOut, "SitePage")


class SiteFilters(PageQuery):
    kind: SiteKind | None = None
    union: Id | None = Field(None, description=gettext_lazy("此工会及下级"))


class SiteCreateIn(Input):
    union_id: Id
    name: str = Field(..., max_length=200)
    kind: SiteKind
    address: str = Field(..., max_length=255)
    latitude: Decimal | None = Field(None, max_digits=9, decimal_places=6)
    longitude: Decimal | None = Field(None, max_digits=9, decimal_places=6)
    opening_hours: str = Field("", max_length=120)
    services: str = Field("", max_length=255)
    phone: str = Field("", max_length=30)


class SitePatchIn(Input):
    union_id: Id | None = None
    name: str | None = Field(None, max_length=200)
    kind: SiteKind | None = None
    address: str | None = Field(None, max_length=255)
    latitude: Decimal | None = Field(None, max_digits=9, decimal_places=6)
    longitude: Decimal | None = Field(None, max_digits=9, decimal_places=6)
    opening_hours: str | None = Field(None, max_length=120)
    services: str | None = Field(None, max_length=255)
    phone: str | None = Field(None, max_length=30)
    is_active: bool | None = None


@sites_router.get("", response=responses({200: SitePage}), summary=gettext_lazy("服务阵地列表"))
def site_list(request, filters: Query[SiteFilters]):
    actor = actor_of(request)
    node = selectors.node_get_for_actor(actor, filters.union) if filters.union is not None else None
    qs = selectors.site_list_for_actor(actor, kind=filters.kind or "", node=node)
    return paginate(qs.order_by("name", "id"), filters)


@sites_router.get(
    "/{int:site_id}", response=responses({200: SiteOut}), summary=gettext_lazy("服务阵地详情")
)
def site_get(request, site_id: Id):
    return selectors.site_get_for_actor(actor_of(request), site_id)


@sites_router.post(
    "", response=responses({201: SiteOut}, body=True), summary=gettext_lazy("新建服务阵地")
)
def site_create(request, payload: SiteCreateIn):
    actor = actor_of(request)
    union = node_ref_for_actor(actor, payload.union_id, "union_id")
    return Status(201, services.site_create(actor=actor, union=union, **payload.dict(exclude={"union_id"})))


@sites_router.patch(
    "/{int:site_id}", response=responses({200: SiteOut}, body=True), summary=gettext_lazy("修改服务阵地")
)
def site_update(request, site_id: Id, payload: SitePatchIn):
    actor = actor_of(request)
    site = selectors.site_get_for_actor(actor, site_id)
    changes = changes_of(payload, nullable=("latitude", "longitude"))
    if "union_id" in changes:
        changes["union"] = node_ref_for_actor(actor, changes.pop("union_id"), "union_id")
    return services.site_update(actor=actor, site=site, **changes)
