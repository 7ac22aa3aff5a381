"""Sign-in and account pages: thin views over accounts.services / accounts.selectors."""

from __future__ import annotations

from base64 import b32encode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from huigong.core.scope import require, staff_of

from . import selectors, services
from .forms import ApiTokenForm, LoginForm, PasswordChangeForm, StaffCreateForm, StaffRoleForm, TotpTokenForm
from .middleware import OTP_PENDING_SESSION_KEY
from .models import Cap, Role


def apply_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError onto the form: per field where the form has that field."""
    if hasattr(error, "error_dict"):
        for field, errs in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, error.messages)


def _safe_next(request: HttpRequest, default: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return nxt
    return default


# --- Sign-in --------------------------------------------------------------------------------------

class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        services.login_record(actor=user)
        has_device = services.totp_confirmed_device(user) is not None
        self.request.session[OTP_PENDING_SESSION_KEY] = has_device
        if has_device or selectors.totp_required_for(user):
            return redirect(f"{reverse('accounts:totp')}?{urlencode({'next': self.get_success_url()})}")
        return response

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["session_idle_minutes"] = max(1, settings.SESSION_COOKIE_AGE // 60)
        return ctx


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def totp(request: HttpRequest) -> HttpResponse:
    """One page for both steps: verify a code from the enrolled authenticator, or (when the user has
    none) enrol one by scanning the QR code and confirming its first code."""
    nxt = _safe_next(request, reverse(settings.LOGIN_REDIRECT_URL))
    device = services.totp_confirmed_device(request.user)
    if device is not None and request.user.is_verified():
        return redirect(nxt)
    form = TotpTokenForm(request.POST or None)
    if device is not None:
        if request.method == "POST" and form.is_valid():
            verified = services.totp_verify(actor=request.user, token=form.cleaned_data["token"])
            if verified is not None:
                otp_login(request, verified)
                request.session.pop(OTP_PENDING_SESSION_KEY, None)
                return redirect(nxt)
            form.add_error("token", _("验证码不正确或已过期"))
        return render(request, "accounts/totp_verify.html", {"form": form, "next": nxt})

    pending = services.totp_enrol_start(actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            confirmed = services.totp_enrol_confirm(actor=request.user, device=pending,
                                                    token=form.cleaned_data["token"])
        except ValidationError as e:
            apply_errors(form, e)
        else:
            otp_login(request, confirmed)
            request.session.pop(OTP_PENDING_SESSION_KEY, None)
            messages.success(request, _("动态验证码已启用，以后登录需输入验证码"))
            return redirect(nxt)
    secret = b32encode(pending.bin_key).decode()
    qr_svg = segno.make(pending.config_url, error="m").svg_inline(scale=4, border=2, omitsize=True)
    return render(request, "accounts/totp_enrol.html", {
        "form": form, "next": nxt, "qr_svg": mark_safe(qr_svg),
        "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "required": selectors.totp_required_for(request.user),
    })


# --- Own account ----------------------------------------------------------------------------------

@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/profile.html", {
        "totp_device": services.totp_confirmed_device(request.user),
        "session_idle_minutes": max(1, settings.SESSION_COOKIE_AGE // 60),
        "require_totp": selectors.totp_required_for(request.user),
    })


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(actor=request.user, old_password=form.cleaned_data["old_password"],
                                     new_password=form.cleaned_data["new_password1"])
        except ValidationError as e:
            if hasattr(e, "error_dict") and "password" in e.error_dict:
                form.add_error("new_password1", e.error_dict.pop("password"))
            if getattr(e, "error_dict", None):
                apply_errors(form, e)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("密码已修改"))
            return redirect("accounts:profile")
    return render(request, "accounts/password_change.html", {"form": form})


# --- Staff accounts (Cap.STAFF_MANAGE) ------------------------------------------------------------

@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    q, role, active = request.GET.get("q", ""), request.GET.get("role", ""), request.GET.get("active", "")
    qs = selectors.staff_list_for_actor(request.user, q=q, role=role, active=active)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/staff_list.html", {
        "page_obj": page, "q": q, "role": role, "active": active, "roles": Role.choices,
    })


@login_required
def staff_create(request: HttpRequest) -> HttpResponse:
    # The selector-level check: a role without STAFF_MANAGE gets 403 before seeing the form.
    manager = require(request.user, Cap.STAFF_MANAGE)
    form = StaffCreateForm(request.POST or None, root=manager.node, initial={"node": manager.node_id,
                                                                            "role": Role.STAFF})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            staff, password = services.staff_create(actor=request.user, node=d["node"], username=d["username"],
                                                    role=d["role"], display_name=d["display_name"],
                                                    password=d["password"])
        except ValidationError as e:
            apply_errors(form, e)
        else:
            # The password is shown in this response only, never stored in clear or put in a message.
            return render(request, "accounts/staff_password.html", {
                "target": staff, "password": password, "created": True,
            })
    return render(request, "accounts/staff_form.html", {"form": form})


@login_required
def staff_detail(request: HttpRequest, staff_id: int) -> HttpResponse:
    target = selectors.staff_get_for_actor(request.user, staff_id)
    manager = staff_of(request.user)
    form = StaffRoleForm(request.POST or None, root=manager.node, initial={
        "role": target.role, "node": target.node_id, "display_name": target.display_name})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.staff_update_role(actor=request.user, staff=target, role=d["role"], node=d["node"],
                                       display_name=d["display_name"])
        except ValidationError as e:
            apply_errors(form, e)
        else:
            messages.success(request, _("账号已更新"))
            return redirect("accounts:staff_detail", staff_id=target.pk)
    return render(request, "accounts/staff_detail.html", {
        "target": target, "form": form, "is_self": target.pk == manager.pk,
        "totp_device": services.totp_confirmed_device(target.user),
    })


@require_POST
@login_required
def staff_deactivate(request: HttpRequest, staff_id: int) -> HttpResponse:
    with transaction.atomic():  # the row lock of for_write lasts until the change commits
        target = selectors.staff_get_for_actor(request.user, staff_id, for_write=True)
        services.staff_deactivate(actor=request.user, staff=target)
    messages.success(request, _("账号已停用，其接口令牌已吊销"))
    return redirect("accounts:staff_detail", staff_id=target.pk)


@require_POST
@login_required
def staff_activate(request: HttpRequest, staff_id: int) -> HttpResponse:
    with transaction.atomic():  # the row lock of for_write lasts until the change commits
        target = selectors.staff_get_for_actor(request.user, staff_id, for_write=True)
        services.staff_activate(actor=request.user, staff=target)
    messages.success(request, _("账号已启用"))
    return redirect("accounts:staff_detail", staff_id=target.pk)


@require_POST
@login_required
def staff_reset_password(request: HttpRequest, staff_id: int) -> HttpResponse:
    with transaction.atomic():
        target = selectors.staff_get_for_actor(request.user, staff_id, for_write=True)
        password = services.staff_reset_password(actor=request.user, staff=target)
    return render(request, "accounts/staff_password.html", {"target": target, "password": password,
                                                            "created": False})


# --- API tokens (own) -----------------------------------------------------------------------------

@never_cache
@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    staff_of(request.user)
    form = ApiTokenForm(request.POST or None)
    created = raw_key = None
    if request.method == "POST" and form.is_valid():
        try:
            created, raw_key = services.api_token_create(actor=request.user, name=form.cleaned_data["name"])
        except ValidationError as e:
            apply_errors(form, e)
        else:
            form = ApiTokenForm()
    return render(request, "accounts/tokens.html", {
        "form": form, "tokens": selectors.api_token_list_for_actor(request.user),
        # Shown in this response only: the database keeps a hash.
        "created": created, "raw_key": raw_key,
    })


@require_POST
@login_required
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = selectors.api_token_get_for_actor(request.user, token_id)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, _("令牌“%(name)s”已吊销") % {"name": token.name})
    return redirect("accounts:tokens")
