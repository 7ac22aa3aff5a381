"""Who must use TOTP: with HUIGONG_REQUIRE_TOTP_SENSITIVE (production's default) every role that can see
full personal data, export, approve, pay or manage accounts, and every superuser; not a viewer-only role
nor a portal worker. The same rule holds for the console and the session-authenticated API."""

import pytest
from django.test import Client
from django.urls import reverse

from huigong.accounts.selectors import totp_required_for
from huigong.portal.testing import make_worker_account, sign_in

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Test-12345"


@pytest.fixture
def sensitive(settings):
    settings.HUIGONG_REQUIRE_TOTP = False
    settings.HUIGONG_REQUIRE_TOTP_SENSITIVE = True
    return settings


@pytest.mark.parametrize("who", ["city_admin", "district_staff", "finance", "leader"])
def test_roles_that_see_export_approve_or_pay_must_enrol_at_sign_in(client, cast, sensitive, who):
    user = getattr(cast, who)
    r = client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    assert r.status_code == 302 and r["Location"].startswith(reverse("accounts:totp")), r.get("Location")
    home = client.get(reverse("console:home"))
    assert home.status_code == 302 and home["Location"].startswith(reverse("accounts:totp"))
    assert client.get("/members/").status_code == 302
    assert client.get("/api/v1/members").status_code == 403  # the session API too
    page = client.get(reverse("accounts:totp"))
    assert "本系统要求工作人员账号启用动态验证码" in page.content.decode()


def test_a_viewer_without_those_capabilities_is_not_asked(client, cast, sensitive):
    r = client.post(reverse("accounts:login"), {"username": cast.viewer.username, "password": PASSWORD})
    assert r["Location"] == reverse("console:home")
    assert client.get(reverse("console:home")).status_code == 200
    assert not totp_required_for(cast.viewer)


def test_a_superuser_is_asked(cast, sensitive):
    cast.viewer.is_superuser = True
    assert totp_required_for(cast.viewer)


def test_portal_workers_are_not_asked(cast, sensitive):
    client = Client()
    account = make_worker_account("13900000091")
    sign_in(client, account)
    assert not totp_required_for(account.user)
    assert client.get("/portal/me/").status_code == 200


def test_an_operator_can_turn_it_off_explicitly(client, cast, settings):
    settings.HUIGONG_REQUIRE_TOTP = False
    settings.HUIGONG_REQUIRE_TOTP_SENSITIVE = False
    r = client.post(reverse("accounts:login"), {"username": cast.city_admin.username, "password": PASSWORD})
    assert r["Location"] == reverse("console:home")
    assert client.get(reverse("console:home")).status_code == 200
    assert not totp_required_for(cast.city_admin)


def test_the_api_session_auth_applies_the_same_rule(cast, sensitive, rf):
    from django.core.exceptions import PermissionDenied

    from huigong.api.auth import StaffSessionAuth

    auth = StaffSessionAuth()
    for user, refused in ((cast.finance, True), (cast.viewer, False)):
        request = rf.get("/api/v1/unions")
        user.is_verified = lambda: False
        request.user = user
        if refused:
            with pytest.raises(PermissionDenied):
                auth(request)
        else:
            assert auth(request) == user
