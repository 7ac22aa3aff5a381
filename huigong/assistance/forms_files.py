"""Forms of the files side. Money is typed in yuan and handed to services in fen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huigong.core.scope import root_path
from huigong.core.widgets import DateInput
from huigong.orgs.forms import TreeChoiceMixin
from huigong.orgs.models import UnionNode

from .models import CloseReason, EvidenceKind, HardshipCause, HardshipLevel, ReviewOutcome
from .services.files import RELATIONS


def yuan_field(label, required=True, **kw):
    return forms.DecimalField(label=label, required=required, min_value=Decimal(0), max_value=Decimal(1_000_000),
                              decimal_places=2, widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
                              **kw)


def to_fen(value) -> int:
    return int((Decimal(value or 0) * 100).to_integral_value())


class NodeChoiceField(TreeChoiceMixin, forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return self.with_context(obj, "　" * max(0, obj.depth - 1) + obj.name)


def scoped_nodes(actor):
    return UnionNode.objects.filter(path__startswith=root_path(actor)).order_by("path")


class RuleForm(forms.Form):
    node = NodeChoiceField(label=_("适用工会"), queryset=UnionNode.objects.none())
    dibao_yuan = yuan_field(_("低保标准（元/人/月）"))
    relative_multiple = forms.DecimalField(label=_("相对困难倍数"), min_value=1, max_value=5, decimal_places=2,
                                           initial=Decimal("1.5"),
                                           help_text=_("人均收入低于低保标准的该倍数即为相对困难"))
    effective_from = forms.DateField(label=_("生效日期"), widget=DateInput(), initial=dt.date.today)
    note = forms.CharField(label=_("说明"), max_length=255, required=False)

    def __init__(self, *a, actor, editing=False, **kw):
        super().__init__(*a, **kw)
        self.fields["node"].queryset = scoped_nodes(actor)
        if editing:
            del self.fields["node"]
            del self.fields["effective_from"]


class SweepForm(forms.Form):
    node = NodeChoiceField(label=_("排查范围（发起工会）"), queryset=UnionNode.objects.none())
    title = forms.CharField(label=_("名称"), max_length=120)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    deadline = forms.DateField(label=_("截止日期"), widget=DateInput())

    def __init__(self, *a, actor, **kw):
        super().__init__(*a, **kw)
        self.fields["node"].queryset = scoped_nodes(actor)
        today = timezone.localdate()
        self.fields["year"].initial = today.year
        self.fields["title"].initial = _("%(year)s年困难职工摸底排查") % {"year": today.year}


class FactsMixin(forms.Form):
    household_size = forms.IntegerField(label=_("家庭人口"), min_value=1, max_value=30)
    monthly_income_yuan = yuan_field(_("家庭月收入（元）"))
    rigid_expense_yuan = yuan_field(_("刚性支出（元/月）"), required=False,
                                    help_text=_("医疗、康复、子女教育等每月必须支出"))


class VisitForm(FactsMixin):
    person = forms.TypedChoiceField(label=_("会员"), coerce=int)
    visited_on = forms.DateField(label=_("走访日期"), widget=DateInput(), initial=dt.date.today)
    has_illness = forms.BooleanField(label=_("大病"), required=False)
    has_disability = forms.BooleanField(label=_("残疾"), required=False)
    children_in_school = forms.IntegerField(label=_("在学子女"), min_value=0, max_value=29, initial=0)
    has_disaster = forms.BooleanField(label=_("受灾"), required=False)
    has_job_loss = forms.BooleanField(label=_("失业"), required=False)
    has_work_injury = forms.BooleanField(label=_("工伤"), required=False)
    note = forms.CharField(label=_("备注"), max_length=255, required=False)

    def __init__(self, *a, people, search_url: str = "", **kw):
        super().__init__(*a, **kw)
        # An empty choice first: nobody is preselected, so a visit is never recorded for the wrong member.
        self.fields["person"].choices = [("", _("— 请选择会员 —")), *people]
        self.fields["person"].widget.attrs.update({
            "data-picker": "", "data-picker-url": search_url, "data-picker-empty": _("没有匹配的结果"),
            "data-placeholder": _("输入姓名、拼音或身份证后4位查找"), "required": True})
        self.order_fields(["person", "visited_on", "household_size", "monthly_income_yuan", "rigid_expense_yuan"])

    def facts(self) -> dict:
        d = self.cleaned_data
        return {"household_size": d["household_size"], "monthly_income_fen": to_fen(d["monthly_income_yuan"]),
                "rigid_expense_fen": to_fen(d.get("rigid_expense_yuan")), "has_illness": d["has_illness"],
                "has_disability": d["has_disability"], "children_in_school": d["children_in_school"] or 0,
                "has_disaster": d["has_disaster"], "has_job_loss": d["has_job_loss"],
                "has_work_injury": d["has_work_injury"]}


class FileForm(FactsMixin):
    head = forms.IntegerField(widget=forms.HiddenInput, required=False)
    causes = forms.MultipleChoiceField(label=_("致困原因（可多选）"), choices=HardshipCause.choices,
                                       widget=forms.CheckboxSelectMultiple)
    level = forms.ChoiceField(label=_("认定困难等级"), choices=HardshipLevel.choices)
    level_reason = forms.CharField(label=_("等级与系统初判不一致的理由"), max_length=255, required=False,
                                   help_text=_("所选等级与收入情况不符时必填"))
    situation = forms.CharField(label=_("家庭困难情况"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    payee_name = forms.CharField(label=_("收款人"), max_length=50, required=False, help_text=_("默认为户主本人"))
    bank_name = forms.CharField(label=_("开户行"), max_length=100, required=False)
    bank_account = forms.CharField(label=_("银行账号"), max_length=40, required=False)
    members_text = forms.CharField(
        label=_("其他家庭成员"), required=False, widget=forms.Textarea(attrs={"rows": 3, "class": "mono"}),
        help_text=_("每行一人：姓名，与户主关系，身份证号（关系可填：%(rel)s）") % {"rel": "、".join(RELATIONS[1:])})

    def members(self) -> list[dict]:
        rows = []
        for line in (self.cleaned_data.get("members_text") or "").splitlines():
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            if not any(parts):
                continue
            parts += [""] * (3 - len(parts))
            rows.append({"name": parts[0], "relation": parts[1], "id_number": parts[2]})
        return rows

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {"household_size": d["household_size"], "monthly_income_fen": to_fen(d["monthly_income_yuan"]),
                "rigid_expense_fen": to_fen(d.get("rigid_expense_yuan")), "causes": d["causes"], "level": d["level"],
                "level_reason": d["level_reason"], "situation": d["situation"], "payee_name": d["payee_name"],
                "bank_name": d["bank_name"], "bank_account": d["bank_account"]}


class FileEditForm(FileForm):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        del self.fields["members_text"]
        del self.fields["head"]
        self.fields["bank_account"].help_text = _("留空则不修改")

    def service_kwargs(self) -> dict:
        out = super().service_kwargs()
        if not out["bank_account"]:
            del out["bank_account"]
        return out


class HouseholdMemberForm(forms.Form):
    """One more household member. The health note is offered only to roles with full personal data."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    relation = forms.ChoiceField(label=_("与户主关系"), choices=[(r, r) for r in RELATIONS[1:]])
    id_number = forms.CharField(label=_("身份证号"), max_length=32)
    monthly_income_yuan = yuan_field(_("月收入（元）"), required=False)
    health_note = forms.CharField(label=_("健康状况"), max_length=500, required=False)
    is_student = forms.BooleanField(label=_("在学"), required=False)

    def __init__(self, *a, actor, **kw):
        from huigong.accounts.models import Cap
        from huigong.core.scope import require

        super().__init__(*a, **kw)
        if not require(actor, Cap.VIEW).can(Cap.PII_FULL):
            del self.fields["health_note"]

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {"name": d["name"], "relation": d["relation"], "id_number": d["id_number"],
                "monthly_income_fen": to_fen(d.get("monthly_income_yuan")),
                "health_note": d.get("health_note", ""), "is_student": d["is_student"]}


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("材料类型"), choices=EvidenceKind.choices)
    upload = forms.FileField(label=_("文件（图片或PDF，10MB以内）"))


class OpenForm(forms.Form):
    verified_on = forms.DateField(label=_("入户核实日期"), widget=DateInput(), initial=dt.date.today)
    verification_note = forms.CharField(label=_("核实情况"), widget=forms.Textarea(attrs={"rows": 4}))


class CloseForm(forms.Form):
    reason = forms.ChoiceField(label=_("销档原因"), choices=CloseReason.choices)
    note = forms.CharField(label=_("说明"), max_length=255, required=False)
    closed_on = forms.DateField(label=_("销档日期"), widget=DateInput(), initial=dt.date.today)


class ReviewForm(forms.Form):
    year = forms.IntegerField(label=_("复核年度"), min_value=2000, max_value=2100)
    reviewed_on = forms.DateField(label=_("复核日期"), widget=DateInput(), initial=dt.date.today)
    outcome = forms.ChoiceField(label=_("复核结论"), choices=ReviewOutcome.choices, widget=forms.RadioSelect)
    new_level = forms.ChoiceField(label=_("调整后等级"), choices=[("", "—")] + list(HardshipLevel.choices),
                                  required=False)
    close_reason = forms.ChoiceField(label=_("销档原因"), choices=[("", "—")] + list(CloseReason.choices),
                                     required=False)
    monthly_income_yuan = yuan_field(_("复核时家庭月收入（元）"), required=False)
    note = forms.CharField(label=_("复核说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.fields["year"].initial = timezone.localdate().year


class FileFilterForm(forms.Form):
    q = forms.CharField(label=_("档案编号或户主姓名"), required=False, max_length=50)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))])
    level = forms.ChoiceField(label=_("困难等级"), required=False, choices=[("", _("全部"))] + list(HardshipLevel.choices))
    cause = forms.ChoiceField(label=_("致困原因"), required=False, choices=[("", _("全部"))] + list(HardshipCause.choices))
    node = NodeChoiceField(label=_("工会"), required=False, queryset=UnionNode.objects.none())
    due = forms.BooleanField(label=_("仅看待复核"), required=False)

    def __init__(self, *a, actor, **kw):
        from .models import FileStatus

        super().__init__(*a, **kw)
        self.fields["status"].choices = [("", _("全部"))] + list(FileStatus.choices)
        self.fields["node"].queryset = scoped_nodes(actor)


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("不予建档原因"), max_length=255)
