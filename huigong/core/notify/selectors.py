from __future__ import annotations

from django.db.models import QuerySet

from huigong.core.scope import OutOfScope, require, root_path

from .models import Notification

# The capability strings are accounts.Cap values; the kernel names them without importing the spine.
CAP_VIEW = "view"


def notifications_for_actor(actor, *, person_id: int | None = None, status: str = "", channel: str = "",
                            event: str = "") -> QuerySet[Notification]:
    """Notifications of decisions made in the actor's subtree (the deciding union's path)."""
    require(actor, CAP_VIEW)
    qs = (Notification.objects.filter(node_path__startswith=root_path(actor))
          .select_related("person", "user").defer("address", "body"))
    if person_id:
        qs = qs.filter(person_id=person_id)
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    if event:
        qs = qs.filter(event=event)
    return qs


def notification_get_for_actor(actor, pk: int) -> Notification:
    row = notifications_for_actor(actor).filter(pk=pk).first()
    if row is None:
        raise OutOfScope
    return row
