"""网上入会 in phone-sized steps: identity (after the ID-number consent) → employment → employer, platform
or area → confirm (route and any transfer shown before submitting) → the application's status page."""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from huigong.core.crypto import fernet
from huigong.members.models import NEW_EMPLOYMENT_FORMS, EmploymentForm
from huigong.orgs.forms import apply_service_errors
from huigong.orgs.models import Enterprise, EnterpriseKind, NodeLevel, UnionNode

from . import cards, join, selectors
from .auth import consent_required, current_account, worker_required
from .forms import JoinIdentityForm, JoinWorkForm
from .models import ConsentPurpose

DRAFT_KEY = "hg_join_draft"
STEPS = [("identity", gettext_lazy("身份")), ("work", gettext_lazy("工作")), ("where", gettext_lazy("单位")),
         ("confirm", gettext_lazy("确认"))]
FORM_ICONS = {EmploymentForm.RIDER: "bike", EmploymentForm.COURIER: "box", EmploymentForm.RIDE_HAILING: "car",
              EmploymentForm.TRUCK_DRIVER: "truck"}


def _steps(current: str) -> list[dict]:
    names = [s for s, _label in STEPS]
    idx = names.index(current)
    return [{"label": label, "state": "current" if i == idx else "done" if i < idx else ""}
            for i, (_s, label) in enumerate(STEPS)]


def _load(request) -> dict:
    return dict(request.session.get(DRAFT_KEY) or {})


def _save(request, data: dict) -> None:
    request.session[DRAFT_KEY] = data


def _draft(data: dict) -> join.Draft:
    """The session's draft as objects; the ID number is kept Fernet-encrypted in the session."""
    number = fernet().decrypt(data["id_enc"].encode()).decode() if data.get("id_enc") else ""
    ent = Enterprise.objects.select_related("union").filter(pk=data.get("enterprise")).first() \
        if data.get("enterprise") else None
    area = UnionNode.objects.filter(pk=data.get("area"), level=NodeLevel.DISTRICT).first() if data.get("area") else None
    is_platform = ent is not None and ent.kind == EnterpriseKind.PLATFORM
    return join.Draft(name=data.get("name", ""), id_number=number, employment_form=data.get("employment_form", ""),
                      job_title=data.get("job_title", ""), employer=None if is_platform else ent,
                      platform=ent if is_platform else None, area=area)


def _gate(request):
    """Members and workers with a pending application do not start another one."""
    account = current_account(request)
    if cards.active_membership(account) is not None and not _load(request).get("transfer"):
        return redirect("portal:me")
    pending = cards.pending_join(account)
    if pending is not None:
        return redirect("portal:join_detail", pending.pk)
    return None


@worker_required
def join_start(request):
    # A member who changed jobs starts here with ?transfer=1 (会员关系转接 to the new union).
    _save(request, {"transfer": True} if request.GET.get("transfer") else {})
    gate = _gate(request)
    if gate:
        return gate
    return render(request, "portal/join_start.html", {"tab": "services"})


@never_cache
@worker_required
@consent_required(ConsentPurpose.ID_NUMBER)
@require_http_methods(["GET", "POST"])
def join_identity(request):
    gate = _gate(request)
    if gate:
        return gate
    data = _load(request)
    initial = {"name": data.get("name", "")}
    form = JoinIdentityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            name, number = join.clean_identity(name=form.cleaned_data["name"], id_number=form.cleaned_data["id_number"])
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            data.update(name=name, id_enc=fernet().encrypt(number.encode()).decode())
            _save(request, data)
            return redirect("portal:join_work")
    return render(request, "portal/join_identity.html", {"form": form, "steps": _steps("identity"),
                                                         "has_id": bool(data.get("id_enc")), "tab": "services"})


@never_cache
@worker_required
@require_http_methods(["GET", "POST"])
def join_work(request):
    data = _load(request)
    if not data.get("id_enc"):
        return redirect("portal:join_identity")
    form = JoinWorkForm(request.POST or None, initial={"employment_form": data.get("employment_form"),
                                                        "job_title": data.get("job_title", "")})
    if request.method == "POST" and form.is_valid():
        data.update(employment_form=form.cleaned_data["employment_form"], job_title=form.cleaned_data["job_title"])
        _save(request, data)
        return redirect("portal:join_where")
    choices = [{"value": v, "label": label, "new": v in NEW_EMPLOYMENT_FORMS, "icon": FORM_ICONS.get(v, "building"),
                "checked": (form["employment_form"].value() or "") == v} for v, label in EmploymentForm.choices]
    return render(request, "portal/join_work.html", {"form": form, "choices": choices, "steps": _steps("work"),
                                                     "tab": "services"})


@never_cache
@worker_required
@require_http_methods(["GET", "POST"])
def join_where(request):
    data = _load(request)
    if not data.get("employment_form"):
        return redirect("portal:join_work")
    new_form = data["employment_form"] in NEW_EMPLOYMENT_FORMS
    if request.method == "POST":
        if request.POST.get("enterprise"):
            ent = Enterprise.objects.filter(pk=request.POST["enterprise"]).first()
            if ent is not None:
                data.update(enterprise=ent.pk, area=None)
                _save(request, data)
                return redirect("portal:join_confirm")
        elif request.POST.get("area"):
            area = UnionNode.objects.filter(pk=request.POST["area"], level=NodeLevel.DISTRICT).first()
            if area is not None:
                data.update(area=area.pk, enterprise=None)
                _save(request, data)
                return redirect("portal:join_confirm")
        flash.error(request, _("请选择单位、平台或工作区域"))
    q = (request.GET.get("q") or "").strip()
    results = selectors.enterprise_search(q, platforms_first=new_form) if q else []
    return render(request, "portal/join_where.html", {
        "q": q, "results": results, "searched": bool(q), "new_form": new_form,
        "districts": selectors.districts_for_join(), "steps": _steps("where"), "tab": "services",
        "form_label": EmploymentForm(data["employment_form"]).label,
    })


@never_cache
@worker_required
@consent_required(ConsentPurpose.ID_NUMBER)
@require_http_methods(["GET", "POST"])
def join_confirm(request):
    data = _load(request)
    if not data.get("id_enc") or not data.get("employment_form"):
        return redirect("portal:join_identity")
    if not (data.get("enterprise") or data.get("area")):
        return redirect("portal:join_where")
    account = current_account(request)
    draft = _draft(data)
    check, errors = None, []
    try:
        check = join.join_check(account=account, draft=draft)
    except ValidationError as e:
        errors = e.messages
    if request.method == "POST" and check is not None:
        try:
            app = join.join_submit(account=account, draft=draft)
        except ValidationError as e:
            errors = e.messages
        else:
            request.session.pop(DRAFT_KEY, None)
            return redirect("portal:join_detail", app.pk)
    from huigong.core import idnumber

    return render(request, "portal/join_confirm.html", {
        "draft": draft, "id_mask": idnumber.mask(draft.id_number) if draft.id_number else "",
        "form_label": EmploymentForm(draft.employment_form).label if draft.employment_form else "",
        "check": check, "errors": errors, "phone_mask": account.phone_mask, "steps": _steps("confirm"),
        "tab": "services", "linked": bool(account.person_id),
    })


@worker_required
def join_detail(request, pk: int):
    account = current_account(request)
    app = selectors.join_get_for_account(account, pk)
    return render(request, "portal/join_detail.html", {"app": app, "tab": "me",
                                                       "membership": cards.active_membership(account)})


@worker_required
@require_POST
def join_withdraw(request, pk: int):
    account = current_account(request)
    app = selectors.join_get_for_account(account, pk)
    try:
        join.join_withdraw(account=account, application=app)
    except ValidationError as e:
        flash.error(request, " ".join(e.messages))
    else:
        flash.success(request, _("已撤回入会申请"))
    return redirect("portal:join_detail", app.pk)
