"""Check-in at an event's gates (签到口): the gates and their rules, every scan (admitted, let out, refused
or flagged) and each seat's attendance.

What the database guarantees, whatever the gate pages and the offline queues send:
- a scan is recorded once: `Scan.uuid` is UNIQUE (the gate page makes the UUID when the code is read,
  so a scan uploaded twice, or by two tabs, counts once);
- a seat is checked in once: `CheckIn.registration` is UNIQUE;
- each admission of a seat is numbered and admitted once: partial UNIQUE (registration, entry_no) over
  admitted scans. Without re-entry a seat has entry 1 only; with re-entry, entry n+1 needs the exit of n
  (a conditional UPDATE on the seat's CheckIn row, which serialises two gates scanning one ticket).
A gate that admitted someone offline whom the server had already admitted elsewhere is not counted a
second time: its scan is recorded as `conflict` and flagged for review.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Event, EventSession, Registration

__all__ = ["CheckIn", "CheckInMethod", "Gate", "Scan", "ScanKind", "ScanReason", "ScanResult"]


class Gate(models.Model):
    """A gate of an event (a door, a desk, a phone) with its rules. `session` NULL: every session of the
    event. `auto_checkout_at`: at that time of day (local) everyone still inside through this gate is
    checked out by the periodic job (so the next day's attendance starts clean and 离场 times exist for
    subsidy sheets)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="gates")
    name = models.CharField(_("签到口名称"), max_length=60)
    session = models.ForeignKey(EventSession, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                verbose_name=_("限定场次"))
    allows_reentry = models.BooleanField(_("允许离场后再次入场"), default=False)
    scans_exits = models.BooleanField(_("登记离场"), default=False)
    auto_checkout_at = models.TimeField(_("自动签退时间"), null=True, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["event_id", "id"]
        verbose_name = _("签到口")
        verbose_name_plural = _("签到口")
        constraints = [models.UniqueConstraint(fields=["event", "name"], name="activities_gate_name_unique")]

    def __str__(self) -> str:
        return self.name


class CheckInMethod(models.TextChoices):
    SCAN = "scan", _("扫码")
    MANUAL = "manual", _("人工查找")
    BULK = "bulk", _("事后补录")


class CheckIn(models.Model):
    """A seat's attendance: created by its first admission (and only then), moved by later entries and
    exits. `inside` is what the rules read; `entries` numbers the admissions."""

    registration = models.OneToOneField(Registration, on_delete=models.PROTECT, related_name="checkin")
    session = models.ForeignKey(EventSession, on_delete=models.PROTECT, related_name="checkins")
    first_gate = models.ForeignKey(Gate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    method = models.CharField(_("签到方式"), max_length=8, choices=CheckInMethod.choices)
    first_in_at = models.DateTimeField(_("签到时间"))
    last_in_at = models.DateTimeField()
    last_out_at = models.DateTimeField(_("离场时间"), null=True, blank=True)
    last_gate = models.ForeignKey(Gate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    inside = models.BooleanField(default=True)
    auto_checked_out = models.BooleanField(default=False)
    entries = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("签到记录")
        verbose_name_plural = _("签到记录")
        indexes = [models.Index(fields=["session", "inside"])]
        constraints = [models.CheckConstraint(condition=Q(entries__gte=1), name="activities_checkin_entries_positive")]


class ScanKind(models.TextChoices):
    ENTRY = "entry", _("入场")
    EXIT = "exit", _("离场")


class ScanResult(models.TextChoices):
    ADMITTED = "admitted", _("已入场")
    EXITED = "exited", _("已离场")
    REFUSED = "refused", _("拒绝")
    CONFLICT = "conflict", _("离线重复入场")


class ScanReason(models.TextChoices):
    """Why a scan was refused (or flagged). Also the reasons the gate page shows offline."""

    MALFORMED = "malformed", _("不是本系统的签到码")
    BAD_SIGNATURE = "bad_signature", _("签到码校验失败（伪造或已作废）")
    REVOKED = "revoked", _("签到码已重新生成，旧码作废")
    WRONG_EVENT = "wrong_event", _("不是本活动的签到码")
    WRONG_SESSION = "wrong_session", _("不是本签到口的场次")
    NOT_YET_VALID = "not_yet_valid", _("未到签到时间")
    EXPIRED = "expired", _("签到码已过期")
    UNKNOWN = "unknown", _("查无此报名")
    NOT_CONFIRMED = "not_confirmed", _("报名未确认（候补、待确认或待审核）")
    CANCELLED = "cancelled", _("报名已取消")
    ALREADY_INSIDE = "already_inside", _("已在场内，请勿重复入场")
    NO_REENTRY = "no_reentry", _("已签到过，本签到口不允许再次入场")
    NOT_INSIDE = "not_inside", _("未入场，无法登记离场")
    NO_EXITS = "no_exits", _("本签到口不登记离场")
    GATE_CLOSED = "gate_closed", _("签到口已停用")
    OFFLINE_DUPLICATE = "offline_duplicate", _("离线期间在其他签到口已入场")


class Scan(models.Model):
    """One reading of a code at a gate (or one manual or after-the-fact check-in), whatever its outcome:
    the gate's log, the failed-scan log and the source of attendance times. Written once, by the service;
    a review of a flagged scan is the only later change."""

    uuid = models.UUIDField(unique=True)
    gate = models.ForeignKey(Gate, null=True, blank=True, on_delete=models.PROTECT, related_name="scans")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")
    registration = models.ForeignKey(Registration, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="scans")
    kind = models.CharField(_("类型"), max_length=5, choices=ScanKind.choices, default=ScanKind.ENTRY)
    method = models.CharField(_("方式"), max_length=8, choices=CheckInMethod.choices, default=CheckInMethod.SCAN)
    result = models.CharField(_("结果"), max_length=9, choices=ScanResult.choices)
    reason = models.CharField(_("原因"), max_length=20, choices=ScanReason.choices, blank=True)
    entry_no = models.PositiveIntegerField(null=True, blank=True)
    # The end of what was read, to tell a misread from a forgery in the log; a ticket holds no personal data.
    code_tail = models.CharField(_("码尾"), max_length=12, blank=True)
    scanned_at = models.DateTimeField(_("扫码时间"))
    received_at = models.DateTimeField(auto_now_add=True)
    offline = models.BooleanField(_("离线扫码"), default=False)
    local_result = models.CharField(max_length=9, blank=True)
    flagged = models.BooleanField(_("待核查"), default=False)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(_("核查说明"), max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-scanned_at", "-id"]
        verbose_name = _("扫码记录")
        verbose_name_plural = _("扫码记录")
        constraints = [
            models.UniqueConstraint(fields=["registration", "entry_no"], condition=Q(result="admitted"),
                                    name="activities_scan_admitted_once_per_entry"),
            models.CheckConstraint(condition=~Q(result="admitted") | Q(entry_no__isnull=False, registration__isnull=False),
                                   name="activities_scan_admission_numbered"),
        ]
        indexes = [models.Index(fields=["event", "result", "scanned_at"]),
                   models.Index(fields=["event", "flagged"], condition=Q(flagged=True), name="activities_scan_flagged_idx")]
