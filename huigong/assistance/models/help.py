from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedTextField

from huigong.members.models import Person
from huigong.orgs.models import UnionNode

from .fields import EncryptedMoneyField
from .files import HardshipFile


class HelpRequestStatus(models.TextChoices):
    NEW = "new", _("待核实")
    FILED = "filed", _("已建档")
    DECLINED = "declined", _("不予建档")


class HelpRequest(models.Model):
    """A worker's own "ask for help" from the portal. It lands in the queue of the worker's union as a
    candidate to verify; staff either open a file from it or decline it with a reason. One pending
    request per person (the partial UNIQUE), so a double submit is one request."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="help_requests")
    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在工会"))
    node_path = models.CharField(max_length=255, db_index=True)
    situation = EncryptedTextField(_("困难情况"))
    causes = models.JSONField(_("致困原因"), default=list)
    household_size = models.PositiveSmallIntegerField(_("家庭人口"))
    monthly_income_fen = EncryptedMoneyField(_("家庭月收入"))  # encrypted: the service checks the range
    status = models.CharField(_("状态"), max_length=16, choices=HelpRequestStatus.choices,
                              default=HelpRequestStatus.NEW)
    file = models.ForeignKey(HardshipFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decline_reason = models.CharField(_("不予建档原因"), max_length=255, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    handled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("求助申请")
        verbose_name_plural = _("求助申请")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(status="new"), name="help_request_one_pending"),
            models.CheckConstraint(condition=Q(household_size__gte=1), name="help_request_size_ge_1"),
        ]


class FileNumberCounter(models.Model):
    """The last sequence number handed out per file-number prefix (<region code>-<year>), bumped with a
    conditional UPDATE so concurrent file creations never draw the same number."""

    prefix = models.CharField(max_length=16, unique=True)
    last = models.PositiveIntegerField(default=0)
