"""Forms of the benefits pages (staff console and worker portal). Money is typed in yuan and kept in fen."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huigong.core.money import format_yuan
from huigong.core.widgets import DateInput, DateTimeInput
from huigong.members.models import EmploymentForm
from huigong.orgs.forms import EnterpriseField, NodeField, field_errors

from .models import ProgrammeKind, ProgrammeStatus, ServiceBoard


def yuan_field(label: str, *, required: bool = True, help_text: str = "") -> forms.DecimalField:
    return forms.DecimalField(label=label, max_digits=12, decimal_places=2, min_value=Decimal("0.01"),
                              required=required, help_text=help_text, error_messages=field_errors(label))


def to_fen(value: Decimal | None) -> int | None:
    return None if value is None else int((value * 100).to_integral_value())


class ProgrammeForm(forms.Form):
    title = forms.CharField(label=_("项目名称"), max_length=120, error_messages=field_errors(_("项目名称")))
    board = forms.ChoiceField(label=_("服务板块"), choices=ServiceBoard.choices,
                              error_messages=field_errors(_("服务板块")))
    kind = forms.ChoiceField(label=_("类型"), choices=ProgrammeKind.choices, error_messages=field_errors(_("类型")))
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100, error_messages=field_errors(_("年度")))
    description = forms.CharField(label=_("说明"), required=False, max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    opens_at = forms.DateTimeField(label=_("开始时间"), required=False, widget=DateTimeInput(),
                                   error_messages=field_errors(_("开始时间")))
    closes_at = forms.DateTimeField(label=_("截止时间"), required=False, widget=DateTimeInput(),
                                    error_messages=field_errors(_("截止时间")))
    quota_total = forms.IntegerField(label=_("总名额"), required=False, min_value=1, max_value=10_000_000,
                                     help_text=_("名额类必填；先办后补可选（补贴份数）"),
                                     error_messages=field_errors(_("总名额")))
    waitlist = forms.BooleanField(label=_("满额后允许候补"), required=False)
    cap_yuan = yuan_field(_("补贴上限（元）"), required=False, help_text=_("先办后补必填"))
    employment_forms = forms.MultipleChoiceField(label=_("限用工形式"), required=False, choices=EmploymentForm.choices,
                                                 widget=forms.CheckboxSelectMultiple,
                                                 help_text=_("不选则不限"))
    joined_from = forms.DateField(label=_("入会日期不早于"), required=False, widget=DateInput(),
                                  error_messages=field_errors(_("入会日期")))
    joined_to = forms.DateField(label=_("入会日期不晚于"), required=False, widget=DateInput(),
                                error_messages=field_errors(_("入会日期")))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"] = NodeField(actor=actor, label=_("主办工会"), error_messages=field_errors(_("主办工会")))
        self.order_fields(["title", "node", "board", "kind", "year"])
        self.fields["year"].initial = timezone.localdate().year

    def service_kwargs(self) -> dict:
        d = dict(self.cleaned_data)
        d["reimbursement_cap_fen"] = to_fen(d.pop("cap_yuan"))
        d["employment_forms"] = list(d.get("employment_forms") or [])
        return d


class ProgrammeEditForm(ProgrammeForm):
    """Edits a programme: everything but the owner and the kind, plus its status (draft → open → closed)."""

    status = forms.ChoiceField(label=_("状态"), choices=ProgrammeStatus.choices, error_messages=field_errors(_("状态")))

    def __init__(self, *args, programme, **kwargs):
        self.programme = programme
        initial = {"title": programme.title, "board": programme.board, "year": programme.year,
                   "description": programme.description, "quota_total": programme.quota_total,
                   "waitlist": programme.waitlist, "employment_forms": list(programme.employment_forms or []),
                   "joined_from": programme.joined_from, "joined_to": programme.joined_to,
                   "status": programme.status,
                   "opens_at": timezone.localtime(programme.opens_at) if programme.opens_at else None,
                   "closes_at": timezone.localtime(programme.closes_at) if programme.closes_at else None,
                   "cap_yuan": (Decimal(programme.reimbursement_cap_fen) / 100
                                if programme.reimbursement_cap_fen is not None else None)}
        super(ProgrammeForm, self).__init__(*args, initial=initial, **kwargs)
        del self.fields["kind"]
        if programme.kind != ProgrammeKind.REIMBURSEMENT:
            del self.fields["cap_yuan"]
        if programme.kind != ProgrammeKind.QUOTA:
            del self.fields["waitlist"]
        if programme.kind == ProgrammeKind.DISTRIBUTION:
            del self.fields["quota_total"]
        self.order_fields(["title", "board", "year", "status"])

    def changes(self) -> tuple[dict, str]:
        """The service's field changes (only what differs) and the status asked for."""
        d = dict(self.cleaned_data)
        status = d.pop("status")
        if "cap_yuan" in d:
            d["reimbursement_cap_fen"] = to_fen(d.pop("cap_yuan"))
        d["employment_forms"] = list(d.get("employment_forms") or [])
        p = self.programme
        return {k: v for k, v in d.items() if getattr(p, k) != v}, status


class SubQuotaForm(forms.Form):
    slots = forms.IntegerField(label=_("名额"), min_value=0, max_value=10_000_000, error_messages=field_errors(_("名额")))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"] = EnterpriseField(actor=actor, label=_("单位"), error_messages=field_errors(_("单位")))
        self.order_fields(["enterprise", "slots"])


class ReviewForm(forms.Form):
    approved_yuan = yuan_field(_("核定金额（元）"), required=False,
                               help_text=_("留空则按申请金额与补贴上限中较小者"))
    reason = forms.CharField(label=_("审核意见"), max_length=255, required=False,
                             error_messages=field_errors(_("审核意见")))


class PaidForm(forms.Form):
    bank_reference = forms.CharField(label=_("银行流水号"), max_length=64,
                                     error_messages=field_errors(_("银行流水号")))


class FailedForm(forms.Form):
    reason = forms.CharField(label=_("失败原因"), max_length=255, error_messages=field_errors(_("失败原因")))


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=_("走访日期"), widget=DateInput(), error_messages=field_errors(_("走访日期")))
    headcount = forms.IntegerField(label=_("慰问人数"), min_value=1, max_value=1_000_000,
                                   error_messages=field_errors(_("慰问人数")))
    goods = forms.CharField(label=_("物资"), max_length=255, error_messages=field_errors(_("物资")))
    value_yuan = forms.DecimalField(label=_("价值（元）"), max_digits=12, decimal_places=2, min_value=0,
                                    error_messages=field_errors(_("价值")))
    note = forms.CharField(label=_("备注"), max_length=255, required=False)

    def __init__(self, *args, actor, programmes, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"] = NodeField(actor=actor, label=_("记录工会"), error_messages=field_errors(_("记录工会")))
        self.fields["enterprise"] = EnterpriseField(actor=actor, label=_("走访单位"), required=False,
                                                    error_messages=field_errors(_("走访单位")))
        self.fields["site"] = forms.ModelChoiceField(label=_("或服务阵地"), queryset=sites, required=False,
                                                     empty_label=_("— 无 —"), error_messages=field_errors(_("服务阵地")))
        self.fields["programme"] = forms.ModelChoiceField(label=_("所属项目"), queryset=programmes, required=False,
                                                          empty_label=_("— 无 —"),
                                                          error_messages=field_errors(_("所属项目")))
        self.order_fields(["programme", "node", "enterprise", "site", "visited_on", "headcount", "goods",
                           "value_yuan", "note"])
        self.fields["visited_on"].initial = timezone.localdate()


class SiteProfileForm(forms.Form):
    district = forms.CharField(label=_("所在区"), max_length=40, error_messages=field_errors(_("所在区")))
    opening_hours = forms.CharField(label=_("开放时间"), max_length=120, required=False)
    offerings = forms.CharField(label=_("服务项目"), max_length=400, required=False,
                                help_text=_("用顿号或逗号分隔，例如：饮水、充电、休息"))
    boards = forms.MultipleChoiceField(label=_("服务板块"), choices=ServiceBoard.choices, required=False,
                                       widget=forms.CheckboxSelectMultiple)
    capacity = forms.IntegerField(label=_("可容纳人数"), min_value=0, max_value=100_000, required=False,
                                  error_messages=field_errors(_("可容纳人数")))
    intro = forms.CharField(label=_("简介"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def offerings_list(self) -> list[str]:
        raw = self.cleaned_data.get("offerings") or ""
        for sep in ("，", ",", "；", ";"):
            raw = raw.replace(sep, "、")
        return [s.strip() for s in raw.split("、") if s.strip()]


class UsageForm(forms.Form):
    day = forms.DateField(label=_("日期"), widget=DateInput(), error_messages=field_errors(_("日期")))
    visitors = forms.IntegerField(label=_("服务人次"), min_value=0, max_value=1_000_000,
                                  error_messages=field_errors(_("服务人次")))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].initial = timezone.localdate()


class ReimbursementSubmitForm(forms.Form):
    """The worker's form: the receipt comes from the phone's camera or files."""

    amount_yuan = yuan_field(_("金额（元）"))
    receipt = forms.FileField(label=_("票据照片或PDF"), error_messages=field_errors(_("票据")),
                              # No capture attribute: phones then offer both the camera and files (a PDF).
                              widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}))
    note = forms.CharField(label=_("说明"), max_length=255, required=False)

    def __init__(self, *args, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"] = CappedProgrammeField(label=_("补贴项目"), queryset=programmes, empty_label=None,
                                                        error_messages=field_errors(_("补贴项目")))
        self.order_fields(["programme", "amount_yuan", "receipt", "note"])
        # Each programme's cap, in yuan, under the amount (the select's labels carry it too).
        self.caps = [(p.title, format_yuan(p.reimbursement_cap_fen)) for p in programmes
                     if p.reimbursement_cap_fen is not None]

    def clean(self):
        d = super().clean()
        programme, amount = d.get("programme"), d.get("amount_yuan")
        cap = getattr(programme, "reimbursement_cap_fen", None)
        if cap is not None and amount is not None and to_fen(amount) > cap:
            self.add_error("amount_yuan", gettext("申请金额超过“%(title)s”的补贴上限 %(cap)s 元，请填写不超过 %(cap)s 元的金额。")
                           % {"title": programme.title, "cap": format_yuan(cap)})
        return d


class CappedProgrammeField(forms.ModelChoiceField):
    """A reimbursement programme named with its cap: 骑手健康证补贴（补贴上限 80.00 元）."""

    def label_from_instance(self, obj):
        if obj.reimbursement_cap_fen is None:
            return obj.title
        return gettext("%(title)s（补贴上限 %(cap)s 元）") % {"title": obj.title,
                                                          "cap": format_yuan(obj.reimbursement_cap_fen)}
