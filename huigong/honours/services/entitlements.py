"""Model workers' entitlements: scheduled per year (check-up and 慰问 yearly, 疗休养 every two years from
the award year, the honour allowance yearly at the title's level), delivered and recorded, reminded when
due, stopped at once when the title ends (revocation, death)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.core.audit import audit
from huigong.core.scope import ensure_path_in_scope, require

from .. import clock
from ..models import (
    Entitlement,
    EntitlementKind,
    EntitlementStatus,
    Honour,
    HonourStatus,
    TitleLevel,
)
from ..models.register import MODEL_WORKER_TITLES
from .common import HONOUR, tell

# 荣誉津贴 per year, in fen, by the title's level (a federation sets its own; these are the demo's).
ALLOWANCE_FEN = {TitleLevel.NATIONAL: 600_000, TitleLevel.PROVINCE: 360_000, TitleLevel.CITY: 240_000,
                 TitleLevel.DISTRICT: 120_000}
REMIND_DAYS = 30


def _rows_for(h: Honour, year: int) -> list[Entitlement]:
    start = year - ((year - h.year) % 2)  # 疗休养 cycles of two years from the award year
    base = {"honour": h, "node_path": h.node_path}
    return [
        Entitlement(**base, kind=EntitlementKind.CHECKUP, period=str(year), due_on=dt.date(year, 6, 30)),
        Entitlement(**base, kind=EntitlementKind.VISIT, period=str(year), due_on=dt.date(year, 1, 31)),
        Entitlement(**base, kind=EntitlementKind.ALLOWANCE, period=str(year), due_on=dt.date(year, 12, 1),
                    amount_fen=ALLOWANCE_FEN[h.level]),
        Entitlement(**base, kind=EntitlementKind.RECUPERATION, period=f"{start}-{start + 1}",
                    due_on=dt.date(start + 1, 10, 31)),
    ]


def entitlements_schedule(*, honour: Honour, year: int) -> int:
    """The year's entitlements of an active model worker's title (idempotent: UNIQUE per period)."""
    if honour.status != HonourStatus.ACTIVE or honour.title_type not in MODEL_WORKER_TITLES or honour.person_id is None:
        return 0
    before = Entitlement.objects.filter(honour=honour).count()
    Entitlement.objects.bulk_create(_rows_for(honour, year), ignore_conflicts=True)
    return Entitlement.objects.filter(honour=honour).count() - before


@transaction.atomic
def entitlements_schedule_year(*, actor, node, year: int) -> int:
    """Every active model worker's title in the node's subtree gets the year's entitlements."""
    require(actor, HONOUR)
    ensure_path_in_scope(actor, node.path)
    if not isinstance(year, int) or not 2000 <= year <= clock.today().year + 1:
        raise ValidationError({"year": [_("年度无效")]})
    n = 0
    for h in Honour.objects.filter(node_path__startswith=node.path, status=HonourStatus.ACTIVE,
                                   title_type__in=MODEL_WORKER_TITLES, person__isnull=False):
        n += entitlements_schedule(honour=h, year=year)
    audit(actor=actor, verb="entitlement.schedule", obj=node, node_path=node.path,
          new={"year": year, "created": n})
    return n


@transaction.atomic
def entitlement_deliver(*, actor, entitlement: Entitlement, delivered_on: dt.date, note: str = "") -> Entitlement:
    """A check-up done, a 疗休养 taken, a 慰问 visit made. Allowances are delivered by their payment."""
    require(actor, HONOUR)
    ensure_path_in_scope(actor, entitlement.node_path)
    e = Entitlement.objects.select_for_update(of=("self",)).select_related("honour").get(pk=entitlement.pk)
    if e.kind == EntitlementKind.ALLOWANCE:
        raise ValidationError(_("荣誉津贴须通过发放批次发放"))
    if e.status == EntitlementStatus.STOPPED:
        raise ValidationError(_("该待遇已停止：%(r)s") % {"r": e.stop_reason})
    if e.status == EntitlementStatus.DELIVERED:
        raise ValidationError(_("该待遇已落实"))
    if delivered_on is None or delivered_on > clock.today():
        raise ValidationError({"delivered_on": [_("落实日期不能晚于今天")]})
    e.status, e.delivered_on, e.note, e.delivered_by = EntitlementStatus.DELIVERED, delivered_on, (note or "")[:255], actor
    e.save(update_fields=["status", "delivered_on", "note", "delivered_by"])
    audit(actor=actor, verb="entitlement.deliver", obj=e.honour, node_path=e.node_path,
          new={"entitlement": e.pk, "kind": e.kind, "period": e.period, "delivered_on": delivered_on})
    return e


def entitlements_stop(*, honours, reason: str) -> int:
    """Every entitlement not yet delivered stops (in the caller's transaction). Allowance payments still
    open are refused by the payment flow (check_sendable, on_paid) from this moment on."""
    ids = [h.pk for h in honours]
    return Entitlement.objects.filter(honour_id__in=ids, status=EntitlementStatus.DUE).update(
        status=EntitlementStatus.STOPPED, stopped_at=timezone.now(), stop_reason=reason[:255])


def entitlements_remind_due() -> int:
    """The periodic job: tell each holder once about an entitlement due within REMIND_DAYS."""
    today = clock.today()
    due = (Entitlement.objects.filter(status=EntitlementStatus.DUE, reminded_at__isnull=True,
                                      due_on__lte=today + dt.timedelta(days=REMIND_DAYS),
                                      honour__status=HonourStatus.ACTIVE)
           .exclude(kind=EntitlementKind.ALLOWANCE).select_related("honour__person")[:500])
    n = 0
    for e in due:
        with transaction.atomic():
            if not Entitlement.objects.filter(pk=e.pk, reminded_at__isnull=True).update(reminded_at=timezone.now()):
                continue
            tell(e.honour.person, event="honour.entitlement", key=f"entitlement:{e.pk}:due",
                 title=_("劳模待遇提醒：%(k)s") % {"k": e.get_kind_display()},
                 body=_("您的%(k)s（%(p)s）应于 %(d)s 前落实，所在工会会与您联系安排。")
                 % {"k": e.get_kind_display(), "p": e.period, "d": e.due_on.isoformat()},
                 node_path=e.node_path)
            n += 1
    return n
