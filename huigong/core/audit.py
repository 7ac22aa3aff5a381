"""Audit helpers. Call inside the service's transaction so the event commits or rolls back
with the change it records."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from django.db import models

from .models import AccessLog, AuditEvent
from .request_context import current_ip


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def snapshot(instance: models.Model, fields: list[str]) -> dict:
    out = {}
    for f in fields:
        field = instance._meta.get_field(f)
        out[f] = _jsonable(getattr(instance, field.attname))
    return out


def diff(old: dict, new: dict) -> tuple[dict, dict]:
    keys = [k for k in new if old.get(k) != new.get(k)]
    return {k: old.get(k) for k in keys}, {k: new[k] for k in keys}


def actor_label(actor) -> str:
    if actor is None:
        return "system"
    return getattr(actor, "username", str(actor))


def _node_id(node_path: str) -> int | None:
    if not node_path:
        return None
    # The tree's model through the lazy foreign key ("orgs.UnionNode"): the kernel imports no app.
    nodes = AuditEvent._meta.get_field("node").related_model
    return nodes.objects.filter(path=node_path).values_list("pk", flat=True).first()


def audit(*, actor, verb: str, obj: models.Model | None = None, object_type: str = "",
          object_id: str = "", object_repr: str = "", node_path: str = "",
          old: dict | None = None, new: dict | None = None, node_id: int | None = None) -> AuditEvent:
    """`node_id`, when the caller already has the node of `node_path` at hand, saves looking it up
    (hot paths such as quota claims)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:255]
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=actor_label(actor),
        verb=verb,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:255],
        node_path=node_path,
        node_id=node_id if node_id is not None else _node_id(node_path),
        old=_jsonable(old) if old else None,
        new=_jsonable(new) if new else None,
        ip=current_ip(),
    )


def log_access(*, actor, object_type: str, object_id: str, fields: list[str], purpose: str,
               node_path: str = "", row_count: int = 1) -> AccessLog:
    return AccessLog.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=actor_label(actor),
        object_type=object_type,
        object_id=str(object_id),
        fields=",".join(fields),
        purpose=purpose[:255],
        node_path=node_path,
        node_id=_node_id(node_path),
        row_count=row_count,
        ip=current_ip(),
    )
