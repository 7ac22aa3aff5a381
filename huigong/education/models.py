"""求学圆梦: degree programmes for workers, from a round's application to the last tranche paid.

A `Programme` is one round (2025年求学圆梦) owned by a union; it is the capacity engine's pool (its places
are the seats funded), with `ProgrammeQuota` rows as sub-pools (places kept for each sub-union, by
formula) and `Application` as the engine's entry (its `place` column is the engine's status; `status` is
this domain's workflow). Reviews run on the kernel's approval chains (`ApplicationStep`), the 公示 on the
kernel's notice service, subsidies in `Tranche`s paid through the kernel's disbursement service
(`SubsidyBatch`, `SubsidyPayment`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedCharField

from huigong.core.approvals.models import ApprovalStepBase
from huigong.core.capacity.models import LIVE, PoolFields
from huigong.core.disbursement.models import AbstractBatch, AbstractPayment, State
from huigong.core.notices.models import NoticeBase, NoticeEntryBase, NoticeObjectionBase


class DegreeLevel(models.TextChoices):
    COLLEGE = "college", _("大专")
    BACHELOR = "bachelor", _("本科")


class ProgrammeStatus(models.TextChoices):
    DRAFT = "draft", _("筹备中")
    OPEN = "open", _("申报中")
    CLOSED = "closed", _("申报截止")
    DRAWN = "drawn", _("已抽签")
    DONE = "done", _("已结束")


class SubsidyKind(models.TextChoices):
    FIXED = "fixed", _("定额分期")
    TUITION_SHARE = "share", _("学费比例")


class Trigger(models.TextChoices):
    ENROLMENT = "enrolment", _("入学确认")
    TERM = "term", _("学期合格")
    GRADUATION = "graduation", _("毕业凭证")
    FALLBACK = "fallback", _("未中签保底补助")


class QuotaFormula(models.TextChoices):
    NONE = "none", _("不分配")
    EQUAL = "equal", _("平均分配")
    MEMBERS = "members", _("按会员人数")


class Ranking(models.TextChoices):
    """How a lottery round orders its entrants (the kernel draw's published precedence)."""

    DRAW = "draw", _("抽签（优先条件的人先抽）")
    MERIT = "merit", _("择优（按成绩排序，同分抽签）")


class Institution(models.Model):
    """A partner institution (合作院校) of a union."""

    node = models.ForeignKey("orgs.UnionNode", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("合作工会"))
    node_path = models.CharField(max_length=255, db_index=True)
    name = models.CharField(_("院校名称"), max_length=120)
    contact = models.CharField(_("联系人/电话"), max_length=120, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("合作院校")
        verbose_name_plural = _("合作院校")
        constraints = [models.UniqueConstraint(fields=["node", "name"], name="edu_institution_unique")]

    def __str__(self) -> str:
        return self.name


class Programme(PoolFields):
    """One round. `rules` is the eligibility as data (see eligibility.py for the keys), `tranches` the
    subsidy schedule: [{"trigger": "enrolment"|"term"|"graduation", "fen": 100000}] (a term tranche also
    names its term: {"trigger": "term", "term": 1, …}); with SubsidyKind.TUITION_SHARE the one tranche
    is `share_percent` of the major's tuition, paid on graduation."""

    node = models.ForeignKey("orgs.UnionNode", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("主办工会"))
    node_path = models.CharField(max_length=255, db_index=True)
    title = models.CharField(_("项目名称"), max_length=120)
    year = models.PositiveSmallIntegerField(_("入学年级"))
    status = models.CharField(_("状态"), max_length=8, choices=ProgrammeStatus.choices,
                              default=ProgrammeStatus.DRAFT)
    opens_on = models.DateField(_("申报开始"))
    closes_on = models.DateField(_("申报截止"))
    description = models.TextField(_("项目说明"), blank=True)
    rules = models.JSONField(_("申报条件"), default=dict, blank=True)
    levels = models.JSONField(_("审核层级"), default=list, blank=True)
    subsidy_kind = models.CharField(_("补贴方式"), max_length=8, choices=SubsidyKind.choices,
                                    default=SubsidyKind.FIXED)
    tranches = models.JSONField(_("补贴分期"), default=list, blank=True)
    share_percent = models.PositiveSmallIntegerField(_("学费补贴比例（%）"), default=0)
    fallback_fen = models.BigIntegerField(_("未中签保底补助（分）"), default=0)
    quota_formula = models.CharField(_("名额分配"), max_length=8, choices=QuotaFormula.choices,
                                     default=QuotaFormula.NONE)
    carried_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="carried_to", verbose_name=_("上一轮"))
    clawback_on_dropout = models.BooleanField(_("退学须追回已发补贴"), default=False)
    draw_seed = models.CharField(_("随机种子"), max_length=128, blank=True)
    # Priorities as data: person-facet keys (huigong.core.facets), the first the highest tier. In the
    # draw an entrant's tier is len(priorities) - the index of the first facet they hold (0: none).
    priorities = models.JSONField(_("优先条件"), default=list, blank=True)
    ranking = models.CharField(_("排序方式"), max_length=8, choices=Ranking.choices, default=Ranking.DRAW)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(PoolFields.Meta):
        ordering = ["-year", "-opens_on", "-id"]
        verbose_name = _("求学圆梦项目")
        verbose_name_plural = _("求学圆梦项目")
        constraints = [
            *PoolFields.Meta.constraints,
            models.CheckConstraint(condition=Q(closes_on__gte=models.F("opens_on")), name="edu_programme_window"),
            models.CheckConstraint(condition=Q(fallback_fen__gte=0), name="edu_programme_fallback_not_negative"),
            models.CheckConstraint(condition=Q(share_percent__lte=100), name="edu_programme_share_max"),
        ]

    def __str__(self) -> str:
        return self.title


class Major(models.Model):
    """A major of a partner institution offered in a round, with its seats and tuition."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="majors")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="majors",
                                    verbose_name=_("院校"))
    name = models.CharField(_("专业"), max_length=120)
    level = models.CharField(_("层次"), max_length=10, choices=DegreeLevel.choices)
    seats = models.PositiveIntegerField(_("招生名额"))
    tuition_fen = models.BigIntegerField(_("学费（分）"), default=0)

    class Meta:
        ordering = ["institution__name", "name"]
        verbose_name = _("专业")
        verbose_name_plural = _("专业")
        constraints = [models.UniqueConstraint(fields=["programme", "institution", "name", "level"],
                                               name="edu_major_unique")]

    def __str__(self) -> str:
        return f"{self.institution.name} · {self.name}（{self.get_level_display()}）"


class ProgrammeQuota(models.Model):
    """Places of a round kept for one sub-union (`key` = the union's id): the engine's sub-pool."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="quotas")
    key = models.BigIntegerField(_("工会"))
    slots = models.PositiveIntegerField(_("名额"))
    remaining = models.IntegerField(_("剩余"))

    class Meta:
        verbose_name = _("单位名额")
        verbose_name_plural = _("单位名额")
        constraints = [
            models.UniqueConstraint(fields=["programme", "key"], name="edu_one_quota_per_union"),
            models.CheckConstraint(condition=Q(remaining__gte=0) & Q(remaining__lte=models.F("slots")),
                                   name="edu_quota_remaining_in_range"),
        ]


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交待初审")
    INELIGIBLE = "ineligible", _("初审未通过")
    IN_REVIEW = "in_review", _("工会审核中")
    RETURNED = "returned", _("退回修改")
    REJECTED = "rejected", _("审核未通过")
    APPROVED = "approved", _("审核通过待抽签")
    WON = "won", _("已中签")
    LOST = "lost", _("未中签")
    NOTICE = "notice", _("公示中")
    CONFIRMED = "confirmed", _("公示无异议")
    WITHDRAWN = "withdrawn", _("已撤回")


# A worker has at most one application per round that is not withdrawn or refused.
LIVE_APPLICATION = (ApplicationStatus.SUBMITTED, ApplicationStatus.INELIGIBLE, ApplicationStatus.IN_REVIEW,
                    ApplicationStatus.RETURNED, ApplicationStatus.APPROVED, ApplicationStatus.WON,
                    ApplicationStatus.LOST, ApplicationStatus.NOTICE, ApplicationStatus.CONFIRMED)
# Counted as "a grant at this degree level" by the once-per-level rule.
GRANTED_APPLICATION = (ApplicationStatus.WON, ApplicationStatus.NOTICE, ApplicationStatus.CONFIRMED)


class Application(models.Model):
    """A worker's application to a round: the capacity engine's entry (`place`, `sub_key`, `draw_rank`)."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="applications")
    person = models.ForeignKey("members.Person", on_delete=models.PROTECT, related_name="+")
    union = models.ForeignKey("orgs.UnionNode", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("所在工会"))
    node_path = models.CharField(max_length=255, db_index=True)
    major = models.ForeignKey(Major, on_delete=models.PROTECT, related_name="applications", verbose_name=_("报读专业"))
    level = models.CharField(_("层次"), max_length=10, choices=DegreeLevel.choices)
    status = models.CharField(_("状态"), max_length=10, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.SUBMITTED)
    # What the worker declares and uploads.
    admission_letter = models.FileField(_("录取通知书"), upload_to="education/letters/", blank=True)
    xuexin_code = models.CharField(_("学信网在线验证码"), max_length=32, blank=True)
    xuexin_report = models.FileField(_("学信网学历报告"), upload_to="education/xuexin/", blank=True)
    statement = models.TextField(_("申请说明"), blank=True)
    # The facet key the draw found (as of the draw; before it, what the worker declared).
    priority = models.CharField(_("优先条件"), max_length=16, blank=True)
    # Merit rounds: the published score (exam score or points), recorded with an audit row.
    merit_points = models.PositiveIntegerField(_("成绩/积分"), null=True, blank=True)
    # The automatic first check against the member register (eligibility.py): the rule codes that
    # failed, comma-separated (empty: eligible), and when.
    check_failures = models.CharField(max_length=255, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    round = models.PositiveSmallIntegerField(default=1)
    current_step = models.PositiveSmallIntegerField(default=0)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    carried_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="carried_to")
    refusal = models.CharField(_("原因"), max_length=255, blank=True)
    # The capacity engine's columns (spec in places.py).
    place = models.CharField(_("名额状态"), max_length=10, blank=True)
    sub_key = models.BigIntegerField(null=True, blank=True)
    draw_rank = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    granted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("求学圆梦申请")
        verbose_name_plural = _("求学圆梦申请")
        constraints = [
            models.UniqueConstraint(fields=["programme", "person"],
                                    condition=Q(status__in=[s.value for s in LIVE_APPLICATION]),
                                    name="edu_one_live_application_per_round"),
            models.UniqueConstraint(fields=["programme", "person"], condition=Q(place__in=[s.value for s in LIVE]),
                                    name="edu_one_live_place_per_round"),
        ]
        indexes = [models.Index(fields=["programme", "status"]), models.Index(fields=["person", "level"])]

    def __str__(self) -> str:
        return f"{self.programme.title} #{self.pk}"


class ApplicationStep(ApprovalStepBase):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="steps")

    class Meta:
        ordering = ["round", "seq"]
        constraints = [models.UniqueConstraint(fields=["application", "round", "seq"], name="edu_step_unique")]


class EduNotice(NoticeBase):
    # Set by the scheme's on_publish (the kernel creates the notice, then hands it the items).
    programme = models.ForeignKey(Programme, null=True, on_delete=models.PROTECT, related_name="notices")

    class Meta(NoticeBase.Meta):
        verbose_name = _("求学圆梦公示")
        verbose_name_plural = _("求学圆梦公示")
        constraints = [models.CheckConstraint(condition=Q(ends_on__gt=models.F("starts_on")), name="edu_notice_period")]


class EduNoticeEntry(NoticeEntryBase):
    notice = models.ForeignKey(EduNotice, on_delete=models.CASCADE, related_name="entries")
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="notice_entry")


class EduNoticeObjection(NoticeObjectionBase):
    notice = models.ForeignKey(EduNotice, on_delete=models.CASCADE, related_name="objections")
    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="objections")


class EnrolmentStatus(models.TextChoices):
    STUDYING = "studying", _("在读")
    GRADUATED = "graduated", _("已毕业")
    DROPPED = "dropped", _("退学")
    STOPPED = "stopped", _("补贴已停发")


class Enrolment(models.Model):
    """A worker in a cohort (2025级): enrolled at a major, terms, transfer, drop-out, graduation."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="enrolment")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="enrolments")
    person = models.ForeignKey("members.Person", on_delete=models.PROTECT, related_name="+")
    major = models.ForeignKey(Major, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("专业"))
    node_path = models.CharField(max_length=255, db_index=True)
    status = models.CharField(_("学籍状态"), max_length=10, choices=EnrolmentStatus.choices,
                              default=EnrolmentStatus.STUDYING)
    enrolled_on = models.DateField(_("入学日期"))
    confirmed_by = models.CharField(_("入学确认方"), max_length=12)  # institution / union
    student_no = models.CharField(_("学号"), max_length=32, blank=True)
    terms_passed = models.PositiveSmallIntegerField(_("已合格学期"), default=0)
    graduated_on = models.DateField(_("毕业日期"), null=True, blank=True)
    graduation_proof = models.CharField(_("毕业证书编号/学信网验证码"), max_length=64, blank=True)
    ended_on = models.DateField(_("终止日期"), null=True, blank=True)
    end_reason = models.CharField(_("终止原因"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["programme", "id"]
        verbose_name = _("在读学员")
        verbose_name_plural = _("在读学员")


class TermResult(models.Model):
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="terms")
    term = models.PositiveSmallIntegerField(_("学期"))
    passed = models.BooleanField(_("合格"))
    recorded_on = models.DateField(_("登记日期"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["term"]
        constraints = [models.UniqueConstraint(fields=["enrolment", "term"], name="edu_one_result_per_term")]


class TrancheStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("未到条件")
    DUE = "due", _("待发放")
    PAYING = "paying", _("发放中")
    PAID = "paid", _("已发放")
    STOPPED = "stopped", _("已停发")


class Tranche(models.Model):
    """One instalment of an applicant's subsidy and what triggers it. Paid at most once: one live
    payment per tranche (SubsidyPayment's partial UNIQUE); a stopped tranche is never paid (the flow's
    check_sendable and on_paid refuse it)."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="tranches")
    seq = models.PositiveSmallIntegerField()
    trigger = models.CharField(_("条件"), max_length=10, choices=Trigger.choices)
    term = models.PositiveSmallIntegerField(null=True, blank=True)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    status = models.CharField(_("状态"), max_length=10, choices=TrancheStatus.choices,
                              default=TrancheStatus.SCHEDULED)
    node_path = models.CharField(max_length=255, db_index=True)
    due_on = models.DateField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    stop_reason = models.CharField(_("停发原因"), max_length=255, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "seq"]
        verbose_name = _("补贴分期")
        verbose_name_plural = _("补贴分期")
        constraints = [
            models.UniqueConstraint(fields=["application", "seq"], name="edu_tranche_unique"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="edu_tranche_positive"),
        ]


class SubsidyBatch(AbstractBatch):
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="batches")
    node_path = models.CharField(max_length=255, db_index=True)

    class Meta(AbstractBatch.Meta):
        verbose_name = _("补贴发放批次")
        verbose_name_plural = _("补贴发放批次")


class SubsidyPayment(AbstractPayment):
    tranche = models.ForeignKey(Tranche, on_delete=models.PROTECT, related_name="payments")
    batch = models.ForeignKey(SubsidyBatch, on_delete=models.PROTECT, related_name="payments")
    attempt = models.PositiveSmallIntegerField(default=1)
    bank_account = EncryptedCharField(_("银行账号"), max_length=40)
    status = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.PENDING)
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["id"]
        verbose_name = _("补贴发放")
        verbose_name_plural = _("补贴发放")
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="edu_payment_amount_positive"),
            models.UniqueConstraint(fields=["tranche"], condition=~Q(status="failed"),
                                    name="edu_one_live_payment_per_tranche"),
            models.UniqueConstraint(fields=["tranche", "attempt"], name="edu_payment_attempt_unique"),
            models.CheckConstraint(condition=~Q(status="paid") | ~Q(bank_reference=""),
                                   name="edu_paid_payment_has_reference"),
        ]


class Clawback(models.Model):
    """Money to recover where the rules require it (a drop-out after an enrolment tranche was paid)."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="clawbacks")
    amount_fen = models.BigIntegerField(_("追回金额（分）"))
    reason = models.CharField(_("原因"), max_length=255)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    recovered_on = models.DateField(_("追回日期"), null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at"]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="edu_clawback_positive")]
