"""Enterprise check-ups (法治体检, 安全生产体检): campaigns over the enterprises of a subtree, weighted
checklists, the enterprise union's self-assessment, the visit, findings (each a tracked item of the
kernel's outcome tracker), instruments (提示函, 意见书, 建议书) with reply deadlines, and the mandatory
return visit."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CheckKind(models.TextChoices):
    LEGAL = "legal", _("劳动用工法治体检")
    SAFETY = "safety", _("安全生产体检")
    BOTH = "both", _("法治与安全综合体检")


class Category(models.TextChoices):
    CONTRACT = "contract", _("劳动合同")
    WAGES = "wages", _("工资支付")
    HOURS = "hours", _("工时与休息休假")
    INSURANCE = "insurance", _("社会保险")
    FEMALE = "female", _("女职工权益")
    DISPATCH = "dispatch", _("劳务派遣与用工")
    DEMOCRACY = "democracy", _("民主管理与厂务公开")
    COLLECTIVE = "collective", _("集体协商与集体合同")
    UNION = "union", _("工会组建与经费")
    RULES = "rules", _("规章制度")
    SAFETY = "safety", _("安全生产")
    HEALTH = "health", _("职业健康")
    OTHER = "other", _("其他")


class Severity(models.TextChoices):
    LOW = "low", _("一般")
    MEDIUM = "medium", _("较重")
    HIGH = "high", _("严重")
    CRITICAL = "critical", _("重大")


class Answer(models.TextChoices):
    YES = "yes", _("符合")
    PARTLY = "partly", _("部分符合")
    NO = "no", _("不符合")
    NA = "na", _("不适用")


# The share of an item's weight a result earns in the score.
ANSWER_CREDIT = {Answer.YES: 1.0, Answer.PARTLY: 0.5, Answer.NO: 0.0}


class ChecklistTemplate(models.Model):
    node = models.ForeignKey("orgs.UnionNode", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("所属工会"))
    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("体检类型"), max_length=8, choices=[c for c in CheckKind.choices if c[0] != "both"])
    note = models.TextField(_("说明"), blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "name", "id"]
        verbose_name = _("体检清单")
        verbose_name_plural = _("体检清单")

    def __str__(self) -> str:
        return self.name


class TemplateItem(models.Model):
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    seq = models.PositiveSmallIntegerField(_("序号"))
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices)
    text = models.CharField(_("检查内容"), max_length=300)
    legal_basis = models.CharField(_("法律依据"), max_length=300, blank=True)
    weight = models.PositiveSmallIntegerField(_("权重"), default=5)
    severity = models.CharField(_("默认严重程度"), max_length=8, choices=Severity.choices, default=Severity.MEDIUM)

    class Meta:
        ordering = ["template", "seq", "id"]
        verbose_name = _("清单条目")
        verbose_name_plural = _("清单条目")
        constraints = [models.CheckConstraint(condition=Q(weight__gte=1, weight__lte=100), name="checkups_item_weight")]


class CampaignStatus(models.TextChoices):
    RUNNING = "running", _("进行中")
    CLOSED = "closed", _("已结束")


class Campaign(models.Model):
    node = models.ForeignKey("orgs.UnionNode", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("组织工会"))
    title = models.CharField(_("名称"), max_length=160)
    kind = models.CharField(_("体检类型"), max_length=8, choices=CheckKind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    templates = models.ManyToManyField(ChecklistTemplate, related_name="campaigns", verbose_name=_("体检清单"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    reply_days = models.PositiveSmallIntegerField(_("文书回复期限（天）"), default=15)
    rectify_days = models.PositiveSmallIntegerField(_("整改期限（天）"), default=30)
    return_visit_days = models.PositiveSmallIntegerField(_("回访期限（天）"), default=60)
    status = models.CharField(_("状态"), max_length=8, choices=CampaignStatus.choices, default=CampaignStatus.RUNNING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "-id"]
        verbose_name = _("体检活动")
        verbose_name_plural = _("体检活动")
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")),
                                              name="checkups_campaign_dates")]

    def __str__(self) -> str:
        return self.title


class ExamStatus(models.TextChoices):
    PLANNED = "planned", _("待体检")
    SELF_ASSESSED = "self_assessed", _("已自查")
    VISITED = "visited", _("已现场体检")
    RETURN_VISITED = "return_visited", _("已回访")


class Examination(models.Model):
    """One enterprise in one campaign."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="examinations")
    enterprise = models.ForeignKey("orgs.Enterprise", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("企业"))
    union = models.ForeignKey("orgs.UnionNode", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("企业工会"))  # the enterprise's union at enrolment: the scope
    status = models.CharField(_("状态"), max_length=16, choices=ExamStatus.choices, default=ExamStatus.PLANNED)
    workers_covered = models.PositiveIntegerField(_("覆盖职工数"), default=0)
    self_assessed_at = models.DateTimeField(null=True, blank=True)
    self_score = models.DecimalField(_("自查得分"), max_digits=5, decimal_places=1, null=True, blank=True)
    visited_on = models.DateField(_("体检日期"), null=True, blank=True)
    visited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    visit_team = models.CharField(_("体检人员"), max_length=200, blank=True)
    score = models.DecimalField(_("体检得分"), max_digits=5, decimal_places=1, null=True, blank=True)
    return_visit_due = models.DateField(_("回访期限"), null=True, blank=True)
    return_visited_on = models.DateField(_("回访日期"), null=True, blank=True)
    return_visit_note = models.TextField(_("回访情况"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("企业体检")
        verbose_name_plural = _("企业体检")
        constraints = [models.UniqueConstraint(fields=["campaign", "enterprise"], name="checkups_exam_once")]
        indexes = [models.Index(fields=["campaign", "status"], name="checkups_exam_campaign_status")]


class Response(models.Model):
    """An answer to one checklist item at one stage: the union's self-assessment or the visit."""

    class Stage(models.TextChoices):
        SELF = "self", _("企业工会自查")
        VISIT = "visit", _("现场体检")

    examination = models.ForeignKey(Examination, on_delete=models.CASCADE, related_name="responses")
    template_item = models.ForeignKey(TemplateItem, on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(max_length=8, choices=Stage.choices)
    answer = models.CharField(_("结果"), max_length=8, choices=Answer.choices)
    note = models.CharField(_("情况说明"), max_length=300, blank=True)
    photo = models.FileField(_("现场照片"), upload_to="checkups/%Y/%m", blank=True)  # encrypted at rest
    photo_type = models.CharField(max_length=32, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    answered_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["examination", "template_item", "stage"],
                                               name="checkups_response_once")]


class InstrumentKind(models.TextChoices):
    REMINDER = "reminder", _("提示函")
    OPINION = "opinion", _("意见书")
    RECOMMENDATION = "recommendation", _("建议书")


class Instrument(models.Model):
    examination = models.ForeignKey(Examination, on_delete=models.PROTECT, related_name="instruments")
    kind = models.CharField(_("文书类型"), max_length=16, choices=InstrumentKind.choices)
    number = models.CharField(_("文号"), max_length=60, unique=True)
    issued_on = models.DateField(_("发出日期"))
    reply_due = models.DateField(_("回复期限"))
    replied_on = models.DateField(_("回复日期"), null=True, blank=True)
    reply_text = models.TextField(_("企业回复"), blank=True)
    accepted = models.BooleanField(_("采纳"), null=True)
    # The PDF as issued (encrypted at rest); rendered from the record when absent (bulk-built demo rows).
    pdf = models.FileField(upload_to="checkups/instruments/%Y", blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["issued_on", "id"]
        verbose_name = _("体检文书")
        verbose_name_plural = _("体检文书")


class ReminderStep(models.TextChoices):
    DUE_SOON = "due_soon", _("即将到期提醒")
    OVERDUE = "overdue", _("逾期提醒")
    ESCALATED = "escalated", _("逾期督办（上一级）")


class InstrumentReminder(models.Model):
    """A reminder the periodic job sent about an instrument's reply deadline: one row per (instrument,
    deadline, step), inserted before anything is sent, so no step is ever sent twice for one deadline."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="reminders")
    reply_due = models.DateField()
    step = models.CharField(max_length=12, choices=ReminderStep.choices)
    node = models.ForeignKey("orgs.UnionNode", on_delete=models.PROTECT, related_name="+")  # who was told
    recipients = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [models.UniqueConstraint(fields=["instrument", "reply_due", "step"],
                                               name="checkups_reminder_once")]


class Finding(models.Model):
    # The campaign, kept on the row (the examination's own) so the campaign report groups one table.
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    examination = models.ForeignKey(Examination, on_delete=models.PROTECT, related_name="findings")
    template_item = models.ForeignKey(TemplateItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices)
    severity = models.CharField(_("严重程度"), max_length=8, choices=Severity.choices)
    description = models.CharField(_("问题描述"), max_length=300)
    legal_basis = models.CharField(_("法律依据"), max_length=300, blank=True)
    recommendation = models.CharField(_("整改建议"), max_length=300, blank=True)
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="findings")
    item = models.OneToOneField("outcomes.TrackedItem", on_delete=models.PROTECT, related_name="checkups_finding")
    created_at = models.DateTimeField()
    # The item's state as last counted in the campaign's tally (huigong.checkups.tally): the tracker changes
    # the item before its hook runs, so what the finding counted for before is kept here. "" = not counted.
    counted_status = models.CharField(max_length=16, blank=True, default="", db_default="")
    counted_due = models.DateField(null=True, blank=True)
    counted_ended = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("体检发现问题")
        verbose_name_plural = _("体检发现问题")
        indexes = [models.Index(fields=["campaign", "category"], name="checkups_finding_campaign_cat")]


class Tally(models.Model):
    """The campaign report's figures as running counts (huigong.checkups.tally): rows are only ever added, in
    the transaction of the write that changed a figure (+1 for the new state, -1 for the old), and a figure
    is the sum of its rows; the periodic compaction replaces a campaign's rows by their sums. `day` is the
    date a figure becomes overdue on (a finding's due date, a return visit's, a reply's), NO_DAY for the rest,
    so that the report is one sum over the rows with `day` before today."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    section = models.CharField(max_length=16)
    key = models.CharField(max_length=40, blank=True)
    day = models.DateField()
    n = models.BigIntegerField()
    amount = models.BigIntegerField(default=0)  # workers, score x 10, microseconds to close

    class Meta:
        indexes = [models.Index(fields=["campaign", "day"], name="checkups_tally_campaign_day")]
