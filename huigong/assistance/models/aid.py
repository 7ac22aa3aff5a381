from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from huigong.core.approvals.models import ApprovalDecision, ApprovalStepBase  # noqa: F401
from huigong.core.notices.models import NoticeBase, NoticeEntryBase, NoticeObjectionBase, NoticeStatus  # noqa: F401
from huigong.orgs.models import UnionNode

from .files import HardshipFile


class AidProgrammeKind(models.TextChoices):
    LIVING = "living", _("生活救助")
    ILLNESS = "illness", _("大病救助")
    EDUCATION = "education", _("金秋助学")
    SUDDEN = "sudden", _("临时救助")
    FESTIVAL = "festival", _("节日慰问")
    OTHER = "other", _("其他")


class AmountMode(models.TextChoices):
    FIXED = "fixed", _("定额")
    UP_TO = "up_to", _("不超过上限")


class ProgrammeStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPEN = "open", _("受理中")
    CLOSED = "closed", _("已结束")


class AidProgramme(models.Model):
    """An aid programme for a year (e.g. 2025 金秋助学), owned by a node for its subtree.

    Eligibility: the file's level is in `eligible_levels` (empty = any) and, when `required_causes`
    is set, the file has at least one of them (金秋助学: schooling). The amount is `amount_fen` exactly
    (FIXED) or anything up to it (UP_TO). Approval runs through `approval_levels`, e.g.
    ["grassroots", "district", "city"]: step i is decided at the nearest ancestor-or-self of the
    file's union whose level is approval_levels[i] (the first step is the applying union itself when
    it holds memberships)."""

    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="aid_programmes",
                             verbose_name=_("主办工会"))
    node_path = models.CharField(max_length=255, db_index=True)
    kind = models.CharField(_("类别"), max_length=16, choices=AidProgrammeKind.choices)
    name = models.CharField(_("名称"), max_length=120)
    year = models.PositiveSmallIntegerField(_("年度"))
    description = models.TextField(_("说明"), blank=True)
    eligible_levels = models.JSONField(_("适用困难等级"), default=list, blank=True)
    required_causes = models.JSONField(_("须具备的致困原因（任一）"), default=list, blank=True)
    amount_mode = models.CharField(_("金额方式"), max_length=8, choices=AmountMode.choices, default=AmountMode.UP_TO)
    amount_fen = models.BigIntegerField(_("金额/上限"))
    approval_levels = models.JSONField(_("审批层级"), default=list)
    notice_days = models.PositiveSmallIntegerField(_("公示天数"), default=5)
    status = models.CharField(_("状态"), max_length=16, choices=ProgrammeStatus.choices, default=ProgrammeStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("帮扶项目")
        verbose_name_plural = _("帮扶项目")
        ordering = ["-year", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["node", "kind", "year", "name"], name="aid_programme_unique"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="aid_programme_amount_positive"),
            models.CheckConstraint(condition=Q(notice_days__gte=1), name="aid_programme_notice_days_ge_1"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"


class ProgrammeBudget(models.Model):
    """Money a programme has for one node's subtree. Approval reserves (`committed_fen`), payment
    spends (`paid_fen`). The CHECKs make a negative balance impossible whatever the code does; the
    services reserve with a conditional UPDATE so that a breach is refused, not an IntegrityError."""

    programme = models.ForeignKey(AidProgramme, on_delete=models.CASCADE, related_name="budgets")
    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+", verbose_name=_("预算单位"))
    node_path = models.CharField(max_length=255)
    total_fen = models.BigIntegerField(_("预算总额"))
    committed_fen = models.BigIntegerField(_("已审批占用"), default=0)
    paid_fen = models.BigIntegerField(_("已发放"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["programme", "node"], name="programme_budget_unique"),
            models.CheckConstraint(condition=Q(total_fen__gte=0), name="budget_total_nonneg"),
            models.CheckConstraint(condition=Q(committed_fen__gte=0) & Q(committed_fen__lte=F("total_fen")),
                                   name="budget_never_negative"),
            models.CheckConstraint(condition=Q(paid_fen__gte=0) & Q(paid_fen__lte=F("committed_fen")),
                                   name="budget_paid_within_committed"),
        ]


class HouseholdYearCap(models.Model):
    """The most one household may receive in a year across all programmes, set by a node for its
    subtree (the nearest ancestor's cap applies)."""

    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+", verbose_name=_("设定工会"))
    node_path = models.CharField(max_length=255)
    year = models.PositiveSmallIntegerField(_("年度"))
    cap_fen = models.BigIntegerField(_("每户年度上限"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["node", "year"], name="household_cap_unique"),
            models.CheckConstraint(condition=Q(cap_fen__gt=0), name="household_cap_positive"),
        ]


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("审批中")
    RETURNED = "returned", _("退回修改")
    REJECTED = "rejected", _("不予批准")
    APPROVED = "approved", _("已批准")
    NOTICE = "notice", _("公示中")
    NOTICE_ENDED = "notice_ended", _("公示期满")
    PAID = "paid", _("已发放")
    WITHDRAWN = "withdrawn", _("已撤回")


# Statuses in which an application still holds its place for (programme, file).
LIVE_APPLICATION_STATUSES = ("draft", "submitted", "returned", "approved", "notice", "notice_ended", "paid")


class AidApplication(models.Model):
    programme = models.ForeignKey(AidProgramme, on_delete=models.PROTECT, related_name="applications")
    file = models.ForeignKey(HardshipFile, on_delete=models.PROTECT, related_name="applications")
    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请工会"))
    node_path = models.CharField(max_length=255, db_index=True)
    amount_requested_fen = models.BigIntegerField(_("申请金额"))
    amount_approved_fen = models.BigIntegerField(_("批准金额"), null=True, blank=True)
    reason = models.TextField(_("申请理由"))
    status = models.CharField(_("状态"), max_length=16, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.DRAFT)
    current_step = models.PositiveSmallIntegerField(default=0)  # index into the programme's approval_levels
    round = models.PositiveSmallIntegerField(default=1)  # +1 on each resubmission after a return
    via_portal = models.BooleanField(_("职工网上申请"), default=False)
    budget = models.ForeignKey(ProgrammeBudget, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="applications")  # set when approval reserves the money
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("帮扶申请")
        verbose_name_plural = _("帮扶申请")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "file"], condition=Q(status__in=LIVE_APPLICATION_STATUSES),
                                    name="aid_application_one_live_per_programme"),
            models.CheckConstraint(condition=Q(amount_requested_fen__gt=0), name="aid_application_amount_positive"),
            models.CheckConstraint(
                condition=Q(amount_approved_fen__isnull=True) | Q(amount_approved_fen__gt=0),
                name="aid_application_approved_positive"),
        ]
        indexes = [models.Index(fields=["status", "programme"], name="aid_application_status_idx")]

    def __str__(self) -> str:
        return f"{self.programme} · {self.file}"


class ApprovalStep(ApprovalStepBase):
    """One level's decision in one round (the kernel's step: core/approvals). History is kept: a return
    starts a new round of steps."""

    application = models.ForeignKey(AidApplication, on_delete=models.CASCADE, related_name="steps")

    class Meta:
        ordering = ["round", "seq"]
        constraints = [models.UniqueConstraint(fields=["application", "round", "seq"], name="approval_step_unique")]


class Notice(NoticeBase):
    """公示 (the kernel's notice: core/notices): approved applications published for `days` days with
    masked names and no ID numbers."""

    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="aid_notices",
                             verbose_name=_("公示单位"))

    class Meta:
        verbose_name = _("公示")
        verbose_name_plural = _("公示")
        ordering = ["-starts_on"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gt=F("starts_on")), name="notice_ends_after_start")]


class NoticeEntry(NoticeEntryBase):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="entries")
    application = models.OneToOneField(AidApplication, on_delete=models.PROTECT, related_name="notice_entry")


class NoticeObjection(NoticeObjectionBase):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="objections")
    application = models.ForeignKey(AidApplication, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="objections")
