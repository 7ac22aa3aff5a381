"""Benefit programmes (惠工服务): quota benefits claimed first come first served, reimbursements
(先办后补) with receipts, review and exactly-once payment, distributions and visits (冬送温暖/夏送清凉),
and service-site profiles and usage counts.

Contention is the database's job: a programme's `remaining` (and a sub-quota's) is decremented by a
conditional UPDATE and guarded by CHECK (remaining >= 0); one live claim per member and one live
payment per reimbursement are partial UNIQUE constraints."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedCharField

from huigong.core.disbursement.models import AbstractBatch, AbstractPayment
from huigong.members.models import Membership, MembershipStatus, Person
from huigong.orgs.models import Enterprise, ServiceSite, UnionNode


class ServiceBoard(models.TextChoices):
    VITALITY = "vitality", _("活力")
    CULTURE = "culture", _("文化")
    EMPOWER = "empower", _("赋能")
    LEGAL = "legal", _("法律维权")
    SAFETY = "safety", _("安全生产")
    CARE = "care", _("关爱服务")


class ProgrammeKind(models.TextChoices):
    QUOTA = "quota", _("名额类（先到先得）")
    REIMBURSEMENT = "reimbursement", _("先办后补")
    DISTRIBUTION = "distribution", _("送温暖/走访")


class ProgrammeStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已结束")


class BenefitProgramme(models.Model):
    """A programme owned by a node; eligible members are the active memberships in its subtree that
    also meet the rules below."""

    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="benefit_programmes",
                             verbose_name=_("主办工会"))
    board = models.CharField(_("服务板块"), max_length=16, choices=ServiceBoard.choices)
    kind = models.CharField(_("类型"), max_length=16, choices=ProgrammeKind.choices)
    title = models.CharField(_("名称"), max_length=120)
    description = models.TextField(_("说明"), blank=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    opens_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    closes_at = models.DateTimeField(_("截止时间"), null=True, blank=True)
    # Eligibility. Empty list = every employment form.
    membership_status = models.CharField(_("会籍要求"), max_length=16, choices=MembershipStatus.choices,
                                         default=MembershipStatus.ACTIVE)
    employment_forms = models.JSONField(_("用工形式"), default=list, blank=True)
    joined_from = models.DateField(_("入会日期不早于"), null=True, blank=True)
    joined_to = models.DateField(_("入会日期不晚于"), null=True, blank=True)
    # Quota: null = no limit. `remaining` is the hot counter.
    quota_total = models.PositiveIntegerField(_("总名额"), null=True, blank=True)
    remaining = models.IntegerField(_("剩余名额"), null=True, blank=True)
    waitlist = models.BooleanField(_("满额后可候补"), default=False)
    # Kept by the services so that a claim knows without a query whether to take a sub-quota slot.
    uses_sub_quotas = models.BooleanField(default=False, editable=False)
    reimbursement_cap_fen = models.BigIntegerField(_("补贴上限（分）"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=ProgrammeStatus.choices,
                              default=ProgrammeStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year", "-created_at"]
        verbose_name = _("惠工项目")
        verbose_name_plural = _("惠工项目")
        constraints = [
            models.CheckConstraint(condition=Q(remaining__gte=0) | Q(remaining__isnull=True),
                                   name="programme_remaining_not_negative"),
            models.CheckConstraint(condition=Q(remaining__isnull=True, quota_total__isnull=True) |
                                   Q(remaining__lte=models.F("quota_total")),
                                   name="programme_remaining_within_total"),
            models.CheckConstraint(condition=Q(reimbursement_cap_fen__gt=0) | Q(reimbursement_cap_fen__isnull=True),
                                   name="programme_cap_positive"),
        ]
        indexes = [models.Index(fields=["status", "kind"])]

    def __str__(self) -> str:
        return self.title

    @property
    def claimed(self) -> int:
        if self.quota_total is None or self.remaining is None:
            return 0
        return self.quota_total - self.remaining


class ProgrammeQuota(models.Model):
    """A per-enterprise sub-quota. When a programme has any, a claimant's enterprise (employer or
    platform) must have one, and a claim takes a slot from both it and the programme."""

    programme = models.ForeignKey(BenefitProgramme, on_delete=models.CASCADE, related_name="sub_quotas")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="+", verbose_name=_("单位"))
    slots = models.PositiveIntegerField(_("名额"))
    remaining = models.IntegerField(_("剩余"))

    class Meta:
        verbose_name = _("单位名额")
        verbose_name_plural = _("单位名额")
        constraints = [
            models.UniqueConstraint(fields=["programme", "enterprise"], name="one_sub_quota_per_enterprise"),
            models.CheckConstraint(condition=Q(remaining__gte=0) & Q(remaining__lte=models.F("slots")),
                                   name="sub_quota_remaining_in_range"),
        ]


class ClaimStatus(models.TextChoices):
    GRANTED = "granted", _("已领取")
    WAITLISTED = "waitlisted", _("候补中")
    CANCELLED = "cancelled", _("已取消")


class BenefitClaim(models.Model):
    programme = models.ForeignKey(BenefitProgramme, on_delete=models.PROTECT, related_name="claims")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="benefit_claims")
    # Where the member stood when claiming: scoping follows the union, the sub-quota the enterprise.
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    union = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在工会"))
    enterprise = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("名额单位"))
    status = models.CharField(_("状态"), max_length=12, choices=ClaimStatus.choices)
    created_at = models.DateTimeField(_("申领时间"), auto_now_add=True)
    granted_at = models.DateTimeField(_("获得名额时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=255, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("申领记录")
        verbose_name_plural = _("申领记录")
        constraints = [
            models.UniqueConstraint(fields=["programme", "person"], condition=~Q(status="cancelled"),
                                    name="one_live_claim_per_member"),
        ]
        indexes = [models.Index(fields=["programme", "status", "created_at"])]


class ReimbursementStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("已批准待发放")
    REJECTED = "rejected", _("未通过")
    PAID = "paid", _("已发放")
    FAILED = "failed", _("发放失败")


class Reimbursement(models.Model):
    """先办后补: the worker paid first and claims with a receipt."""

    programme = models.ForeignKey(BenefitProgramme, on_delete=models.PROTECT, related_name="reimbursements")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="reimbursements")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    union = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在工会"))
    amount_fen = models.BigIntegerField(_("申请金额（分）"))
    receipt = models.FileField(upload_to="benefits/receipts/%Y/%m/")
    receipt_type = models.CharField(max_length=40)
    note = models.CharField(_("说明"), max_length=255, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=ReimbursementStatus.choices,
                              default=ReimbursementStatus.SUBMITTED)
    approved_fen = models.BigIntegerField(_("核定金额（分）"), null=True, blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("审核意见"), max_length=255, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("先办后补申请")
        verbose_name_plural = _("先办后补申请")
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="reimbursement_amount_positive"),
            models.CheckConstraint(condition=Q(approved_fen__isnull=True) |
                                   (Q(approved_fen__gt=0) & Q(approved_fen__lte=models.F("amount_fen"))),
                                   name="reimbursement_approved_within_claim"),
            models.UniqueConstraint(fields=["programme", "person"], condition=~Q(status="rejected"),
                                    name="one_live_reimbursement_per_member"),
        ]
        indexes = [models.Index(fields=["programme", "status"])]


class PaymentBatch(AbstractBatch):
    programme = models.ForeignKey(BenefitProgramme, on_delete=models.PROTECT, related_name="payment_batches")

    class Meta(AbstractBatch.Meta):
        pass


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("待银行回执")
    PAID = "paid", _("已到账")
    FAILED = "failed", _("失败")


class ReimbursementPayment(AbstractPayment):
    """One transfer attempt (the kernel's disbursement flow with a row per attempt). The idempotency key
    (reimbursement + attempt) is what the bank sees, so a resent file never pays twice; at most one attempt
    per reimbursement is pending or paid."""

    reimbursement = models.ForeignKey(Reimbursement, on_delete=models.PROTECT, related_name="payments")
    batch = models.ForeignKey(PaymentBatch, on_delete=models.PROTECT, related_name="payments")
    attempt = models.PositiveSmallIntegerField(default=1)
    bank_account = EncryptedCharField(_("银行账号"), max_length=40)
    status = models.CharField(_("状态"), max_length=8, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["id"]
        verbose_name = _("补贴发放")
        verbose_name_plural = _("补贴发放")
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(fields=["reimbursement"], condition=~Q(status="failed"),
                                    name="one_live_payment_per_reimbursement"),
            models.UniqueConstraint(fields=["reimbursement", "attempt"], name="payment_attempt_unique"),
            models.CheckConstraint(condition=~Q(status="paid") | ~Q(bank_reference=""),
                                   name="paid_payment_has_reference"),
        ]


class Visit(models.Model):
    """冬送温暖/夏送清凉: a visit to an enterprise or a service site, with what was handed out."""

    programme = models.ForeignKey(BenefitProgramme, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="visits", verbose_name=_("所属项目"))
    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录工会"))
    enterprise = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("走访单位"))
    site = models.ForeignKey(ServiceSite, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("服务阵地"))
    visited_on = models.DateField(_("走访日期"))
    headcount = models.PositiveIntegerField(_("慰问人数"))
    goods = models.CharField(_("物资"), max_length=255)
    value_fen = models.BigIntegerField(_("价值（分）"))
    note = models.CharField(_("备注"), max_length=255, blank=True)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = _("走访慰问")
        verbose_name_plural = _("走访慰问")
        constraints = [
            models.CheckConstraint(condition=Q(enterprise__isnull=False) | Q(site__isnull=False),
                                   name="visit_has_place"),
            models.CheckConstraint(condition=Q(value_fen__gte=0), name="visit_value_not_negative"),
        ]
        indexes = [models.Index(fields=["node", "visited_on"])]


class SiteProfile(models.Model):
    """What orgs.ServiceSite lacks for the portal: its district, weekly hours and offerings."""

    site = models.OneToOneField(ServiceSite, on_delete=models.CASCADE, related_name="benefit_profile")
    district = models.CharField(_("所在区"), max_length=40)
    offerings = models.JSONField(_("服务项目"), default=list, blank=True)
    boards = models.JSONField(_("服务板块"), default=list, blank=True)
    capacity = models.PositiveIntegerField(_("可容纳人数"), null=True, blank=True)
    intro = models.TextField(_("简介"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("阵地信息")
        verbose_name_plural = _("阵地信息")


class SiteUsage(models.Model):
    site = models.ForeignKey(ServiceSite, on_delete=models.PROTECT, related_name="usage_days")
    day = models.DateField(_("日期"))
    visitors = models.PositiveIntegerField(_("服务人次"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("阵地使用")
        verbose_name_plural = _("阵地使用")
        constraints = [models.UniqueConstraint(fields=["site", "day"], name="one_usage_row_per_site_day")]
