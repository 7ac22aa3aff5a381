"""Forms of the member pages. Field rules come from huigong.core (the same functions the services
use) so that every error shows at once; the services check again and have the last word."""

from __future__ import annotations

from typing import ClassVar

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huigong.core import idnumber
from huigong.core import phone as phone_rules
from huigong.core.widgets import DateInput
from huigong.orgs.forms import EnterpriseField, NodeField, field_errors
from huigong.orgs.models import EnterpriseKind

from .models import Education, EmploymentForm, MembershipStatus

STATUS_ALL = "all"


ALL_LABEL = _("— 全部 —")


def _blank(choices, label=ALL_LABEL):
    return [("", label), *choices]


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=60)
    employment_form = forms.ChoiceField(label=_("用工形式"), required=False,
                                        choices=_blank([("new", _("新就业形态（全部）")), *EmploymentForm.choices]))
    status = forms.ChoiceField(label=_("会籍状态"), required=False,
                               choices=[*MembershipStatus.choices, (STATUS_ALL, _("全部"))])

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"] = NodeField(actor=actor, label=_("工会（含下级）"), required=False)
        self.fields["enterprise"] = EnterpriseField(actor=actor, label=_("单位/平台"), required=False, blank="all")


class _PersonFields(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50, error_messages=field_errors(_("姓名")))
    employment_form = forms.ChoiceField(label=_("用工形式"), choices=EmploymentForm.choices,
                                        initial=EmploymentForm.CONTRACT,
                                        error_messages=field_errors(_("用工形式")))
    ethnicity = forms.CharField(label=_("民族"), max_length=20, required=False,
                                error_messages=field_errors(_("民族")), help_text=_("例如 汉族"))
    education = forms.ChoiceField(label=_("学历"), required=False, choices=_blank(Education.choices, _("— 未填 —")),
                                  error_messages=field_errors(_("学历")))
    job_title = forms.CharField(label=_("岗位"), max_length=50, required=False,
                                error_messages=field_errors(_("岗位")))
    bank_name = forms.CharField(label=_("开户行"), max_length=100, required=False,
                                error_messages=field_errors(_("开户行")))
    bank_account = forms.CharField(label=_("银行账号"), max_length=40, required=False,
                                   error_messages=field_errors(_("银行账号")))
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False, error_messages=field_errors(_("手机号")))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employer"] = EnterpriseField(actor=actor, label=_("用人单位"), required=False,
                                                  error_messages=field_errors(_("用人单位")))
        self.fields["platform"] = EnterpriseField(actor=actor, kind=EnterpriseKind.PLATFORM, label=_("平台企业"),
                                                  required=False, help_text=_("新就业形态劳动者所在的平台"),
                                                  error_messages=field_errors(_("平台企业")))

    def clean_phone(self):
        value = phone_rules.normalize(self.cleaned_data["phone"])
        if value and not phone_rules.is_valid(value):
            raise forms.ValidationError(gettext("手机号格式不正确"))
        return value

    def clean_bank_account(self):
        return self.cleaned_data["bank_account"].replace(" ", "")


class MemberCreateForm(_PersonFields):
    id_number = forms.CharField(label=_("身份证号"), max_length=20, error_messages=field_errors(_("身份证号")),
                                help_text=_("18位；性别与出生日期由身份证号自动得出"))
    joined_on = forms.DateField(label=_("入会日期"), required=False, widget=DateInput(),
                                error_messages=field_errors(_("入会日期")), help_text=_("不填则为今天"))

    field_order: ClassVar[list[str]] = ["union", "name", "id_number", "phone", "employment_form", "employer", "platform", "joined_on",
                   "ethnicity", "education", "job_title", "bank_name", "bank_account"]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["union"] = NodeField(actor=actor, members_only=True, label=_("入会工会"),
                                         error_messages=field_errors(_("入会工会")),
                                         help_text=_("只列出可以直接发展会员的工会（基层、联合、产业、乡镇/街道工会）"))
        self.order_fields(self.field_order)

    def clean_id_number(self):
        try:
            return idnumber.parse(self.cleaned_data["id_number"]).number
        except idnumber.IdNumberError as e:
            raise forms.ValidationError(str(e)) from None


class MemberEditForm(_PersonFields):
    """Phone and bank account are never pre-filled: showing them would be an unlogged full read."""

    front_line = forms.TypedChoiceField(
        label=_("一线职工"), required=False, choices=[("", _("— 未填 —")), ("1", _("是")), ("0", _("否"))],
        coerce=lambda v: v == "1", empty_value=None, help_text=_("在生产、服务一线岗位工作的职工（非管理岗位）"))

    field_order: ClassVar[list[str]] = ["name", "phone", "employment_form", "employer", "platform", "ethnicity", "education",
                   "job_title", "front_line", "bank_name", "bank_account"]

    def __init__(self, *args, actor, person, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["phone"].help_text = _("当前 %(mask)s；留空表示不修改") % {"mask": person.phone_mask or "—"}
        self.fields["bank_account"].help_text = _("当前 %(mask)s；留空表示不修改") % {
            "mask": person.bank_account_mask or "—"}
        self.order_fields(self.field_order)

    def changes(self) -> dict:
        data = dict(self.cleaned_data)
        for secret in ("phone", "bank_account"):
            if not data.get(secret):
                data.pop(secret, None)
        return data


class TransferForm(forms.Form):
    reason = forms.CharField(label=_("转接原因"), max_length=255, error_messages=field_errors(_("转接原因")),
                             help_text=_("例如 更换工作单位、跨区域流动"))
    on = forms.DateField(label=_("转接日期"), required=False, widget=DateInput(),
                         error_messages=field_errors(_("转接日期")), help_text=_("不填则为今天"))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_union"] = NodeField(actor=actor, members_only=True, anywhere=True, label=_("转入工会"),
                                            error_messages=field_errors(_("转入工会")),
                                            help_text=_("可在全国范围内按名称或编码查找"))
        self.order_fields(["to_union", "reason", "on"])


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("退会原因"), max_length=255, widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages=field_errors(_("退会原因")))
    on = forms.DateField(label=_("退会日期"), required=False, widget=DateInput(),
                         error_messages=field_errors(_("退会日期")), help_text=_("不填则为今天"))
