from django import forms
from django.utils.translation import gettext_lazy as _

from huigong.members.models import EmploymentForm

PHONE_ATTRS = {"inputmode": "numeric", "autocomplete": "tel", "maxlength": "11", "placeholder": _("11位手机号")}
CODE_ATTRS = {"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6", "placeholder": _("6位验证码")}


class SignupForm(forms.Form):
    phone = forms.CharField(label=_("手机号"), max_length=20, widget=forms.TextInput(attrs=PHONE_ATTRS))
    code = forms.CharField(label=_("短信验证码"), max_length=6, required=False, widget=forms.TextInput(attrs=CODE_ATTRS))
    password = forms.CharField(label=_("设置密码"), required=False, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password",
                                                                 "placeholder": _("至少10位，不要全是数字")}))
    password2 = forms.CharField(label=_("再次输入密码"), required=False, strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    agree = forms.BooleanField(label=_("我已阅读并同意《用户服务协议》和《个人信息保护政策》"), required=False)
    # 我已是会员: after signing up, go straight to linking the account to the union's record.
    is_member = forms.BooleanField(label=_("我已是工会会员（注册后绑定会员身份）"), required=False)


class PasswordResetForm(forms.Form):
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False, widget=forms.TextInput(attrs=PHONE_ATTRS))
    code = forms.CharField(label=_("短信验证码"), max_length=6, required=False, widget=forms.TextInput(attrs=CODE_ATTRS))
    password = forms.CharField(label=_("新密码"), required=False, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password",
                                                                 "placeholder": _("至少10位，不要全是数字")}))
    password2 = forms.CharField(label=_("再次输入新密码"), required=False, strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, fixed_phone: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_phone = fixed_phone
        if fixed_phone:
            del self.fields["phone"]

    def clean(self):
        data = super().clean()
        if not self.fixed_phone and not data.get("phone"):
            self.add_error("phone", _("请输入手机号"))
        return data


class PasswordLoginForm(forms.Form):
    phone = forms.CharField(label=_("手机号"), max_length=20, widget=forms.TextInput(attrs=PHONE_ATTRS))
    password = forms.CharField(label=_("密码"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class CodeLoginForm(forms.Form):
    phone = forms.CharField(label=_("手机号"), max_length=20, widget=forms.TextInput(attrs=PHONE_ATTRS))
    code = forms.CharField(label=_("短信验证码"), max_length=6, required=False, widget=forms.TextInput(attrs=CODE_ATTRS))


class JoinIdentityForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    id_number = forms.CharField(label=_("身份证号"), max_length=18,
                                widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": "18",
                                                              "placeholder": _("18位身份证号")}))


class JoinWorkForm(forms.Form):
    employment_form = forms.ChoiceField(label=_("用工形式"), choices=EmploymentForm.choices,
                                        widget=forms.RadioSelect)
    job_title = forms.CharField(label=_("岗位（选填）"), max_length=50, required=False)


class JoinWhereForm(forms.Form):
    q = forms.CharField(label=_("单位名称或统一社会信用代码"), max_length=100, required=False)
    enterprise = forms.IntegerField(required=False, widget=forms.HiddenInput)
    area = forms.IntegerField(required=False, widget=forms.HiddenInput)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("不通过原因"), max_length=255, widget=forms.Textarea(attrs={"rows": 3}))


class JoinFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False)
    q = forms.CharField(label=_("姓名"), max_length=50, required=False)

    def __init__(self, *args, **kwargs):
        from .models import JoinStatus

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("pending", _("待处理")), ("", _("全部状态")), *JoinStatus.choices]


class LinkStartForm(JoinIdentityForm):
    """我已是会员: the name and ID number on the member record, and how to prove it is theirs."""

    method = forms.ChoiceField(label=_("验证方式"), widget=forms.RadioSelect, initial="sms", choices=[
        ("sms", _("向会员档案登记的手机号发送验证码")),
        ("union", _("请所在工会确认（登记的手机号已不用时）")),
    ])


class LinkCodeForm(forms.Form):
    code = forms.CharField(label=_("短信验证码"), max_length=6, widget=forms.TextInput(attrs=CODE_ATTRS))


class DecisionNoteForm(forms.Form):
    note = forms.CharField(label=_("核实方式/说明"), max_length=255, required=False)
