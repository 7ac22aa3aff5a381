"""Tracked items (outcomes): the kernel's one outcome tracker.

A finding of a check-up, a recommendation of a research report, any item a domain wants carried to an
outcome, is one `TrackedItem` row here; the domain's own row points at it with a one-to-one foreign key
(`Finding.item`), and the item names its source back by (`kind`, `source_id`). Concrete kernel tables, not
abstract models per domain (see docs/architecture.md, "Outcome tracker"), because links run *between*
domains (a finding that led to a research topic) and one export, one overdue job and one set of KPIs read
every domain's items at once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    OPEN = "open", _("待办理")
    IN_PROGRESS = "in_progress", _("推进中")
    REOPENED = "reopened", _("重新办理")
    VERIFYING = "verifying", _("待验证成效")
    CLOSED = "closed", _("已办结")
    DROPPED = "dropped", _("已撤销")


LIVE = (Status.OPEN, Status.IN_PROGRESS, Status.REOPENED, Status.VERIFYING)
DONE = (Status.CLOSED, Status.DROPPED)
# Statuses in which work goes on (progress, evidence, a new due date).
WORKING = (Status.OPEN, Status.IN_PROGRESS, Status.REOPENED)


class OwnerKind(models.TextChoices):
    UNION = "union", _("工会")
    ENTERPRISE = "enterprise", _("企业")
    DEPARTMENT = "department", _("部门")


class EvidenceKind(models.TextChoices):
    DOCUMENT = "document", _("文件")
    PHOTO = "photo", _("照片")
    POLICY = "policy", _("政策文件")
    INSTRUCTION = "instruction", _("领导批示")
    NOTE = "note", _("情况说明")


class EntryKind(models.TextChoices):
    CREATED = "created", _("创建")
    STATUS = "status", _("状态变更")
    PROGRESS = "progress", _("进度更新")
    NOTE = "note", _("备注")
    EVIDENCE = "evidence", _("佐证材料")
    VERDICT = "verdict", _("成效验证")
    DUE = "due", _("期限调整")
    OWNER = "owner", _("责任主体变更")
    LINK = "link", _("关联")
    REMINDER = "reminder", _("到期提醒")
    ESCALATION = "escalation", _("逾期督办")


class Relation(models.TextChoices):
    LED_TO = "led_to", _("引出")
    BECAME = "became", _("转化为")
    RELATED = "related", _("相关")
    DUPLICATE = "duplicate", _("重复")


class TrackedItem(models.Model):
    kind = models.CharField(_("类型"), max_length=64)  # a registered kind code, e.g. "checkups.finding"
    source_id = models.CharField(_("来源编号"), max_length=64, blank=True)
    title = models.CharField(_("事项"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    category = models.CharField(_("类别"), max_length=64, blank=True)
    severity = models.CharField(_("严重程度"), max_length=16, blank=True)
    node = models.ForeignKey("orgs.UnionNode", on_delete=models.PROTECT, related_name="tracked_items",
                             verbose_name=_("跟踪工会"))
    owner_kind = models.CharField(_("责任主体类型"), max_length=12, choices=OwnerKind.choices,
                                  default=OwnerKind.UNION)
    owner_enterprise = models.ForeignKey("orgs.Enterprise", on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="tracked_items", verbose_name=_("责任企业"))
    owner_name = models.CharField(_("责任主体"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.OPEN)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    due_date = models.DateField(_("办结期限"), null=True, blank=True)
    # The smallest "days before the due date" threshold already reminded for the current due date.
    reminded_days = models.PositiveSmallIntegerField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("督办级别"), default=0)
    cycle = models.PositiveSmallIntegerField(_("办理轮次"), default=0)  # +1 at each "not effective" verdict
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("创建时间"))
    ended_at = models.DateTimeField(_("办结时间"), null=True, blank=True)  # closed or dropped
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("跟踪事项")
        verbose_name_plural = _("跟踪事项")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="outcomes_item_progress_0_100"),
            models.CheckConstraint(condition=Q(status__in=[s.value for s in DONE], ended_at__isnull=False)
                                   | (~Q(status__in=[s.value for s in DONE]) & Q(ended_at__isnull=True)),
                                   name="outcomes_item_ended_iff_done"),
            models.CheckConstraint(condition=~Q(status=Status.CLOSED) | Q(progress=100),
                                   name="outcomes_item_closed_is_100"),
            models.UniqueConstraint(fields=["kind", "source_id"], condition=~Q(source_id=""),
                                    name="outcomes_item_one_per_source"),
        ]
        indexes = [models.Index(fields=["kind", "status", "due_date"], name="outcomes_item_kind_status"),
                   models.Index(fields=["node", "kind"], name="outcomes_item_node_kind")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_live(self) -> bool:
        return self.status in LIVE

    def is_overdue(self, today) -> bool:
        return self.status in LIVE and self.due_date is not None and self.due_date < today


class TimelineEntry(models.Model):
    """The item's history: every status change (from, to), progress, note, evidence, verdict, due date,
    reminder and escalation, in order. The status history is the entries with a `to_status`."""

    item = models.ForeignKey(TrackedItem, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(_("时间"))
    kind = models.CharField(_("类型"), max_length=12, choices=EntryKind.choices)
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    progress = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(_("内容"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    actor_label = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")


class Evidence(models.Model):
    item = models.ForeignKey(TrackedItem, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(_("材料类型"), max_length=12, choices=EvidenceKind.choices)
    title = models.CharField(_("标题"), max_length=200, blank=True)
    file = models.FileField(_("文件"), upload_to="outcomes/%Y/%m", blank=True)  # encrypted at rest (core.files)
    content_type = models.CharField(max_length=64, blank=True)
    doc_number = models.CharField(_("文号"), max_length=100, blank=True)
    issuer = models.CharField(_("发文/批示人"), max_length=100, blank=True)
    issued_on = models.DateField(_("日期"), null=True, blank=True)
    text = models.TextField(_("内容"), blank=True)
    of_effect = models.BooleanField(_("成效证据"), default=False)  # proves the fix worked (needed to close)
    cycle = models.PositiveSmallIntegerField(default=0)  # the item's cycle it was added in
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")


class ItemLink(models.Model):
    """A link between two items. It never changes either item's status: it is read, not acted on."""

    src = models.ForeignKey(TrackedItem, on_delete=models.CASCADE, related_name="links_out")
    dst = models.ForeignKey(TrackedItem, on_delete=models.CASCADE, related_name="links_in")
    relation = models.CharField(_("关系"), max_length=12, choices=Relation.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("事项关联")
        verbose_name_plural = _("事项关联")
        constraints = [
            models.UniqueConstraint(fields=["src", "dst", "relation"], name="outcomes_link_once"),
            models.CheckConstraint(condition=~Q(src=models.F("dst")), name="outcomes_link_not_self"),
        ]
