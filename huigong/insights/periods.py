"""Reporting periods: a month, a quarter, a year or a custom range of whole months, and the period
before each. Rollups are kept per month, so every period is a run of whole months."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{1,2})(?::|\.\.|~)(\d{4}-\d{1,2})$")
MAX_RANGE_MONTHS = 120


def month_add(month: dt.date, n: int) -> dt.date:
    i = month.year * 12 + month.month - 1 + n
    return dt.date(i // 12, i % 12 + 1, 1)


def month_end(month: dt.date) -> dt.date:
    return month_add(month, 1) - dt.timedelta(days=1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = month_add(m, 1)
    return out


def this_month() -> dt.date:
    return timezone.localdate().replace(day=1)


@dataclass(frozen=True)
class Period:
    kind: str  # month / quarter / year / range
    first: dt.date  # first day of the first month
    last: dt.date  # first day of the last month

    @property
    def start(self) -> dt.date:
        return self.first

    @property
    def end(self) -> dt.date:
        return month_end(self.last)

    @property
    def months(self) -> list[dt.date]:
        return months_between(self.first, self.last)

    @property
    def key(self) -> str:
        if self.kind == "month":
            return f"{self.first:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"{self.first.year}"
        return f"{self.first:%Y-%m}:{self.last:%Y-%m}"

    @property
    def label(self) -> str:
        if self.kind == "month":
            return _("%(y)d年%(m)d月") % {"y": self.first.year, "m": self.first.month}
        if self.kind == "quarter":
            return _("%(y)d年第%(q)d季度") % {"y": self.first.year, "q": (self.first.month - 1) // 3 + 1}
        if self.kind == "year":
            return _("%(y)d年") % {"y": self.first.year}
        return _("%(a)s 至 %(b)s") % {"a": f"{self.first:%Y-%m}", "b": f"{self.last:%Y-%m}"}

    def previous(self) -> Period:
        """The period before, of the same length. While a quarter, year or range is still running, the
        same elapsed months of the one before (this year so far against last year to the same month)."""
        n = len(self.months)
        first = month_add(self.first, -n)
        now = this_month()
        if self.kind != "month" and self.first <= now < self.last:
            elapsed = len(months_between(self.first, now))
            return Period("range", first, month_add(first, elapsed - 1))
        return Period(self.kind, first, month_add(self.last, -n))

    def is_current(self) -> bool:
        return self.first <= this_month() <= self.last

    def comparison(self) -> Comparison:
        """What the period's figures are compared with: the previous period; while this one is still
        running, that one cut at the same day (1 Jan–2 Dec this year against 1 Jan–2 Dec last year), so
        that a partial period is not set against a full one (review #9)."""
        prev = self.previous()
        if not self.is_current():
            return Comparison(self, prev, None)
        today = timezone.localdate()
        last_day = month_end(prev.last).day
        return Comparison(self, prev, prev.last.replace(day=min(today.day, last_day)))


@dataclass(frozen=True)
class Comparison:
    """The previous period, and for a running period the day it is cut at (its last day counted):
    flows sum its events from its first day to `cut`; stocks are taken as of `cut`."""

    current: Period
    period: Period
    cut: dt.date | None

    @property
    def end(self) -> dt.date:
        return self.cut or self.period.end

    @property
    def label(self) -> str:
        """What the page says the figures are compared with."""
        if self.cut is None:
            return _("对比 %(p)s") % {"p": self.period.label}
        span = {"a": f"{self.period.first:%Y-%m-%d}", "b": f"{self.cut:%Y-%m-%d}"}
        kind = self.current.kind
        if kind == "year":
            text = _("与上年同期相比（%(a)s 至 %(b)s）")
        elif kind == "quarter":
            text = _("与上季度同期相比（%(a)s 至 %(b)s）")
        elif kind == "month":
            text = _("与上月同期相比（%(a)s 至 %(b)s）")
        else:
            text = _("与上期同期相比（%(a)s 至 %(b)s）")
        return text % span

    @property
    def column_label(self) -> str:
        """A table column's head for the compared figures."""
        if self.cut is None:
            return _("上期")
        return {"year": _("上年同期"), "quarter": _("上季度同期"), "month": _("上月同期")}.get(
            self.current.kind, _("上期同期")
        )

    @property
    def change_label(self) -> str:
        """The cards' "change against …" note."""
        if self.cut is None:
            return _("较上期")
        return {"year": _("较上年同期"), "quarter": _("较上季度同期"), "month": _("较上月同期")}.get(
            self.current.kind, _("较上期同期")
        )


def default_period() -> Period:
    """This year so far: stocks as of now, flows since 1 January, against last year to the same month."""
    m = this_month()
    return Period("year", m.replace(month=1), m.replace(month=12))


def parse_period(value: str | None, *, field: str = "period") -> Period:
    """`2025-03`, `2025-Q1`, `2025`, or a range `2025-01:2025-06`. Empty → this year."""
    value = (value or "").strip()
    if not value:
        return default_period()

    def bad() -> ValidationError:
        return ValidationError(
            {
                field: [
                    _(
                        "期间格式应为 2025-03、2025-Q1、2025 或 2025-01:2025-06"
                    )
                ]
            }
        )

    def month(text: str) -> dt.date:
        m = _MONTH.match(text)
        if not m or not 1 <= int(m.group(2)) <= 12 or not 1900 <= int(m.group(1)) <= 2999:
            raise bad()
        return dt.date(int(m.group(1)), int(m.group(2)), 1)

    if m := _RANGE.match(value):
        first, last = month(m.group(1)), month(m.group(2))
        if last < first:
            raise ValidationError(
                {field: [_("期间的结束月份早于开始月份")]}
            )
        if len(months_between(first, last)) > MAX_RANGE_MONTHS:
            raise ValidationError({field: [_("期间最长 120 个月")]})
        return Period("range", first, last)
    if _MONTH.match(value):
        first = month(value)
        return Period("month", first, first)
    if m := _QUARTER.match(value):
        first = dt.date(int(m.group(1)), (int(m.group(2)) - 1) * 3 + 1, 1)
        if not 1900 <= first.year <= 2999:
            raise bad()
        return Period("quarter", first, month_add(first, 2))
    if m := _YEAR.match(value):
        year = int(m.group(1))
        if not 1900 <= year <= 2999:
            raise bad()
        return Period("year", dt.date(year, 1, 1), dt.date(year, 12, 1))
    raise bad()
