from django import forms
from django.utils.translation import gettext_lazy as _

from huigong.core.widgets import DateInput

from .models import EvidenceKind, Relation, Status


class FilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False)
    overdue = forms.ChoiceField(label=_("逾期"), required=False,
                                choices=[("", _("全部")), ("1", _("仅逾期")), ("0", _("未逾期"))])
    q = forms.CharField(label=_("事项或责任主体"), required=False, max_length=60)

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("全部")), *kinds]
        self.fields["status"].choices = [("", _("全部")), *Status.choices]


class ProgressForm(forms.Form):
    progress = forms.IntegerField(label=_("进度（%）"), min_value=0, max_value=100)
    note = forms.CharField(label=_("进展说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("材料类型"), choices=EvidenceKind.choices)
    title = forms.CharField(label=_("标题"), required=False, max_length=200)
    upload = forms.FileField(label=_("文件（文件或照片）"), required=False)
    doc_number = forms.CharField(label=_("文号（政策文件）"), required=False, max_length=100)
    issuer = forms.CharField(label=_("发文机关或批示人"), required=False, max_length=100)
    issued_on = forms.DateField(label=_("日期"), required=False, widget=DateInput())
    text = forms.CharField(label=_("内容"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    of_effect = forms.BooleanField(label=_("这份材料能证明整改或落实的成效"), required=False)


class SubmitForm(forms.Form):
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class VerdictForm(forms.Form):
    comment = forms.CharField(label=_("验证意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DropForm(forms.Form):
    reason = forms.CharField(label=_("撤销理由"), widget=forms.Textarea(attrs={"rows": 2}))


class DueForm(forms.Form):
    due_date = forms.DateField(label=_("新的办结期限"), widget=DateInput())
    reason = forms.CharField(label=_("调整理由"), required=False, max_length=200)


class LinkForm(forms.Form):
    dst = forms.IntegerField(label=_("关联事项编号"), min_value=1)
    relation = forms.ChoiceField(label=_("关系"), choices=Relation.choices)
    note = forms.CharField(label=_("说明"), required=False, max_length=200)


class ImportForm(forms.Form):
    upload = forms.FileField(label=_("表格文件（CSV 或 Excel）"))
