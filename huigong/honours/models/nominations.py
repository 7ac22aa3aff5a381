"""Nomination campaigns (逐级推荐): quotas per node, composition rules as data, lists that go up the
approval chain, vetting by other departments, 公示 with objections, award."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huigong.core.approvals.models import ApprovalStepBase
from huigong.core.notices.models import NoticeBase, NoticeEntryBase, NoticeObjectionBase
from huigong.members.models import Person
from huigong.orgs.models import Enterprise, UnionNode

from .register import HolderKind, TitleLevel, TitleType


class CampaignStatus(models.TextChoices):
    OPEN = "open", _("推荐中")
    AWARDED = "awarded", _("已表彰")
    CLOSED = "closed", _("已结束")


class Campaign(models.Model):
    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+", verbose_name=_("组织单位"))
    node_path = models.CharField(max_length=255, db_index=True)
    title = models.CharField(_("评选名称"), max_length=160)
    title_type = models.CharField(_("称号"), max_length=20, choices=TitleType.choices)
    level = models.CharField(_("级别"), max_length=12, choices=TitleLevel.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    granting_body = models.CharField(_("授予机关"), max_length=120)
    levels = models.JSONField(_("推荐层级"), default=list)  # approval chain levels, bottom up
    departments = models.JSONField(_("征求意见部门"), default=list)
    status = models.CharField(_("状态"), max_length=12, choices=CampaignStatus.choices, default=CampaignStatus.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    awarded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "-id"]
        verbose_name = _("评选推荐")
        verbose_name_plural = _("评选推荐")

    def __str__(self) -> str:
        return self.title


class Attribute(models.TextChoices):
    """What a composition rule counts; each nominee carries the ones that apply."""

    INDUSTRIAL = "industrial", _("产业工人")
    MIGRANT = "migrant", _("农民工")
    NON_PUBLIC = "non_public", _("非公有制企业")
    UNIT_HEAD = "unit_head", _("企业负责人")
    FEMALE = "female", _("女性")
    FRONTLINE = "frontline", _("一线职工")
    TECHNICAL = "technical", _("专业技术人员")


class RuleOp(models.TextChoices):
    MIN = "min", _("不低于")
    MAX = "max", _("不超过")


class CompositionRule(models.Model):
    """推荐人选结构要求, as data: "industrial workers >= 35 %" is (industrial, min, 35)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="rules")
    attribute = models.CharField(_("人选类别"), max_length=16, choices=Attribute.choices)
    op = models.CharField(_("要求"), max_length=4, choices=RuleOp.choices)
    percent = models.PositiveSmallIntegerField(_("比例（%）"))

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "attribute", "op"], name="one_rule_per_attribute_op"),
            models.CheckConstraint(condition=Q(percent__lte=100), name="rule_percent_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"{self.get_attribute_display()} {self.get_op_display()} {self.percent}%"


class Quota(models.Model):
    """名额分配: how many nominees a node's list may carry."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="quotas")
    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+", verbose_name=_("推荐单位"))
    places = models.PositiveSmallIntegerField(_("名额"))

    class Meta:
        ordering = ["node__path"]
        constraints = [models.UniqueConstraint(fields=["campaign", "node"], name="one_quota_per_node")]


class ListStatus(models.TextChoices):
    DRAFT = "draft", _("起草中")
    IN_APPROVAL = "in_approval", _("逐级审核中")
    RETURNED = "returned", _("已退回")
    APPROVED = "approved", _("审核通过")
    REJECTED = "rejected", _("未通过")


class NominationList(models.Model):
    """推荐名单 of one node for one campaign."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="lists")
    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+", verbose_name=_("推荐单位"))
    node_path = models.CharField(max_length=255, db_index=True)
    status = models.CharField(_("状态"), max_length=12, choices=ListStatus.choices, default=ListStatus.DRAFT)
    round = models.PositiveSmallIntegerField(default=0)
    current_seq = models.PositiveSmallIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["node__path"]
        verbose_name = _("推荐名单")
        verbose_name_plural = _("推荐名单")
        constraints = [models.UniqueConstraint(fields=["campaign", "node"], name="one_list_per_node")]

    def __str__(self) -> str:
        return f"{self.campaign.title} · {self.node.name}"


class NomineeStatus(models.TextChoices):
    NOMINATED = "nominated", _("推荐中")
    APPROVED = "approved", _("推荐通过")
    ON_NOTICE = "on_notice", _("公示中")
    NOTICE_DONE = "notice_done", _("公示无异议")
    WITHDRAWN = "withdrawn", _("已撤回")
    AWARDED = "awarded", _("已授予")


class Nominee(models.Model):
    nomination_list = models.ForeignKey(NominationList, on_delete=models.CASCADE, related_name="nominees")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="nominees")
    node_path = models.CharField(max_length=255, db_index=True)
    holder_kind = models.CharField(_("人选类型"), max_length=12, choices=HolderKind.choices, default=HolderKind.PERSON)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("人选"), max_length=120)
    unit_label = models.CharField(_("工作单位"), max_length=200, blank=True)
    attributes = models.JSONField(_("人选类别"), default=list, blank=True)
    deeds = models.TextField(_("主要事迹"), blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=NomineeStatus.choices, default=NomineeStatus.NOMINATED)
    withdrawn_reason = models.CharField(_("撤回原因"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("推荐人选")
        verbose_name_plural = _("推荐人选")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person"], condition=Q(person__isnull=False),
                                    name="nominee_once_per_campaign"),
        ]

    def __str__(self) -> str:
        return self.name


class Verdict(models.TextChoices):
    AGREE = "agree", _("同意")
    DISAGREE = "disagree", _("不同意")


class VettingOpinion(models.Model):
    """征求意见: one department's opinion on one nominee (组织部, 纪委监委, 公安, 人社, 应急管理…)."""

    nominee = models.ForeignKey(Nominee, on_delete=models.CASCADE, related_name="opinions")
    department = models.CharField(_("部门"), max_length=40)
    verdict = models.CharField(_("意见"), max_length=10, choices=Verdict.choices)
    note = models.CharField(_("说明"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["nominee", "department"], name="one_opinion_per_department")]


class NominationStep(ApprovalStepBase):
    nomination_list = models.ForeignKey(NominationList, on_delete=models.CASCADE, related_name="steps")

    class Meta(ApprovalStepBase.Meta):
        constraints = [models.UniqueConstraint(fields=["nomination_list", "round", "seq"],
                                               name="nomination_step_unique")]


class HonourNotice(NoticeBase):
    # Set in the publishing transaction, right after the kernel wrote the notice's shared columns.
    campaign = models.ForeignKey(Campaign, null=True, on_delete=models.PROTECT, related_name="notices")

    class Meta(NoticeBase.Meta):
        constraints = [models.CheckConstraint(condition=Q(ends_on__gt=models.F("starts_on")),
                                              name="honour_notice_ends_after_start")]


class HonourNoticeEntry(NoticeEntryBase):
    notice = models.ForeignKey(HonourNotice, on_delete=models.CASCADE, related_name="entries")
    nominee = models.ForeignKey(Nominee, on_delete=models.PROTECT, related_name="notice_entries")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["nominee"], name="nominee_on_one_notice")]


class HonourNoticeObjection(NoticeObjectionBase):
    notice = models.ForeignKey(HonourNotice, on_delete=models.CASCADE, related_name="objections")
    nominee = models.ForeignKey(Nominee, null=True, blank=True, on_delete=models.PROTECT, related_name="objections")
