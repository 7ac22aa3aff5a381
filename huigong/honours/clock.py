"""The date the honours rules read as "today" (notice periods, entitlements due), and the one way to move
it: `travel(day)`, for the demo and the tests. A context variable, so it never leaks to another request."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt

from django.utils import timezone

_at: contextvars.ContextVar[dt.date | None] = contextvars.ContextVar("huigong_honours_today", default=None)


def today() -> dt.date:
    return _at.get() or timezone.localdate()


@contextlib.contextmanager
def travel(day: dt.date):
    token = _at.set(day)
    try:
        yield day
    finally:
        _at.reset(token)
