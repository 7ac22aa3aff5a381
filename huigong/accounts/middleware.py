from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

# Paths a signed-in staff member may reach before completing TOTP verification.
_OPEN_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/api/")


class StaffSecurityMiddleware:
    """When HUIGONG_REQUIRE_TOTP is on, a staff session must be OTP-verified (enrolling a device
    first if it has none) before it reaches any console page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.HUIGONG_REQUIRE_TOTP
            and user is not None
            and user.is_authenticated
            and not request.path.startswith(_OPEN_PREFIXES)
            and not user.is_verified()
        ):
            return redirect(f"{reverse('accounts:totp')}?next={request.get_full_path()}")
        return self.get_response(request)
