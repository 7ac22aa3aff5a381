"""The date education reads as "today" (the window, the correction deadline, the 公示), and the one way to move it.

A notice can start no earlier than today and ends `days` later; notice_end refuses before ends_on.
Nothing a user sends can move this clock: only code can, with `travel(day)` — the demo (which builds
last month's rounds) and the tests (which let a notice period pass) use it instead of backdating
starts_on. The override lives in a context variable, so it never leaks to another request or thread."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt

from django.utils import timezone

_at: contextvars.ContextVar[dt.date | None] = contextvars.ContextVar("huigong_education_today", default=None)


def today() -> dt.date:
    return _at.get() or timezone.localdate()


@contextlib.contextmanager
def travel(day: dt.date):
    """Run the block as if today were `day`."""
    token = _at.set(day)
    try:
        yield day
    finally:
        _at.reset(token)
