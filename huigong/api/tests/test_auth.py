"""Who may call the API at all: bearer tokens, the console session with CSRF, and what is refused."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from huigong.accounts.models import ApiToken

from .conftest import ApiClient, make_token
from huigong.orgs.models import UnionNode

pytestmark = pytest.mark.django_db


def test_token_authenticates_and_records_last_use(cast):
    raw = make_token(cast.city_admin)
    r = ApiClient(raw).get("unions")
    assert r.status_code == 200
    assert r.json()["count"] >= 1
    token = ApiToken.objects.get(key_hash=ApiToken.hash_key(raw))
    assert token.last_used_at is not None
    assert ApiToken.objects.exclude(key_hash=ApiToken.hash_key(raw)).count() == 0


def test_last_used_is_written_at_most_once_a_minute(cast):
    raw = make_token(cast.city_admin)
    token = ApiToken.objects.get(key_hash=ApiToken.hash_key(raw))
    recent = timezone.now() - dt.timedelta(seconds=20)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    assert ApiClient(raw).get("unions").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == recent

    stale = timezone.now() - dt.timedelta(minutes=5)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=stale)
    assert ApiClient(raw).get("unions").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at > stale + dt.timedelta(minutes=4)


def test_revoked_token_is_401(cast):
    raw = make_token(cast.city_admin)
    ApiToken.objects.filter(key_hash=ApiToken.hash_key(raw)).update(revoked_at=timezone.now())
    r = ApiClient(raw).get("unions")
    assert r.status_code == 401
    assert "吊销" in r.json()["detail"] and "revoked" not in r.json()["detail"]


@pytest.mark.parametrize("raw", ["hg_not-a-real-token", "sk_live_abc", "", "hg_" + "x" * 300])
def test_bad_token_is_401(cast, raw):
    client = Client()
    r = client.get("/api/v1/unions", headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 401
    assert r["WWW-Authenticate"].startswith("Bearer")


def test_token_of_a_deactivated_user_is_401(cast):
    raw = make_token(cast.city_admin)
    get_user_model().objects.filter(pk=cast.city_admin.pk).update(is_active=False)
    assert ApiClient(raw).get("unions").status_code == 401


def test_anonymous_is_401_with_a_bilingual_message(cast):
    r = Client().get("/api/v1/members")
    assert r.status_code == 401
    assert r.json()["detail"] == "请先登录或提供令牌"


def test_anonymous_write_is_401_not_a_csrf_403(cast):
    r = Client(enforce_csrf_checks=True).post("/api/v1/unions", {}, content_type="application/json")
    assert r.status_code == 401


def test_non_staff_account_is_403_by_token_and_by_session(cast):
    user = get_user_model().objects.create_user(username="plain", password="pw-Plain-12345")
    r = ApiClient(make_token(user)).get("unions")
    assert r.status_code == 403
    assert "工作人员" in r.json()["detail"]
    client = Client()
    client.force_login(user)
    assert client.get("/api/v1/unions").status_code == 403


def test_bad_token_does_not_fall_back_to_the_session(cast):
    client = Client()
    client.force_login(cast.city_admin)
    assert client.get("/api/v1/unions").status_code == 200
    r = client.get("/api/v1/unions", headers={"Authorization": "Bearer hg_wrong"})
    assert r.status_code == 401


def test_session_reads_without_csrf(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.city_admin)
    r = client.get(f"/api/v1/unions/{cast.tech.pk}")
    assert r.status_code == 200
    assert r.json()["name"] == "杭州某科技公司工会"


def test_session_writes_need_the_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.city_admin)
    body = {"parent_id": cast.xihu.pk, "code": "API-CSRF-1", "name": "某街道工会", "level": "township"}
    r = client.post("/api/v1/unions", body, content_type="application/json")
    assert r.status_code == 403
    assert "CSRF" in r.json()["detail"]
    assert not UnionNode.objects.get_children(cast.xihu).filter(code="API-CSRF-1").exists()

    client.get("/api/v1/docs")  # sets the CSRF cookie, as the docs page and console pages do
    token = client.cookies["csrftoken"].value
    r = client.post("/api/v1/unions", body, content_type="application/json", headers={"X-CSRFToken": token})
    assert r.status_code == 201, r.content
    assert r.json()["parent_id"] == cast.xihu.pk


def test_token_writes_need_no_csrf(cast):
    client = ApiClient(make_token(cast.city_admin), Client(enforce_csrf_checks=True))
    body = {"parent_id": cast.xihu.pk, "code": "API-TOK-1", "name": "某街道工会", "level": "township"}
    assert client.post("unions", body).status_code == 201


def test_session_needs_totp_when_required(cast, settings):
    settings.HUIGONG_REQUIRE_TOTP = True
    client = Client()
    client.force_login(cast.city_admin)
    r = client.get("/api/v1/unions")
    assert r.status_code == 403
    assert "items" not in r.json()
    # Integrations authenticate with their token; the TOTP rule is about interactive sign-in.
    assert ApiClient(make_token(cast.city_admin)).get("unions").status_code == 200


def test_session_auth_itself_refuses_an_unverified_session_when_totp_is_required(cast, settings, rf):
    """Defence in depth: the console middleware also stops such sessions, but the API must not rely
    on middleware order to keep a password-only session away from personal data."""
    from django.core.exceptions import PermissionDenied

    from huigong.api.auth import StaffSessionAuth

    request = rf.get("/api/v1/unions")
    user = cast.city_admin
    user.is_verified = lambda: False
    request.user = user
    auth = StaffSessionAuth()
    assert auth(request) == user
    settings.HUIGONG_REQUIRE_TOTP = True
    with pytest.raises(PermissionDenied):
        auth(request)
    user.is_verified = lambda: True
    assert auth(request) == user
