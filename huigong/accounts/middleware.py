from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

# Whether this session's user has a confirmed authenticator: set at sign-in by our login view, or
# looked up once per session here (a session begun elsewhere, e.g. the Django admin's login page).
OTP_PENDING_SESSION_KEY = "hg_otp_pending"


class StaffSecurityMiddleware:
    """A signed-in session must pass TOTP verification before it reaches any console page or the
    session-authenticated API when either HUIGONG_REQUIRE_TOTP is on (enrolling a device first if the
    user has none) or the user has enrolled a device. Only sign-in, sign-out, the TOTP page itself,
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

    @staticmethod
    def has_device(request, user) -> bool:
        pending = request.session.get(OTP_PENDING_SESSION_KEY)
        if pending is None:
            from django_otp.plugins.otp_totp.models import TOTPDevice

            pending = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
            request.session[OTP_PENDING_SESSION_KEY] = pending
        return bool(pending)

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(self.open_paths())
            and (settings.HUIGONG_REQUIRE_TOTP or self.has_device(request, user))
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": _("请先完成动态验证码验证 / verify your one-time code first")},
                                    status=403)
            return redirect(f"{reverse('accounts:totp')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
