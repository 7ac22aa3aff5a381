from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .periods import Period, parse_period


def period_from_query(data) -> Period:
    """`period=2025-Q1`, or a custom range from two month inputs `from=2025-01&to=2025-06`."""
    start, end = (data.get("from") or "").strip(), (data.get("to") or "").strip()
    if start or end:
        if not (start and end):
            raise ValidationError(
                {"period": [_("自定义期间需要开始和结束月份")]}
            )
        return parse_period(f"{start}:{end}")
    return parse_period(data.get("period"))


def node_id_from_query(data) -> int | None:
    raw = (data.get("node") or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise ValidationError({"node": [_("工会编号应为数字")]})
    return int(raw)
