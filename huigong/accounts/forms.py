from __future__ import annotations

from typing import ClassVar

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from huigong.orgs.forms import TreeChoiceMixin
from huigong.orgs.models import UnionNode

from .models import Role


class LoginForm(AuthenticationForm):
    """Username + password. authenticate() gets the request, which is what lets django-axes count
    failures per username and IP and lock the account out."""

    username = forms.CharField(label=_("用户名"), max_length=150,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))
    password = forms.CharField(label=_("密码"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    error_messages: ClassVar[dict] = {
        "invalid_login": _("用户名或密码不正确"),
        "inactive": _("该账号已停用"),
    }


class TotpTokenForm(forms.Form):
    token = forms.CharField(
        label=_("动态验证码"), min_length=6, max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code",
                                      "pattern": "[0-9]{6}", "autofocus": True}),
        help_text=_("身份验证器应用中显示的6位数字"),
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].strip().replace(" ", "")
        if not token.isdigit():
            raise forms.ValidationError(_("验证码应为6位数字"))
        return token


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("当前密码"), strip=False,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password1 = forms.CharField(label=_("新密码"), strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                    help_text=_("至少10位，不能是常见密码或纯数字"))
    new_password2 = forms.CharField(label=_("确认新密码"), strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_old_password(self) -> str:
        value = self.cleaned_data["old_password"]
        if not self.user.check_password(value):
            raise forms.ValidationError(_("当前密码不正确"))
        return value

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("new_password1"), data.get("new_password2")
        if p1 and p2 and p1 != p2:
            self.add_error("new_password2", _("两次输入的新密码不一致"))
        return data


class NodeChoiceField(TreeChoiceMixin, forms.ModelChoiceField):
    def label_from_instance(self, obj: UnionNode) -> str:
        # Indent by depth so the subtree reads as a tree inside a plain <select>.
        return self.with_context(obj, "\u3000" * max(0, obj.depth - self.base_depth) + obj.name)

    base_depth = 1


def _node_field(root: UnionNode, **kw) -> NodeChoiceField:
    field = NodeChoiceField(
        queryset=UnionNode.objects.filter(path__startswith=root.path).order_by("path"),
        label=_("所属工会"), **kw,
    )
    field.base_depth = root.depth
    return field


class StaffCreateForm(forms.Form):
    username = forms.RegexField(label=_("用户名"), max_length=150, regex=r"^[A-Za-z0-9_.@+-]+$",
                                help_text=_("字母、数字和 _ . @ + -"),
                                error_messages={"invalid": _("用户名只能包含字母、数字和 _ . @ + -")})
    display_name = forms.CharField(label=_("姓名"), max_length=50)
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    password = forms.CharField(label=_("初始密码"), required=False, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text=_("留空则自动生成，保存后只显示一次"))

    def __init__(self, *args, root: UnionNode, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"] = _node_field(root)
        self.order_fields(["username", "display_name", "node", "role", "password"])

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("用户名已存在"))
        return username


class StaffRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    display_name = forms.CharField(label=_("姓名"), max_length=50, required=False)

    def __init__(self, *args, root: UnionNode, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"] = _node_field(root)
        self.order_fields(["display_name", "node", "role"])


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("令牌名称"), max_length=100,
                           help_text=_("用途说明，例如“人社数据对接”"))
