"""The worker's side of assistance (/portal/assistance/): my file's status, my 三助 applications, asking
for help and applying for an open programme. A worker only ever sees their own file and applications."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from huigong.core.money import fen_to_yuan, format_yuan
from huigong.portal.auth import consent_required, current_person, worker_required

from ..forms_files import to_fen, yuan_field
from ..models import AidProgramme, FileStatus, HardshipCause, HardshipFile, HelpRequest, HelpRequestStatus
from ..models.aid import ProgrammeStatus
from ..services.files import help_request_create

# Said kindly: a worker sees that the union is looking after them, not the label a sweep gave them.
KIND_STATUS = {
    FileStatus.DRAFT: gettext_lazy("工会正在核实您的家庭情况，核实后会与您联系。"),
    FileStatus.OPEN: gettext_lazy("您已纳入工会帮扶关怀，可申请下面的帮扶项目。"),
    FileStatus.CLOSED: gettext_lazy("您的家庭情况已好转，帮扶档案已办结。祝您生活顺心！"),
}
TONE = {"draft": "", "submitted": "warn", "returned": "warn", "rejected": "bad", "approved": "ok",
        "notice": "ok", "notice_ended": "ok", "paid": "ok", "withdrawn": ""}


def _live_file(person) -> HardshipFile | None:
    return (HardshipFile.objects.filter(head=person).exclude(status=FileStatus.CLOSED)
            .select_related("node").order_by("-created_at").first()
            or HardshipFile.objects.filter(head=person).order_by("-created_at").first())


def _open_programmes(file: HardshipFile | None) -> list[AidProgramme]:
    if file is None or file.status != FileStatus.OPEN:
        return []
    paths = [file.node_path[:i] for i in range(4, len(file.node_path) + 1, 4)]
    out = []
    causes = set(file.causes.values_list("cause", flat=True))
    for p in AidProgramme.objects.filter(status=ProgrammeStatus.OPEN, node_path__in=paths).order_by("kind", "name"):
        if p.eligible_levels and file.level not in p.eligible_levels:
            continue
        if p.required_causes and not causes & set(p.required_causes):
            continue
        p.amount_yuan = format_yuan(p.amount_fen)
        out.append(p)
    return out


@worker_required
@require_GET
def home(request):
    person = current_person(request)
    if person is None:
        return render(request, "assistance/portal/home.html", {"person": None})
    from ..selectors.aid import applications_for_person

    file = _live_file(person)
    applications = list(applications_for_person(person)[:20])
    applied = {a.programme_id for a in applications if a.status not in ("rejected", "withdrawn")}
    for a in applications:
        a.tone = TONE.get(a.status, "gray")
        a.amount_yuan = format_yuan(a.amount_approved_fen or a.amount_requested_fen)
    programmes = [p for p in _open_programmes(file) if p.pk not in applied]
    requests = list(HelpRequest.objects.filter(person=person).order_by("-created_at")[:5])
    return render(request, "assistance/portal/home.html", {
        "person": person, "file": file, "file_message": KIND_STATUS.get(file.status) if file else "",
        "applications": applications, "programmes": programmes, "help_requests": requests,
        "pending": any(h.status == HelpRequestStatus.NEW for h in requests),
    })


class HelpForm(forms.Form):
    situation = forms.CharField(label=gettext_lazy("请说说家里的困难"), min_length=10, max_length=2000,
                                widget=forms.Textarea(attrs={"rows": 5}))
    causes = forms.MultipleChoiceField(label=gettext_lazy("困难原因（可多选）"), choices=HardshipCause.choices,
                                       widget=forms.CheckboxSelectMultiple)
    household_size = forms.IntegerField(label=gettext_lazy("家庭人口"), min_value=1, max_value=30,
                                        widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    monthly_income_yuan = yuan_field(gettext_lazy("全家每月收入（元）"))


@worker_required
@consent_required("income")
@consent_required("health")
@require_http_methods(["GET", "POST"])
def help_request(request):
    person = current_person(request)
    if person is None:
        messages.info(request, _("入会后才能向工会申请帮扶。"))
        return redirect("assistance_portal:home")
    form = HelpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            help_request_create(person=person, user=request.user, situation=d["situation"], causes=d["causes"],
                                household_size=d["household_size"],
                                monthly_income_fen=to_fen(d["monthly_income_yuan"]))
        except ValidationError as e:
            for k, v in e.message_dict.items():
                form.add_error(k if k in form.fields else None, v)
        else:
            messages.success(request, _("已提交，工会将尽快与您联系核实情况。"))
            return redirect("assistance_portal:home")
    return render(request, "assistance/portal/help.html", {"form": form})


class ApplyForm(forms.Form):
    amount_yuan = yuan_field(gettext_lazy("申请金额（元）"))
    reason = forms.CharField(label=gettext_lazy("申请理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))


@worker_required
@require_http_methods(["GET", "POST"])
def apply(request, programme_id: int):
    """Apply for 三助 under an open programme for the worker's own open file (submitted straight away)."""
    person = current_person(request)
    file = _live_file(person) if person else None
    programme = next((p for p in _open_programmes(file) if p.pk == programme_id), None)
    if programme is None:
        raise Http404
    initial = {"amount_yuan": fen_to_yuan(programme.amount_fen)} if programme.amount_mode == "fixed" else None
    form = ApplyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        from ..services.aid import aid_application_create, aid_application_submit

        try:
            with transaction.atomic():
                app = aid_application_create(actor=request.user, programme=programme, file=file,
                                             amount_fen=to_fen(form.cleaned_data["amount_yuan"]),
                                             reason=form.cleaned_data["reason"], via_portal=True)
                aid_application_submit(actor=request.user, application=app, via_portal=True)
        except ValidationError as e:
            for k, v in e.message_dict.items():
                form.add_error("amount_yuan" if k == "amount_fen" else (k if k in form.fields else None), v)
        else:
            messages.success(request, _("申请已提交，请留意审批进度。"))
            return redirect("assistance_portal:home")
    return render(request, "assistance/portal/apply.html", {"form": form, "programme": programme})


EDITABLE = ("draft", "returned")
WITHDRAWABLE = ("draft", "submitted", "returned")


@worker_required
@require_http_methods(["GET", "POST"])
def application(request, pk: int):
    """One of the worker's own applications: a draft (or one returned for changes) can be edited, saved,
    submitted; a draft, returned or submitted one withdrawn (after a confirmation step, no script).
    Only applications on files the worker heads; anyone else's is a 404."""
    from ..selectors.aid import applications_for_person
    from ..services.aid import aid_application_submit, aid_application_update, aid_application_withdraw

    person = current_person(request)
    app = applications_for_person(person).filter(pk=pk).first() if person is not None else None
    if app is None:
        raise Http404
    editable = app.status in EDITABLE
    form = ApplyForm(request.POST if request.method == "POST" and editable else None,
                     initial={"amount_yuan": fen_to_yuan(app.amount_requested_fen), "reason": app.reason})
    action = request.POST.get("action", "")
    if request.method == "POST":
        try:
            if action == "withdraw" and app.status in WITHDRAWABLE:
                aid_application_withdraw(actor=request.user, application=app, via_portal=True)
                messages.success(request, _("申请已撤回。"))
                return redirect("assistance_portal:home")
            if action in ("save", "submit") and editable and form.is_valid():
                with transaction.atomic():
                    app = aid_application_update(actor=request.user, application=app, via_portal=True,
                                                 amount_fen=to_fen(form.cleaned_data["amount_yuan"]),
                                                 reason=form.cleaned_data["reason"])
                    if action == "submit":
                        aid_application_submit(actor=request.user, application=app, via_portal=True)
                if action == "submit":
                    messages.success(request, _("申请已提交，请留意审批进度。"))
                    return redirect("assistance_portal:home")
                messages.success(request, _("草稿已保存。"))
                return redirect("assistance_portal:application", pk=app.pk)
            if action not in ("save", "submit") or not editable:
                messages.error(request, _("该申请当前不能进行此操作。"))
                return redirect("assistance_portal:application", pk=app.pk)
        except ValidationError as e:
            if hasattr(e, "error_dict"):
                for k, v in e.message_dict.items():
                    form.add_error("amount_yuan" if k == "amount_fen" else (k if k in form.fields else None), v)
            else:
                form.add_error(None, e.messages)
    app.tone = TONE.get(app.status, "gray")
    app.amount_yuan = format_yuan(app.amount_approved_fen or app.amount_requested_fen)
    app.programme.amount_yuan = format_yuan(app.programme.amount_fen)
    returned = (app.steps.filter(decision="returned").exclude(comment="").order_by("-decided_at").first()
                if app.status == "returned" else None)
    return render(request, "assistance/portal/application.html", {
        "app": app, "form": form, "editable": editable, "withdrawable": app.status in WITHDRAWABLE,
        "confirm_withdraw": request.GET.get("withdraw") == "1" and app.status in WITHDRAWABLE,
        "returned": returned})
