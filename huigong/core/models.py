from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Append-only record of every write. Written in the same transaction as the change it
    records; database triggers refuse UPDATE and DELETE (see migration 0002)."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("操作人"))
    actor_label = models.CharField(_("操作人"), max_length=150, blank=True)
    verb = models.CharField(_("动作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, db_index=True)
    object_id = models.CharField(_("对象ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=255, blank=True)
    # Path of the union-tree node the object belongs to: staff see events of their subtree only.
    node_path = models.CharField(max_length=255, blank=True, db_index=True)
    # The node itself: scoping follows it through subtree moves (a path string goes stale on a move
    # and treebeard hands the old path to the next new sibling). No DB constraint: audit outlives nodes.
    node = models.ForeignKey("orgs.UnionNode", null=True, blank=True, on_delete=models.DO_NOTHING,
                             db_constraint=False, related_name="+")
    old = models.JSONField(_("修改前"), null=True, blank=True)
    new = models.JSONField(_("修改后"), null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.verb} {self.object_repr}"


class AccessLog(models.Model):
    """One row per unmasked read of personal data (ID number, phone, bank account...)."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=150, blank=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    fields = models.CharField(_("字段"), max_length=255)
    purpose = models.CharField(_("用途"), max_length=255, blank=True)
    node_path = models.CharField(max_length=255, blank=True, db_index=True)
    node = models.ForeignKey("orgs.UnionNode", null=True, blank=True, on_delete=models.DO_NOTHING,
                             db_constraint=False, related_name="+")
    row_count = models.PositiveIntegerField(default=1)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("敏感信息查看记录")
        verbose_name_plural = _("敏感信息查看记录")
