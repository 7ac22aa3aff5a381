"""A domain's "today", and the one way to move it.

Rules that read the date (a 公示's period, an application window, an entitlement falling due) ask their
app's clock instead of `timezone.localdate()`. Nothing a user sends can move it: only code can, with
`travel(day)` — the demo (which builds last month's rounds) and the tests (which let a period pass) use it
instead of backdating rows. The override lives in a context variable, so it never leaks to another request
or thread. Each app has its own clock (its clock.py: `today, travel` of `Clock("assistance")`), so
moving one domain's calendar in a test or the demo leaves the others on the real date."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt

from django.utils import timezone


class Clock:
    def __init__(self, name: str):
        self._at: contextvars.ContextVar[dt.date | None] = contextvars.ContextVar(f"huigong_{name}_today",
                                                                                  default=None)

    def today(self) -> dt.date:
        return self._at.get() or timezone.localdate()

    @contextlib.contextmanager
    def travel(self, day: dt.date):
        """Run the block as if today were `day`."""
        token = self._at.set(day)
        try:
            yield day
        finally:
            self._at.reset(token)
