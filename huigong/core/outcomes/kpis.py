"""KPI helpers over the tracker's tables, for the domains' KPI modules (contributions.kpis) and pages.

Event sources (see core/kpi.py) for one kind of item, rolled up by the item's tracking union:

    Kpi("checkups.findings", _("发现问题"), "count", …, FLOW, "checkups", ("outcomes_trackeditem",),
        events=opened("checkups.finding"), requires=("outcomes",))

- `opened(kind)`: FLOW, one per item on the day it was created (dim: its category);
- `closed(kind)`: FLOW, one per item closed with an effective verdict, on that day;
- `open_stock(kind)`: STOCK, +1 when created, −1 when closed or dropped;
- `overdue_stock(kind)`: STOCK, +1 the day after the due date, −1 the day it ended if it ended late;
and `summary(qs, today)`: the figures a report page shows, in one grouped query."""

from __future__ import annotations

import datetime as dt

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone

from huigong.core.kpi import Dialect

from .models import DONE, LIVE, Status

TABLE = "outcomes_trackeditem"


def _quote(kind: str) -> str:
    assert all(c.isalnum() or c in "._-" for c in kind), kind  # an identifier, inlined into SQL
    return f"'{kind}'"


def _day_after(d: Dialect, expr: str) -> str:
    return f"({expr} + 1)" if d.pg else f"date({expr}, '+1 day')"


def opened(kind: str):
    def events(d: Dialect) -> str:
        return (f"SELECT t.node_id AS node_id, t.category AS dim, {d.to_date('t.created_at')} AS day, 1 AS amount "
                f"FROM {TABLE} t WHERE t.kind = {_quote(kind)}")
    return events


def closed(kind: str):
    def events(d: Dialect) -> str:
        return (f"SELECT t.node_id AS node_id, t.category AS dim, {d.to_date('t.ended_at')} AS day, 1 AS amount "
                f"FROM {TABLE} t WHERE t.kind = {_quote(kind)} AND t.status = '{Status.CLOSED.value}'")
    return events


def open_stock(kind: str):
    def events(d: Dialect) -> str:
        done = ", ".join(f"'{s.value}'" for s in DONE)
        return (f"SELECT t.node_id AS node_id, t.category AS dim, {d.to_date('t.created_at')} AS day, 1 AS amount "
                f"FROM {TABLE} t WHERE t.kind = {_quote(kind)} "
                f"UNION ALL SELECT t.node_id, t.category, {d.to_date('t.ended_at')}, -1 "
                f"FROM {TABLE} t WHERE t.kind = {_quote(kind)} AND t.status IN ({done})")
    return events


def overdue_stock(kind: str):
    def events(d: Dialect) -> str:
        done = ", ".join(f"'{s.value}'" for s in DONE)
        late_start = _day_after(d, "t.due_date")
        ended = d.to_date("t.ended_at")
        return (f"SELECT t.node_id AS node_id, t.category AS dim, {late_start} AS day, 1 AS amount "
                f"FROM {TABLE} t WHERE t.kind = {_quote(kind)} AND t.due_date IS NOT NULL "
                f"AND (t.status NOT IN ({done}) OR {ended} > t.due_date) "
                f"UNION ALL SELECT t.node_id, t.category, {ended}, -1 FROM {TABLE} t "
                f"WHERE t.kind = {_quote(kind)} AND t.due_date IS NOT NULL AND t.status IN ({done}) "
                f"AND {ended} > t.due_date")
    return events


def summary(qs, today: dt.date | None = None) -> dict:
    """total, open (live), verifying, closed, dropped, overdue, reopened (items that needed another cycle),
    closed_on_time, avg_days_to_close (closed items, creation to verdict) over an item queryset."""
    today = today or timezone.localdate()
    agg = qs.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(status__in=LIVE)),
        verifying=Count("pk", filter=Q(status=Status.VERIFYING)),
        closed=Count("pk", filter=Q(status=Status.CLOSED)),
        dropped=Count("pk", filter=Q(status=Status.DROPPED)),
        overdue=Count("pk", filter=Q(status__in=LIVE, due_date__lt=today)),
        reopened=Count("pk", filter=Q(cycle__gt=0)),
        closed_on_time=Count("pk", filter=Q(status=Status.CLOSED, due_date__isnull=False,
                                             ended_at__date__lte=F("due_date"))),
        avg_close=Avg(ExpressionWrapper(F("ended_at") - F("created_at"), output_field=DurationField()),
                      filter=Q(status=Status.CLOSED)),
    )
    avg = agg.pop("avg_close")
    agg["avg_days_to_close"] = round(avg.total_seconds() / 86400, 1) if avg is not None else None
    agg["closed_rate"] = round(100 * agg["closed"] / agg["total"], 1) if agg["total"] else None
    return agg
