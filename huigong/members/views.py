"""Console pages for people and memberships. Personal data is shown masked; a full value only comes
from the reveal endpoint, through person_reveal, which writes the access row."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huigong.accounts.models import Cap
from huigong.core import searchtext
from huigong.core.scope import path_in_scope, require
from huigong.orgs.forms import apply_service_errors

from . import selectors, services
from .forms import STATUS_ALL, MemberCreateForm, MemberEditForm, MemberFilterForm, TransferForm, WithdrawForm
from .models import NEW_EMPLOYMENT_FORMS, Membership, MembershipStatus, Person

MEMBERS_PER_PAGE = 50
_PK_MARK = 987654321  # stands for a row's id in a URL reversed once per page
REVEAL_PURPOSE = gettext_lazy("会员详情页查看")


@login_required
@require_http_methods(["GET", "POST"])
def member_list(request):
    """The search form POSTs: its text (maybe an ID number or phone) is kept in the session and the list
    is shown at ?s=<token>, so no number ever lands in a URL (core/searchtext.py)."""
    staff = require(request.user, Cap.VIEW)
    if request.method == "POST":
        return searchtext.redirect_with_token(request, reverse("members:list"))
    data, search_error = searchtext.query_from(request)
    form = MemberFilterForm(data or None, actor=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    status = filters.get("status") or MembershipStatus.ACTIVE
    enterprise = filters.get("enterprise")
    try:
        qs = selectors.member_list_for_actor(
            request.user, q=filters.get("q", ""), node=filters.get("node"),
            employment_form=filters.get("employment_form", ""),
            enterprise_id=enterprise.pk if enterprise else None,
            status="" if status == STATUS_ALL else status)
    except PermissionDenied as e:
        search_error = str(e)
    if search_error:  # a refused or expired search shows nothing rather than the unfiltered list
        qs = Membership.objects.none()
    page = selectors.MemberPaginator(qs, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    # What each row shows, worked out once per page: a `{% url %}` and two get_*_display calls (each a
    # translation look-up) per row were a third of the page's rendering.
    labels = {f: {str(k): str(v) for k, v in Person._meta.get_field(f).flatchoices}
              for f in ("gender", "employment_form")}
    status_labels = {str(k): str(v) for k, v in Membership._meta.get_field("status").flatchoices}
    detail_url = reverse("members:detail", args=[_PK_MARK])
    for m in page.object_list:
        p = m.person
        m.is_new_form = p.employment_form in NEW_EMPLOYMENT_FORMS
        m.detail_url = detail_url.replace(str(_PK_MARK), str(p.pk))
        m.gender_label = labels["gender"].get(p.gender, p.gender)
        m.employment_form_label = labels["employment_form"].get(p.employment_form, p.employment_form)
        m.status_label = status_labels.get(m.status, m.status)
    extra_filtered = any(filters.get(k) for k in ("node", "enterprise", "employment_form")) or \
        status != MembershipStatus.ACTIVE
    filtered = extra_filtered or bool(filters.get("q")) or bool(search_error)
    return render(request, "members/list.html", {
        "form": form, "page_obj": page, "filtered": filtered, "extra_filtered": extra_filtered, "status": status,
        "search_error": search_error,
        "can_write": staff.can(Cap.MEMBER_WRITE), "can_export": staff.can(Cap.EXPORT),
    })


@login_required
@require_GET
def member_detail(request, pk: int):
    staff = require(request.user, Cap.VIEW)
    person, membership = selectors.person_get_for_actor(request.user, pk)
    history = selectors.membership_history(person)
    transfers = selectors.person_transfers(person)
    out_of = {t.from_membership_id: t for t in transfers}
    into = {t.to_membership_id: t for t in transfers}
    withdrawn = selectors.withdraw_reasons(history)
    for m in history:
        m.withdraw_reason = withdrawn.get(m.pk, "")
        m.transfer_out = out_of.get(m.pk)
        m.transfer_in = into.get(m.pk)
        m.in_scope = path_in_scope(request.user, m.union.path)
    can_write = staff.can(Cap.MEMBER_WRITE)
    return render(request, "members/detail.html", {
        "person": person, "membership": membership, "history": history,
        "is_active": membership.status == MembershipStatus.ACTIVE,
        "can_write": can_write, "can_reveal": staff.can(Cap.PII_FULL),
        "pii": [("id_number", _("身份证号"), person.id_number_mask),
                ("phone", _("手机号"), person.phone_mask),
                ("bank_account", _("银行账号"), person.bank_account_mask)],
    })


@login_required
@require_POST
@never_cache
def member_reveal(request, pk: int, field: str):
    """One full value for an htmx swap. The access row is written by person_reveal."""
    if field not in selectors.PII_FIELDS:
        raise Http404
    person, _membership = selectors.person_get_for_actor(request.user, pk)
    values = selectors.person_reveal(request.user, person, [field], purpose=REVEAL_PURPOSE)
    return render(request, "members/_revealed.html", {"value": values[field], "field": field})


@login_required
@require_http_methods(["GET", "POST"])
def member_create(request):
    staff = require(request.user, Cap.MEMBER_WRITE)
    initial = {"union": staff.node.pk} if staff.node.can_hold_members else {}
    if request.GET.get("union"):
        initial["union"] = request.GET["union"]
    form = MemberCreateForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.member_register(actor=request.user, **form.cleaned_data)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("已登记会员：%(name)s") % {"name": membership.person.name})
            return redirect("members:detail", pk=membership.person_id)
    return render(request, "members/form.html", {"form": form, "person": None})


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request, pk: int):
    require(request.user, Cap.MEMBER_WRITE)
    person, membership = selectors.person_get_for_actor(request.user, pk)
    initial = {f: getattr(person, f) for f in ("name", "employment_form", "employer", "platform", "ethnicity",
                                               "education", "job_title", "bank_name")}
    initial["front_line"] = "" if person.front_line is None else ("1" if person.front_line else "0")
    form = MemberEditForm(request.POST or None, actor=request.user, person=person, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(actor=request.user, person=person, **form.changes())
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("已保存"))
            return redirect("members:detail", pk=person.pk)
    return render(request, "members/form.html", {"form": form, "person": person, "membership": membership})


@login_required
@require_http_methods(["GET", "POST"])
def member_transfer(request, pk: int):
    require(request.user, Cap.MEMBER_WRITE)
    person, membership = selectors.person_get_for_actor(request.user, pk)
    form = TransferForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        to_union = form.cleaned_data["to_union"]
        try:
            services.membership_transfer(actor=request.user, person=person, to_union=to_union,
                                         reason=form.cleaned_data["reason"], on=form.cleaned_data["on"])
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("已将 %(name)s 的会员关系转接至 %(union)s") % {
                "name": person.name, "union": to_union.name})
            if path_in_scope(request.user, to_union.path):
                return redirect("members:detail", pk=person.pk)
            return redirect("members:list")  # the member now belongs to another part of the tree
    return render(request, "members/transfer.html", {"form": form, "person": person, "membership": membership})


@login_required
@require_http_methods(["GET", "POST"])
def member_withdraw(request, pk: int):
    require(request.user, Cap.MEMBER_WRITE)
    person, membership = selectors.person_get_for_actor(request.user, pk)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_withdraw(actor=request.user, person=person, reason=form.cleaned_data["reason"],
                                         on=form.cleaned_data["on"])
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("已办理退会：%(name)s") % {"name": person.name})
            return redirect("members:detail", pk=person.pk)
    return render(request, "members/withdraw.html", {"form": form, "person": person, "membership": membership})
