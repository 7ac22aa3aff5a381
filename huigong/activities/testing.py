"""Test helpers of the events app: an event with one session, published, in one call."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from . import services
from .models import EventKind


def make_event(actor, node, *, total: int | None = 10, waitlist: bool = True, offer_seconds: int | None = None,
               publish: bool = True, title: str = "杭州职工讲座", days: int = 7, sessions: int = 1, **fields):
    fields.setdefault("address", "西湖区职工之家")
    event = services.event_create(actor=actor, node=node, kind=fields.pop("kind", EventKind.LECTURE), title=title,
                                  **fields)
    start = timezone.now() + dt.timedelta(days=days)
    for i in range(sessions):
        services.session_add(actor=actor, event=event, title=f"第 {i + 1} 场", starts_at=start + dt.timedelta(days=i),
                             ends_at=start + dt.timedelta(days=i, hours=2), total=total, waitlist=waitlist,
                             offer_seconds=offer_seconds)
    if publish:
        services.event_publish(actor=actor, event=event)
    event.refresh_from_db()
    return event


def session_of(event, n: int = 0):
    return list(event.sessions.order_by("starts_at", "pk"))[n]


def member(actor, union, name: str, **kw):
    from huigong.testing import make_member

    return make_member(actor, union, name, **kw).person
