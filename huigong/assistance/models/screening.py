from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedJSONField

from huigong.members.models import Person
from huigong.orgs.models import UnionNode

from .common import HardshipLevel


class ScreeningRule(models.Model):
    """The local lines a sweep flags candidates against. A rule set on a node applies to its subtree;
    the nearest ancestor's rule wins (a county can set its own 低保 line below the province's)."""

    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="screening_rules",
                             verbose_name=_("适用工会"))
    node_path = models.CharField(max_length=255, db_index=True)  # copy of node.path for set-based matching
    dibao_fen = models.BigIntegerField(_("低保标准（元/人/月）"))  # per person per month, in fen
    relative_multiple = models.DecimalField(_("相对困难倍数"), max_digits=4, decimal_places=2, default=1.5)
    effective_from = models.DateField(_("生效日期"))
    note = models.CharField(_("说明"), max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("排查标准")
        verbose_name_plural = _("排查标准")
        constraints = [
            models.UniqueConstraint(fields=["node", "effective_from"], name="screening_rule_node_date_unique"),
            models.CheckConstraint(condition=Q(dibao_fen__gt=0), name="screening_rule_dibao_positive"),
            models.CheckConstraint(condition=Q(relative_multiple__gte=1), name="screening_rule_multiple_ge_1"),
        ]

    def __str__(self) -> str:
        return f"{self.node.name} {self.effective_from}"


class SweepStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已结束")


class Sweep(models.Model):
    """A screening campaign (拉网式摸底排查) over a node's subtree."""

    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="sweeps", verbose_name=_("发起工会"))
    node_path = models.CharField(max_length=255, db_index=True)
    title = models.CharField(_("名称"), max_length=120)
    year = models.PositiveSmallIntegerField(_("年度"))
    deadline = models.DateField(_("截止日期"))
    status = models.CharField(_("状态"), max_length=16, choices=SweepStatus.choices, default=SweepStatus.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    last_rule_pass_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("摸底排查")
        verbose_name_plural = _("摸底排查")
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return self.title


class SweepAssignment(models.Model):
    """The sweep handed down to one member-holding union, which visits its members."""

    sweep = models.ForeignKey(Sweep, on_delete=models.CASCADE, related_name="assignments")
    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="sweep_assignments")
    node_path = models.CharField(max_length=255, db_index=True)
    member_total = models.PositiveIntegerField(_("会员数"), default=0)  # active members when assigned
    visited_count = models.PositiveIntegerField(_("已走访"), default=0)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sweep", "node"], name="sweep_assignment_unique")]


class SweepVisit(models.Model):
    """One member's household as the visiting union recorded it. The aggregates below (size, monthly
    income, rigid expenses, cause flags) are plain columns ON PURPOSE, an exception to "incomes are
    encrypted at rest": the rule pass is one set-based UPDATE over up to millions of visits, which cannot
    compare ciphertext. They are screening figures, not a file; pages and the API show them in full only to
    roles with full personal data (logged) and "***" to others. The itemised household (names, relations,
    individual incomes, illness notes) is encrypted in `details`; a file opened from a visit copies the
    figures into HardshipFile's encrypted columns."""

    sweep = models.ForeignKey(Sweep, on_delete=models.CASCADE, related_name="visits")
    assignment = models.ForeignKey(SweepAssignment, on_delete=models.CASCADE, related_name="visits")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="sweep_visits")
    node = models.ForeignKey(UnionNode, on_delete=models.PROTECT, related_name="+")
    node_path = models.CharField(max_length=255)
    visited_on = models.DateField(_("走访日期"))
    visited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    household_size = models.PositiveSmallIntegerField(_("家庭人口"))
    monthly_income_fen = models.BigIntegerField(_("家庭月收入"))
    rigid_expense_fen = models.BigIntegerField(_("刚性支出（月）"), default=0)
    has_illness = models.BooleanField(_("大病"), default=False)
    has_disability = models.BooleanField(_("残疾"), default=False)
    children_in_school = models.PositiveSmallIntegerField(_("在学子女"), default=0)
    has_disaster = models.BooleanField(_("受灾"), default=False)
    has_job_loss = models.BooleanField(_("失业"), default=False)
    has_work_injury = models.BooleanField(_("工伤"), default=False)
    details = EncryptedJSONField(_("家庭成员明细"), default=dict, blank=True)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    # Written by the rule pass (one UPDATE over the sweep); null = not a candidate.
    flagged_level = models.CharField(_("初判等级"), max_length=16, choices=HardshipLevel.choices, blank=True)
    flagged_rule = models.ForeignKey(ScreeningRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    per_capita_fen = models.BigIntegerField(null=True, blank=True)  # (income - rigid) / size, by the rule pass
    evaluated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        constraints = [
            models.UniqueConstraint(fields=["sweep", "person"], name="sweep_visit_person_unique"),
            models.CheckConstraint(condition=Q(household_size__gte=1), name="sweep_visit_size_ge_1"),
            models.CheckConstraint(condition=Q(monthly_income_fen__gte=0) & Q(rigid_expense_fen__gte=0),
                                   name="sweep_visit_money_nonneg"),
        ]
        indexes = [
            models.Index(fields=["sweep", "node_path"], name="sweep_visit_path_idx"),
            models.Index(fields=["sweep", "flagged_level"], name="sweep_visit_flag_idx"),
        ]
