"""Fixes from the portal review (numbers are the review's findings): identity takeover, oracles and
enumeration, client addresses behind a proxy, consent at every step, routing, decisions from the current
state, sign-up documents, passwords, retention, cards."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client, RequestFactory
from django.utils import timezone

from huigong.members import services as member_services
from huigong.members.models import EmploymentForm, Membership, MembershipStatus
from huigong.portal import cards, join, services
from huigong.portal.models import (
    Consent,
    ConsentText,
    JoinApplication,
    JoinStatus,
    RouteRule,
    SmsCode,
    SmsPurpose,
    WorkerAccount,
)
from huigong.portal.sms import MemorySmsSender
from huigong.portal.testing import make_worker_account, sign_in, submit_join
from huigong.testing import make_enterprise, new_id_number

pytestmark = pytest.mark.django_db


def draft(**kw):
    kw.setdefault("name", "陈骑手")
    kw.setdefault("id_number", new_id_number())
    kw.setdefault("employment_form", EmploymentForm.RIDER)
    return join.Draft(**kw)


def _consented(phone=None, person=None):
    account = make_worker_account(phone, person=person)
    services.consent_give(account=account, purpose="id_number")
    return account


def _walk_to_confirm(client, name, number, *, platform=None, area=None):
    client.post("/portal/join/identity/", {"name": name, "id_number": number})
    client.post("/portal/join/work/", {"employment_form": "rider"})
    client.post("/portal/join/where/", {"enterprise": platform.pk} if platform else {"area": area.pk})
    return client.get("/portal/join/confirm/")


# --- 1. Name + ID number do not take over someone's record ------------------------------------------

def test_1_someone_elses_id_with_another_phone_needs_in_person_verification(cast):
    victim = cast.qd_member.person  # a Qingdao member; the attacker "rides" in Hangzhou
    attacker = _consented("13911110001")
    app = join.join_submit(account=attacker, draft=draft(name=victim.name, id_number=victim.id_number,
                                                         platform=cast.platform))
    assert app.needs_verification and app.status == JoinStatus.SUBMITTED and app.transfer_from is None
    with pytest.raises(ValidationError) as e:
        join.join_accept(actor=cast.district_staff, application=app)
    assert "verification_note" in e.value.message_dict
    attacker.refresh_from_db()
    assert attacker.person is None
    assert Membership.objects.get(person=victim, status=MembershipStatus.ACTIVE) == cast.qd_member


def test_1_verified_in_person_the_transfer_waits_for_the_releasing_union(cast):
    person = cast.qd_member.person
    account = _consented("13911110002")  # a new phone number: the record still has the old one
    app = join.join_submit(account=account, draft=draft(name=person.name, id_number=person.id_number,
                                                        platform=cast.platform))
    join.join_accept(actor=cast.district_staff, application=app, verification_note="本人持身份证到服务站核验")
    app.refresh_from_db()
    account.refresh_from_db()
    assert app.status == JoinStatus.TRANSFER_REQUESTED and app.verification_note == "本人持身份证到服务站核验"
    assert account.person is None
    assert Membership.objects.get(person=person, status=MembershipStatus.ACTIVE) == cast.qd_member
    # The union holding the record confirms with its member, says how, and only then it moves and links.
    with pytest.raises(ValidationError):
        join.transfer_request_answer(actor=cast.outsider, request=app.transfer_request, accept=True)
    join.transfer_request_answer(actor=cast.outsider, request=app.transfer_request, accept=True,
                                 note="已按档案电话联系本人确认")
    account.refresh_from_db()
    assert account.person == person
    assert Membership.objects.get(person=person, status=MembershipStatus.ACTIVE).union == cast.riders


def test_1_a_former_members_phone_is_not_overwritten_without_verification(cast):
    person = cast.member.person
    member_services.membership_withdraw(actor=cast.city_admin, person=person, reason="离职")
    old_phone = person.phone
    account = _consented("13911110003")
    app = join.join_submit(account=account, draft=draft(name=person.name, id_number=person.id_number,
                                                        platform=cast.platform))
    assert app.needs_verification
    with pytest.raises(ValidationError):
        join.join_accept(actor=cast.district_staff, application=app)
    person.refresh_from_db()
    assert person.phone == old_phone and not Membership.objects.filter(person=person, status="active").exists()


def test_1_staff_page_shows_identity_unverified_and_asks_how(client, cast):
    person = cast.member.person
    app = submit_join(_consented("13911110004"), name=person.name, id_number=person.id_number,
                      platform=cast.platform)
    client.force_login(cast.district_staff)
    body = client.get(f"/portal/staff/joins/{app.pk}/").content.decode()
    assert 'data-testid="needs-verification"' in body and 'name="verification_note"' in body
    r = client.post(f"/portal/staff/joins/{app.pk}/accept/", {"verification_note": ""}, follow=True)
    assert "身份待核实" in r.content.decode()
    assert JoinApplication.objects.get(pk=app.pk).status == JoinStatus.SUBMITTED


def test_1_the_records_own_phone_links_without_staff_verification(cast):
    person = cast.member.person
    account = _consented(person.phone)
    app = join.join_submit(account=account, draft=draft(name=person.name, id_number=person.id_number,
                                                        platform=cast.platform))
    assert not app.needs_verification and app.status == JoinStatus.TRANSFER_OFFERED


def test_1_a_record_registered_after_submitting_still_needs_verification(cast, client):
    number = new_id_number()
    attacker = _consented("13911110030")
    app = join.join_submit(account=attacker, draft=draft(name="受害人", id_number=number, platform=cast.platform))
    assert not app.needs_verification  # nobody had this ID number yet
    member_services.member_register(actor=cast.city_admin, union=cast.tech, name="受害人", id_number=number,
                                    phone="13911110031")  # the real holder, registered by their union
    assert join.needs_verification(app)
    client.force_login(cast.district_staff)
    assert 'data-testid="needs-verification"' in client.get(f"/portal/staff/joins/{app.pk}/").content.decode()
    with pytest.raises(ValidationError) as e:
        join.join_accept(actor=cast.district_staff, application=app)
    assert "verification_note" in e.value.message_dict
    attacker.refresh_from_db()
    assert attacker.person is None


def test_1_api_shows_the_flag_and_accepts_only_with_a_note(cast, api_as):
    person = cast.member.person
    app = submit_join(_consented("13911110032"), name=person.name, id_number=person.id_number,
                      platform=cast.platform)
    api = api_as(cast.district_staff)
    assert api.get(f"/api/v1/join-applications/{app.pk}").json()["needs_verification"] is True
    r = api.post(f"/api/v1/join-applications/{app.pk}/accept", {})
    assert r.status_code == 422 and "verification_note" in str(r.json())
    r = api.post(f"/api/v1/join-applications/{app.pk}/accept", {"verification_note": "当面核验身份证"})
    assert r.status_code == 200 and r.json()["verification_note"] == "当面核验身份证"


# --- 2. The confirm page is no oracle ---------------------------------------------------------------

def test_2_confirm_page_says_the_same_for_a_known_and_an_unknown_id(client, cast):
    account = _consented("13911110005")
    sign_in(client, account)
    member = cast.qd_member.person
    known = _walk_to_confirm(client, member.name, member.id_number, platform=cast.platform).content.decode()
    assert "会员关系转接" not in known and cast.qd_ent.name not in known and "transfer-offer" not in known
    unknown = _walk_to_confirm(client, "陈骑手", new_id_number(), platform=cast.platform).content.decode()
    import re

    def strip(body):  # what was typed, and the CSRF token, differ anyway
        body = body.split('<dl class="p-kv">')[0] + body.split("</dl>")[1]
        return re.sub(r'csrfmiddlewaretoken" value="[^"]*', "", body)

    assert strip(known) == strip(unknown)


def test_2_pending_elsewhere_and_linked_elsewhere_get_one_generic_answer(cast):
    number = new_id_number()
    submit_join(_consented("13911110006"), id_number=number, platform=cast.platform)
    with pytest.raises(ValidationError) as e:
        join.join_check(account=_consented("13911110007"), draft=draft(id_number=number, platform=cast.platform))
    assert e.value.message_dict["id_number"] == [join.CANNOT_SUBMIT]
    assert "工会" not in e.value.message_dict["id_number"][0].split("到工会")[0]  # names no union


def test_2_an_account_tries_only_a_few_id_numbers_a_day(cast):
    account = _consented("13911110008")
    from django.core.cache import cache

    tried = [draft(platform=cast.platform) for _ in range(join.MAX_ID_NUMBERS_PER_DAY)]
    for d in tried:
        join.join_check(account=account, draft=d)
    cache.clear()  # counted in the database: every server process sees the same count
    with pytest.raises(ValidationError) as e:
        join.join_check(account=account, draft=draft(platform=cast.platform))
    assert "次数已达上限" in e.value.message_dict["id_number"][0]
    join.join_check(account=account, draft=tried[0])  # one already tried (going back and forth) still works


# --- 3. Every code request counts, refused or not -----------------------------------------------------

def test_3_requests_for_unregistered_numbers_count_towards_the_address_limit(monkeypatch):
    monkeypatch.setattr(services, "current_ip", lambda: "203.0.113.7")
    for i in range(services.MAX_CODES_PER_IP_HOUR):  # sign-in codes for numbers that have no account
        services.sms_code_send(phone=f"1360000{i:04d}", purpose=SmsPurpose.LOGIN)
    with pytest.raises(ValidationError) as e:
        services.sms_code_send(phone="13611112222", purpose=SmsPurpose.SIGNUP)
    assert "过于频繁" in str(e.value)


def test_3_one_browser_session_is_limited_too(client):
    from huigong.portal import views

    for i in range(views.MAX_SENDS_PER_SESSION_HOUR):
        client.post("/portal/login/", {"mode": "code", "phone": f"1350000{i:04d}", "action": "send_code"})
    r = client.post("/portal/login/", {"mode": "code", "phone": "13511112222", "action": "send_code"})
    assert "请求过于频繁" in r.content.decode()
    assert SmsCode.objects.count() == views.MAX_SENDS_PER_SESSION_HOUR


# --- 4. Client address behind a trusted proxy ------------------------------------------------------

def test_4_client_ip_reads_x_forwarded_for_only_behind_trusted_proxies(settings):
    from huigong.core.request_context import client_ip

    rf = RequestFactory()
    req = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4")
    settings.HUIGONG_TRUSTED_PROXIES = 0
    assert client_ip(req) == "10.0.0.2"  # no proxy: the header is the client's own word
    settings.HUIGONG_TRUSTED_PROXIES = 1
    assert client_ip(req) == "198.51.100.4"  # the entry our proxy appended, not the spoofed one
    settings.HUIGONG_TRUSTED_PROXIES = 2
    assert client_ip(req) == "6.6.6.6"
    bad = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-ip")
    settings.HUIGONG_TRUSTED_PROXIES = 1
    assert client_ip(bad) == "10.0.0.2"


def test_4_sms_rows_keep_the_forwarded_client_address(settings):
    settings.HUIGONG_TRUSTED_PROXIES = 1
    Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.9").post(
        "/portal/signup/", {"phone": "13411112222", "action": "send_code"})
    assert SmsCode.objects.get().ip == "198.51.100.9"


# --- 5. Consent at confirm and submit; withdrawing it ends what used it -----------------------------

def test_5_withdrawing_id_consent_clears_the_draft_and_confirm_asks_again(client, cast):
    account = _consented("13911110009")
    sign_in(client, account)
    _walk_to_confirm(client, "陈骑手", new_id_number(), platform=cast.platform)
    assert client.session.get("hg_join_draft", {}).get("id_enc")
    client.post("/portal/consent/id_number/withdraw/")
    assert not client.session.get("hg_join_draft")
    r = client.get("/portal/join/confirm/")
    assert r.status_code == 302 and r["Location"].startswith("/portal/consent/id_number/")


def test_5_submit_needs_a_live_consent(cast):
    account = make_worker_account("13911110010")
    with pytest.raises(ValidationError) as e:
        join.join_submit(account=account, draft=draft(platform=cast.platform))
    assert "授权" in e.value.message_dict["id_number"][0]
    assert not JoinApplication.objects.exists()


def test_5_withdrawing_id_consent_withdraws_pending_applications(cast):
    account = _consented("13911110011")
    app = join.join_submit(account=account, draft=draft(platform=cast.platform))
    effect = services.consent_withdraw(account=account, purpose="id_number")
    app.refresh_from_db()
    assert app.status == JoinStatus.WITHDRAWN and services.WITHDRAWN_JOINS_NOTE in effect


# --- 6-9. Routing and acceptance ------------------------------------------------------------------

def test_6_employer_covered_by_a_joint_union_goes_to_that_union(cast):
    shop = make_enterprise(cast.riders, "西湖小微餐饮")  # covered by the area's joint union
    r = join.join_route(employer=shop)
    assert (r.union, r.rule) == (cast.riders, RouteRule.EMPLOYER)


def test_7_one_pending_application_per_account(cast):
    account = _consented("13911110012")
    join.join_submit(account=account, draft=draft(platform=cast.platform))
    with pytest.raises(ValidationError):
        join.join_submit(account=account, draft=draft(platform=cast.platform))
    first = JoinApplication.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses it too
        JoinApplication.objects.create(account=account, name="x", id_number=new_id_number(), id_number_hash="y",
                                       id_number_mask="m", phone_mask="p", employment_form="rider",
                                       routed_to=first.routed_to, route_rule="platform")


def test_7_accept_never_relinks_an_account_to_another_person(cast):
    account = _consented("13911110013")
    app = join.join_submit(account=account, draft=draft(platform=cast.platform))
    WorkerAccount.objects.filter(pk=account.pk).update(person=cast.rider.person)  # linked meanwhile
    with pytest.raises(ValidationError) as e:
        join.join_accept(actor=cast.district_staff, application=app)
    assert "account" in e.value.message_dict
    assert WorkerAccount.objects.get(pk=account.pk).person == cast.rider.person


def test_8_membership_ended_since_applying_registers_anew(cast):
    person = cast.member.person
    app = submit_join(_consented(person.phone), name=person.name, id_number=person.id_number,
                      platform=cast.platform)
    assert app.status == JoinStatus.TRANSFER_OFFERED
    member_services.membership_withdraw(actor=cast.city_admin, person=person, reason="离职")
    join.join_accept(actor=cast.district_staff, application=app)
    assert Membership.objects.get(person=person, status=MembershipStatus.ACTIVE).union == cast.riders


def test_8_joined_elsewhere_since_applying_is_transferred(cast):
    number = new_id_number()
    account = _consented("13911110014")
    app = join.join_submit(account=account, draft=draft(name="新会员", id_number=number, platform=cast.platform))
    member_services.member_register(actor=cast.city_admin, union=cast.tech, name="新会员", id_number=number,
                                    phone="13911110014")
    join.join_accept(actor=cast.district_staff, application=app)
    active = Membership.objects.get(person__id_number_hash=app.id_number_hash, status=MembershipStatus.ACTIVE)
    assert active.union == cast.riders and active.source == "transfer"


def test_9_transfer_brings_the_new_job_onto_the_record(cast):
    person = cast.member.person
    assert person.employment_form != EmploymentForm.RIDER
    app = submit_join(_consented(person.phone), name=person.name, id_number=person.id_number,
                      employment_form=EmploymentForm.RIDER, platform=cast.platform)
    JoinApplication.objects.filter(pk=app.pk).update(job_title="配送员")
    join.join_accept(actor=cast.district_staff, application=app)
    person.refresh_from_db()
    assert (person.employment_form, person.platform, person.employer, person.job_title) == (
        EmploymentForm.RIDER, cast.platform, None, "配送员")


# --- 11, 12, 13, 17, 18, 20: account pages ----------------------------------------------------------

def test_11_signup_documents_are_real_pages_and_acceptance_is_recorded(client):
    page = client.get("/portal/signup/").content.decode()
    assert 'href="/portal/terms/"' in page and 'href="/portal/privacy/"' in page
    for url, words in (("/portal/terms/", "用户服务协议"), ("/portal/privacy/", "我们收集什么")):
        r = client.get(url)
        assert r.status_code == 200 and words in r.content.decode()
    client.post("/portal/signup/", {"phone": "13311112222", "action": "send_code"})
    code = MemorySmsSender.last_code("13311112222")
    client.post("/portal/signup/", {"phone": "13311112222", "code": code, "password": "Qz-8ab-rider",
                                    "password2": "Qz-8ab-rider", "agree": "on", "action": "signup"})
    given = {c.purpose: c.text.version for c in Consent.objects.filter(account__phone_hash=services.phone_hash(
        "13311112222"), withdrawn_at__isnull=True)}
    assert given == {"terms": 1, "privacy": 1}


def test_12_a_member_starts_a_transfer_from_my_page(client, cast):
    person = cast.member.person
    account = _consented(person.phone, person=person)
    sign_in(client, account)
    body = client.get("/portal/me/").content.decode()
    assert 'href="/portal/join/?transfer=1"' in body
    client.get("/portal/join/?transfer=1")
    r = client.get("/portal/join/identity/")
    assert r.status_code == 200 and "身份证号" in r.content.decode()


class _BrokenSender:
    def send(self, phone, text, **kwargs):
        raise ConnectionError("gateway down")


def test_13_a_failing_sms_gateway_is_a_clear_error_and_uses_up_nothing(settings, client):
    settings.HUIGONG_SMS_SENDER = "huigong.portal.tests.test_review_fixes._BrokenSender"
    with pytest.raises(ValidationError) as e:
        services.sms_code_send(phone="13211112222", purpose=SmsPurpose.SIGNUP)
    assert e.value.message_dict["phone"] == [services.SMS_FAILED]
    assert not SmsCode.objects.exists()
    r = client.post("/portal/signup/", {"phone": "13211112222", "action": "send_code"})
    assert r.status_code == 200 and "短信发送失败" in r.content.decode()


def test_17_a_newer_text_supersedes_and_decline_offers_withdrawal(client):
    account = make_worker_account("13911110015")
    sign_in(client, account)
    first = services.consent_give(account=account, purpose="health")
    ConsentText.objects.create(purpose="health", version=2, title="健康信息使用授权", text="v2", withdraw_effect="e")
    services.consent_give(account=account, purpose="health")
    first.refresh_from_db()
    assert first.superseded and first.withdrawn_at is not None
    body = client.get("/portal/me/").content.decode()
    assert "已更新为新版本" in body and "已撤回" not in body
    r = client.post("/portal/consent/health/", {"decision": "decline"})
    assert r.status_code == 200 and 'data-testid="offer-withdraw"' in r.content.decode()
    assert Consent.objects.filter(account=account, purpose="health", withdrawn_at__isnull=True).exists()


def test_18_consent_give_returns_the_live_row_when_a_concurrent_one_won(monkeypatch):
    account = make_worker_account("13911110016")
    winner = services.consent_give(account=account, purpose="income")

    def lost_race(**kw):
        raise IntegrityError("one_live_consent_per_purpose")

    monkeypatch.setattr(services, "_consent_give", lost_race)
    assert services.consent_give(account=account, purpose="income") == winner


def test_20_forgotten_password_is_reset_by_sms_code(client):
    account = make_worker_account("13911110017")
    r = client.get("/portal/login/")
    assert 'href="/portal/password/"' in r.content.decode()
    client.post("/portal/password/", {"phone": "13911110017", "action": "send_code"})
    code = MemorySmsSender.last_code("13911110017")
    r = client.post("/portal/password/", {"phone": "13911110017", "code": "000000" if code != "000000" else "111111",
                                          "password": "New-pass-2026x", "password2": "New-pass-2026x"})
    assert "验证码错误" in r.content.decode()
    r = client.post("/portal/password/", {"phone": "13911110017", "code": code, "password": "New-pass-2026x",
                                          "password2": "New-pass-2026x"})
    assert r.status_code == 302 and r["Location"] == "/portal/login/"
    account.user.refresh_from_db()
    assert account.user.check_password("New-pass-2026x")
    # A number without an account gets no code (and the page does not say so).
    r = Client().post("/portal/password/", {"phone": "13911110099", "action": "send_code"})
    assert "验证码已发送" in r.content.decode()
    with pytest.raises(LookupError):
        MemorySmsSender.last_code("13911110099")


def test_20_a_signed_in_worker_changes_the_password_from_my_page(client):
    account = make_worker_account("13911110018")
    sign_in(client, account)
    assert 'href="/portal/password/"' in client.get("/portal/me/").content.decode()
    client.post("/portal/password/", {"action": "send_code"})
    code = MemorySmsSender.last_code("13911110018")
    r = client.post("/portal/password/", {"code": code, "password": "Chg-pass-2026y", "password2": "Chg-pass-2026y"})
    assert r.status_code == 302 and r["Location"] == "/portal/me/"
    account.user.refresh_from_db()
    assert account.user.check_password("Chg-pass-2026y")
    assert client.get("/portal/me/").status_code == 200  # still signed in


# --- 14-16: staff side ------------------------------------------------------------------------------

def test_14_worker_flag_does_not_exempt_staff_from_totp(client, settings, cast):
    from huigong.accounts.middleware import WORKER_SESSION_KEY

    settings.HUIGONG_REQUIRE_TOTP = True
    client.force_login(cast.city_admin)
    session = client.session
    session[WORKER_SESSION_KEY] = True
    session.save()
    r = client.get("/members/")
    assert r.status_code == 302 and "/accounts/totp" in r["Location"]


def test_14_portal_sign_in_refuses_a_staff_user(client, cast):
    from huigong.core.crypto import mask_phone

    phone = "13911110019"
    WorkerAccount.objects.create(user=cast.city_admin, phone=phone, phone_hash=services.phone_hash(phone),
                                 phone_mask=mask_phone(phone))
    client.post("/portal/login/", {"mode": "code", "phone": phone, "action": "send_code"})
    r = client.post("/portal/login/", {"mode": "code", "phone": phone, "code": MemorySmsSender.last_code(phone),
                                       "action": "login"})
    assert r.status_code == 200 and "管理端登录" in r.content.decode()
    assert "_auth_user_id" not in client.session


def test_15_card_check_names_no_union_outside_the_scanners_subtree(client, cast):
    old = cast.rider
    token = cards.card_token(old)
    member_services.membership_transfer(actor=cast.outsider, person=old.person, to_union=cast.qd_ent,
                                        requested_by_member=True)
    client.force_login(cast.district_staff)
    body = client.get("/portal/staff/card/", {"t": token}).content.decode()
    assert "其他工会" in body and cast.qd_ent.name not in body


def test_16_card_tokens_expire_and_the_card_page_refreshes(client, cast, monkeypatch):
    import time

    from django.core import signing

    real = time.time
    monkeypatch.setattr(signing.time, "time", lambda: real() - cards.CARD_TOKEN_MAX_AGE - 60)
    stale = cards.card_token(cast.rider)
    monkeypatch.setattr(signing.time, "time", real)
    client.force_login(cast.district_staff)
    r = client.get("/portal/staff/card/", {"t": stale})
    assert r.status_code == 400 and 'data-testid="expired"' in r.content.decode()
    assert client.get("/portal/staff/card/", {"t": cards.card_token(cast.rider)}).status_code == 200
    worker = make_worker_account("13911110020", person=cast.rider.person)
    c = Client()
    sign_in(c, worker)
    page = c.get("/portal/me/").content.decode()
    # The code is renewed in place by a static script (no meta refresh: it cannot be paused, WCAG 2.2.1).
    assert f'data-card-refresh="{cards.CARD_PAGE_REFRESH}"' in page and "portal/card.js" in page
    assert 'http-equiv="refresh"' not in page and 'data-testid="card-refresh"' in page


# --- 21-23 ------------------------------------------------------------------------------------------

def test_21_purge_clears_old_id_numbers_and_codes(cast):
    from huigong.core import periodic

    assert "portal.purge" in periodic.JOBS
    old = submit_join(_consented("13911110021"), platform=cast.platform)
    join.join_reject(actor=cast.district_staff, application=old, reason="材料不全")
    recent = submit_join(_consented("13911110022"), area=cast.xihu)
    join.join_reject(actor=cast.district_staff, application=recent, reason="材料不全")
    JoinApplication.objects.filter(pk=old.pk).update(decided_at=timezone.now() - dt.timedelta(days=181))
    services.sms_code_send(phone="13911110023", purpose=SmsPurpose.SIGNUP)
    SmsCode.objects.update(created_at=timezone.now() - dt.timedelta(days=2))
    services.sms_code_send(phone="13911110024", purpose=SmsPurpose.SIGNUP)
    assert services.portal_purge() == {"sms_codes": 1, "id_numbers": 1}
    old.refresh_from_db()
    recent.refresh_from_db()
    assert not old.id_number and old.id_number_hash == "" and old.id_number_mask
    assert recent.id_number and SmsCode.objects.count() == 1
    assert services.portal_purge() == {"sms_codes": 0, "id_numbers": 0}  # idempotent


def test_22_staff_are_told_when_the_employer_is_outside_their_scope(client, cast):
    far = make_enterprise(cast.gaoxin, "青岛某小店")  # a Qingdao employer, but the worker works in 西湖区
    app = submit_join(_consented("13911110025"), employer=far, area=cast.xihu)
    assert app.routed_to == cast.riders
    client.force_login(cast.district_staff)
    body = client.get(f"/portal/staff/joins/{app.pk}/").content.decode()
    assert 'data-testid="employer-outside"' in body and "不记录该用人单位" in body


def test_23_worker_sessions_last_a_week_and_my_page_rows_say_it_once(client, cast):
    from huigong.portal import views

    account = make_worker_account("13911110026")
    client.post("/portal/login/", {"mode": "password", "phone": "13911110026", "password": "Hg-worker-2026"})
    assert client.session.get_expiry_age() == views.WORKER_SESSION_SECONDS
    submit_join(account, platform=cast.platform)
    items = cards.my_applications(account)
    assert items[0]["title"] == cast.riders.name and items[0]["kind"] == "入会申请"
