"""Database helpers shared by services."""

from __future__ import annotations

from django.db import OperationalError, connection, connections
from django.db.models import QuerySet
from django.db.transaction import TransactionManagementError


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


def in_own_transaction(using: str = "default") -> bool:
    """True inside a transaction the code itself opened (transaction.atomic), not counting the one a
    test case wraps every test in. A row lock outside such a block is an error on PostgreSQL
    (TransactionManagementError) and would hold nothing anyway, yet inside a test's own transaction it
    passes: this tells the two apart so a misplaced lock fails in every test, on SQLite too."""
    conn = connections[using]
    if not conn.in_atomic_block and not conn.get_autocommit():
        return True  # a transaction begun by hand (set_autocommit(False))
    return any(not getattr(block, "_from_testcase", False) for block in conn.atomic_blocks)


def for_update(qs: QuerySet, **kwargs) -> QuerySet:
    """`qs.select_for_update(**kwargs)`, refused outside a transaction opened by the caller: the lock
    must be held until the write that needs it commits (a selector's `for_write=True` is only ever
    called inside the view's or service's `transaction.atomic`)."""
    if not in_own_transaction(qs.db):
        raise TransactionManagementError(
            f"select_for_update on {qs.model._meta.label} outside transaction.atomic: the row lock would "
            "not be held (PostgreSQL refuses it); open the transaction before the for_write lookup")
    return qs.select_for_update(**kwargs)
