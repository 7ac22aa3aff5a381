"""TOTP (django-otp): enrolment with a QR code, verification at sign-in, and the REQUIRE setting."""

import re

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from huigong.core.models import AuditEvent

PASSWORD = "pw-Test-12345"


def code_for(device: TOTPDevice) -> str:
    """The code an authenticator app would show now for this device."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _login(client, username):
    return client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})


def test_enrolment_shows_qr_and_secret_and_needs_a_first_code(client, cast):
    client.force_login(cast.district_staff)
    resp = client.get(reverse("accounts:totp"))
    html = resp.content.decode()
    assert resp.status_code == 200 and "启用动态验证码" in html
    assert "<svg" in html and 'class="qr"' in html  # inline QR, no external image
    device = TOTPDevice.objects.get(user=cast.district_staff)
    assert device.confirmed is False
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    import base64

    assert base64.b32decode(secret) == device.bin_key
    # Reloading keeps the same pending device, so an already scanned QR code stays valid.
    client.get(reverse("accounts:totp"))
    assert TOTPDevice.objects.filter(user=cast.district_staff).count() == 1

    wrong = client.post(reverse("accounts:totp"), {"token": "000000" if code_for(device) != "000000" else "111111"})
    assert wrong.status_code == 200 and "验证码不正确或已过期" in wrong.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False

    device.refresh_from_db()
    ok = client.post(reverse("accounts:totp"), {"token": code_for(device)})
    assert ok.status_code == 302
    device.refresh_from_db()
    assert device.confirmed is True
    assert AuditEvent.objects.filter(verb="account.totp_enrol", actor=cast.district_staff).count() == 1


def test_a_user_with_a_device_must_verify_at_sign_in(client, cast):
    device = TOTPDevice.objects.create(user=cast.city_admin, name="default", confirmed=True)
    resp = _login(client, "city_admin")
    assert resp.status_code == 302 and resp["Location"].startswith(reverse("accounts:totp"))
    # Password alone reaches nothing: console pages, account pages and the session API all refuse.
    for name in ("console:home", "console:audit", "accounts:staff_list", "accounts:tokens"):
        r = client.get(reverse(name))
        assert r.status_code == 302 and r["Location"].startswith(reverse("accounts:totp")), name
    assert client.get("/api/v1/unions").status_code == 403
    page = client.get(reverse("accounts:totp"))
    assert "输入动态验证码" in page.content.decode()
    assert client.post(reverse("accounts:totp"), {"token": "12345x"}).status_code == 200
    ok = client.post(reverse("accounts:totp") + "?next=/audit/", {"token": code_for(device)})
    assert ok.status_code == 302 and ok["Location"] == "/audit/"
    assert client.get(reverse("console:home")).status_code == 200


def test_a_used_code_cannot_be_replayed(client, cast):
    device = TOTPDevice.objects.create(user=cast.city_admin, name="default", confirmed=True)
    code = code_for(device)
    _login(client, "city_admin")
    assert client.post(reverse("accounts:totp"), {"token": code}).status_code == 302
    client.post(reverse("accounts:logout"))
    _login(client, "city_admin")
    replay = client.post(reverse("accounts:totp"), {"token": code})
    assert replay.status_code == 200 and "验证码不正确或已过期" in replay.content.decode()
    assert client.get(reverse("console:home")).status_code == 302


def test_require_totp_forces_enrolment_first(client, cast, settings):
    settings.HUIGONG_REQUIRE_TOTP = True
    resp = _login(client, "tech_staff")
    assert resp.status_code == 302 and resp["Location"].startswith(reverse("accounts:totp"))
    home = client.get(reverse("console:home"))
    assert home.status_code == 302 and home["Location"].startswith(reverse("accounts:totp"))
    page = client.get(reverse("accounts:totp"))
    assert "本系统要求工作人员账号启用动态验证码" in page.content.decode()
    device = TOTPDevice.objects.get(user=cast.tech_staff, confirmed=False)
    assert client.post(reverse("accounts:totp"), {"token": code_for(device)}).status_code == 302
    assert client.get(reverse("console:home")).status_code == 200


def test_without_the_setting_a_user_without_device_is_not_bothered(client, cast, settings):
    settings.HUIGONG_REQUIRE_TOTP = False
    resp = _login(client, "tech_staff")
    assert resp["Location"] == reverse("console:home")
    assert client.get(reverse("console:home")).status_code == 200


@pytest.mark.parametrize("path", ["/static/css/console.css", "/accounts/login/"])
def test_open_paths_stay_reachable_before_verification(client, cast, settings, path):
    settings.HUIGONG_REQUIRE_TOTP = True
    client.force_login(cast.tech_staff)
    resp = client.get(path)
    assert resp.status_code != 302 or not resp["Location"].startswith(reverse("accounts:totp"))


def test_the_django_admin_login_goes_through_our_sign_in(client, cast):
    cast.city_admin.is_staff = True
    cast.city_admin.save(update_fields=["is_staff"])
    TOTPDevice.objects.create(user=cast.city_admin, name="default", confirmed=True)
    resp = client.get("/admin/login/?next=/admin/")
    assert resp.status_code == 302 and resp["Location"] == reverse("accounts:login") + "?next=/admin/"
    resp = client.post(reverse("accounts:login") + "?next=/admin/",
                       {"username": "city_admin", "password": PASSWORD, "next": "/admin/"})
    assert resp["Location"].startswith(reverse("accounts:totp"))
    for path in ("/admin/", reverse("console:home"), reverse("accounts:tokens")):
        r = client.get(path)
        assert r.status_code == 302 and r["Location"].startswith(reverse("accounts:totp")), path
