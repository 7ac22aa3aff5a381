"""Forms of the research pages. Money is typed in yuan and kept in fen; the services validate."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huigong.core.widgets import DateInput

from .models import AwardLevel, FieldworkKind, MemberRole, MidtermVerdict, RuleKind


def yuan_field(label, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=required, min_value=Decimal(0), max_digits=14,
                              decimal_places=2)


def to_fen(value) -> int:
    return int((Decimal(value or 0) * 100).quantize(Decimal(1)))


class ProgrammeForm(forms.Form):
    brand = forms.CharField(label=_("品牌名称"), max_length=40, initial="新音台")
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("计划名称"), max_length=120)
    intro = forms.CharField(label=_("选题指南说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    budget_yuan = yuan_field(_("经费总额（元）"))
    min_chars = forms.IntegerField(label=_("报告最少字数"), min_value=1, initial=3000)
    max_chars = forms.IntegerField(label=_("报告最多字数"), min_value=1, initial=30000)
    similarity_limit = forms.IntegerField(label=_("重复率上限（%）"), min_value=1, max_value=100, initial=30)

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.fields["year"].initial = timezone.localdate().year

    def service_kwargs(self) -> dict:
        d = dict(self.cleaned_data)
        d["budget_fen"] = to_fen(d.pop("budget_yuan"))
        return d


class TopicForm(forms.Form):
    title = forms.CharField(label=_("选题"), max_length=120)
    area = forms.CharField(label=_("领域"), max_length=40, required=False)
    description = forms.CharField(label=_("说明"), required=False)
    max_yuan = yuan_field(_("经费上限（元）"), required=False)


class RuleForm(forms.Form):
    kind = forms.ChoiceField(label=_("规则"), choices=RuleKind.choices)
    value = forms.IntegerField(label=_("数值"), min_value=0, required=False,
                               help_text=_("留空则删除该规则"))
    age_limit = forms.IntegerField(label=_("青年年龄上限"), min_value=18, max_value=60, initial=35)


class ProjectForm(forms.Form):
    topic = forms.ModelChoiceField(label=_("选题"), queryset=None, empty_label=_("— 请选择 —"))
    node = forms.ModelChoiceField(label=_("承担单位"), queryset=None, empty_label=None)
    team_name = forms.CharField(label=_("调研队名称"), max_length=80)
    plan = forms.CharField(label=_("调研计划"), widget=forms.Textarea(attrs={"rows": 4}))
    requested_yuan = yuan_field(_("申请经费（元）"))
    payee_name = forms.CharField(label=_("收款单位"), max_length=50)
    bank_name = forms.CharField(label=_("开户行"), max_length=100)
    bank_account = forms.CharField(label=_("银行账号"), max_length=40)

    def __init__(self, *args, programme, nodes, **kw):
        super().__init__(*args, **kw)
        self.fields["topic"].queryset = programme.topics.all()
        self.fields["node"].queryset = nodes

    def service_kwargs(self) -> dict:
        d = dict(self.cleaned_data)
        d["requested_fen"] = to_fen(d.pop("requested_yuan"))
        return d


class MemberForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=30)
    role = forms.ChoiceField(label=_("角色"), choices=MemberRole.choices)
    birth_year = forms.IntegerField(label=_("出生年份"), min_value=1940, max_value=2100)
    front_line = forms.BooleanField(label=_("一线岗位"), required=False)
    post = forms.CharField(label=_("部门/岗位"), max_length=60, required=False)


class FieldworkForm(forms.Form):
    kind = forms.ChoiceField(label=_("方式"), choices=FieldworkKind.choices)
    occurred_on = forms.DateField(label=_("日期"), widget=DateInput())
    place = forms.CharField(label=_("地点/对象"), max_length=120)
    cadre = forms.CharField(label=_("调研人员"), max_length=30)
    people = forms.IntegerField(label=_("接触人数"), min_value=0, initial=0)
    orders = forms.IntegerField(label=_("完成单数"), min_value=0, initial=0, required=False,
                                help_text=_("沉浸式体验（跑单）时填写"))
    hours = forms.DecimalField(label=_("时长（小时）"), min_value=0, max_digits=7, decimal_places=1, initial=0)
    summary = forms.CharField(label=_("记录"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label=_("意见"), choices=[("approved", _("同意")), ("returned", _("退回")),
                                                          ("rejected", _("不同意"))])
    amount_yuan = yuan_field(_("核定经费（元）"), required=False)
    comment = forms.CharField(label=_("审批意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    acting_reason = forms.CharField(label=_("代为审批原因"), required=False)


class MidtermForm(forms.Form):
    verdict = forms.ChoiceField(label=_("检查结论"), choices=MidtermVerdict.choices)
    comment = forms.CharField(label=_("检查意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReportForm(forms.Form):
    title = forms.CharField(label=_("报告标题"), max_length=160)
    file = forms.FileField(label=_("报告文件"), help_text=_("Word（.docx）、PDF 或纯文本"))
    recommendations = forms.CharField(
        label=_("对策建议"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行一条：建议对象：建议内容（如“市人社局：……”）。报告验收后，每条建议都会进入成果跟踪，直到被采纳。"))


class ReportDecideForm(forms.Form):
    accept = forms.ChoiceField(label=_("验收结论"), choices=[("1", _("验收通过")), ("0", _("退回修改"))])
    comment = forms.CharField(label=_("验收意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AwardForm(forms.Form):
    level = forms.ChoiceField(label=_("等次"), choices=AwardLevel.choices)
    title = forms.CharField(label=_("奖项名称"), max_length=80, initial=_("优秀调研成果"))
    awarded_on = forms.DateField(label=_("颁奖日期"), widget=DateInput())


class ResultsForm(forms.Form):
    file = forms.FileField(label=_("银行回盘文件"))


class PaymentActionForm(forms.Form):
    bank_reference = forms.CharField(label=_("银行流水号"), max_length=64, required=False)
    reason = forms.CharField(label=_("失败原因"), max_length=255, required=False)
