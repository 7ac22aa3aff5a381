"""Forms of the flow pages. Money is typed in yuan and handed to the services in fen."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huigong.core.widgets import DateInput
from huigong.orgs.forms import TreeChoiceMixin
from huigong.orgs.models import NodeLevel, UnionNode

from . import clock
from .models import (
    AidProgrammeKind,
    AmountMode,
    ApplicationStatus,
    ApprovalDecision,
    HardshipCause,
    HardshipLevel,
)


class YuanField(forms.DecimalField):
    def __init__(self, **kw):
        kw.setdefault("max_digits", 12)
        kw.setdefault("decimal_places", 2)
        kw.setdefault("min_value", Decimal(0))
        super().__init__(**kw)

    @staticmethod
    def fen(value) -> int | None:
        return None if value in (None, "") else int((Decimal(value) * 100).to_integral_value())


class NodeChoiceField(TreeChoiceMixin, forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return self.with_context(obj, obj.name)


def subtree_nodes(actor):
    return UnionNode.objects.filter(path__startswith=actor.staff.node.path).order_by("path")


class ProgrammeForm(forms.Form):
    node = NodeChoiceField(label=_("主办工会"), queryset=UnionNode.objects.none())
    kind = forms.ChoiceField(label=_("类别"), choices=AidProgrammeKind.choices)
    name = forms.CharField(label=_("名称"), max_length=120)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    amount_mode = forms.ChoiceField(label=_("金额方式"), choices=AmountMode.choices)
    amount = YuanField(label=_("金额/上限（元）"))
    approval_levels = forms.MultipleChoiceField(
        label=_("审批层级（自下而上）"), widget=forms.CheckboxSelectMultiple,
        choices=[(x, NodeLevel(x).label) for x in ("grassroots", "township", "district", "city", "province")])
    eligible_levels = forms.MultipleChoiceField(label=_("适用困难等级（不选为全部）"), required=False,
                                                widget=forms.CheckboxSelectMultiple, choices=HardshipLevel.choices)
    required_causes = forms.MultipleChoiceField(label=_("须具备的致困原因（任一，不选为不限）"), required=False,
                                                widget=forms.CheckboxSelectMultiple, choices=HardshipCause.choices)
    notice_days = forms.IntegerField(label=_("公示天数"), min_value=1, max_value=60, initial=5)
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    LEVEL_ORDER = ("grassroots", "township", "district", "city", "province")

    def __init__(self, *a, actor=None, **kw):
        super().__init__(*a, **kw)
        self.fields["node"].queryset = subtree_nodes(actor)
        self.fields["node"].initial = actor.staff.node_id
        self.fields["year"].initial = timezone.localdate().year

    def clean_approval_levels(self):
        levels = self.cleaned_data["approval_levels"]
        return sorted(levels, key=self.LEVEL_ORDER.index)


class BudgetForm(forms.Form):
    node = NodeChoiceField(label=_("预算单位"), queryset=UnionNode.objects.none())
    total = YuanField(label=_("预算总额（元）"))

    def __init__(self, *a, actor=None, programme=None, **kw):
        super().__init__(*a, **kw)
        prefix = max(actor.staff.node.path, programme.node_path, key=len)
        self.fields["node"].queryset = UnionNode.objects.filter(path__startswith=prefix).order_by("path")
        self.fields["node"].initial = programme.node_id


class CapForm(forms.Form):
    node = NodeChoiceField(label=_("设定工会"), queryset=UnionNode.objects.none())
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    cap = YuanField(label=_("每户年度上限（元）"))

    def __init__(self, *a, actor=None, **kw):
        super().__init__(*a, **kw)
        self.fields["node"].queryset = subtree_nodes(actor)
        self.fields["node"].initial = actor.staff.node_id
        self.fields["year"].initial = timezone.localdate().year


class ApplicationForm(forms.Form):
    programme = forms.ModelChoiceField(label=_("帮扶项目"), queryset=None)
    file_no = forms.CharField(label=_("档案编号"), max_length=32)
    amount = YuanField(label=_("申请金额（元）"))
    reason = forms.CharField(label=_("申请理由"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *a, programmes=None, **kw):
        super().__init__(*a, **kw)
        self.fields["programme"].queryset = programmes


class ApplicationEditForm(forms.Form):
    amount = YuanField(label=_("申请金额（元）"))
    reason = forms.CharField(label=_("申请理由"), widget=forms.Textarea(attrs={"rows": 4}))


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label=_("审批意见"), widget=forms.RadioSelect,
                                 choices=[c for c in ApprovalDecision.choices if c[0] != ApprovalDecision.PENDING])
    amount = YuanField(label=_("核定金额（元，不填为申请金额）"), required=False)
    comment = forms.CharField(label=_("意见说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    acting_reason = forms.CharField(label=_("代为审批原因"), required=False, max_length=2000,
                                    widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, acting_for=None, **kwargs):
        super().__init__(*args, **kwargs)
        if acting_for is None:
            del self.fields["acting_reason"]
        else:
            f = self.fields["acting_reason"]
            f.required = True
            f.help_text = _("“%(n)s”暂无可审批人员，由上级代为审批，原因将记入审批记录") % {"n": acting_for.name}
            f.error_messages["required"] = _("代为审批须填写原因")


class ApplicationFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + ApplicationStatus.choices)
    programme = forms.IntegerField(required=False, widget=forms.HiddenInput)
    q = forms.CharField(label=_("档案编号或户主姓名"), required=False)


class NoticeForm(forms.Form):
    node = NodeChoiceField(label=_("公示单位"), queryset=UnionNode.objects.none())
    title = forms.CharField(label=_("标题"), max_length=160)
    days = forms.IntegerField(label=_("公示天数（不填按项目规定）"), min_value=1, max_value=60, required=False)
    starts_on = forms.DateField(label=_("公示开始日期"), widget=DateInput())
    contact = forms.CharField(label=_("监督电话/联系人"), max_length=120, required=False)
    body = forms.CharField(label=_("公示说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    applications = forms.MultipleChoiceField(label=_("已批准的申请"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *a, actor=None, approved=(), **kw):
        super().__init__(*a, **kw)
        self.fields["node"].queryset = subtree_nodes(actor)
        self.fields["node"].initial = actor.staff.node_id
        today = clock.today()
        self.fields["starts_on"].initial = today
        self.fields["starts_on"].widget.attrs["min"] = today.isoformat()  # no backdating (the service refuses)
        self.fields["applications"].choices = [(a.pk, str(a.pk)) for a in approved]


class ObjectionForm(forms.Form):
    application = forms.TypedChoiceField(label=_("针对的申请"), coerce=int, required=False, empty_value=None)
    received_on = forms.DateField(label=_("收到日期"), widget=DateInput())
    channel = forms.ChoiceField(label=_("渠道"), choices=[(x, x) for x in ("电话", "来信", "现场", "网络")])
    content = forms.CharField(label=_("异议内容"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *a, entries=(), **kw):
        super().__init__(*a, **kw)
        self.fields["application"].choices = [("", _("（整体）"))] + [
            (e.application_id, f"{e.masked_name} · {e.unit_label}") for e in entries]
        self.fields["received_on"].initial = timezone.localdate()


class ResolveForm(forms.Form):
    upheld = forms.TypedChoiceField(label=_("结论"), coerce=lambda v: v == "1", widget=forms.RadioSelect,
                                    choices=[("0", _("异议不成立，维持")), ("1", _("异议成立，撤下"))])
    outcome = forms.ChoiceField(label=_("撤下后"), required=False, initial=ApplicationStatus.REJECTED,
                                choices=[(ApplicationStatus.REJECTED, _("不予批准")),
                                         (ApplicationStatus.RETURNED, _("退回修改"))])
    resolution = forms.CharField(label=_("处理结果"), widget=forms.Textarea(attrs={"rows": 2}))


class BatchForm(forms.Form):
    node = NodeChoiceField(label=_("发放单位"), queryset=UnionNode.objects.none())
    title = forms.CharField(label=_("批次名称"), max_length=160)

    def __init__(self, *a, actor=None, **kw):
        super().__init__(*a, **kw)
        self.fields["node"].queryset = subtree_nodes(actor)
        self.fields["node"].initial = actor.staff.node_id


class MarkPaidForm(forms.Form):
    bank_reference = forms.CharField(label=_("银行流水号"), max_length=64)


class MarkFailedForm(forms.Form):
    reason = forms.CharField(label=_("失败原因"), max_length=255)


class LedgerFilterForm(forms.Form):
    node = NodeChoiceField(label=_("工会"), queryset=UnionNode.objects.none(), required=False)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100, required=False)

    def __init__(self, *a, actor=None, **kw):
        super().__init__(*a, **kw)
        self.fields["node"].queryset = subtree_nodes(actor).exclude(level="group")
        self.fields["node"].initial = actor.staff.node_id
