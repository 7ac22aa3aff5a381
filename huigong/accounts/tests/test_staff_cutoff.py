"""Cutting a staff account off: deactivate, activate and reset-password work through their pages (on
PostgreSQL too, where their row lock needs the view's transaction), end every session of the account
at once wherever the session engine keeps it, and revoke its API tokens."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from huigong.accounts import services
from huigong.accounts.models import UserSession
from huigong.core.models import AuditEvent

PASSWORD = "pw-Test-12345"
CACHED_DB = "django.contrib.sessions.backends.cached_db"


def _signed_in(username: str) -> Client:
    """A browser that signed in through the real sign-in page."""
    c = Client()
    resp = c.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert resp.status_code == 302, resp.content[:300]
    assert c.get(reverse("console:home")).status_code == 200
    return c


def _signed_out(c: Client) -> bool:
    resp = c.get(reverse("console:home"))
    return resp.status_code == 302 and reverse("accounts:login") in resp["Location"]


def _bearer(raw: str) -> int:
    return Client().get("/api/v1/unions", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code


def _cut_off_walk(cast, admin: Client):
    """Two browsers and a token of tech_staff; the admin deactivates, activates, resets the password."""
    target = cast.tech_staff.staff
    laptop, phone = _signed_in("tech_staff"), _signed_in("tech_staff")
    _token, raw = services.api_token_create(actor=cast.tech_staff, name="对接")
    assert _bearer(raw) == 200
    keys = [laptop.cookies["sessionid"].value, phone.cookies["sessionid"].value]

    resp = admin.post(reverse("accounts:staff_deactivate", args=[target.pk]))
    assert resp.status_code == 302
    assert not Session.objects.filter(session_key__in=keys).exists()  # gone, not merely refused
    assert _signed_out(laptop) and _signed_out(phone)
    assert _bearer(raw) == 401
    ev = AuditEvent.objects.filter(verb="staff.deactivate").latest("id")
    assert ev.new["sessions_ended"] >= 2 and ev.new["tokens_revoked"] == 1

    # Taking the account back in service does not bring the old sessions back to life.
    assert admin.post(reverse("accounts:staff_activate", args=[target.pk])).status_code == 302
    assert _signed_out(laptop) and _signed_out(phone)

    # A password reset ends the sessions opened since, and the tokens made since.
    again = _signed_in("tech_staff")
    _token2, raw2 = services.api_token_create(actor=cast.tech_staff, name="新对接")
    resp = admin.post(reverse("accounts:staff_reset_password", args=[target.pk]))
    assert resp.status_code == 200 and "tech_staff" in resp.content.decode()
    assert _signed_out(again) and _bearer(raw2) == 401
    ev = AuditEvent.objects.filter(verb="staff.reset_password").latest("id")
    assert ev.new["sessions_ended"] >= 1 and ev.new["tokens_revoked"] == 1


def test_cut_off_ends_sessions_and_tokens(cast, settings):
    settings.SESSION_ENGINE = CACHED_DB  # production's engine: sessions live in the cache and the database
    admin = Client()
    admin.force_login(cast.city_admin)
    _cut_off_walk(cast, admin)
    # The admin's own session was never touched.
    assert admin.get(reverse("console:home")).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_cut_off_works_on_postgresql_outside_a_test_transaction(on_postgres, settings):
    """Each request in autocommit, as in production: the for_write lock needs the view's own transaction
    (it answered 500 with TransactionManagementError before)."""
    from huigong.testing import Cast

    settings.SESSION_ENGINE = CACHED_DB
    cast = Cast().build()
    admin = Client()
    admin.force_login(cast.city_admin)
    _cut_off_walk(cast, admin)


def test_sessions_of_other_users_stay(cast):
    other = _signed_in("district_staff")
    target = _signed_in("tech_staff")
    services.staff_deactivate(actor=cast.city_admin, staff=cast.tech_staff.staff)
    assert _signed_out(target) and not _signed_out(other)


def test_index_forgets_ended_sessions_at_the_next_sign_in(cast):
    first = _signed_in("tech_staff")
    first.post(reverse("accounts:logout"))
    _signed_in("tech_staff")
    assert UserSession.objects.filter(user=cast.tech_staff).count() == 1


def test_outsider_cannot_cut_off_another_subtrees_staff(client, cast):
    victim = _signed_in("tech_staff")
    client.force_login(cast.outsider)
    for name in ("accounts:staff_deactivate", "accounts:staff_reset_password"):
        assert client.post(reverse(name, args=[cast.tech_staff.staff.pk])).status_code in (403, 404)
    assert not _signed_out(victim)
