"""Forms of the events pages (staff console and worker portal)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from huigong.core.capacity.models import Allocation
from huigong.core.widgets import DateTimeInput
from huigong.members.models import EmploymentForm, Gender
from huigong.orgs.forms import NodeField, field_errors
from huigong.orgs.models import ServiceSite

from .models import EventKind


class EventForm(forms.Form):
    title = forms.CharField(label=_("活动名称"), max_length=120, error_messages=field_errors(_("活动名称")))
    kind = forms.ChoiceField(label=_("活动类型"), choices=EventKind.choices, error_messages=field_errors(_("活动类型")))
    site = forms.ModelChoiceField(label=_("服务阵地"), queryset=ServiceSite.objects.none(), required=False,
                                  empty_label=_("— 不使用服务阵地 —"))
    address = forms.CharField(label=_("活动地址"), max_length=255, required=False)
    description = forms.CharField(label=_("活动介绍"), required=False, max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    registration_opens_at = forms.DateTimeField(label=_("报名开始"), required=False, widget=DateTimeInput(),
                                                error_messages=field_errors(_("报名开始")))
    registration_closes_at = forms.DateTimeField(label=_("报名截止"), required=False, widget=DateTimeInput(),
                                                 error_messages=field_errors(_("报名截止")))
    allocation = forms.ChoiceField(label=_("分配方式"), choices=Allocation.choices, initial=Allocation.FIRST_COME)
    requires_approval = forms.BooleanField(label=_("需所在工会审核"), required=False)
    max_companions = forms.IntegerField(label=_("每人可带随行人数"), min_value=0, max_value=10, initial=0,
                                        error_messages=field_errors(_("每人可带随行人数")))
    include_ancestors = forms.BooleanField(label=_("上级工会直属会员可报名"), required=False)
    invitation_only = forms.BooleanField(label=_("仅限受邀人员（必参活动）"), required=False)
    genders = forms.MultipleChoiceField(label=_("性别"), choices=Gender.choices, required=False,
                                        widget=forms.CheckboxSelectMultiple)
    new_form_only = forms.BooleanField(label=_("仅限新就业形态劳动者"), required=False)
    front_line_only = forms.BooleanField(label=_("仅限一线职工"), required=False,
                                         help_text=_("会员信息中标记为一线职工的会员"))
    model_workers_only = forms.BooleanField(label=_("仅限劳动模范/先进工作者"), required=False,
                                            help_text=_("荣誉管理中登记的劳动模范、先进工作者"))
    employment_forms = forms.MultipleChoiceField(label=_("用工形式"), choices=EmploymentForm.choices, required=False,
                                                 widget=forms.CheckboxSelectMultiple)
    age_min = forms.IntegerField(label=_("最低年龄"), min_value=16, max_value=100, required=False,
                                 error_messages=field_errors(_("最低年龄")))
    age_max = forms.IntegerField(label=_("最高年龄"), min_value=16, max_value=100, required=False,
                                 error_messages=field_errors(_("最高年龄")))

    def __init__(self, *args, actor, with_node: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        from huigong.core.scope import root_path

        root = root_path(actor)
        self.fields["site"].queryset = ServiceSite.objects.filter(union__path__startswith=root, is_active=True)
        if with_node:
            self.fields["node"] = NodeField(actor=actor, label=_("主办工会"))
            self.order_fields(["title", "node"])

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("node", None)
        data["max_companions"] = data.get("max_companions") or 0
        return data


class SessionForm(forms.Form):
    title = forms.CharField(label=_("场次名称"), max_length=120, error_messages=field_errors(_("场次名称")))
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=DateTimeInput(), error_messages=field_errors(_("开始时间")))
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=DateTimeInput(), error_messages=field_errors(_("结束时间")))
    total = forms.IntegerField(label=_("名额"), min_value=1, required=False, help_text=_("留空表示不限名额"),
                               error_messages=field_errors(_("名额")))
    waitlist = forms.BooleanField(label=_("满额后可候补"), required=False, initial=True)
    offer_minutes = forms.IntegerField(label=_("候补确认时限（分钟）"), min_value=1, max_value=7 * 24 * 60, required=False,
                                       help_text=_("留空表示有名额时直接递补"), error_messages=field_errors(_("候补确认时限（分钟）")))
    venue_note = forms.CharField(label=_("场地说明"), max_length=255, required=False)

    def service_kwargs(self) -> dict:
        d = dict(self.cleaned_data)
        minutes = d.pop("offer_minutes")
        d["offer_seconds"] = minutes * 60 if minutes else None
        return d


class ShareForm(forms.Form):
    slots = forms.IntegerField(label=_("名额"), min_value=0, error_messages=field_errors(_("名额")))
    release_at = forms.DateTimeField(label=_("未用名额释放时间"), required=False, widget=DateTimeInput(),
                                     error_messages=field_errors(_("未用名额释放时间")))

    def __init__(self, *args, actor, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["union"] = NodeField(actor=actor, label=_("下级工会"))
        self.fields["union"].queryset = self.fields["union"].queryset.filter(
            path__startswith=event.node.path).exclude(pk=event.node_id)
        self.order_fields(["union", "slots", "release_at"])


class ImportForm(forms.Form):
    file = forms.FileField(label=_("报名名单（.xlsx）"), help_text=_("表头：身份证号、随行人员（多人用顿号分隔，可空）"))


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=255, required=False)
