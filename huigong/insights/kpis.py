"""The KPI catalogue. Each KPI is defined once, here: its name, label, unit, meaning, dimension and
one SQL *event source* over the base tables. Everything else is derived from that source:

* a **flow** KPI (new members, money paid…) is the sum of `amount` over events whose `day` falls in
  the period;
* a **stock** KPI (active members, open files…) is the sum of `amount` over events on or before the
  period's last day (+1 when something starts, −1 when it ends), i.e. its value *as of* that day;
* a **ratio** KPI is computed from another KPI's dimension values (e.g. the new-employment-form share).

Rollups (rollups.py) store the same sums per node (own rows only), month and dimension value; the
selectors (selectors.py) answer from the rollups or straight from the sources, with one SQL shape for
both. Pages, the API, exports and the PDF report all go through `CATALOGUE`.

An event source is a SELECT with the columns node_id (the union the row belongs to), dim (the
dimension value, '' for none), day (a date) and amount (an integer).
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


# --- Dimensions ---------------------------------------------------------------------------------------


def _employment_forms() -> dict[str, str]:
    from huigong.members.models import EmploymentForm

    return {v: str(lbl) for v, lbl in EmploymentForm.choices}


def _enterprise_kinds() -> dict[str, str]:
    from huigong.orgs.models import EnterpriseKind

    return {v: str(lbl) for v, lbl in EnterpriseKind.choices}


def _site_kinds() -> dict[str, str]:
    from huigong.orgs.models import SiteKind

    return {v: str(lbl) for v, lbl in SiteKind.choices}


EMPLOYMENT_FORM = Dimension("employment_form", _("用工形式"), _employment_forms)
ENTERPRISE_KIND = Dimension("enterprise_kind", _("单位类型"), _enterprise_kinds)
SITE_KIND = Dimension("site_kind", _("阵地类型"), _site_kinds)


def _new_forms() -> frozenset[str]:
    return frozenset({"rider", "courier", "ride_hailing", "truck_driver"})


# --- Event sources ------------------------------------------------------------------------------------

_MEMBERSHIP = "members_membership m JOIN members_person p ON p.id = m.person_id"


def _members_active(d: Dialect) -> str:
    # A membership counts from joined_on; it stops counting on ended_on (transfer out or withdrawal),
    # so "active as of D" = joined_on <= D and not ended_on <= D.
    return (
        f"SELECT m.union_id AS node_id, p.employment_form AS dim, m.joined_on AS day, 1 AS amount FROM {_MEMBERSHIP} "
        f"UNION ALL "
        f"SELECT m.union_id, p.employment_form, m.ended_on, -1 FROM {_MEMBERSHIP} WHERE m.ended_on IS NOT NULL"
    )


def _members_new(d: Dialect) -> str:
    # Joining the union, not moving inside it: a transfer opens a membership too, with source 'transfer'.
    return (
        f"SELECT m.union_id AS node_id, p.employment_form AS dim, m.joined_on AS day, 1 AS amount "
        f"FROM {_MEMBERSHIP} WHERE m.source <> 'transfer'"
    )


def _members_transfers_in(d: Dialect) -> str:
    return (
        f"SELECT m.union_id AS node_id, p.employment_form AS dim, m.joined_on AS day, 1 AS amount "
        f"FROM {_MEMBERSHIP} WHERE m.source = 'transfer'"
    )


def _members_left(d: Dialect) -> str:
    return (
        f"SELECT m.union_id AS node_id, p.employment_form AS dim, m.ended_on AS day, 1 AS amount "
        f"FROM {_MEMBERSHIP} WHERE m.status = 'withdrawn' AND m.ended_on IS NOT NULL"
    )


def _enterprises(d: Dialect) -> str:
    return (
        f"SELECT e.union_id AS node_id, e.kind AS dim, {d.to_date('e.created_at')} AS day, 1 AS amount "
        f"FROM orgs_enterprise e"
    )


def _sites(d: Dialect) -> str:
    # Counted from registration; a closed site stops counting on the day it closed (closed_on).
    return (
        f"SELECT s.union_id AS node_id, s.kind AS dim, {d.to_date('s.created_at')} AS day, 1 AS amount "
        f"FROM orgs_servicesite s "
        f"UNION ALL "
        f"SELECT s.union_id, s.kind, s.closed_on, -1 FROM orgs_servicesite s WHERE s.closed_on IS NOT NULL"
    )


BASE_KPIS: list[Kpi] = [
    Kpi(
        "members.active",
        _("在会会员"),
        "person",
        _("期末在会会员人数（入会日期不晚于期末、且期末前未转出或退会的会籍），按用工形式分。"),
        STOCK,
        "members",
        ("members_membership", "members_person"),
        EMPLOYMENT_FORM,
        _members_active,
        headline=True,
    ),
    Kpi(
        "members.new",
        _("新入会会员"),
        "person",
        _("期内入会的会员人数（入会日期在期内；会员关系转接转入的不计），按用工形式分。"),
        FLOW,
        "members",
        ("members_membership", "members_person"),
        EMPLOYMENT_FORM,
        _members_new,
        headline=True,
    ),
    Kpi(
        "members.left",
        _("退会会员"),
        "person",
        _("期内退会的会员人数（离会日期在期内、状态为退会）。"),
        FLOW,
        "members",
        ("members_membership", "members_person"),
        EMPLOYMENT_FORM,
        _members_left,
    ),
    Kpi(
        "members.transfers_in",
        _("转入会员"),
        "person",
        _("期内经会员关系转接转入的会员人数（按转入工会计）。"),
        FLOW,
        "members",
        ("members_membership", "members_person"),
        EMPLOYMENT_FORM,
        _members_transfers_in,
    ),
    Kpi(
        "members.new_form_share",
        _("新就业形态会员占比"),
        "percent",
        _("期末在会会员中网约配送员、快递员、网约车司机、货车司机所占百分比。"),
        RATIO,
        "members",
        ("members_membership", "members_person"),
        ratio_of=("members.active", _new_forms(), "members.active", None),
        headline=True,
    ),
    Kpi(
        "units.enterprises",
        _("建会单位"),
        "count",
        _("期末已在系统中登记的单位与平台企业数（按录入系统的日期），按单位类型分。"),
        STOCK,
        "orgs",
        ("orgs_enterprise",),
        ENTERPRISE_KIND,
        _enterprises,
    ),
    Kpi(
        "sites.count",
        _("服务阵地"),
        "count",
        _("期末开放的服务阵地数（职工之家、爱心妈妈小屋等；自登记之日起计，关闭之日起不再计入），按类型分。"),
        STOCK,
        "orgs",
        ("orgs_servicesite",),
        SITE_KIND,
        _sites,
        headline=True,
    ),
]


def _extensions() -> list[Kpi]:
    """KPIs over the assistance, benefits and portal apps, added once their models exist."""
    from . import kpis_services

    return kpis_services.kpis()


def _build() -> dict[str, Kpi]:
    out: dict[str, Kpi] = {}
    for k in [*BASE_KPIS, *_extensions()]:
        if k.name in out:
            raise ValueError(f"KPI {k.name} defined twice")
        out[k.name] = k
    for k in out.values():
        if (
            k.kind == RATIO
            and k.compute is None
            and (k.ratio_of is None or k.ratio_of[0] not in out or k.ratio_of[2] not in out)
        ):
            raise ValueError(f"ratio KPI {k.name} needs its base KPIs")
    return out


CATALOGUE: dict[str, Kpi] = _build()


def base_names(k: Kpi) -> list[str]:
    """The stored KPIs a KPI's value comes from (for freshness)."""
    if k.stored:
        return [k.name]
    if k.ratio_of is not None:
        return sorted({k.ratio_of[0], k.ratio_of[2]})
    return list(k.extra.get("bases", []))


def get(name: str) -> Kpi | None:
    return CATALOGUE.get(name)


def stored_kpis() -> list[Kpi]:
    return [k for k in CATALOGUE.values() if k.stored]


def kpis_of_group(group: str) -> list[Kpi]:
    return [k for k in CATALOGUE.values() if k.group == group]


GROUP_LABELS = {
    "members": _("会员"),
    "orgs": _("组织与阵地"),
    "join": _("入会"),
    "assist": _("困难职工帮扶"),
    "benefits": _("普惠服务"),
}
