"""What the console pages share: capability checks, reading posted values with errors naming the field,
showing a service's refusal as a message."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from huigong.core.duties import DutyConflict


def refused(request, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        messages.error(request, "；".join(str(m) for m in exc.messages))
    else:
        messages.error(request, str(exc))


REFUSALS = (ValidationError, DutyConflict)


def posted_int(request, name: str, label: str, *, required: bool = True) -> int | None:
    raw = (request.POST.get(name) or "").strip()
    if not raw:
        if required:
            raise ValidationError({name: [_("%(f)s：请填写") % {"f": label}]})
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationError({name: [_("%(f)s：请填写整数") % {"f": label}]}) from None


def posted_yuan_fen(request, name: str, label: str) -> int:
    raw = (request.POST.get(name) or "0").strip().replace(",", "")
    try:
        from decimal import Decimal

        value = Decimal(raw)
    except Exception:  # noqa: BLE001 - any unparsable text
        raise ValidationError({name: [_("%(f)s：请填写金额（元）") % {"f": label}]}) from None
    if not value.is_finite() or value < 0 or value > Decimal("1e9") or value != value.quantize(Decimal("0.01")):
        raise ValidationError({name: [_("%(f)s：请填写金额（元，最多两位小数）") % {"f": label}]})
    return int(value * 100)


def posted_date(request, name: str, label: str, *, required: bool = True) -> dt.date | None:
    raw = (request.POST.get(name) or "").strip()
    if not raw:
        if required:
            raise ValidationError({name: [_("%(f)s：请填写日期") % {"f": label}]})
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError({name: [_("%(f)s：日期格式应为 2026-01-31") % {"f": label}]}) from None
