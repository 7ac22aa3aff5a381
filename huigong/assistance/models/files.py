from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedCharField, EncryptedIntegerField, EncryptedTextField

from huigong.core.crypto import BlindIndexField
from huigong.members.models import Person
from huigong.orgs.models import UnionNode

from .common import CloseReason, HardshipCause, HardshipLevel
from .fields import EncryptedMoneyField
from .screening import SweepVisit


class FileStatus(models.TextChoices):
    DRAFT = "draft", _("待核实")
    OPEN = "open", _("在档")
    CLOSED = "closed", _("已脱困/销档")


class HardshipFile(models.Model):
    """A household's hardship file (困难职工档案), held by the union of its head (the member).

    The household's figures (income, rigid expenses) and the verification note are encrypted: pages and
    the API show them in full only to roles with full personal data (logged), others see a band
    (below the 低保 line / below the relative line / above) — see selectors.files.file_figures."""

    file_no = models.CharField(_("档案编号"), max_length=32, unique=True)
    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="hardship_files",
                             verbose_name=_("建档工会"))
    node_path = models.CharField(max_length=255, db_index=True)
    head = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="hardship_files",
                             verbose_name=_("户主（职工）"))
    source_visit = models.ForeignKey(SweepVisit, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="files", verbose_name=_("来源走访"))
    status = models.CharField(_("状态"), max_length=16, choices=FileStatus.choices, default=FileStatus.DRAFT)
    proposed_level = models.CharField(_("系统初判"), max_length=16, choices=HardshipLevel.choices, blank=True)
    level = models.CharField(_("困难等级"), max_length=16, choices=HardshipLevel.choices)
    # Why staff confirmed a level other than the one the figures give (empty when they agree).
    level_reason = models.CharField(_("等级调整理由"), max_length=255, blank=True)
    household_size = models.PositiveSmallIntegerField(_("家庭人口"))
    monthly_income_fen = EncryptedMoneyField(_("家庭月收入"))
    rigid_expense_fen = EncryptedMoneyField(_("刚性支出（月）"), default=0)
    situation = EncryptedTextField(_("家庭困难情况"), blank=True, null=True)  # the field stores "" as NULL
    # Where the money goes: the household's account (usually the head's).
    payee_name = models.CharField(_("收款人"), max_length=50)
    bank_name = models.CharField(_("开户行"), max_length=100, blank=True)
    bank_account = EncryptedCharField(_("银行账号"), max_length=32, blank=True, null=True)
    bank_account_mask = models.CharField(_("银行账号"), max_length=24, blank=True)
    # Verification visit before the file opens (核实).
    verified_on = models.DateField(_("核实日期"), null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    verification_note = EncryptedTextField(_("核实情况"), blank=True, null=True)  # "" is stored as NULL
    opened_on = models.DateField(_("建档日期"), null=True, blank=True)
    next_review_due = models.DateField(_("下次复核"), null=True, blank=True)
    closed_on = models.DateField(_("销档日期"), null=True, blank=True)
    close_reason = models.CharField(_("销档原因"), max_length=16, choices=CloseReason.choices, blank=True)
    close_note = models.CharField(_("销档说明"), max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("困难职工档案")
        verbose_name_plural = _("困难职工档案")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(household_size__gte=1), name="hardship_file_size_ge_1"),
            models.CheckConstraint(condition=Q(status="closed") | Q(close_reason=""),
                                   name="hardship_file_reason_only_when_closed"),
        ]
        indexes = [models.Index(fields=["status", "level"], name="hardship_file_status_level")]

    def __str__(self) -> str:
        return f"{self.file_no} {self.head.name}"


class FileMember(models.Model):
    """A household member. `is_live` mirrors "the file is not closed", so that one UNIQUE index refuses
    a second live file for anyone in the household (by ID number)."""

    file = models.ForeignKey(HardshipFile, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(_("姓名"), max_length=50)
    relation = models.CharField(_("与户主关系"), max_length=16)  # 本人, 配偶, 子女, 父母, …
    id_number = EncryptedCharField(_("身份证号"), max_length=18)
    id_number_hash = BlindIndexField(max_length=64, source="id_number", purpose="id")
    id_number_mask = models.CharField(_("身份证号"), max_length=18)
    monthly_income_fen = EncryptedIntegerField(_("月收入"), default=0, null=True)  # 0 is stored as NULL
    health_note = EncryptedTextField(_("健康状况"), blank=True, null=True)
    is_student = models.BooleanField(_("在学"), default=False)
    is_live = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["id_number_hash"], condition=Q(is_live=True),
                                    name="file_member_one_live_file"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.relation}）"


class FileCause(models.Model):
    """致困原因, several per file (a table rather than a list, so that KPIs group by cause in SQL)."""

    file = models.ForeignKey(HardshipFile, on_delete=models.CASCADE, related_name="causes")
    cause = models.CharField(_("致困原因"), max_length=16, choices=HardshipCause.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["file", "cause"], name="file_cause_unique")]


class EvidenceKind(models.TextChoices):
    INCOME = "income", _("收入证明")
    MEDICAL = "medical", _("病历/医疗票据")
    DISABILITY = "disability", _("残疾证")
    SCHOOL = "school", _("录取通知书/学籍证明")
    DISASTER = "disaster", _("受灾证明")
    VISIT = "visit", _("走访照片")
    OTHER = "other", _("其他")


class FileEvidence(models.Model):
    """An attachment (image or PDF, checked by content), kept outside the web root."""

    file = models.ForeignKey(HardshipFile, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(_("材料类型"), max_length=16, choices=EvidenceKind.choices)
    upload = models.FileField(upload_to="assistance/evidence/%Y/%m/")
    original_name = models.CharField(_("文件名"), max_length=255)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)


class ReviewOutcome(models.TextChoices):
    KEEP = "keep", _("维持")
    CHANGE_LEVEL = "change_level", _("调整等级")
    CLOSE = "close", _("脱困销档")


class FileReview(models.Model):
    """The yearly review (动态管理) of an open file."""

    file = models.ForeignKey(HardshipFile, on_delete=models.CASCADE, related_name="reviews")
    year = models.PositiveSmallIntegerField(_("年度"))
    reviewed_on = models.DateField(_("复核日期"))
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("复核结论"), max_length=16, choices=ReviewOutcome.choices)
    old_level = models.CharField(max_length=16, choices=HardshipLevel.choices, blank=True)
    new_level = models.CharField(max_length=16, choices=HardshipLevel.choices, blank=True)
    monthly_income_fen = EncryptedMoneyField(_("复核时家庭月收入"), null=True, blank=True)  # None: not recorded
    note = models.TextField(_("复核说明"), blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["file", "year"], name="file_review_once_a_year")]
