"""Sign-in: password login with lockout (django-axes), sign-out, idle session expiry, Argon2."""

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth.hashers import get_hasher, identify_hasher, make_password
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from huigong.core.models import AuditEvent

PASSWORD = "pw-Test-12345"


def _login(client, username, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_login_page_is_in_chinese_and_posts_to_itself(client, db):
    resp = client.get(reverse("accounts:login"))
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "用户名" in html and "密码" in html and 'name="csrfmiddlewaretoken"' in html
    # The idle timeout is stated on the page.
    assert f"闲置 {settings.SESSION_COOKIE_AGE // 60} 分钟后自动退出" in html


def test_correct_password_signs_in_and_is_audited(client, cast):
    resp = _login(client, "city_admin")
    assert resp.status_code == 302 and resp["Location"] == reverse("console:home")
    assert client.get(reverse("console:home")).status_code == 200
    ev = AuditEvent.objects.filter(verb="account.login").latest("id")
    assert ev.actor_id == cast.city_admin.pk and ev.node_path == cast.hangzhou.path


def test_wrong_password_shows_bilingual_error(client, cast):
    resp = _login(client, "city_admin", "wrong-password")
    assert resp.status_code == 200
    assert "用户名或密码不正确" in resp.content.decode()
    assert client.get(reverse("console:home")).status_code == 302


def test_lockout_after_failure_limit_even_with_the_right_password(client, cast):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert _login(client, "district_staff", "nope-nope-1").status_code == 200
    locked = _login(client, "district_staff", "nope-nope-1")
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "账号已临时锁定" in html and f"密码连续输错 {limit} 次" in html and "分钟后再试" in html
    # Now even the right password is refused, and no session is created.
    again = _login(client, "district_staff")
    assert again.status_code == 429
    assert client.get(reverse("console:home")).status_code == 302
    # Another account from the same address is not affected (username + IP lockout).
    assert _login(client, "city_admin").status_code == 302


def test_logout_is_post_only(client, cast):
    client.force_login(cast.city_admin)
    assert client.get(reverse("accounts:logout")).status_code == 405
    resp = client.post(reverse("accounts:logout"))
    assert resp.status_code == 302 and resp["Location"] == reverse("accounts:login")
    assert client.get(reverse("console:home")).status_code == 302


def test_session_settings_idle_timeout():
    from huigong.settings import base

    assert base.SESSION_COOKIE_AGE == 30 * 60
    # The idle timer slides through SessionTouchMiddleware, not a write on every request.
    assert base.SESSION_SAVE_EVERY_REQUEST is False
    mw = base.MIDDLEWARE
    assert mw.index("huigong.accounts.middleware.SessionTouchMiddleware") == \
        mw.index("django.contrib.sessions.middleware.SessionMiddleware") + 1
    assert base.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert base.SESSION_COOKIE_HTTPONLY is True


def _age_touch(key, seconds):
    """Moves the session's last-touched stamp `seconds` into the past."""
    from django.contrib.sessions.backends.db import SessionStore

    from huigong.accounts.middleware import SESSION_TOUCHED_KEY

    store = SessionStore(session_key=key)
    data = store.load()
    data[SESSION_TOUCHED_KEY] -= seconds
    Session.objects.filter(pk=key).update(session_data=store.encode(data))


def test_each_request_extends_the_session_and_an_idle_one_expires(client, cast):
    _login(client, "city_admin")
    key = client.session.session_key
    # Pretend the session was last saved just before the idle limit and over a minute ago: a request renews it.
    _age_touch(key, 61)
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + dt.timedelta(seconds=5))
    assert client.get(reverse("console:home")).status_code == 200
    renewed = Session.objects.get(session_key=client.session.session_key).expire_date
    assert renewed >= timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)
    # Within the minute after that, requests read the session but do not write it again.
    before = Session.objects.get(pk=key).session_data
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + dt.timedelta(seconds=5))
    assert client.get(reverse("console:home")).status_code == 200
    row = Session.objects.get(pk=key)
    assert row.session_data == before and row.expire_date <= timezone.now() + dt.timedelta(seconds=5)
    # Idle past the limit: the session is gone and the user is sent to sign in.
    Session.objects.filter(pk=client.session.session_key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    resp = client.get(reverse("console:home"))
    assert resp.status_code == 302 and resp["Location"].startswith(reverse("accounts:login"))


def test_a_touch_is_throttled_to_a_thirtieth_of_the_session_lifetime(client, db):
    """A worker's week-long session is re-saved at most every ~5.6 h; a stale cookie creates nothing."""
    from django.contrib.sessions.backends.db import SessionStore

    from huigong.accounts.middleware import SESSION_TOUCHED_KEY

    store = SessionStore()
    store["x"] = 1
    store.set_expiry(7 * 24 * 3600)
    store[SESSION_TOUCHED_KEY] = int(timezone.now().timestamp()) - 3600  # an hour ago: not yet due
    store.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
    before = Session.objects.get(pk=store.session_key).session_data
    client.get(reverse("accounts:login"))
    assert Session.objects.get(pk=store.session_key).session_data == before
    _age_touch(store.session_key, 6 * 3600)  # seven hours ago: due
    client.get(reverse("accounts:login"))
    assert Session.objects.get(pk=store.session_key).session_data != before
    # An unknown session key (expired and purged) is not brought back to life by a touch.
    n = Session.objects.count()
    client.cookies[settings.SESSION_COOKIE_NAME] = "nosuchkey" * 4
    client.get(reverse("accounts:login"))
    assert Session.objects.count() == n


def test_argon2_is_the_first_hasher_in_the_real_settings():
    from huigong.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    encoded = make_password("correct horse battery", hasher="argon2")
    assert encoded.startswith("argon2$argon2id$")
    assert identify_hasher(encoded).algorithm == get_hasher("argon2").algorithm


@pytest.mark.parametrize("name", ["accounts:profile", "accounts:password_change", "accounts:tokens",
                                  "accounts:staff_list", "accounts:staff_create", "accounts:totp"])
def test_account_pages_need_sign_in(client, db, name):
    resp = client.get(reverse(name))
    assert resp.status_code == 302 and resp["Location"].startswith(reverse("accounts:login"))


def test_open_redirect_is_refused(client, cast):
    resp = client.post(reverse("accounts:login") + "?next=https://evil.example/",
                       {"username": "city_admin", "password": PASSWORD, "next": "https://evil.example/"})
    assert resp.status_code == 302 and resp["Location"] == reverse("console:home")


def test_password_change(client, cast):
    client.force_login(cast.tech_staff)
    bad = client.post(reverse("accounts:password_change"),
                      {"old_password": "wrong", "new_password1": "x", "new_password2": "y"})
    html = bad.content.decode()
    assert bad.status_code == 200 and "当前密码不正确" in html and "两次输入的新密码不一致" in html
    weak = client.post(reverse("accounts:password_change"),
                       {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200 and "密码不符合要求" in weak.content.decode()
    ok = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": "Brand-New-Pass-42", "new_password2": "Brand-New-Pass-42"})
    assert ok.status_code == 302
    # Still signed in (session hash updated), and the new password works.
    assert client.get(reverse("accounts:profile")).status_code == 200
    cast.tech_staff.refresh_from_db()
    assert cast.tech_staff.check_password("Brand-New-Pass-42")
    assert AuditEvent.objects.filter(verb="account.password_change", actor=cast.tech_staff).count() == 1
    assert "Brand-New-Pass-42" not in str(list(AuditEvent.objects.values_list("old", "new")))


def test_profile_shows_role_node_and_totp_state(client, cast):
    client.force_login(cast.district_staff)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert "西湖区总工会" in html and "工作人员" in html and "未启用" in html
