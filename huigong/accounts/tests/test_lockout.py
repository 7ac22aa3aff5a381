"""Sign-in lockout in two tiers (accounts/lockout.py): per account and address, then a much higher
account-wide limit over a longer window. A stranger elsewhere cannot lock a staff member out."""

import datetime as dt

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client
from django.urls import reverse

PASSWORD = "pw-Test-12345"


def _login(addr: str, username: str, password: str = PASSWORD):
    return Client(REMOTE_ADDR=addr).post(reverse("accounts:login"), {"username": username, "password": password})


def test_a_stranger_on_another_address_cannot_lock_the_real_user_out(cast, settings):
    # Given a stranger guessing the username from their own address until they are locked out
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        last = _login("203.0.113.66", "district_staff", "wrong-password")
    assert last.status_code == 429
    # When the real user signs in from their office
    resp = _login("10.1.2.3", "district_staff")
    # Then they get in
    assert resp.status_code == 302 and resp["Location"] == reverse("console:home")


def test_repeated_failures_from_one_address_lock_that_address_even_with_the_right_password(cast, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login("203.0.113.66", "district_staff", "wrong-password")
    assert _login("203.0.113.66", "district_staff").status_code == 429


def test_guesses_spread_over_many_addresses_meet_the_account_wide_limit(cast, settings):
    settings.HUIGONG_LOGIN_USERNAME_FAILURE_LIMIT = 2 * settings.AXES_FAILURE_LIMIT
    # Each address stays below its own limit ...
    for i in range(settings.HUIGONG_LOGIN_USERNAME_FAILURE_LIMIT):
        assert _login(f"198.51.100.{i + 1}", "district_staff", "wrong-password").status_code == 200
    # ... but together they reach the account-wide one: locked from every address.
    assert _login("198.51.100.200", "district_staff").status_code == 429
    assert _login("10.1.2.3", "district_staff").status_code == 429
    # Another account is untouched.
    assert _login("198.51.100.200", "city_admin").status_code == 302


def test_the_account_wide_lock_lifts_when_the_failures_leave_the_window(cast, settings):
    settings.HUIGONG_LOGIN_USERNAME_FAILURE_LIMIT = 2 * settings.AXES_FAILURE_LIMIT
    for i in range(settings.HUIGONG_LOGIN_USERNAME_FAILURE_LIMIT):
        _login(f"198.51.100.{i + 1}", "district_staff", "wrong-password")
    assert _login("10.1.2.3", "district_staff").status_code == 429
    past = settings.HUIGONG_LOGIN_USERNAME_WINDOW + dt.timedelta(minutes=1)
    for row in AccessFailureLog.objects.filter(username="district_staff"):
        AccessFailureLog.objects.filter(pk=row.pk).update(attempt_time=row.attempt_time - past)
    assert _login("10.1.2.3", "district_staff").status_code == 302


@pytest.mark.django_db
def test_a_failed_worker_sign_in_keeps_no_phone_number(client):
    client.post("/portal/login/", {"mode": "password", "phone": "13812345678", "password": "wrong-one"})
    attempts = list(AccessAttempt.objects.values_list("username", "post_data", "get_data"))
    assert attempts, "the failure was recorded"
    assert "13812345678" not in repr(attempts)
