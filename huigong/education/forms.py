from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from huigong.core.capacity.models import Allocation
from huigong.core.widgets import DateInput
from huigong.members.models import EmploymentForm
from huigong.orgs.models import NodeLevel

from .models import DegreeLevel, QuotaFormula, SubsidyKind


def _yuan_to_fen(value) -> int:
    return int(round(float(value) * 100)) if value not in (None, "") else 0


class ProgrammeForm(forms.Form):
    title = forms.CharField(label=_("项目名称"), max_length=120)
    year = forms.IntegerField(label=_("入学年级"), min_value=2000, max_value=2100)
    opens_on = forms.DateField(label=_("申报开始"), widget=DateInput())
    closes_on = forms.DateField(label=_("申报截止"), widget=DateInput())
    total = forms.IntegerField(label=_("资助名额"), min_value=1)
    allocation = forms.ChoiceField(label=_("分配方式"), choices=[(Allocation.LOTTERY, _("抽签")),
                                                               (Allocation.FIRST_COME, _("先到先得")),
                                                               ("merit", _("择优（按成绩排序，同分抽签）"))])
    priorities = forms.MultipleChoiceField(label=_("优先条件（先列的层级高）"), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    quota_formula = forms.ChoiceField(label=_("名额分配"), choices=QuotaFormula.choices)
    levels = forms.MultipleChoiceField(label=_("审核层级"), choices=NodeLevel.choices, required=False,
                                       initial=[NodeLevel.GRASSROOTS, NodeLevel.DISTRICT])
    member_months = forms.IntegerField(label=_("入会满（月）"), min_value=0, required=False)
    contract_years = forms.IntegerField(label=_("劳动合同履行满（年）"), min_value=0, required=False)
    forms_allowed = forms.MultipleChoiceField(label=_("用工形式（一线职工）"), choices=EmploymentForm.choices,
                                              required=False)
    max_age = forms.IntegerField(label=_("年龄上限（周岁）"), min_value=16, max_value=70, required=False)
    employer_union = forms.BooleanField(label=_("所在单位须已建会"), required=False)
    once_per_level = forms.BooleanField(label=_("同一学历层次只资助一次"), required=False, initial=True)
    subsidy_kind = forms.ChoiceField(label=_("补贴方式"), choices=SubsidyKind.choices)
    tranche_yuan = forms.DecimalField(label=_("每期金额（元）"), min_value=0, required=False, decimal_places=2)
    tranche_plan = forms.CharField(label=_("分期条件"), required=False, initial="enrolment,term:2,graduation",
                                   help_text=_("用逗号分隔：enrolment（入学）、term:N（第N学期合格）、graduation（毕业）"))
    share_percent = forms.IntegerField(label=_("学费补贴比例（%）"), min_value=0, max_value=100, required=False)
    fallback_yuan = forms.DecimalField(label=_("未中签保底补助（元）"), min_value=0, required=False, decimal_places=2)
    clawback_on_dropout = forms.BooleanField(label=_("退学须追回已发补贴"), required=False)
    description = forms.CharField(label=_("项目说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, **kwargs):
        from huigong.core import facets

        super().__init__(*args, **kwargs)
        self.fields["priorities"].choices = facets.choices()

    def clean_tranche_plan(self):
        out = []
        for part in [p.strip() for p in (self.cleaned_data.get("tranche_plan") or "").split(",") if p.strip()]:
            if part.startswith("term:"):
                try:
                    out.append({"trigger": "term", "term": int(part[5:])})
                except ValueError:
                    raise forms.ValidationError(_("分期条件“%(p)s”无效") % {"p": part}) from None
            elif part in ("enrolment", "graduation"):
                out.append({"trigger": part})
            else:
                raise forms.ValidationError(_("分期条件“%(p)s”无效") % {"p": part})
        return out

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        rules = {"member_months": d.get("member_months"), "contract_years": d.get("contract_years"),
                 "forms": d.get("forms_allowed") or [], "max_age": d.get("max_age"),
                 "employer_union": d.get("employer_union"), "once_per_level": d.get("once_per_level")}
        fen = _yuan_to_fen(d.get("tranche_yuan"))
        return {"title": d["title"], "year": d["year"], "opens_on": d["opens_on"], "closes_on": d["closes_on"],
                "total": d["total"], "quota_formula": d["quota_formula"],
                "allocation": Allocation.LOTTERY if d["allocation"] == "merit" else d["allocation"],
                "ranking": "merit" if d["allocation"] == "merit" else "draw",
                "priorities": [k for k, _label in self.fields["priorities"].choices
                               if k in set(d.get("priorities") or [])],
                "levels": d.get("levels") or [], "rules": rules, "subsidy_kind": d["subsidy_kind"],
                "tranches": [{**t, "fen": fen} for t in d.get("tranche_plan") or []],
                "share_percent": d.get("share_percent") or 0, "fallback_fen": _yuan_to_fen(d.get("fallback_yuan")),
                "clawback_on_dropout": d.get("clawback_on_dropout", False), "description": d.get("description", "")}


class RulesForm(forms.Form):
    """The eligibility editor: each rule is set by filling its field, removed by clearing it."""

    member_months = forms.IntegerField(label=_("入会满（月）"), min_value=0, max_value=600, required=False)
    contract_years = forms.IntegerField(label=_("劳动合同履行满（年）"), min_value=0, max_value=50, required=False)
    forms_allowed = forms.MultipleChoiceField(label=_("用工形式（一线职工）"), choices=EmploymentForm.choices,
                                              required=False, widget=forms.CheckboxSelectMultiple)
    min_age = forms.IntegerField(label=_("年龄下限（周岁）"), min_value=16, max_value=70, required=False)
    max_age = forms.IntegerField(label=_("年龄上限（周岁）"), min_value=16, max_value=70, required=False)
    employer_union = forms.BooleanField(label=_("所在单位须已建会"), required=False)
    once_per_level = forms.BooleanField(label=_("同一学历层次只资助一次"), required=False)
    priorities = forms.MultipleChoiceField(label=_("优先条件（先列的层级高）"), required=False,
                                           widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        from huigong.core import facets

        super().__init__(*args, **kwargs)
        self.fields["priorities"].choices = facets.choices()

    @classmethod
    def initial_for(cls, programme) -> dict:
        r = programme.rules or {}
        return {"member_months": r.get("member_months"), "contract_years": r.get("contract_years"),
                "forms_allowed": r.get("forms") or [], "min_age": r.get("min_age"), "max_age": r.get("max_age"),
                "employer_union": bool(r.get("employer_union")), "once_per_level": bool(r.get("once_per_level")),
                "priorities": list(programme.priorities or [])}

    def clean(self):
        d = super().clean()
        lo, hi = d.get("min_age"), d.get("max_age")
        if lo is not None and hi is not None and lo > hi:
            self.add_error("max_age", _("年龄上限不能小于年龄下限"))
        return d

    def rules(self) -> dict:
        d = self.cleaned_data
        return {"member_months": d.get("member_months"), "contract_years": d.get("contract_years"),
                "forms": d.get("forms_allowed") or [], "min_age": d.get("min_age"), "max_age": d.get("max_age"),
                "employer_union": d.get("employer_union"), "once_per_level": d.get("once_per_level")}

    def priority_keys(self) -> list[str]:
        from huigong.core import facets

        chosen = set(self.cleaned_data.get("priorities") or [])
        return [k for k, _label in facets.choices() if k in chosen]


class InstitutionForm(forms.Form):
    name = forms.CharField(label=_("院校名称"), max_length=120)
    contact = forms.CharField(label=_("联系人/电话"), max_length=120, required=False)


class MajorForm(forms.Form):
    institution = forms.IntegerField(label=_("院校"))
    name = forms.CharField(label=_("专业"), max_length=120)
    level = forms.ChoiceField(label=_("层次"), choices=DegreeLevel.choices)
    seats = forms.IntegerField(label=_("招生名额"), min_value=1)
    tuition_yuan = forms.DecimalField(label=_("学费（元）"), min_value=0, required=False, decimal_places=2)


class ApplyForm(forms.Form):
    major = forms.IntegerField(label=_("报读专业"))
    xuexin_code = forms.CharField(label=_("学信网在线验证码"), max_length=32, required=False)
    admission_letter = forms.FileField(label=_("录取通知书（照片或PDF）"), required=False)
    xuexin_report = forms.FileField(label=_("学信网学历报告（PDF）"), required=False)
    priority = forms.ChoiceField(label=_("优先条件"), required=False, choices=[
        ("", _("无")), ("model_worker", _("劳动模范")), ("hardship", _("困难职工建档"))])
    statement = forms.CharField(label=_("申请说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                max_length=1000)


class PointsForm(forms.Form):
    points = forms.IntegerField(label=_("成绩/积分"), min_value=0, max_value=100000)
    note = forms.CharField(label=_("来源说明（如考试名称）"), max_length=200, required=False)


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label=_("审批意见"), choices=[("approved", _("同意")), ("returned", _("退回")),
                                                            ("rejected", _("不同意"))])
    comment = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    acting_reason = forms.CharField(label=_("代为审批原因"), required=False)


class EnrolForm(forms.Form):
    enrolled_on = forms.DateField(label=_("入学日期"), widget=DateInput(),
                                  initial=dt.date.today)
    confirmed_by = forms.ChoiceField(label=_("入学确认方"), choices=[("union", _("工会核实")),
                                                                 ("institution", _("院校确认"))])
    student_no = forms.CharField(label=_("学号"), max_length=32, required=False)


class TermForm(forms.Form):
    term = forms.IntegerField(label=_("学期"), min_value=1, max_value=12)
    passed = forms.ChoiceField(label=_("结果"), choices=[("1", _("合格")), ("0", _("不合格"))])


class TransferForm(forms.Form):
    major = forms.IntegerField(label=_("转入专业"))
    reason = forms.CharField(label=_("原因"), max_length=255)


class DropForm(forms.Form):
    reason = forms.CharField(label=_("退学原因"), max_length=200)


class GraduateForm(forms.Form):
    graduated_on = forms.DateField(label=_("毕业日期"), widget=DateInput())
    proof = forms.CharField(label=_("毕业证书编号/学信网验证码"), max_length=64)


class ObjectionForm(forms.Form):
    application = forms.IntegerField(label=_("被异议的申请"), required=False)
    channel = forms.CharField(label=_("渠道"), max_length=32, required=False)
    content = forms.CharField(label=_("异议内容"), widget=forms.Textarea(attrs={"rows": 2}))


class ResolveForm(forms.Form):
    upheld = forms.ChoiceField(label=_("异议是否成立"), choices=[("0", _("不成立")), ("1", _("成立"))])
    resolution = forms.CharField(label=_("处理结果"), widget=forms.Textarea(attrs={"rows": 2}))


class DrawForm(forms.Form):
    seed = forms.CharField(label=_("随机种子（可填公开的彩票开奖号码，留空则随机生成）"), max_length=128, required=False)


class ResultsUploadForm(forms.Form):
    upload = forms.FileField(label=_("银行回盘（.xlsx）"))
