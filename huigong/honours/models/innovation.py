"""Worker innovation (职工创新): results with measured gains and evidence, reviews that always give a
written reason the submitter reads, scoring panels, award tiers and prize payments."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedCharField

from huigong.core.disbursement.models import AbstractBatch, AbstractPayment
from huigong.members.models import Person
from huigong.orgs.models import Enterprise, UnionNode

from .entitlements import PayStatus


class InnovationKind(models.TextChoices):
    TECH = "tech", _("技术革新")
    SUGGESTION = "suggestion", _("合理化建议")
    METHOD = "method", _("先进操作法")
    FIVE_SMALL = "five_small", _("五小成果")


class InnovationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    REVIEWING = "reviewing", _("评审中")
    RETURNED = "returned", _("退回补充")
    ADOPTED = "adopted", _("已采纳")
    REJECTED = "rejected", _("未采纳")
    AWARDED = "awarded", _("已获奖")


class Innovation(models.Model):
    title = models.CharField(_("成果名称"), max_length=160)
    kind = models.CharField(_("类型"), max_length=16, choices=InnovationKind.choices)
    summary = models.TextField(_("内容摘要"))
    union = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在工会"))
    node_path = models.CharField(max_length=255, db_index=True)
    enterprise = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("单位"))
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="innovations",
                               verbose_name=_("第一完成人"))
    lead_name = models.CharField(_("第一完成人"), max_length=50)
    team = models.JSONField(_("团队成员"), default=list, blank=True)
    studio = models.CharField(_("创新工作室"), max_length=120, blank=True)
    implemented_on = models.DateField(_("实施日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=InnovationStatus.choices,
                              default=InnovationStatus.SUBMITTED)
    via_portal = models.BooleanField(default=False)
    flagged_for_nomination = models.BooleanField(_("优先推荐评选"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("创新成果")
        verbose_name_plural = _("创新成果")
        indexes = [models.Index(fields=["status", "kind"])]

    def __str__(self) -> str:
        return self.title


class Gain(models.Model):
    """A measured gain: the baseline and the value after, its unit, the annualised value, how it was
    measured and who verified it."""

    innovation = models.ForeignKey(Innovation, on_delete=models.CASCADE, related_name="gains")
    metric = models.CharField(_("指标"), max_length=80)
    unit = models.CharField(_("单位"), max_length=20)
    baseline = models.DecimalField(_("改进前"), max_digits=14, decimal_places=3)
    after = models.DecimalField(_("改进后"), max_digits=14, decimal_places=3)
    annual_value_fen = models.BigIntegerField(_("年化效益（分）"), default=0)
    method = models.CharField(_("测算方法"), max_length=255)
    verifier = models.CharField(_("核实人/部门"), max_length=80, blank=True)
    verified_on = models.DateField(_("核实日期"), null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(annual_value_fen__gte=0), name="gain_value_not_negative")]

    @property
    def verified(self) -> bool:
        return self.verified_on is not None


class InnovationEvidence(models.Model):
    innovation = models.ForeignKey(Innovation, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="honours/innovation/%Y/%m/")
    content_type = models.CharField(max_length=40)
    label = models.CharField(_("说明"), max_length=120, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)


class ReviewDecision(models.TextChoices):
    ACCEPT = "accept", _("受理，进入评审")
    RETURN = "return", _("退回补充")
    ADOPT = "adopt", _("采纳")
    REJECT = "reject", _("不采纳")


class InnovationReview(models.Model):
    """Every decision on a result, with its written reason: what the submitter reads on her page."""

    innovation = models.ForeignKey(Innovation, on_delete=models.CASCADE, related_name="reviews")
    decision = models.CharField(_("处理意见"), max_length=10, choices=ReviewDecision.choices)
    reason = models.TextField(_("理由"))
    from_status = models.CharField(max_length=12)
    to_status = models.CharField(max_length=12)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    reviewer_node = models.CharField(_("处理单位"), max_length=120, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="review_has_reason")]


class RoundStatus(models.TextChoices):
    SCORING = "scoring", _("评分中")
    AWARDED = "awarded", _("已评定")


class Tier(models.TextChoices):
    FIRST = "first", _("一等奖")
    SECOND = "second", _("二等奖")
    THIRD = "third", _("三等奖")


class JudgingRound(models.Model):
    """评审: a panel scores adopted results of the node's subtree; tiers by average score."""

    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+", verbose_name=_("组织单位"))
    node_path = models.CharField(max_length=255, db_index=True)
    title = models.CharField(_("评审名称"), max_length=160)
    year = models.PositiveSmallIntegerField(_("年度"))
    panel = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("评审专家"))
    entries = models.ManyToManyField(Innovation, related_name="rounds", verbose_name=_("参评成果"))
    status = models.CharField(_("状态"), max_length=10, choices=RoundStatus.choices, default=RoundStatus.SCORING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "-id"]

    def __str__(self) -> str:
        return self.title


class PrizeTier(models.Model):
    round = models.ForeignKey(JudgingRound, on_delete=models.CASCADE, related_name="tiers")
    tier = models.CharField(_("奖项"), max_length=8, choices=Tier.choices)
    places = models.PositiveSmallIntegerField(_("名额"))
    prize_fen = models.BigIntegerField(_("奖金（分）"))

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["round", "tier"], name="one_prize_tier")]


class Score(models.Model):
    round = models.ForeignKey(JudgingRound, on_delete=models.CASCADE, related_name="scores")
    innovation = models.ForeignKey(Innovation, on_delete=models.CASCADE, related_name="scores")
    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(_("得分"))
    comment = models.CharField(_("评语"), max_length=255, blank=True)
    at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "innovation", "judge"], name="one_score_per_judge"),
            models.CheckConstraint(condition=Q(score__lte=100), name="score_at_most_100"),
        ]


class InnovationAward(models.Model):
    round = models.ForeignKey(JudgingRound, on_delete=models.PROTECT, related_name="awards")
    innovation = models.ForeignKey(Innovation, on_delete=models.PROTECT, related_name="awards")
    node_path = models.CharField(max_length=255, db_index=True)
    tier = models.CharField(_("奖项"), max_length=8, choices=Tier.choices)
    average = models.DecimalField(_("平均分"), max_digits=6, decimal_places=2)
    prize_fen = models.BigIntegerField(_("奖金（分）"))
    awarded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["round", "-average"]
        constraints = [models.UniqueConstraint(fields=["round", "innovation"], name="one_award_per_round")]


class PrizeBatch(AbstractBatch):
    round = models.ForeignKey(JudgingRound, on_delete=models.PROTECT, related_name="batches")
    node_path = models.CharField(max_length=255, db_index=True)

    class Meta(AbstractBatch.Meta):
        verbose_name = _("奖金发放批次")
        verbose_name_plural = _("奖金发放批次")


class PrizePayment(AbstractPayment):
    award = models.ForeignKey(InnovationAward, on_delete=models.PROTECT, related_name="payments")
    batch = models.ForeignKey(PrizeBatch, on_delete=models.PROTECT, related_name="payments")
    attempt = models.PositiveSmallIntegerField(default=1)
    bank_account = EncryptedCharField(_("银行账号"), max_length=40)
    status = models.CharField(_("状态"), max_length=8, choices=PayStatus.choices, default=PayStatus.PENDING)
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="prize_amount_positive"),
            models.UniqueConstraint(fields=["award"], condition=~Q(status="failed"), name="one_live_payment_per_award"),
            models.UniqueConstraint(fields=["award", "attempt"], name="prize_attempt_unique"),
            models.CheckConstraint(condition=~Q(status="paid") | ~Q(bank_reference=""),
                                   name="paid_prize_has_reference"),
        ]
