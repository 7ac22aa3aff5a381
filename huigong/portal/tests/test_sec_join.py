"""ISSUE14 High 2 and ISSUE15 1: online joining cannot take over an active member; a member of another union
moves only by a transfer request the releasing union answers (accept / refuse / deadline); 我已是会员 links
an account only by proof (an SMS code to the phone on record, or the holding union's confirmation)."""

import datetime as dt
import logging

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from huigong.core.models import AuditEvent
from huigong.members.models import EmploymentForm, Membership, MembershipStatus, TransferRequest
from huigong.portal import join, link
from huigong.portal.models import AccountLink, JoinStatus, Message, WorkerAccount
from huigong.portal.sms import MemorySmsSender
from huigong.portal.testing import make_worker_account, sign_in, submit_join

pytestmark = pytest.mark.django_db


def _consented(phone=None):
    from huigong.portal import services

    account = make_worker_account(phone)
    services.consent_give(account=account, purpose="id_number")
    return account


def _audited(verb, req, *nodes):
    paths = set(AuditEvent.objects.filter(verb=verb, object_id=str(req.pk)).values_list("node_path", flat=True))
    return all(n.path in paths for n in nodes)


# --- The takeover ---------------------------------------------------------------------------------------

def test_accepting_a_join_with_another_unions_active_member_moves_and_links_nothing(cast):
    victim = cast.qd_member.person  # A, member of a Qingdao union
    job_before = (victim.employment_form, victim.employer_id, victim.job_title)
    attacker = _consented("13911120001")  # B, with A's ID number and name
    app = submit_join(attacker, name=victim.name, id_number=victim.id_number,
                      employment_form=EmploymentForm.RIDER, platform=cast.platform)
    join.join_accept(actor=cast.district_staff, application=app, verification_note="看过身份证")
    app.refresh_from_db()
    attacker.refresh_from_db()
    victim.refresh_from_db()
    assert Membership.objects.get(person=victim, status=MembershipStatus.ACTIVE) == cast.qd_member
    assert attacker.person is None
    assert (victim.employment_form, victim.employer_id, victim.job_title) == job_before
    req = TransferRequest.objects.get(person=victim)
    assert req.is_pending and req.from_union == cast.qd_ent and req.to_union == cast.riders
    assert not req.identity_confirmed and app.status == JoinStatus.TRANSFER_REQUESTED
    assert _audited("membership.transfer_request.create", req, cast.qd_ent, cast.riders)


def test_the_same_within_staff_who_cover_both_unions_when_identity_is_unproven(cast):
    victim = cast.member.person  # tech union, also under the deciding district
    attacker = _consented("13911120002")
    app = submit_join(attacker, name=victim.name, id_number=victim.id_number, platform=cast.platform)
    join.join_accept(actor=cast.district_staff, application=app, verification_note="看过身份证")
    attacker.refresh_from_db()
    assert attacker.person is None
    assert Membership.objects.get(person=victim, status=MembershipStatus.ACTIVE) == cast.member
    assert TransferRequest.objects.get(person=victim).is_pending


def test_a_name_that_does_not_match_the_record_is_never_accepted(cast):
    victim = cast.qd_member.person
    app = submit_join(_consented("13911120003"), name="别人", id_number=victim.id_number, platform=cast.platform)
    with pytest.raises(ValidationError) as e:
        join.join_accept(actor=cast.district_staff, application=app, verification_note="看过身份证")
    assert "name" in e.value.message_dict
    assert not TransferRequest.objects.exists()


# --- The handshake --------------------------------------------------------------------------------------

def _requested(cast, *, own_phone=True):
    person = cast.qd_member.person
    account = _consented(person.phone if own_phone else "13911120010")
    app = submit_join(account, name=person.name, id_number=person.id_number, platform=cast.platform)
    join.join_accept(actor=cast.district_staff, application=app,
                     verification_note="" if own_phone else "看过身份证")
    app.refresh_from_db()
    return account, app, app.transfer_request


def test_releasing_union_accepts_then_the_membership_moves_and_the_worker_is_told(cast):
    account, app, req = _requested(cast)
    assert req.identity_confirmed
    join.transfer_request_answer(actor=cast.outsider, request=req, accept=True)
    req.refresh_from_db()
    app.refresh_from_db()
    account.refresh_from_db()
    assert req.status == "accepted" and req.transfer is not None
    assert Membership.objects.get(person=req.person, status=MembershipStatus.ACTIVE).union == cast.riders
    assert app.status == JoinStatus.ACCEPTED and account.person == req.person
    assert Message.objects.filter(account=account, title__contains="入会申请已通过").exists()
    assert _audited("membership.transfer_request.accept", req, cast.qd_ent, cast.riders)


def test_receiving_union_cannot_answer_for_the_releasing_union(cast):
    _account, _app, req = _requested(cast)
    with pytest.raises(PermissionDenied):
        join.transfer_request_answer(actor=cast.district_staff, request=req, accept=True)
    assert Membership.objects.get(person=req.person, status=MembershipStatus.ACTIVE) == cast.qd_member


def test_releasing_union_refuses_then_nothing_moves_and_the_worker_is_told(cast):
    account, app, req = _requested(cast)
    with pytest.raises(ValidationError):
        join.transfer_request_answer(actor=cast.outsider, request=req, accept=False, note="")
    join.transfer_request_answer(actor=cast.outsider, request=req, accept=False, note="会费未结清")
    app.refresh_from_db()
    account.refresh_from_db()
    assert Membership.objects.get(person=req.person, status=MembershipStatus.ACTIVE) == cast.qd_member
    assert app.status == JoinStatus.REJECTED and "会费未结清" in app.reason and account.person is None
    assert Message.objects.filter(account=account, title="会员关系转接未完成").exists()
    assert _audited("membership.transfer_request.refuse", req, cast.qd_ent, cast.riders)


def test_unproven_identity_needs_the_releasing_unions_note(cast):
    _account, _app, req = _requested(cast, own_phone=False)
    with pytest.raises(ValidationError) as e:
        join.transfer_request_answer(actor=cast.outsider, request=req, accept=True)
    assert "note" in e.value.message_dict
    assert Membership.objects.get(person=req.person, status=MembershipStatus.ACTIVE) == cast.qd_member


def test_reminder_before_and_expiry_at_the_deadline(cast, settings):
    settings.HUIGONG_TRANSFER_REQUEST_DAYS = 15
    account, app, req = _requested(cast)
    assert dt.timedelta(days=14) < req.deadline - timezone.now() <= dt.timedelta(days=15)
    assert join.join_transfers_tick() == {"expired": 0, "reminded": 0, "settled": 0}
    TransferRequest.objects.filter(pk=req.pk).update(deadline=timezone.now() + dt.timedelta(days=2))
    assert join.join_transfers_tick()["reminded"] == 1
    assert join.join_transfers_tick()["reminded"] == 0  # once
    assert AuditEvent.objects.filter(verb="membership.transfer_request.remind", node_path=cast.qd_ent.path).exists()
    TransferRequest.objects.filter(pk=req.pk).update(deadline=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(ValidationError):  # too late to answer
        join.transfer_request_answer(actor=cast.outsider, request=req, accept=True)
    assert join.join_transfers_tick() == {"expired": 1, "reminded": 0, "settled": 1}
    req.refresh_from_db()
    app.refresh_from_db()
    assert req.status == "expired" and app.status == JoinStatus.REJECTED
    assert Membership.objects.get(person=req.person, status=MembershipStatus.ACTIVE) == cast.qd_member
    assert Message.objects.filter(account=account, title="会员关系转接未完成").exists()
    assert _audited("membership.transfer_request.expire", req, cast.qd_ent, cast.riders)


def test_the_worker_withdraws_while_waiting_and_the_request_is_cancelled(cast):
    account, app, req = _requested(cast)
    join.join_withdraw(account=account, application=app)
    req.refresh_from_db()
    assert req.status == "cancelled"


# --- Pages: both sides see it, only the releasing subtree answers, outsiders see nothing ------------------

def test_transfer_pages_scope(client, cast):
    _account, _app, req = _requested(cast)
    client.force_login(cast.outsider)
    body = client.get("/portal/staff/transfers/").content.decode()
    assert f"/portal/staff/transfers/{req.pk}/" in body
    client.force_login(cast.district_staff)  # receiving side: sees its request and its status, cannot answer
    assert f"/portal/staff/transfers/{req.pk}/" in client.get("/portal/staff/transfers/?direction=in").content.decode()
    r = client.get(f"/portal/staff/transfers/{req.pk}/")
    assert r.status_code == 200 and 'data-testid="transfer-status"' in r.content.decode()
    assert "staff_transfer_accept" not in r.content.decode() and "同意转出" not in r.content.decode()
    assert client.post(f"/portal/staff/transfers/{req.pk}/accept/").status_code == 403
    client.force_login(cast.tech_staff)  # neither side
    assert f"/portal/staff/transfers/{req.pk}/" not in client.get("/portal/staff/transfers/").content.decode()
    assert client.get(f"/portal/staff/transfers/{req.pk}/").status_code == 404
    assert client.post(f"/portal/staff/transfers/{req.pk}/accept/").status_code == 404
    assert client.post(f"/portal/staff/transfers/{req.pk}/refuse/", {"note": "x"}).status_code == 404
    client.force_login(cast.outsider)
    r = client.post(f"/portal/staff/transfers/{req.pk}/accept/", {"note": ""})
    assert r.status_code == 302
    assert Membership.objects.get(person=req.person, status=MembershipStatus.ACTIVE).union == cast.riders


# --- 我已是会员 by SMS code to the phone on record ------------------------------------------------------

def test_link_by_sms_code_to_the_phone_on_record(cast, caplog):
    caplog.set_level(logging.DEBUG)
    person = cast.member.person
    account = _consented("13911120020")  # a new phone; the record has another
    lk = link.link_start(account=account, name=person.name, id_number=person.id_number, method="sms")
    code = MemorySmsSender.last_code(person.phone)
    assert account.phone_mask in MemorySmsSender.outbox[-1].text  # the member sees which account asks
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(ValidationError):
        link.link_confirm_code(account=account, link=lk, code=wrong)
    assert AuditEvent.objects.filter(verb="portal.link.code_wrong", object_id=str(lk.pk)).exists()
    assert WorkerAccount.objects.get(pk=account.pk).person is None
    link.link_confirm_code(account=account, link=lk, code=code)
    account.refresh_from_db()
    assert account.person == person
    ev = AuditEvent.objects.get(verb="portal.account.link", object_id=str(account.pk))
    assert ev.node_path == cast.tech.path and ev.new["method"] == "sms"
    assert code not in caplog.text


def test_link_codes_die_after_a_few_wrong_tries(cast):
    person = cast.member.person
    account = _consented("13911120021")
    lk = link.link_start(account=account, name=person.name, id_number=person.id_number, method="sms")
    code = MemorySmsSender.last_code(person.phone)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(ValidationError):
            link.link_confirm_code(account=account, link=lk, code=wrong)
    with pytest.raises(ValidationError):
        link.link_confirm_code(account=account, link=lk, code=code)
    assert WorkerAccount.objects.get(pk=account.pk).person is None


def test_link_with_a_wrong_name_or_unknown_number_sends_nothing_and_says_the_same(cast):
    from huigong.testing import new_id_number

    person = cast.member.person
    account = _consented("13911120022")
    a = link.link_start(account=account, name="别人", id_number=person.id_number, method="sms")
    b = link.link_start(account=account, name="谁", id_number=new_id_number(), method="sms")
    assert MemorySmsSender.outbox == []
    assert a.status == b.status == "pending" and a.person is None and b.person is None
    with pytest.raises(ValidationError):
        link.link_confirm_code(account=account, link=a, code="123456")


def test_the_accounts_own_verified_phone_is_proof(cast):
    person = cast.member.person
    account = _consented(person.phone)
    lk = link.link_start(account=account, name=person.name, id_number=person.id_number, method="sms")
    account.refresh_from_db()
    assert lk.status == "confirmed" and lk.method == "account_phone" and account.person == person


# --- 我已是会员 confirmed by the union holding the record -------------------------------------------------

def test_link_confirmed_by_the_union_holding_the_record(client, cast):
    person = cast.member.person
    account = _consented("13911120023")
    lk = link.link_start(account=account, name=person.name, id_number=person.id_number, method="union")
    assert lk.union == cast.tech and MemorySmsSender.outbox == []
    client.force_login(cast.outsider)  # another subtree: nothing to see, nothing to decide
    assert 'data-testid="link-row"' not in client.get("/portal/staff/links/").content.decode()
    assert client.post(f"/portal/staff/links/{lk.pk}/decide/", {"action": "confirm", "note": "x"}).status_code == 404
    client.force_login(cast.viewer)  # in scope, but may not write
    assert client.post(f"/portal/staff/links/{lk.pk}/decide/", {"action": "confirm", "note": "x"}).status_code == 403
    assert WorkerAccount.objects.get(pk=account.pk).person is None
    client.force_login(cast.tech_staff)
    assert 'data-testid="link-row"' in client.get("/portal/staff/links/").content.decode()
    client.post(f"/portal/staff/links/{lk.pk}/decide/", {"action": "confirm", "note": ""})
    assert WorkerAccount.objects.get(pk=account.pk).person is None  # a note of how is required
    client.post(f"/portal/staff/links/{lk.pk}/decide/", {"action": "confirm", "note": "已按档案电话联系本人确认"})
    account.refresh_from_db()
    assert account.person == person
    ev = AuditEvent.objects.get(verb="portal.account.link", object_id=str(account.pk))
    assert ev.actor == cast.tech_staff and ev.new["method"] == "union"


def test_union_refuses_or_the_request_expires_and_the_worker_is_told(cast):
    person = cast.member.person
    account = _consented("13911120024")
    lk = link.link_start(account=account, name=person.name, id_number=person.id_number, method="union")
    link.link_decide(actor=cast.tech_staff, link=lk, confirm=False, note="联系本人，本人未申请")
    assert Message.objects.filter(account=account, title="会员身份绑定未通过").exists()
    lk2 = link.link_start(account=account, name=person.name, id_number=person.id_number, method="union")
    AccountLink.objects.filter(pk=lk2.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert link.links_expire() == 1
    assert Message.objects.filter(account=account, title="会员身份绑定未能确认").exists()
    assert WorkerAccount.objects.get(pk=account.pk).person is None


# --- Worker pages: sign-up and home lead to 我已是会员 -----------------------------------------------------

def test_signup_as_member_then_link_by_code_on_the_pages(client, cast):
    person = cast.member.person
    client.post("/portal/signup/", {"phone": "13311120025", "action": "send_code"})
    code = MemorySmsSender.last_code("13311120025")
    r = client.post("/portal/signup/", {"phone": "13311120025", "code": code, "password": "Qz-8ab-rider",
                                        "password2": "Qz-8ab-rider", "agree": "on", "is_member": "on",
                                        "action": "signup"})
    assert r.status_code == 302 and "/portal/link/" in r["Location"]
    r = client.get("/portal/link/")
    if r.status_code == 302:  # the ID-number consent first
        assert "/portal/consent/id_number/" in r["Location"]
        client.post("/portal/consent/id_number/?next=/portal/link/", {"decision": "agree"})
    r = client.post("/portal/link/", {"name": person.name, "id_number": person.id_number, "method": "sms"})
    assert r.status_code == 302, r.content.decode()[:3000]
    detail = r["Location"]
    code = MemorySmsSender.last_code(person.phone)
    r = client.post(detail, {"code": code})
    assert r.status_code == 302 and r["Location"].endswith("/portal/me/")
    assert WorkerAccount.objects.filter(person=person).count() == 1


def test_home_offers_i_am_already_a_member(client, cast):
    account = make_worker_account("13911120026")
    sign_in(client, account)
    assert 'href="/portal/link/"' in client.get("/portal/").content.decode()


def test_a_worker_sees_only_their_own_link_requests(client, cast):
    person = cast.member.person
    lk = link.link_start(account=_consented("13911120027"), name=person.name, id_number=person.id_number,
                         method="union")
    sign_in(client, make_worker_account("13911120028"))
    assert client.get(f"/portal/link/{lk.pk}/").status_code == 404


def test_transfer_page_asks_how_an_unproven_identity_was_checked(client, cast):
    _account, _app, req = _requested(cast, own_phone=False)
    client.force_login(cast.outsider)
    assert 'data-testid="identity-unverified"' in client.get(f"/portal/staff/transfers/{req.pk}/").content.decode()
    r = client.post(f"/portal/staff/transfers/{req.pk}/accept/", {"note": ""})
    assert r.status_code == 400 and "申请人身份未经验证" in r.content.decode()
    assert Membership.objects.get(person=req.person, status=MembershipStatus.ACTIVE) == cast.qd_member
