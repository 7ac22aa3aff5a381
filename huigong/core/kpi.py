"""KPI definitions, the kernel's part: the types an app uses to declare its KPIs (contributions.kpis,
core/contrib.py) and the SQL dialect helper their event sources use. The catalogue, rollups, pages, API,
exports and report live in the insights app, which collects every app's definitions.

An app's KPI module has `kpis() -> list[Kpi]`; each Kpi names one SQL *event source* over the app's own
tables, a SELECT with the columns node_id (the union the row belongs to), dim (the dimension value, ''
for none), day (a date) and amount (an integer):

* a **flow** KPI (new members, money paid…) is the sum of `amount` over events whose `day` falls in
  the period;
* a **stock** KPI (active members, open files…) is the sum of `amount` over events on or before the
  period's last day (+1 when something starts, −1 when it ends), i.e. its value *as of* that day;
* a **ratio** KPI is computed from another KPI's dimension values (e.g. the new-employment-form share),
  or by `compute(node, period, source, reader)` for what a plain ratio cannot say (`reader` is the
  insights app's KpiReader: stored sums of other KPIs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

FLOW, STOCK, RATIO = "flow", "stock", "ratio"


class Dialect:
    """The few SQL spellings that differ between PostgreSQL and SQLite."""

    def __init__(self, vendor: str | None = None):
        self.vendor = vendor or connection.vendor
        self.pg = self.vendor == "postgresql"

    def month_of(self, expr: str) -> str:
        if self.pg:
            return f"CAST(date_trunc('month', {expr}) AS date)"
        return f"(substr({expr}, 1, 7) || '-01')"

    def to_date(self, expr: str) -> str:
        """A timestamp column as a local date."""
        if self.pg:
            return f"CAST(({expr}) AT TIME ZONE '{settings.TIME_ZONE}' AS date)"
        # SQLite keeps UTC text: shift by the zone's offset (Asia/Shanghai has no DST) so that an event
        # at 00:30 Beijing on 1 April counts in April, as on PostgreSQL.
        minutes = int(_utcoffset().total_seconds() // 60)
        return f"date({expr}, '{minutes:+d} minutes')"

    def date(self, value: dt.date) -> str:
        # Only ever called with date objects, so the literal is safe to inline.
        assert isinstance(value, dt.date)
        return f"DATE '{value.isoformat()}'" if self.pg else f"'{value.isoformat()}'"

    def year_start(self, year_expr: str) -> str:
        # No printf('%04d…') on SQLite: a '%' in the text breaks parameter formatting (a query with
        # parameters, as logged under DEBUG). Years here have four digits.
        return f"make_date({year_expr}, 1, 1)" if self.pg else f"(CAST({year_expr} AS TEXT) || '-01-01')"


def _utcoffset() -> dt.timedelta:
    from zoneinfo import ZoneInfo

    return ZoneInfo(settings.TIME_ZONE).utcoffset(dt.datetime.now()) or dt.timedelta(0)


@dataclass(frozen=True)
class Dimension:
    name: str
    label: Promise
    choices: Callable[[], dict[str, str]]  # value -> label

    def label_of(self, value: str, labels: dict[str, str] | None = None) -> str:
        """The value's label; `labels` is self.choices() when the caller has it already."""
        if value in ("", "-"):
            return str(_("未填"))
        return str((self.choices() if labels is None else labels).get(value, value))


@dataclass(frozen=True)
class Kpi:
    name: str
    label: Promise
    unit: str  # "person", "fen", "count", "percent", "household", "household_visit", "visit"
    description: Promise
    kind: str
    group: str
    sources: tuple[str, ...] = ()
    dimension: Dimension | None = None
    events: Callable[[Dialect], str] | None = None
    # RATIO: (numerator KPI, its dimension values counted or None for all, denominator KPI, its values
    # or None) → numerator / denominator × 100, each evaluated for the period by its own kind.
    ratio_of: tuple[str, frozenset[str] | None, str, frozenset[str] | None] | None = None
    # RATIO alternative: a function (node, period, source) -> float | None, for what a plain ratio cannot say.
    compute: Callable | None = None
    requires: tuple[str, ...] = ()  # app labels whose models the source reads
    headline: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def is_money(self) -> bool:
        return self.unit == "fen"

    @cached_property
    def available(self) -> bool:
        """Whether the apps the source reads are installed (fixed once the app registry is ready: a page
        asks for every KPI several times)."""
        return all(apps.is_installed(f"huigong.{a}") for a in self.requires)

    @property
    def stored(self) -> bool:
        """Rolled up (base KPIs); ratios are computed from their base KPI's rows."""
        return self.kind in (FLOW, STOCK)

    def unit_label(self) -> str:
        return str(UNIT_LABELS.get(self.unit, ""))


UNIT_LABELS = {
    "person": _("人"),
    "fen": _("元"),
    "count": _("个"),
    "percent": "%",
    "household": _("户"),
    "household_visit": _("户次"),
    "visit": _("人次"),
    "slot": _("个"),
}



def choices_of(enum) -> Callable[[], dict[str, str]]:
    """A Dimension's choices from a TextChoices class: value -> label, in the current language."""

    def get() -> dict[str, str]:
        return {v: str(lbl) for v, lbl in enum.choices}

    return get
