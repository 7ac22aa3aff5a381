import time

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from huigong.core.middleware import API_PATH_PREFIX

from .selectors import totp_required_for

# Set at sign-in for a user who has a confirmed authenticator, so the check below needs no query.
# Every sign-in goes through accounts:login (the Django admin's login page redirects there).
OTP_PENDING_SESSION_KEY = "hg_otp_pending"
# Set by the workers' portal sign-in: workers (no StaffProfile) have no TOTP and no console to reach.
WORKER_SESSION_KEY = "hg_worker"


# When the session's idle timer was last pushed forward (epoch seconds, in the session itself).
SESSION_TOUCHED_KEY = "hg_touched"


class SessionTouchMiddleware:
    """Keeps the idle timeout sliding without writing the session on every request.

    Django's SESSION_SAVE_EVERY_REQUEST rewrites the session row on every request (a transaction and
    a commit each time, even for a read-only API call). Here a request marks the session for saving
    only when it was last saved more than a thirtieth of its lifetime ago (a minute for the
    30-minute console session, under six hours for a worker's week), so an idle session still ends
    within that slack of its limit. Sits right after SessionMiddleware, which saves what is marked."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not session.accessed or response.status_code >= 500 or session.is_empty():
            return response  # untouched, or no session (an unknown key loads as empty): nothing to keep
        now = int(time.time())
        if session.modified or now - session.get(SESSION_TOUCHED_KEY, 0) >= max(60, session.get_expiry_age() // 30):
            session[SESSION_TOUCHED_KEY] = now
        return response


class StaffSecurityMiddleware:
    """A signed-in session must pass TOTP verification before it reaches any console page or the
    session-authenticated API when the account's roles call for it (selectors.totp_required_for:
    enrolling a device first if the user has none) or the user has enrolled a device. Only sign-in, sign-out, the TOTP page itself,
    the language switch and static files stay open before that."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._open_paths: tuple[str, ...] | None = None

    def open_paths(self) -> tuple[str, ...]:
        if self._open_paths is None:
            self._open_paths = (
                reverse("accounts:login"), reverse("accounts:logout"), reverse("accounts:totp"),
                reverse("set_language"), settings.STATIC_URL,
            )
        return self._open_paths

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(self.open_paths())
            and not (request.session.get(WORKER_SESSION_KEY) and not hasattr(user, "staff"))
            # Last: it may cost a query (the staff profile's role), needed only for an unverified session.
            and (request.session.get(OTP_PENDING_SESSION_KEY) or totp_required_for(user))
        ):
            if request.path.startswith(API_PATH_PREFIX):
                return JsonResponse({"detail": _("请先完成动态验证码验证")},
                                    status=403)
            return redirect(f"{reverse('accounts:totp')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
