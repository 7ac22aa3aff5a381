"""API routes for reading the audit trail and the access log: the API surface over the kernel's audit
selectors (huigong.core.selectors), mounted by huigong/api/api.py.
Read-only by design: the audit table refuses UPDATE and DELETE, and the API offers nothing but GET."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema

from huigong.api.auth import actor_of
from huigong.api.schemas import PageQuery, page_of, paginate, responses
from huigong.core.selectors import access_log_list_for_actor, audit_list_for_actor

router = Router()


class AuditEventOut(Schema):
    id: int
    at: dt.datetime
    actor_label: str = Field(..., description=gettext_lazy("操作人"))
    verb: str = Field(..., description=gettext_lazy("动作，如 person.update"))
    object_type: str
    object_id: str
    object_repr: str
    old: Any | None
    new: Any | None
    ip: str | None


AuditPage = page_of(AuditEventOut, "AuditEventPage")


class AuditFilters(PageQuery):
    verb: str = Field("", max_length=64, description=gettext_lazy("完整动作或前缀，如 person"))
    object_type: str = Field("", max_length=64, description=gettext_lazy("如 members.person"))
    object_id: str = Field("", max_length=64)
    actor: str = Field("", max_length=150, description=gettext_lazy("操作人用户名"))
    since: dt.date | None = None
    until: dt.date | None = None
    q: str = Field("", max_length=100, description=gettext_lazy("对象名称"))


@router.get("", response=responses({200: AuditPage}), summary=gettext_lazy("审计日志"))
def audit_list(request, filters: Query[AuditFilters]):
    qs = audit_list_for_actor(
        actor_of(request),
        verb=filters.verb.strip(),
        object_type=filters.object_type.strip(),
        object_id=filters.object_id.strip(),
        actor_name=filters.actor.strip(),
        since=filters.since,
        until=filters.until,
        q=filters.q.strip(),
    )
    return paginate(qs, filters)


class AccessLogOut(Schema):
    id: int
    at: dt.datetime
    actor_label: str = Field(..., description=gettext_lazy("查看人"))
    object_type: str
    object_id: str
    fields: list[str] = Field(..., description=gettext_lazy("查看的字段"))
    purpose: str
    row_count: int
    ip: str | None

    @staticmethod
    def resolve_fields(obj) -> list[str]:
        return [f for f in obj.fields.split(",") if f]


AccessLogPage = page_of(AccessLogOut, "AccessLogPage")


class AccessLogFilters(PageQuery):
    actor: str = Field("", max_length=150, description=gettext_lazy("查看人用户名"))
    object_type: str = Field("", max_length=64)
    object_id: str = Field("", max_length=64)
    since: dt.date | None = None
    until: dt.date | None = None


@router.get(
    "/access-log",
    response=responses({200: AccessLogPage}),
    summary=gettext_lazy("敏感信息查看记录"),
)
def access_log_list(request, filters: Query[AccessLogFilters]):
    qs = access_log_list_for_actor(
        actor_of(request),
        actor_name=filters.actor,
        object_type=filters.object_type,
        object_id=filters.object_id,
        since=filters.since,
        until=filters.until,
    )
    return paginate(qs, filters)
