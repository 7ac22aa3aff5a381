"""Database helpers shared by services."""

from __future__ import annotations

from django.db import OperationalError, connection


def _is_deadlock(exc: OperationalError) -> bool:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == "40P01" or "deadlock detected" in str(exc)


def retry_on_deadlock(fn, *args, attempts: int = 3, **kwargs):
    """fn(*args, **kwargs), a transaction of its own, run again when PostgreSQL aborts it as a deadlock
    victim (its work was rolled back whole, so running it again is safe). Inside a caller's transaction
    there is nothing to retry: the error goes up."""
    for attempt in range(attempts):
        try:
            return fn(*args, **kwargs)
        except OperationalError as exc:
            if connection.in_atomic_block or not _is_deadlock(exc) or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")
