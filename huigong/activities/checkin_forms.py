from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from huigong.core.widgets import DateTimeInput

from .models import Event
from .models_checkin import Gate


class GateForm(forms.ModelForm):
    class Meta:
        model = Gate
        fields = ["name", "session", "allows_reentry", "scans_exits", "auto_checkout_at", "is_active"]
        widgets = {"auto_checkout_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}
        help_texts = {
            "session": _("留空表示本活动的所有场次"),
            "allows_reentry": _("已签到的人登记离场后，可凭同一签到码再次入场"),
            "scans_exits": _("签到口可切换到“离场”扫码"),
            "auto_checkout_at": _("每天到这个时间，仍在场内的人自动签退"),
        }

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = event.sessions.all()
        self.fields["session"].required = False
        self.fields["session"].empty_label = _("全部场次")
        if self.instance.pk is None:
            del self.fields["is_active"]

    def _post_clean(self):
        # Validation is the service's (gate_create / gate_update), whose errors name the fields.
        pass


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("核查说明"), max_length=200)


class BulkUploadForm(forms.Form):
    upload = forms.FileField(label=_("签到名单（.xlsx）"),
                             help_text=_("第一行为表头：“报名编号”，或“姓名”和“身份证后四位”"))


class BulkTickForm(forms.Form):
    at = forms.DateTimeField(label=_("签到时间"), required=False,
                             widget=DateTimeInput(),
                             input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                             help_text=_("留空则记为场次开始时间"))
