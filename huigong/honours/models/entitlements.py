"""Model workers' entitlements (劳模待遇): yearly check-up, 疗休养 every two years, the honour allowance
(paid through the kernel's disbursement service), 慰问 visits. Each is one row per holder, kind and
period, so a second schedule run or a second payment cannot double it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedCharField

from huigong.core.disbursement.models import AbstractBatch, AbstractPayment
from huigong.orgs.models import UnionNode

from .register import Honour


class EntitlementKind(models.TextChoices):
    CHECKUP = "checkup", _("健康体检")
    RECUPERATION = "recuperation", _("疗休养")
    ALLOWANCE = "allowance", _("荣誉津贴")
    VISIT = "visit", _("走访慰问")


class EntitlementStatus(models.TextChoices):
    DUE = "due", _("待落实")
    DELIVERED = "delivered", _("已落实")
    STOPPED = "stopped", _("已停止")


class Entitlement(models.Model):
    honour = models.ForeignKey(Honour, on_delete=models.PROTECT, related_name="entitlements")
    node_path = models.CharField(max_length=255, db_index=True)
    kind = models.CharField(_("待遇"), max_length=16, choices=EntitlementKind.choices)
    period = models.CharField(_("期间"), max_length=12)  # "2026", or "2026-2027" for a two-year cycle
    due_on = models.DateField(_("应落实日期"))
    status = models.CharField(_("状态"), max_length=12, choices=EntitlementStatus.choices, default=EntitlementStatus.DUE)
    amount_fen = models.BigIntegerField(_("金额（分）"), default=0)
    delivered_on = models.DateField(_("落实日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=255, blank=True)
    delivered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    reminded_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(_("停止原因"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("劳模待遇")
        verbose_name_plural = _("劳模待遇")
        constraints = [
            models.UniqueConstraint(fields=["honour", "kind", "period"], name="one_entitlement_per_period"),
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="entitlement_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["status", "due_on"])]


class PayStatus(models.TextChoices):
    PENDING = "pending", _("待发放")
    SENT = "sent", _("银行处理中")
    PAID = "paid", _("已到账")
    FAILED = "failed", _("发放失败")


class AllowanceBatch(AbstractBatch):
    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+")
    node_path = models.CharField(max_length=255, db_index=True)

    class Meta(AbstractBatch.Meta):
        verbose_name = _("津贴发放批次")
        verbose_name_plural = _("津贴发放批次")


class AllowancePayment(AbstractPayment):
    """One transfer attempt of an allowance (a row per attempt, key "hg-al-<entitlement>-<attempt>");
    a partial UNIQUE keeps at most one live attempt per entitlement."""

    entitlement = models.ForeignKey(Entitlement, on_delete=models.PROTECT, related_name="payments")
    batch = models.ForeignKey(AllowanceBatch, on_delete=models.PROTECT, related_name="payments")
    attempt = models.PositiveSmallIntegerField(default=1)
    bank_account = EncryptedCharField(_("银行账号"), max_length=40)
    status = models.CharField(_("状态"), max_length=8, choices=PayStatus.choices, default=PayStatus.PENDING)
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["id"]
        verbose_name = _("津贴发放")
        verbose_name_plural = _("津贴发放")
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="allowance_amount_positive"),
            models.UniqueConstraint(fields=["entitlement"], condition=~Q(status="failed"),
                                    name="one_live_payment_per_entitlement"),
            models.UniqueConstraint(fields=["entitlement", "attempt"], name="allowance_attempt_unique"),
            models.CheckConstraint(condition=~Q(status="paid") | ~Q(bank_reference=""),
                                   name="paid_allowance_has_reference"),
        ]
