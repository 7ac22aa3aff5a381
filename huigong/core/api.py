"""API route for reading the audit trail (mounted by huigong/api/api.py). Read-only by design: the
audit table refuses UPDATE and DELETE, and the API offers nothing but GET."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from ninja import Field, Query, Router, Schema

from huigong.accounts.models import Cap
from huigong.api.auth import actor_of
from huigong.api.schemas import PageQuery, page_of, paginate, responses

from .models import AuditEvent
from .scope import require

router = Router()


def audit_list_for_actor(actor, *, verb: str = "", object_type: str = "", object_id: str = "", actor_name: str = "",
                         since: dt.date | None = None, until: dt.date | None = None, q: str = ""
                         ) -> QuerySet[AuditEvent]:
    """Audit events recorded against the actor's subtree (node_path prefix), newest first."""
    staff = require(actor, Cap.AUDIT_VIEW)
    qs = AuditEvent.objects.filter(node_path__startswith=staff.node.path)
    if verb:
        qs = qs.filter(verb=verb) if "." in verb else qs.filter(verb__startswith=f"{verb}.")
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if actor_name:
        qs = qs.filter(actor_label=actor_name)
    if since:
        qs = qs.filter(at__date__gte=since)
    if until:
        qs = qs.filter(at__date__lte=until)
    if q:
        qs = qs.filter(Q(object_repr__icontains=q) | Q(object_id=q))
    return qs.order_by("-at", "-id")


class AuditEventOut(Schema):
    id: int
    at: dt.datetime
    actor_label: str = Field(..., description="操作人 / who")
    verb: str = Field(..., description="动作，如 person.update / what, e.g. person.update")
    object_type: str
    object_id: str
    object_repr: str
    old: Any | None
    new: Any | None
    ip: str | None


AuditPage = page_of(AuditEventOut, "AuditEventPage")


class AuditFilters(PageQuery):
    verb: str = Field("", max_length=64, description="完整动作或前缀，如 person / a verb or its prefix")
    object_type: str = Field("", max_length=64, description="如 members.person / e.g. members.person")
    object_id: str = Field("", max_length=64)
    actor: str = Field("", max_length=150, description="操作人用户名 / username")
    since: dt.date | None = None
    until: dt.date | None = None
    q: str = Field("", max_length=100, description="对象名称 / object name fragment")


@router.get("", response=responses({200: AuditPage}), summary="审计日志 / audit events of your subtree")
def audit_list(request, filters: Query[AuditFilters]):
    qs = audit_list_for_actor(
        actor_of(request), verb=filters.verb.strip(), object_type=filters.object_type.strip(),
        object_id=filters.object_id.strip(), actor_name=filters.actor.strip(), since=filters.since,
        until=filters.until, q=filters.q.strip(),
    )
    return paginate(qs, filters)
