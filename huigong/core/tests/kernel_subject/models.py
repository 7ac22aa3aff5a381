from django.conf import settings
from django.db import models
from django.db.models import F, Q

from huigong.core.approvals.models import ApprovalStepBase
from huigong.core.notices.models import NoticeBase, NoticeEntryBase, NoticeObjectionBase


class Grant(models.Model):
    node = models.ForeignKey("orgs.UnionNode", on_delete=models.PROTECT, related_name="+")
    node_path = models.CharField(max_length=255)
    holder_name = models.CharField(max_length=50)
    amount_fen = models.BigIntegerField()
    status = models.CharField(max_length=16, default="submitted")
    current_step = models.PositiveSmallIntegerField(default=0)
    round = models.PositiveSmallIntegerField(default=1)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")


class GrantStep(ApprovalStepBase):
    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="steps")

    class Meta:
        ordering = ["round", "seq"]
        constraints = [models.UniqueConstraint(fields=["grant", "round", "seq"], name="grant_step_unique")]


class GrantNotice(NoticeBase):
    class Meta:
        constraints = [models.CheckConstraint(condition=Q(ends_on__gt=F("starts_on")), name="grant_notice_period")]


class GrantNoticeEntry(NoticeEntryBase):
    notice = models.ForeignKey(GrantNotice, on_delete=models.CASCADE, related_name="entries")
    grant = models.OneToOneField(Grant, on_delete=models.PROTECT, related_name="notice_entry")


class GrantNoticeObjection(NoticeObjectionBase):
    notice = models.ForeignKey(GrantNotice, on_delete=models.CASCADE, related_name="objections")
    grant = models.ForeignKey(Grant, null=True, blank=True, on_delete=models.PROTECT, related_name="objections")
