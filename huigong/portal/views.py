"""Worker pages of the portal: sign-up and sign-in, home, services, messages, my page, consents.
Thin views over portal.services / portal.selectors; every read is of the signed-in worker's own rows."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth import login, logout
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from huigong.accounts import backends
from huigong.accounts.middleware import WORKER_SESSION_KEY
from huigong.orgs.forms import apply_service_errors

from . import cards, selectors, services, tiles
from .auth import current_account, worker_required
from .forms import CodeLoginForm, PasswordLoginForm, PasswordResetForm, SignupForm
from .models import SIGNUP_PURPOSES, ConsentPurpose, ConsentText, SmsPurpose


def safe_next(request, default: str = "") -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()) and nxt.startswith("/portal/"):
        return nxt
    return default or reverse("portal:home")


# A rider switching between apps keeps a signed-in session (and the join draft) for a week of inactivity;
# staff sessions keep the short console idle time.
WORKER_SESSION_SECONDS = 7 * 24 * 3600
STAFF_REFUSED = gettext_lazy("工作人员请从管理端登录")
# Code requests one browser session may make in an hour (the database also limits per phone and address).
MAX_SENDS_PER_SESSION_HOUR = 8


def _sign_in(request, account) -> bool:
    """Signs a worker in; refuses a user who is staff (their sign-in needs the console's TOTP)."""
    if hasattr(account.user, "staff"):
        return False
    login(request, account.user, backend=backends.PATH)
    request.session[WORKER_SESSION_KEY] = True
    request.session.set_expiry(WORKER_SESSION_SECONDS)
    request._worker_account = account
    return True


def _send_code(request, phone: str, purpose: str) -> None:
    """Every code request counts against this browser session too, refused ones included."""
    import time

    now = time.time()
    sends = [t for t in request.session.get("hg_sms_sends", []) if now - t < 3600]
    if len(sends) >= MAX_SENDS_PER_SESSION_HOUR:
        raise ValidationError({"phone": [_("请求过于频繁，请稍后再试")]})
    request.session["hg_sms_sends"] = [*sends, now]
    services.sms_code_send(phone=phone, purpose=purpose)


# --- Sign-up and sign-in ----------------------------------------------------------------------------

@never_cache
@require_http_methods(["GET", "POST"])
def signup(request):
    if current_account(request) is not None:
        return redirect("portal:home")
    form = SignupForm(request.POST or None)
    code_sent = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if request.POST.get("action") == "send_code":
                _send_code(request, data["phone"], SmsPurpose.SIGNUP)
                code_sent = True
            else:
                errors = {}
                if not data["agree"]:
                    errors["agree"] = [_("请阅读并同意服务协议")]
                if not data["code"]:
                    errors["code"] = [_("请输入短信验证码")]
                if not data["password"]:
                    errors["password"] = [_("请设置密码")]
                elif data["password"] != data["password2"]:
                    errors["password2"] = [_("两次输入的密码不一致")]
                if errors:
                    raise ValidationError(errors)
                account = services.account_signup(phone=data["phone"], password=data["password"], code=data["code"])
                _sign_in(request, account)  # a new account is never staff
                flash.success(request, _("注册成功，欢迎使用惠工e家"))
                if data.get("is_member"):
                    return redirect("portal:link_start")
                return redirect(safe_next(request))
        except ValidationError as e:
            apply_service_errors(form, e)
    return render(request, "portal/signup.html", {"form": form, "code_sent": code_sent,
                                                  "next": safe_next(request, "")})


def _axes_locked(request, username: str) -> bool:
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.is_locked(request, credentials={"username": username})


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    from django.contrib.auth import authenticate

    if current_account(request) is not None:
        return redirect(safe_next(request))
    mode = request.POST.get("mode") or request.GET.get("mode") or "password"
    pw_form = PasswordLoginForm(request.POST if request.method == "POST" and mode == "password" else None)
    code_form = CodeLoginForm(request.POST if request.method == "POST" and mode == "code" else None)
    code_sent = locked = False
    if request.method == "POST" and mode == "password" and pw_form.is_valid():
        try:
            phone = services.normalize_phone(pw_form.cleaned_data["phone"])
        except ValidationError as e:
            apply_service_errors(pw_form, e)
        else:
            username = services.worker_username(phone)
            if _axes_locked(request, username):
                locked = True
            else:
                # Through django-axes (AxesStandaloneBackend): failures are counted per phone and address.
                user = authenticate(request, username=username, password=pw_form.cleaned_data["password"])
                account = services.account_for_phone(phone) if user is not None else None
                if account is not None and account.user_id == user.pk:
                    if _sign_in(request, account):
                        return redirect(safe_next(request))
                    pw_form.add_error(None, STAFF_REFUSED)
                elif getattr(request, "axes_locked_out", False):
                    # Answer on the portal's own page, not the console's lockout page.
                    request.axes_locked_out = False
                    locked = True
                else:
                    pw_form.add_error(None, _("手机号或密码不正确"))
    elif request.method == "POST" and mode == "code" and code_form.is_valid():
        data = code_form.cleaned_data
        try:
            if request.POST.get("action") == "send_code":
                _send_code(request, data["phone"], SmsPurpose.LOGIN)
                code_sent = True
            else:
                if not data["code"]:
                    raise ValidationError({"code": [_("请输入短信验证码")]})
                account = services.account_login_by_code(phone=data["phone"], code=data["code"])
                if not _sign_in(request, account):
                    raise ValidationError({"code": [STAFF_REFUSED]})
                return redirect(safe_next(request))
        except ValidationError as e:
            apply_service_errors(code_form, e)
    return render(request, "portal/login.html", {
        "pw_form": pw_form, "code_form": code_form, "mode": mode, "code_sent": code_sent, "locked": locked,
        "next": safe_next(request, ""),
    })


@require_POST
def logout_view(request):
    logout(request)
    return redirect("portal:login")


# --- Home, services, messages ------------------------------------------------------------------------

@worker_required
def home(request):
    account = current_account(request)
    return render(request, "portal/home.html", {
        "tiles": tiles.home_tiles(account),
        "membership": cards.active_membership(account),
        "pending_join": cards.pending_join(account),
        "latest_messages": list(selectors.messages_for_account(account)[:3]),
        "tab": "home",
    })


@worker_required
def services_page(request):
    account = current_account(request)
    return render(request, "portal/services.html", {"groups": tiles.service_groups(account), "tab": "services"})


@worker_required
def message_list(request):
    account = current_account(request)
    items = list(selectors.messages_for_account(account)[:100])
    return render(request, "portal/messages.html", {"items": items, "tab": "messages"})


@worker_required
def message_detail(request, pk: int):
    account = current_account(request)
    message = selectors.message_get_for_account(account, pk)
    services.message_mark_read(account=account, message=message)
    return render(request, "portal/message_detail.html", {"message": message, "tab": "messages"})


@worker_required
@require_POST
def messages_read_all(request):
    services.messages_mark_all_read(account=current_account(request))
    return redirect("portal:messages")


# --- My page, card, consents -------------------------------------------------------------------------

@worker_required
def me(request):
    account = current_account(request)
    membership = cards.active_membership(account)
    return render(request, "portal/me.html", {
        "account": account, "membership": membership,
        "card_qr": cards.card_qr_svg(membership, request) if membership else "",
        "card_refresh": cards.CARD_PAGE_REFRESH,
        "applications": cards.my_applications(account),
        "consents": [c for c in selectors.consents_for_account(account) if c.purpose not in SIGNUP_PURPOSES],
        "documents": [c for c in selectors.consents_for_account(account)
                      if c.purpose in SIGNUP_PURPOSES and c.withdrawn_at is None],
        "tab": "me",
    })


@worker_required
@require_http_methods(["GET", "POST"])
def consent(request, purpose: str):
    if purpose not in ConsentPurpose.values:
        raise Http404
    account = current_account(request)
    try:
        text = services.consent_text_current(purpose)
    except ConsentText.DoesNotExist:
        raise Http404 from None
    nxt = safe_next(request, reverse("portal:me"))
    active = selectors.consent_active(account, purpose)
    if request.method == "POST":
        if request.POST.get("decision") == "agree":
            services.consent_give(account=account, purpose=purpose)
            return redirect(nxt)
        if active and purpose not in SIGNUP_PURPOSES:
            # "不同意" on a consent already given: offer to withdraw it (with its effect), not a silent no-op.
            return render(request, "portal/consent.html", {"text": text, "next": nxt, "active": True,
                                                           "offer_withdraw": True})
        flash.info(request, _("您未同意，相关服务暂时无法办理"))
        return redirect("portal:home")
    return render(request, "portal/consent.html", {"text": text, "next": nxt, "active": active})


@worker_required
@require_POST
def consent_withdraw(request, purpose: str):
    account = current_account(request)
    try:
        effect = services.consent_withdraw(account=account, purpose=purpose)
    except ValidationError as e:
        flash.error(request, " ".join(e.messages))
    else:
        if purpose == ConsentPurpose.ID_NUMBER:
            from .views_join import DRAFT_KEY

            request.session.pop(DRAFT_KEY, None)  # the encrypted ID number of an unfinished application
        flash.success(request, _("已撤回授权。") + effect)
    return redirect("portal:me")


# --- Documents agreed to at sign-up, and the password -----------------------------------------------

def document(request, purpose: str):
    """《用户服务协议》 and 《个人信息保护政策》: public pages (read before signing up)."""
    if purpose not in SIGNUP_PURPOSES:
        raise Http404
    text = services.consent_text_current(purpose)
    return render(request, "portal/document.html", {"text": text, "paragraphs": text.text.split("\n"),
                                                    "back": safe_next(request, reverse("portal:signup"))})


@never_cache
@require_http_methods(["GET", "POST"])
def password_view(request):
    """忘记密码 (signed out: any phone) and 修改密码 (signed in: the account's own phone), both confirmed by
    an SMS code to that phone."""
    account = current_account(request)
    form = PasswordResetForm(request.POST or None, fixed_phone=account.phone if account else "")
    code_sent = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        phone = account.phone if account else data["phone"]
        try:
            if request.POST.get("action") == "send_code":
                _send_code(request, phone, SmsPurpose.RESET)
                code_sent = True
            else:
                errors = {}
                if not data["code"]:
                    errors["code"] = [_("请输入短信验证码")]
                if not data["password"]:
                    errors["password"] = [_("请设置新密码")]
                elif data["password"] != data["password2"]:
                    errors["password2"] = [_("两次输入的密码不一致")]
                if errors:
                    raise ValidationError(errors)
                changed = services.account_password_reset(phone=phone, code=data["code"], password=data["password"])
                if account is not None:
                    from django.contrib.auth import update_session_auth_hash

                    update_session_auth_hash(request, changed.user)
                    flash.success(request, _("密码已修改"))
                    return redirect("portal:me")
                flash.success(request, _("密码已重设，请用新密码登录"))
                return redirect("portal:login")
        except ValidationError as e:
            apply_service_errors(form, e)
    return render(request, "portal/password.html", {"form": form, "code_sent": code_sent, "account": account,
                                                     "tab": "me" if account else ""})
