"""Reads of the audit trail and the access log, scoped to the actor's subtree (the console's audit browser
and the API's /audit use them)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import AccessLog, AuditEvent
from .scope import require

# The capability that opens the trail, by its value: the kernel names the capabilities it checks and
# imports no app (accounts.models.Cap.AUDIT_VIEW is this string; tests/test_layers.py checks).
AUDIT_VIEW = "audit_view"


def in_subtree(prefix: str) -> Q:
    """Rows recorded against a node now inside the subtree; the stored path only for rows with no node
    (events before nodes were recorded, or of a node since deleted)."""
    return Q(node__path__startswith=prefix) | Q(node__isnull=True, node_path__startswith=prefix)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _date_range(qs: QuerySet, since: dt.date | None, until: dt.date | None) -> QuerySet:
    # A half-open range on the indexed column instead of at__date, which defeats the index.
    if since:
        qs = qs.filter(at__gte=_day_start(since))
    if until:
        qs = qs.filter(at__lt=_day_start(until + dt.timedelta(days=1)))
    return qs


def audit_list_for_actor(actor, *, verb: str = "", object_type: str = "", object_id: str = "",
                         actor_name: str = "", since: dt.date | None = None, until: dt.date | None = None,
                         q: str = "") -> QuerySet[AuditEvent]:
    """Audit events recorded against the actor's subtree (node_path prefix), newest first. `verb` is a
    full verb ("person.update") or its prefix ("person")."""
    staff = require(actor, AUDIT_VIEW)
    qs = AuditEvent.objects.filter(in_subtree(staff.node.path))
    verb = verb.strip()
    if verb:
        qs = qs.filter(verb=verb) if "." in verb else qs.filter(verb__startswith=f"{verb}.")
    if object_type.strip():
        qs = qs.filter(object_type=object_type.strip())
    if object_id.strip():
        qs = qs.filter(object_id=object_id.strip())
    if actor_name.strip():
        qs = qs.filter(actor_label=actor_name.strip())
    qs = _date_range(qs, since, until)
    q = q.strip()
    if q:
        qs = qs.filter(Q(object_repr__icontains=q) | Q(object_id=q))
    return qs.order_by("-at", "-id")


def access_log_list_for_actor(actor, *, actor_name: str = "", object_type: str = "", object_id: str = "",
                              since: dt.date | None = None, until: dt.date | None = None
                              ) -> QuerySet[AccessLog]:
    """Unmasked reads of personal data in the actor's subtree, newest first."""
    staff = require(actor, AUDIT_VIEW)
    qs = AccessLog.objects.filter(in_subtree(staff.node.path))
    if actor_name.strip():
        qs = qs.filter(actor_label=actor_name.strip())
    if object_type.strip():
        qs = qs.filter(object_type=object_type.strip())
    if object_id.strip():
        qs = qs.filter(object_id=object_id.strip())
    return _date_range(qs, since, until).order_by("-at", "-id")


def audit_object_types_for_actor(actor) -> list[str]:
    """Object types that occur in the subtree's trail, for the filter's choices."""
    staff = require(actor, AUDIT_VIEW)
    return list(AuditEvent.objects.filter(in_subtree(staff.node.path))
                .order_by("object_type").values_list("object_type", flat=True).distinct())
