"""Sign-in lockout (django-axes) in two tiers.

- Per account and address: AXES_FAILURE_LIMIT failures from one address lock that account on that
  address for AXES_COOLOFF_TIME. A stranger who knows a staff username cannot lock the real user out
  from another address by guessing wrong on purpose.
- Per account, every address together: HUIGONG_LOGIN_USERNAME_FAILURE_LIMIT failures (set much higher)
  within HUIGONG_LOGIN_USERNAME_WINDOW lock the account everywhere until the oldest of them age out. This
  is the slower back-off against guesses spread over many addresses; it needs many addresses and many
  more attempts before it can be turned against the real user.

Failures are read from axes' AccessFailureLog (AXES_ENABLE_ACCESS_FAILURE_LOG), which keeps one row per
failure with its time, so the account-wide window is independent of the per-address cool-off."""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessFailureLog
from django.conf import settings
from django.utils import timezone


def username_failures(username: str) -> int:
    """Failed sign-ins for `username` from every address within the account-wide window."""
    since = timezone.now() - settings.HUIGONG_LOGIN_USERNAME_WINDOW
    return AccessFailureLog.objects.filter(username=username, attempt_time__gte=since).count()


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler (AXES_LOCKOUT_PARAMETERS = username + address) plus the account-wide tier."""

    def get_failures(self, request, credentials=None) -> int:
        failures = super().get_failures(request, credentials)
        username = get_client_username(request, credentials)
        if username and username_failures(username) >= settings.HUIGONG_LOGIN_USERNAME_FAILURE_LIMIT:
            return max(failures, get_failure_limit(request, credentials))
        return failures
