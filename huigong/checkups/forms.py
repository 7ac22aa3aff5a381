from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huigong.core.widgets import DateInput

from .models import Category, CheckKind, InstrumentKind, Severity


class CampaignForm(forms.Form):
    title = forms.CharField(label=_("名称"), max_length=160)
    kind = forms.ChoiceField(label=_("体检类型"), choices=CheckKind.choices)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    templates = forms.ModelMultipleChoiceField(label=_("体检清单"), queryset=None,
                                               widget=forms.CheckboxSelectMultiple)
    starts_on = forms.DateField(label=_("开始日期"), widget=DateInput())
    ends_on = forms.DateField(label=_("结束日期"), widget=DateInput())
    reply_days = forms.IntegerField(label=_("文书回复期限（天）"), min_value=1, max_value=365, initial=15)
    rectify_days = forms.IntegerField(label=_("整改期限（天）"), min_value=1, max_value=365, initial=30)
    return_visit_days = forms.IntegerField(label=_("回访期限（天）"), min_value=1, max_value=730, initial=60)

    def __init__(self, *args, templates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["templates"].queryset = templates
        self.fields["year"].initial = timezone.localdate().year


class SeedForm(forms.Form):
    kind = forms.ChoiceField(label=_("起始模板"), choices=[c for c in CheckKind.choices if c[0] != "both"])


class TemplateItemForm(forms.Form):
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices)
    text = forms.CharField(label=_("检查内容"), max_length=300)
    legal_basis = forms.CharField(label=_("法律依据"), max_length=300, required=False)
    weight = forms.IntegerField(label=_("权重"), min_value=1, max_value=100, initial=5)
    severity = forms.ChoiceField(label=_("默认严重程度"), choices=Severity.choices, initial=Severity.MEDIUM)


class FindingForm(forms.Form):
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices)
    severity = forms.ChoiceField(label=_("严重程度"), choices=Severity.choices)
    description = forms.CharField(label=_("问题描述"), max_length=300)
    legal_basis = forms.CharField(label=_("法律依据"), max_length=300, required=False)
    recommendation = forms.CharField(label=_("整改建议"), max_length=300, required=False)


class InstrumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("文书类型"), choices=InstrumentKind.choices)
    reply_days = forms.IntegerField(label=_("回复期限（天）"), min_value=1, max_value=365, required=False)
    findings = forms.ModelMultipleChoiceField(label=_("涉及的问题"), queryset=None,
                                              widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, findings=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["findings"].queryset = findings
        self.fields["findings"].label_from_instance = lambda f: f"{f.get_category_display()}：{f.description}"


class ReplyForm(forms.Form):
    replied_on = forms.DateField(label=_("回复日期"), widget=DateInput())
    accepted = forms.TypedChoiceField(label=_("企业是否采纳"), choices=[("1", _("采纳")), ("0", _("不采纳"))],
                                      coerce=lambda v: v == "1")
    text = forms.CharField(label=_("企业回复"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class VisitHeadForm(forms.Form):
    visited_on = forms.DateField(label=_("体检日期"), widget=DateInput())
    team = forms.CharField(label=_("体检人员"), max_length=200)
    workers_covered = forms.IntegerField(label=_("覆盖职工数"), min_value=0, required=False)


class ReturnVisitHeadForm(forms.Form):
    visited_on = forms.DateField(label=_("回访日期"), widget=DateInput())
    note = forms.CharField(label=_("回访情况"), widget=forms.Textarea(attrs={"rows": 3}))
