"""The research programme (调研, e.g. Hangzhou's 新音台): a yearly topic guide at a union, team
applications approved up the tree (core.approvals), a budget paid in tranches (core.disbursement),
fieldwork logs, a mid-term check, reports checked for length and duplication, awards; each accepted
report's recommendations become tracked items of the kernel's outcome tracker."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedCharField

from huigong.core.approvals.models import ApprovalStepBase
from huigong.core.disbursement.models import AbstractBatch, AbstractPayment, BatchState, State
from huigong.orgs.models import UnionNode


class ProgrammeStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPEN = "open", _("申报中")
    CLOSED = "closed", _("申报截止")


def default_tranche_plan() -> list:
    # [share %, the event that makes the tranche payable]: 40 % on approval, 30 % after the mid-term
    # check, 30 % when the report is accepted.
    return [[40, "approval"], [30, "midterm"], [30, "completion"]]


class Programme(models.Model):
    """One year's research programme of a union (its topic guide, 选题指南): the brand, the rules a
    team must meet, the report's length limits and duplication threshold, the budget and its tranches."""

    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+", verbose_name=_("主办工会"))
    node_path = models.CharField(max_length=255, db_index=True)
    brand = models.CharField(_("品牌名称"), max_length=40)
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("计划名称"), max_length=120)
    intro = models.TextField(_("选题指南说明"), blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=ProgrammeStatus.choices,
                              default=ProgrammeStatus.DRAFT)
    budget_fen = models.BigIntegerField(_("经费总额（分）"), default=0)
    committed_fen = models.BigIntegerField(_("已立项经费（分）"), default=0)
    min_chars = models.PositiveIntegerField(_("报告最少字数"), default=3000)
    max_chars = models.PositiveIntegerField(_("报告最多字数"), default=30000)
    similarity_limit = models.PositiveSmallIntegerField(_("重复率上限（%）"), default=30)
    # The union levels a project's application is approved at, nearest first (core.approvals.chain_nodes).
    approval_levels = models.JSONField(_("审批层级"), default=list)
    tranche_plan = models.JSONField(_("经费分期"), default=default_tranche_plan)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "brand"]
        verbose_name = _("调研计划")
        verbose_name_plural = _("调研计划")
        constraints = [
            models.UniqueConstraint(fields=["node", "brand", "year"], name="research_one_programme_per_brand_year"),
            models.CheckConstraint(condition=Q(budget_fen__gte=0) & Q(committed_fen__gte=0)
                                   & Q(committed_fen__lte=F("budget_fen")), name="research_budget_in_range"),
            models.CheckConstraint(condition=Q(min_chars__lte=F("max_chars")), name="research_chars_range"),
        ]

    def __str__(self) -> str:
        return self.title


class RuleKind(models.TextChoices):
    SIZE_MIN = "size_min", _("团队最少人数")
    SIZE_MAX = "size_max", _("团队最多人数")
    YOUNG_MIN = "young_min", _("青年干部最少人数")
    YOUNG_SHARE = "young_share", _("青年干部占比不低于（%）")
    FRONTLINE_SHARE = "frontline_share", _("一线人员占比不低于（%）")
    MENTOR = "mentor", _("须有导师")
    ADVISOR = "advisor", _("须有顾问")


class TeamRule(models.Model):
    """A team composition rule, as data: what a team must meet before its application can be submitted.
    `age_limit` says who counts as young (under it in the programme's year)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(_("规则"), max_length=20, choices=RuleKind.choices)
    value = models.PositiveIntegerField(_("数值"), default=1)
    age_limit = models.PositiveSmallIntegerField(_("青年年龄上限"), default=35)

    class Meta:
        ordering = ["id"]
        verbose_name = _("团队组成规则")
        verbose_name_plural = _("团队组成规则")
        constraints = [models.UniqueConstraint(fields=["programme", "kind"], name="research_one_rule_per_kind")]


class Topic(models.Model):
    """A topic of the guide (选题)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="topics")
    seq = models.PositiveSmallIntegerField(_("序号"))
    title = models.CharField(_("选题"), max_length=120)
    area = models.CharField(_("领域"), max_length=40, blank=True)
    description = models.TextField(_("说明"), blank=True)
    max_fen = models.BigIntegerField(_("经费上限（分）"), default=0)

    class Meta:
        ordering = ["programme", "seq"]
        verbose_name = _("选题")
        verbose_name_plural = _("选题")
        constraints = [models.UniqueConstraint(fields=["programme", "title"], name="research_topic_title_unique"),
                       models.CheckConstraint(condition=Q(max_fen__gte=0), name="research_topic_max_nonneg")]

    def __str__(self) -> str:
        return self.title


class ProjectStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("审批中")
    RETURNED = "returned", _("已退回")
    REJECTED = "rejected", _("未立项")
    FIELDWORK = "fieldwork", _("已立项·调研中")
    MIDTERM = "midterm", _("中期检查通过")
    TERMINATED = "terminated", _("已终止")
    COMPLETED = "completed", _("已结题")


LIVE = (ProjectStatus.FIELDWORK, ProjectStatus.MIDTERM)


class MidtermVerdict(models.TextChoices):
    PASS = "pass", _("通过")
    IMPROVE = "improve", _("限期改进")
    FAIL = "fail", _("不通过（终止）")


class Project(models.Model):
    """A team's application for a topic, and once approved, its research project (课题)."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="projects")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="projects", verbose_name=_("选题"))
    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+", verbose_name=_("承担单位"))
    node_path = models.CharField(max_length=255, db_index=True)
    team_name = models.CharField(_("调研队名称"), max_length=80)
    plan = models.TextField(_("调研计划"))
    requested_fen = models.BigIntegerField(_("申请经费（分）"))
    approved_fen = models.BigIntegerField(_("核定经费（分）"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=ProjectStatus.choices, default=ProjectStatus.DRAFT)
    round = models.PositiveSmallIntegerField(default=0)
    current_step = models.PositiveSmallIntegerField(null=True, blank=True)
    # The account the project's budget is paid to (the undertaking unit's): encrypted like every account.
    payee_name = models.CharField(_("收款单位"), max_length=50)
    bank_name = models.CharField(_("开户行"), max_length=100)
    bank_account = EncryptedCharField(_("银行账号"), max_length=32)
    bank_account_mask = models.CharField(_("银行账号"), max_length=24)
    midterm_verdict = models.CharField(_("中期检查结论"), max_length=12, choices=MidtermVerdict.choices, blank=True)
    midterm_comment = models.TextField(_("中期检查意见"), blank=True)
    midterm_at = models.DateTimeField(null=True, blank=True)
    midterm_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["programme", "topic__seq", "id"]
        verbose_name = _("调研课题")
        verbose_name_plural = _("调研课题")
        constraints = [
            models.CheckConstraint(condition=Q(requested_fen__gt=0), name="research_requested_positive"),
            models.CheckConstraint(condition=Q(approved_fen__isnull=True)
                                   | (Q(approved_fen__gt=0) & Q(approved_fen__lte=F("requested_fen"))),
                                   name="research_approved_within_request"),
        ]
        indexes = [models.Index(fields=["programme", "status"])]

    def __str__(self) -> str:
        return self.team_name


class MemberRole(models.TextChoices):
    LEADER = "leader", _("队长（头雁）")
    MEMBER = "member", _("队员（群雁）")
    MENTOR = "mentor", _("导师")
    ADVISOR = "advisor", _("顾问")


TEAM_ROLES = (MemberRole.LEADER, MemberRole.MEMBER)


class TeamMember(models.Model):
    """A cadre on the team (union staff, not a member record): the rules read the birth year and
    whether the cadre works on the front line."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="team")
    name = models.CharField(_("姓名"), max_length=30)
    role = models.CharField(_("角色"), max_length=10, choices=MemberRole.choices)
    birth_year = models.PositiveSmallIntegerField(_("出生年份"))
    front_line = models.BooleanField(_("一线岗位"), default=False)
    post = models.CharField(_("部门/岗位"), max_length=60, blank=True)

    class Meta:
        ordering = ["project", "role", "id"]
        verbose_name = _("调研队成员")
        verbose_name_plural = _("调研队成员")
        constraints = [models.UniqueConstraint(fields=["project"], condition=Q(role="leader"),
                                               name="research_one_leader_per_team")]


class ResearchStep(ApprovalStepBase):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="steps")

    class Meta(ApprovalStepBase.Meta):
        verbose_name = _("立项审批")
        verbose_name_plural = _("立项审批")
        constraints = [models.UniqueConstraint(fields=["project", "round", "seq"], name="research_step_unique")]


class FieldworkKind(models.TextChoices):
    VISIT = "visit", _("走访")
    INTERVIEW = "interview", _("访谈")
    RIDE_ALONG = "ride_along", _("沉浸式体验（跟岗/跑单）")
    FORUM = "forum", _("座谈会")
    SURVEY = "survey", _("问卷调查")


class FieldworkLog(models.Model):
    """One piece of fieldwork: where, who went, how many people were reached and, for a ride-along,
    how many orders the cadre took."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="fieldwork")
    kind = models.CharField(_("方式"), max_length=12, choices=FieldworkKind.choices)
    occurred_on = models.DateField(_("日期"))
    place = models.CharField(_("地点/对象"), max_length=120)
    cadre = models.CharField(_("调研人员"), max_length=30)
    people = models.PositiveIntegerField(_("接触人数"), default=0)
    orders = models.PositiveIntegerField(_("完成单数"), default=0)
    hours = models.DecimalField(_("时长（小时）"), max_digits=7, decimal_places=1, default=0)
    summary = models.TextField(_("记录"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("调研日志")
        verbose_name_plural = _("调研日志")
        constraints = [
            models.CheckConstraint(condition=Q(orders=0) | Q(kind="ride_along"), name="research_orders_ride_along"),
            models.CheckConstraint(condition=Q(hours__gte=0), name="research_hours_nonneg"),
        ]


class ReportStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待验收")
    ACCEPTED = "accepted", _("已验收")
    RETURNED = "returned", _("退回修改")


class Report(models.Model):
    """A deliverable (调研报告). The file is stored encrypted (core.files); the text itself is not kept:
    only its length and a sample of its shingles' hashes (similarity.py), enough to find a later report
    that copies it."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="reports")
    version = models.PositiveSmallIntegerField(_("版本"))
    title = models.CharField(_("报告标题"), max_length=160)
    file = models.FileField(upload_to="research/reports/%Y/%m/")
    content_type = models.CharField(max_length=80)
    extension = models.CharField(max_length=8)
    char_count = models.PositiveIntegerField(_("字数"))
    sketch = models.BinaryField()
    similarity = models.PositiveSmallIntegerField(_("最高重复率（%）"), default=0)
    similar_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("状态"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.SUBMITTED)
    comment = models.TextField(_("验收意见"), blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project", "-version"]
        verbose_name = _("调研报告")
        verbose_name_plural = _("调研报告")
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="research_report_version_unique"),
            models.UniqueConstraint(fields=["project"], condition=Q(status="accepted"),
                                    name="research_one_accepted_report"),
        ]

    def __str__(self) -> str:
        return self.title


class Recommendation(models.Model):
    """One recommendation of a report (对策建议). When the report is accepted it becomes a tracked item of
    the kernel's outcome tracker, followed there through to adoption (a policy's document number or a
    leader's 批示 as evidence)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="recommendations")
    seq = models.PositiveSmallIntegerField()
    text = models.TextField(_("建议内容"))
    owner = models.CharField(_("建议对象"), max_length=80)
    # The tracked item it became when the report was accepted (core.outcomes, kind "research.recommendation").
    item = models.OneToOneField("outcomes.TrackedItem", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="research_recommendation")

    class Meta:
        ordering = ["report", "seq"]
        verbose_name = _("对策建议")
        verbose_name_plural = _("对策建议")
        constraints = [models.UniqueConstraint(fields=["report", "seq"], name="research_recommendation_seq")]


class AwardLevel(models.TextChoices):
    FIRST = "first", _("一等奖")
    SECOND = "second", _("二等奖")
    THIRD = "third", _("三等奖")
    MERIT = "merit", _("优秀奖")


class Award(models.Model):
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="awards")
    level = models.CharField(_("等次"), max_length=10, choices=AwardLevel.choices)
    title = models.CharField(_("奖项名称"), max_length=80)
    awarded_on = models.DateField(_("颁奖日期"))
    awarded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-awarded_on", "id"]
        verbose_name = _("调研成果奖")
        verbose_name_plural = _("调研成果奖")
        constraints = [models.UniqueConstraint(fields=["project", "title"], name="research_award_once")]


class TrancheTrigger(models.TextChoices):
    APPROVAL = "approval", _("立项后")
    MIDTERM = "midterm", _("中期检查通过后")
    COMPLETION = "completion", _("结题验收后")


class TrancheStatus(models.TextChoices):
    LOCKED = "locked", _("未到发放条件")
    DUE = "due", _("可发放")
    PAID = "paid", _("已发放")
    CANCELLED = "cancelled", _("已取消")


class Tranche(models.Model):
    """One instalment of a project's budget. It becomes payable when its trigger happens; it is paid at
    most once: one payment row (OneToOne), whose idempotency key the bank sees."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="tranches")
    seq = models.PositiveSmallIntegerField()
    trigger = models.CharField(_("发放条件"), max_length=12, choices=TrancheTrigger.choices)
    share = models.PositiveSmallIntegerField(_("比例（%）"))
    amount_fen = models.BigIntegerField(_("金额（分）"))
    status = models.CharField(_("状态"), max_length=12, choices=TrancheStatus.choices, default=TrancheStatus.LOCKED)

    class Meta:
        ordering = ["project", "seq"]
        verbose_name = _("经费分期")
        verbose_name_plural = _("经费分期")
        constraints = [models.UniqueConstraint(fields=["project", "seq"], name="research_tranche_seq"),
                       models.CheckConstraint(condition=Q(amount_fen__gt=0), name="research_tranche_positive")]


class TrancheBatch(AbstractBatch):
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="batches")
    node_path = models.CharField(max_length=255, db_index=True)
    status = models.CharField(_("状态"), max_length=16, choices=BatchState.choices, default=BatchState.DRAFT)
    sent_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractBatch.Meta):
        pass


class TranchePayment(AbstractPayment):
    """The one payment of a tranche (key "rs-<tranche>", retried on the same row: 备注 "rs-<id>#<attempt>")."""

    tranche = models.OneToOneField(Tranche, on_delete=models.PROTECT, related_name="payment")
    batch = models.ForeignKey(TrancheBatch, on_delete=models.PROTECT, related_name="payments")
    bank_account = EncryptedCharField(_("银行账号"), max_length=32)
    status = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=1)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("经费发放")
        verbose_name_plural = _("经费发放")
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="research_payment_positive"),
            models.CheckConstraint(condition=~Q(status="paid") | ~Q(bank_reference=""),
                                   name="research_paid_has_reference"),
        ]
