"""Worker sign-up and sign-in: SMS codes (hashed, expiring, limited tries, throttled), passwords through
django-axes, and the wall between worker and staff pages."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from huigong.portal import services
from huigong.portal.models import SmsCode, SmsPurpose, WorkerAccount
from huigong.portal.sms import MemorySmsSender

pytestmark = pytest.mark.django_db
PHONE = "13812345678"


def test_signup_through_the_page_with_sms_code(client):
    r = client.post("/portal/signup/", {"phone": PHONE, "action": "send_code"})
    assert r.status_code == 200 and "验证码已发送" in r.content.decode()
    code = MemorySmsSender.last_code(PHONE)
    r = client.post("/portal/signup/", {"phone": PHONE, "code": code, "password": "Qz-8ab-rider", "password2": "Qz-8ab-rider",
                                        "agree": "on", "action": "signup"})
    assert r.status_code == 302 and r["Location"] == "/portal/"
    account = WorkerAccount.objects.get()
    assert account.phone == PHONE and account.phone_mask == "138****5678"
    assert PHONE not in account.user.username and not hasattr(account.user, "staff")
    assert client.get("/portal/").status_code == 200


def test_code_is_stored_hashed_and_expires(client):
    services.sms_code_send(phone=PHONE, purpose=SmsPurpose.SIGNUP)
    code = MemorySmsSender.last_code(PHONE)
    row = SmsCode.objects.get()
    assert code not in row.code_hash
    SmsCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(ValidationError) as e:
        services.account_signup(phone=PHONE, password="Qz-8ab-rider", code=code)
    assert "code" in e.value.message_dict


def test_wrong_codes_burn_the_code_after_five_tries():
    services.sms_code_send(phone=PHONE, purpose=SmsPurpose.SIGNUP)
    code = MemorySmsSender.last_code(PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(services.CODE_MAX_ATTEMPTS):
        with pytest.raises(ValidationError):
            services.account_signup(phone=PHONE, password="Qz-8ab-rider", code=wrong)
    with pytest.raises(ValidationError):  # the right code no longer works
        services.account_signup(phone=PHONE, password="Qz-8ab-rider", code=code)
    assert not WorkerAccount.objects.exists()


def test_resend_is_throttled():
    services.sms_code_send(phone=PHONE, purpose=SmsPurpose.SIGNUP)
    with pytest.raises(ValidationError) as e:
        services.sms_code_send(phone=PHONE, purpose=SmsPurpose.SIGNUP)
    assert "秒后再试" in str(e.value)
    # Older codes out of the minute window: still at most five an hour.
    SmsCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=5))
    for _ in range(4):
        services.sms_code_send(phone=PHONE, purpose=SmsPurpose.SIGNUP)
        SmsCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=5))
    with pytest.raises(ValidationError) as e:
        services.sms_code_send(phone=PHONE, purpose=SmsPurpose.SIGNUP)
    assert "本小时" in str(e.value)


def _page_text(r) -> str:
    """The page without what differs per request anyway (CSRF token, the typed phone)."""
    import re

    return re.sub(r'(csrfmiddlewaretoken" value="|value="1\d{10})[^"]*', "", r.content.decode())


def test_bad_phone_is_a_clear_error_and_signup_does_not_tell_who_is_registered(make_worker, client):
    r = client.post("/portal/signup/", {"phone": "12345", "action": "send_code"})
    assert "手机号格式不正确" in r.content.decode()
    make_worker(PHONE)
    SmsCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=5))  # out of the resend minute
    MemorySmsSender.clear()
    registered = Client().post("/portal/signup/", {"phone": PHONE, "action": "send_code"})
    unknown = Client().post("/portal/signup/", {"phone": "13812340000", "action": "send_code"})
    assert "已注册" not in registered.content.decode()
    assert _page_text(registered) == _page_text(unknown)
    # The number's owner is told by SMS (no code in it); a stranger learns nothing.
    notice = [m.text for m in MemorySmsSender.outbox if m.phone == PHONE]
    assert len(notice) == 1 and "已注册" in notice[0]
    with pytest.raises(LookupError):
        MemorySmsSender.last_code(PHONE)
    # Finishing the sign-up fails like a wrong code, not with "already registered".
    r = Client().post("/portal/signup/", {"phone": PHONE, "code": "123456", "password": "Qz-8ab-rider",
                                          "password2": "Qz-8ab-rider", "agree": "on", "action": "signup"})
    assert "验证码错误" in r.content.decode() and "已注册" not in r.content.decode()


def test_password_sign_in_and_lockout(make_worker, client):
    _account, pw = make_worker(PHONE)
    for _ in range(2):
        r = client.post("/portal/login/", {"mode": "password", "phone": PHONE, "password": "wrong-one"})
        assert "手机号或密码不正确" in r.content.decode()
    r = client.post("/portal/login/", {"mode": "password", "phone": PHONE, "password": "wrong-one"})
    assert r.status_code == 200 and "暂时锁定" in r.content.decode()  # AXES_FAILURE_LIMIT = 3 in tests
    r = client.post("/portal/login/", {"mode": "password", "phone": PHONE, "password": pw})
    assert "暂时锁定" in r.content.decode() and "_auth_user_id" not in client.session


def test_sign_in_by_sms_code(make_worker, client):
    make_worker(PHONE)
    client.post("/portal/login/", {"mode": "code", "phone": PHONE, "action": "send_code"})
    code = MemorySmsSender.last_code(PHONE)
    r = client.post("/portal/login/?next=/portal/me/", {"mode": "code", "phone": PHONE, "code": code,
                                                          "action": "login", "next": "/portal/me/"})
    assert r.status_code == 302 and r["Location"] == "/portal/me/"
    # Unknown phones get no code, and the page answers as for a registered one.
    r = Client().post("/portal/login/", {"mode": "code", "phone": "13700000000", "action": "send_code"})
    assert "尚未注册" not in r.content.decode() and "验证码已发送" in r.content.decode()
    with pytest.raises(LookupError):
        MemorySmsSender.last_code("13700000000")


def test_next_never_leaves_the_portal(make_worker, client):
    _account, pw = make_worker(PHONE)
    r = client.post("/portal/login/", {"mode": "password", "phone": PHONE, "password": pw,
                                       "next": "https://evil.example/"})
    assert r["Location"] == "/portal/"


def test_portal_pages_need_a_worker(client, cast):
    r = client.get("/portal/me/")
    assert r.status_code == 302 and r["Location"] == "/portal/login/?next=%2Fportal%2Fme%2F"
    client.force_login(cast.city_admin)  # staff have no worker account
    assert client.get("/portal/").status_code == 302


def test_workers_cannot_open_console_pages(make_worker, worker_client, settings, cast):
    settings.HUIGONG_REQUIRE_TOTP = True  # workers have no TOTP: their pages still open
    account, pw = make_worker(PHONE)
    c = worker_client(account, pw)
    assert c.get("/portal/").status_code == 200
    # No StaffProfile: console pages and the session-authenticated API answer 403.
    assert c.get("/members/").status_code == 403
    assert c.get("/org/").status_code == 403
    assert c.get("/api/v1/members").status_code == 403


def test_one_address_cannot_ask_codes_for_many_phones(monkeypatch):
    from huigong.portal import services as svc

    monkeypatch.setattr(svc, "current_ip", lambda: "203.0.113.9")
    for i in range(svc.MAX_CODES_PER_IP_HOUR):
        svc.sms_code_send(phone=f"1390000{i:04d}", purpose=SmsPurpose.SIGNUP)
    with pytest.raises(ValidationError) as e:
        svc.sms_code_send(phone="13911112222", purpose=SmsPurpose.SIGNUP)
    assert "过于频繁" in str(e.value)
