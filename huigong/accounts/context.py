from django.conf import settings


def staff_context(request):
    """`staff` (the StaffProfile, or None) and the idle timeout for every template."""
    user = getattr(request, "user", None)
    staff = None
    if user is not None and user.is_authenticated:
        # Reuses the profile the view already loaded (cached on the user), so no extra query.
        staff = getattr(user, "staff", None) if hasattr(user, "staff") else None
    return {
        "staff": staff,
        "session_idle_minutes": max(1, settings.SESSION_COOKIE_AGE // 60),
    }
