"""How a domain's tables map onto the engine's pool, sub-pool and entry.

The engine never imports a domain: a domain describes its models here (the field names the engine
reads and writes, and the values its status column uses) and passes the spec to every call. The
kernel's own models have the default spec, `KERNEL`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from django.db import connection

from .models import EntryStatus


@dataclass(frozen=True)
class Spec:
    pool: type
    entry: type
    entry_pool: str = "pool"          # the entry's FK to its pool
    entry_person: str = "person"      # the entry's FK to the person holding it
    # Pool columns. `open_field`/`open_value`: the pool accepts entries while this column has this value.
    total: str = "total"
    remaining: str = "remaining"
    open_field: str = "is_open"
    open_value: object = True
    waitlist: str = "waitlist"
    offer_seconds: str | None = "offer_seconds"
    uses_sub: str = "uses_sub_pools"
    # Sub-pools (None: the domain has none).
    sub: type | None = None
    sub_pool: str = "pool"
    sub_key: str = "key"
    sub_slots: str = "slots"
    sub_remaining: str = "remaining"
    # Entry columns. Optional ones (None) switch off what needs them (offers, draws).
    entry_sub_key: str | None = "sub_key"
    status: str = "status"
    created_at: str = "created_at"
    granted_at: str | None = "granted_at"
    ended_at: str | None = "ended_at"
    end_reason: str | None = "end_reason"
    offer_expires_at: str | None = "offer_expires_at"
    draw_rank: str | None = "draw_rank"
    # The entry's FK to the first entry of its group (NULL on the first): a group (a worker and their
    # companions) is queued, promoted, offered, drawn and released whole. None: every entry stands alone.
    entry_lead: str | None = None
    # The domain's value for each engine status it uses (identity by default).
    statuses: dict = field(default_factory=dict)
    # Names this spec in draws, hooks and audit rows: "<app_label>.<model>".
    purpose: str = ""
    # Entry columns a draw also sets from each entrant's outcome, in the same write:
    # ((attname, {engine status: value}), …), e.g. a domain's own workflow status (won / lost).
    draw_sets: tuple = ()

    def value(self, status: str) -> str:
        return self.statuses.get(status, status)

    def engine_status(self, value: str) -> str:
        for engine, domain in self.statuses.items():
            if domain == value:
                return engine
        return value

    def values(self, *statuses) -> list[str]:
        return [self.value(s) for s in statuses]

    @cached_property
    def label(self) -> str:
        return self.purpose or self.pool._meta.label_lower

    # --- SQL names, for the statements the engine composes --------------------------------------

    def column(self, model, name: str) -> str:
        return connection.ops.quote_name(model._meta.get_field(name).column)

    def table(self, model) -> str:
        return connection.ops.quote_name(model._meta.db_table)


def kernel_spec():
    from .models import Entry, Pool, SubPool

    return Spec(pool=Pool, entry=Entry, sub=SubPool, purpose="capacity.pool")


KERNEL_STATUSES = tuple(EntryStatus.values)
