"""The honours register (荣誉台账): who holds which title, its history, revocations, half-yearly checks."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huigong.core.approvals.models import ApprovalStepBase
from huigong.members.models import Person
from huigong.orgs.models import Enterprise, UnionNode


class TitleType(models.TextChoices):
    MODEL_WORKER = "model_worker", _("劳动模范")
    ADVANCED_WORKER = "advanced_worker", _("先进工作者")
    MAY_DAY_MEDAL = "may_day_medal", _("五一劳动奖章")
    MAY_DAY_AWARD = "may_day_award", _("五一劳动奖状")
    PIONEER = "pioneer", _("工人先锋号")
    CRAFTSMAN = "craftsman", _("工匠")
    STUDIO = "studio", _("劳模和工匠人才创新工作室")


# Titles whose holders get model workers' entitlements (劳模待遇: check-ups, 疗休养, allowance, 慰问).
MODEL_WORKER_TITLES = (TitleType.MODEL_WORKER, TitleType.ADVANCED_WORKER)
# Titles a unit (单位) or a collective (a named team of a unit) holds; the others are a person's.
COLLECTIVE_TITLES = (TitleType.MAY_DAY_AWARD, TitleType.PIONEER, TitleType.STUDIO)


class TitleLevel(models.TextChoices):
    NATIONAL = "national", _("全国")
    PROVINCE = "province", _("省部级")
    CITY = "city", _("市级")
    DISTRICT = "district", _("区县级")


class HolderKind(models.TextChoices):
    PERSON = "person", _("个人")
    UNIT = "unit", _("单位")
    COLLECTIVE = "collective", _("集体")


class HonourStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    REVOKED = "revoked", _("已撤销")
    DECEASED = "deceased", _("已故")


class Source(models.TextChoices):
    AWARD = "award", _("评选授予")
    IMPORT = "import", _("历史名单导入")
    MANUAL = "manual", _("手工登记")


class Honour(models.Model):
    """One title held by a real-name member, a unit or a collective (a team of a unit)."""

    holder_kind = models.CharField(_("获得者类型"), max_length=12, choices=HolderKind.choices, default=HolderKind.PERSON)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="honours",
                               verbose_name=_("获得者"))
    enterprise = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.PROTECT, related_name="honours",
                                   verbose_name=_("单位"))
    holder_name = models.CharField(_("获得者"), max_length=120)
    union = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在工会"))
    node_path = models.CharField(max_length=255, db_index=True)
    title_type = models.CharField(_("称号"), max_length=20, choices=TitleType.choices)
    level = models.CharField(_("级别"), max_length=12, choices=TitleLevel.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    granting_body = models.CharField(_("授予机关"), max_length=120)
    certificate_no = models.CharField(_("证书编号"), max_length=40, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=HonourStatus.choices, default=HonourStatus.ACTIVE)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    certificate_recalled_at = models.DateTimeField(_("证书收回时间"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices, default=Source.MANUAL)
    nominee = models.OneToOneField("honours.Nominee", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="honour")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "holder_name", "id"]
        verbose_name = _("荣誉")
        verbose_name_plural = _("荣誉")
        constraints = [
            models.CheckConstraint(condition=~Q(holder_kind="person") | Q(person__isnull=False),
                                   name="honour_person_has_person"),
            models.UniqueConstraint(fields=["granting_body", "certificate_no"], condition=~Q(certificate_no=""),
                                    name="honour_certificate_unique"),
            models.UniqueConstraint(fields=["person", "title_type", "level", "year"],
                                    condition=Q(person__isnull=False), name="honour_once_per_person_year"),
        ]
        indexes = [models.Index(fields=["title_type", "level", "status"])]

    def __str__(self) -> str:
        return f"{self.holder_name} {self.get_level_display()}{self.get_title_type_display()}（{self.year}）"

    @property
    def is_model_worker(self) -> bool:
        return self.title_type in MODEL_WORKER_TITLES


class HonourEvent(models.Model):
    """The honour's status history (granted, revoked, deceased, certificate recalled)."""

    honour = models.ForeignKey(Honour, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, choices=HonourStatus.choices)
    reason = models.CharField(_("原因"), max_length=255, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]


class Reconciliation(models.Model):
    """半年核对: per node and half-year, which holders are still employed, still members, alive."""

    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+")
    node_path = models.CharField(max_length=255, db_index=True)
    period = models.CharField(_("期间"), max_length=8)  # "2026H1"
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period", "-id"]
        constraints = [models.UniqueConstraint(fields=["node", "period"], name="one_reconciliation_per_node_half")]


class ReconciliationLine(models.Model):
    reconciliation = models.ForeignKey(Reconciliation, on_delete=models.CASCADE, related_name="lines")
    honour = models.ForeignKey(Honour, on_delete=models.PROTECT, related_name="+")
    is_member = models.BooleanField(_("在会"))
    is_employed = models.BooleanField(_("在职"))
    alive = models.BooleanField(_("健在"), default=True)
    confirmed = models.BooleanField(_("已核实"), default=False)
    note = models.CharField(_("备注"), max_length=255, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["reconciliation", "honour"], name="one_line_per_honour")]


class RevocationGround(models.TextChoices):
    CRIMINAL = "criminal", _("受到刑事处罚")
    FRAUD = "fraud", _("弄虚作假骗取荣誉")
    DISCIPLINE = "discipline", _("受到严重党纪政务处分")
    MISCONDUCT = "misconduct", _("严重违反职业道德或社会公德")
    OTHER = "other", _("其他应当撤销的情形")


class RevocationStatus(models.TextChoices):
    IN_APPROVAL = "in_approval", _("审批中")
    REVOKED = "revoked", _("已撤销")
    REJECTED = "rejected", _("不予撤销")


class RevocationCase(models.Model):
    """撤销称号: grounds, evidence and a decision up the tree; one case may revoke several titles (batch)."""

    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+", verbose_name=_("提出工会"))
    node_path = models.CharField(max_length=255, db_index=True)
    ground = models.CharField(_("撤销依据"), max_length=16, choices=RevocationGround.choices)
    grounds_text = models.TextField(_("事实与理由"))
    evidence = models.FileField(_("证据材料"), upload_to="honours/revocations/%Y/%m/")
    evidence_type = models.CharField(max_length=40, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=RevocationStatus.choices,
                              default=RevocationStatus.IN_APPROVAL)
    round = models.PositiveSmallIntegerField(default=1)
    current_seq = models.PositiveSmallIntegerField(null=True, blank=True)
    levels = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("撤销称号")
        verbose_name_plural = _("撤销称号")

    def __str__(self) -> str:
        return f"{self.get_ground_display()} #{self.pk}"


class RevocationItem(models.Model):
    case = models.ForeignKey(RevocationCase, on_delete=models.CASCADE, related_name="items")
    honour = models.ForeignKey(Honour, on_delete=models.PROTECT, related_name="revocation_items")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["case", "honour"], name="revocation_item_once")]


class RevocationStep(ApprovalStepBase):
    case = models.ForeignKey(RevocationCase, on_delete=models.CASCADE, related_name="steps")

    class Meta(ApprovalStepBase.Meta):
        constraints = [models.UniqueConstraint(fields=["case", "round", "seq"], name="revocation_step_unique")]
