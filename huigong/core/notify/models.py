"""The notifications outbox: one row per (recipient, channel, event key), written in the transaction of the
decision it announces, delivered after commit and retried with back-off (services.py)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedCharField


class Channel(models.TextChoices):
    PORTAL = "portal", _("站内消息")
    SMS = "sms", _("短信")
    WECHAT = "wechat", _("微信")


class Status(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    SKIPPED = "skipped", _("未发送")  # no address for the channel, or the channel is switched off


class Notification(models.Model):
    """`recipient` is "p:<person id>" (a member) or "u:<user id>" (a worker's account before they are a
    member, or staff): one string so that the idempotency UNIQUE holds without NULLs. `address` is the phone
    (SMS) or openid (WeChat) at the time of the decision, encrypted; `address_mask` is what screens show."""

    recipient = models.CharField(max_length=24)
    person = models.ForeignKey("members.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    node_path = models.CharField(max_length=255, db_index=True)  # the deciding union: staff scope
    event = models.CharField(_("事件"), max_length=48)
    event_key = models.CharField(max_length=120)
    channel = models.CharField(_("渠道"), max_length=12, choices=Channel.choices)
    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(max_length=255, blank=True)
    address = EncryptedCharField(max_length=64, blank=True, null=True)  # None when the channel needs none
    address_mask = models.CharField(_("发送至"), max_length=64, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=255, blank=True)
    provider_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "channel", "event_key"], name="notify_once_per_channel"),
            models.CheckConstraint(condition=Q(person__isnull=False) | Q(user__isnull=False),
                                   name="notify_has_recipient"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="notify_due_idx"),
            models.Index(fields=["person", "created_at"], name="notify_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.title}"


class Preference(models.Model):
    """A person's choice for one event and one channel; no row means the event's default."""

    recipient = models.CharField(max_length=24)
    event = models.CharField(max_length=48)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    enabled = models.BooleanField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["recipient", "event", "channel"], name="notify_pref_unique")]
