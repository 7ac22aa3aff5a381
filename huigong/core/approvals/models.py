from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApprovalDecision(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("同意")
    RETURNED = "returned", _("退回")
    REJECTED = "rejected", _("不同意")


class ApprovalStepBase(models.Model):
    """One level's decision in one round of an item's approval. A domain subclasses it with a foreign key
    to its item (and its own Meta: ordering ["round", "seq"], UNIQUE (item, round, seq)). History is
    kept: a return starts a new round of steps."""

    round = models.PositiveSmallIntegerField()
    seq = models.PositiveSmallIntegerField()
    node = models.ForeignKey("orgs.UnionNode", on_delete=models.PROTECT, related_name="+", verbose_name=_("审批工会"))
    node_path = models.CharField(max_length=255)
    level = models.CharField(max_length=16)
    decision = models.CharField(_("意见"), max_length=16, choices=ApprovalDecision.choices,
                                default=ApprovalDecision.PENDING)
    amount_fen = models.BigIntegerField(_("核定金额"), null=True, blank=True)
    comment = models.TextField(_("审批意见"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    # 代为审批: the step had nobody able to act, and an approver of the nearest union above that had
    # someone decided it for it (services.step_decide). Empty for an ordinary decision.
    acting_node = models.ForeignKey("orgs.UnionNode", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("代为审批工会"))
    acting_reason = models.TextField(_("代为审批原因"), blank=True)

    class Meta:
        abstract = True
        ordering = ["round", "seq"]

