"""我已是会员 on the phone: name + ID number + how to prove it (an SMS code to the phone on the record, or
the union confirms), then the code page or the waiting page."""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from huigong.orgs.forms import apply_service_errors

from . import link as links
from .auth import consent_required, current_account, worker_required
from .forms import LinkCodeForm, LinkStartForm
from .models import AccountLink, ConsentPurpose


def _own_link(account, pk) -> AccountLink:
    try:
        return AccountLink.objects.get(pk=int(pk), account=account)
    except (AccountLink.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@never_cache
@worker_required
@consent_required(ConsentPurpose.ID_NUMBER)
@require_http_methods(["GET", "POST"])
def link_start(request):
    account = current_account(request)
    if account.person_id:
        return redirect("portal:me")
    form = LinkStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            link = links.link_start(account=account, name=form.cleaned_data["name"],
                                    id_number=form.cleaned_data["id_number"], method=form.cleaned_data["method"])
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            if link.status == "confirmed":
                flash.success(request, _("已绑定会员身份"))
                return redirect("portal:me")
            return redirect("portal:link_detail", link.pk)
    return render(request, "portal/link_start.html", {"form": form, "tab": "home"})


@never_cache
@worker_required
@require_http_methods(["GET", "POST"])
def link_detail(request, pk: int):
    account = current_account(request)
    link = _own_link(account, pk)
    form = LinkCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            links.link_confirm_code(account=account, link=link, code=form.cleaned_data["code"])
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            flash.success(request, _("已绑定会员身份"))
            return redirect("portal:me")
    return render(request, "portal/link_detail.html", {"link": link, "form": form, "tab": "home"},
                  status=400 if request.method == "POST" else 200)
