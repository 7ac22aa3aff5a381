"""Who is calling the API: an integration with a bearer token, or a signed-in staff member's
browser session (CSRF enforced on unsafe methods). Either way the actor is a Django User with a
StaffProfile; scoping and capabilities are then checked by the same selectors and services as the
pages."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from huigong.accounts.models import ApiToken
from huigong.accounts.selectors import totp_required_for
from huigong.core.scope import staff_of

TOKEN_PREFIX = "hg_"
# Writing last_used_at on every call would turn each read into a write; a minute is precise enough
# to tell a live integration from a dead one.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def _ensure_staff(user):
    # staff_of raises PermissionDenied (403) for an authenticated account that is not staff.
    staff_of(user)
    return user


class TokenAuth(HttpBearer):
    """`Authorization: Bearer hg_…`. A bad, unknown or revoked token is a 401 at once: a client that
    sends a token means to use it, so we never fall back to whatever session cookie rides along."""

    def __call__(self, request: HttpRequest):
        # Most calls carry no token (the portal's and the console's sessions): look in META before
        # HttpBearer builds request.headers from the whole environ.
        if not request.META.get("HTTP_AUTHORIZATION"):
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str):
        token = token.strip()
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            raise AuthenticationError(message=_("令牌无效"))
        row = (
            ApiToken.objects.select_related("user", "user__staff", "user__staff__node")
            .filter(key_hash=ApiToken.hash_key(token), revoked_at__isnull=True)
            .first()
        )
        if row is None or not row.user.is_active:
            raise AuthenticationError(message=_("令牌无效或已吊销"))
        now = timezone.now()
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
            # Conditional so that concurrent calls write at most once per minute between them.
            ApiToken.objects.filter(pk=row.pk).filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
            ).update(last_used_at=now)
        request.api_token = row
        return _ensure_staff(row.user)


class StaffSessionAuth(SessionAuth):
    """The console's own session. CSRF is checked by SessionAuth for unsafe methods."""

    def __call__(self, request: HttpRequest):
        # No session user: step aside before the CSRF check so an anonymous call gets a 401
        # ("sign in"), not a 403 about a CSRF token it could never have had.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        # The console middleware leaves /api/ alone, so the TOTP requirement is enforced here:
        # otherwise a password alone would reach every record through the API.
        if not (hasattr(user, "is_verified") and user.is_verified()) and totp_required_for(user):
            raise PermissionDenied(_("请先完成两步验证"))
        return _ensure_staff(user)


def actor_of(request: HttpRequest):
    return request.auth


def staff_docs_required(view):
    """The OpenAPI document and the docs page describe every route and field: staff only (a signed-in
    staff session, or a bearer token for an integration fetching the document). Anonymous visitors of
    the page are sent to sign in; the document answers 401; a worker's session 403."""

    def wrapped(request: HttpRequest, *args, **kwargs):
        from django.contrib.auth.views import redirect_to_login
        from django.http import JsonResponse

        user = None
        if request.META.get("HTTP_AUTHORIZATION"):
            try:
                user = TokenAuth()(request)
            except AuthenticationError:
                user = None
        elif getattr(request, "user", None) is not None and request.user.is_authenticated:
            user = request.user
        if user is None:
            if request.path.endswith(".json") or request.META.get("HTTP_AUTHORIZATION"):
                return JsonResponse({"detail": _("请先登录")}, status=401)
            return redirect_to_login(request.get_full_path())
        _ensure_staff(user)  # PermissionDenied → 403 for an account without a staff profile
        return view(request, *args, **kwargs)

    return wrapped
