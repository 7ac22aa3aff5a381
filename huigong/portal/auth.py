"""Worker sign-in helpers for any app's worker pages (/portal/...).

    from huigong.portal.auth import worker_required, current_person, current_account

    @worker_required
    def my_page(request):
        person = current_person(request)   # the signed-in worker's Person, or None before they join
"""

from __future__ import annotations

from functools import wraps

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from huigong.members.models import Person

from .models import WorkerAccount


def current_account(request) -> WorkerAccount | None:
    """The signed-in worker's account (cached on the request), or None for anonymous users and staff."""
    if hasattr(request, "_worker_account"):
        return request._worker_account
    account = None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active:
        account = WorkerAccount.objects.select_related("person").filter(user=user).first()
    request._worker_account = account
    return account


def current_person(request) -> Person | None:
    account = current_account(request)
    return account.person if account is not None else None


def login_url(next_path: str = "") -> str:
    url = reverse("portal:login")
    return f"{url}?{urlencode({'next': next_path})}" if next_path else url


def worker_required(view):
    """Signed-in worker only. Anonymous users (and staff, who have no worker account) go to the portal
    sign-in page with ?next= set to the page they asked for."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if current_account(request) is None:
            return redirect(login_url(request.get_full_path()))
        return view(request, *args, **kwargs)

    return wrapper


def consent_required(purpose: str):
    """Before a page that takes sensitive data: without a live consent to the current text of `purpose`,
    the worker is sent to the separate consent page, which continues to the page afterwards.
    Use under @worker_required."""

    def deco(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            from .selectors import consent_active

            account = current_account(request)
            if account is None:
                return redirect(login_url(request.get_full_path()))
            if not consent_active(account, purpose):
                return redirect(consent_url(purpose, request.get_full_path()))
            return view(request, *args, **kwargs)

        return wrapper

    return deco


def consent_url(purpose: str, next_path: str = "") -> str:
    url = reverse("portal:consent", args=[purpose])
    return f"{url}?{urlencode({'next': next_path})}" if next_path else url
