"""API tokens: created by their owner, shown once, stored as a hash, revoked by the owner only."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from huigong.accounts import selectors, services
from huigong.accounts.models import ApiToken
from huigong.core.models import AuditEvent


def test_create_returns_the_raw_key_once_and_stores_only_its_hash(cast):
    token, raw = services.api_token_create(actor=cast.district_staff, name="人社数据对接")
    assert raw.startswith("hg_") and len(raw) > 40
    assert token.key_hash == ApiToken.hash_key(raw) and token.prefix == raw[:12]
    stored = ApiToken.objects.filter(pk=token.pk).values()[0]
    assert raw not in str(stored)
    ev = AuditEvent.objects.get(verb="api_token.create")
    assert raw not in str(ev.new) and ev.node_path == cast.xihu.path


def test_name_is_required(cast):
    with pytest.raises(ValidationError) as e:
        services.api_token_create(actor=cast.district_staff, name="  ")
    assert "name" in e.value.message_dict


def test_revoke_own_only(cast):
    token, _raw = services.api_token_create(actor=cast.district_staff, name="a")
    with pytest.raises(PermissionDenied):
        services.api_token_revoke(actor=cast.city_admin, token=token)
    with pytest.raises(Http404):
        selectors.api_token_get_for_actor(cast.city_admin, token.pk)
    services.api_token_revoke(actor=cast.district_staff, token=token)
    token.refresh_from_db()
    assert token.revoked_at is not None
    services.api_token_revoke(actor=cast.district_staff, token=token)  # idempotent, one audit row
    assert AuditEvent.objects.filter(verb="api_token.revoke").count() == 1


def test_a_non_staff_user_cannot_create_tokens(db, django_user_model):
    user = django_user_model.objects.create_user("plain", password="x-Long-Password-1")
    with pytest.raises(PermissionDenied):
        services.api_token_create(actor=user, name="x")


def test_tokens_page_shows_the_key_once_and_lists_only_own_tokens(client, cast):
    services.api_token_create(actor=cast.city_admin, name="别人的令牌")
    client.force_login(cast.district_staff)
    resp = client.post(reverse("accounts:tokens"), {"name": "统计对接"})
    html = resp.content.decode()
    raw = re.search(r'data-testid="raw-token">([^<]+)<', html).group(1)
    assert ApiToken.objects.get(user=cast.district_staff).key_hash == ApiToken.hash_key(raw)
    page = client.get(reverse("accounts:tokens")).content.decode()
    assert raw not in page and "统计对接" in page and "别人的令牌" not in page


def test_revoked_token_no_longer_authenticates_the_api(client, cast):
    token, raw = services.api_token_create(actor=cast.district_staff, name="x")
    api = client.get("/api/v1/unions", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.status_code == 200
    client.force_login(cast.district_staff)
    assert client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 302
    client.logout()
    assert client.get("/api/v1/unions", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_outsider_cannot_revoke_someone_elses_token(client, cast):
    token, _raw = services.api_token_create(actor=cast.district_staff, name="x")
    client.force_login(cast.outsider)
    assert client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert client.get(reverse("accounts:token_revoke", args=[token.pk])).status_code == 405
