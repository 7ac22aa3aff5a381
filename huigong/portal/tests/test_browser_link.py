"""我已是会员 in a real headless chromium on a phone: a member registered by her union signs up with a new
phone, says she is already a member, proves it with the SMS code sent to the phone on her record, and has
her card. Then a stranger's join with another union's member's ID number waits for that union, which
refuses on its transfer page."""

from __future__ import annotations

import pytest

from huigong.portal.sms import MemorySmsSender

PHONE_VIEWPORT = {"width": 390, "height": 844}
PASSWORD = "Qz-member-2026"


@pytest.mark.django_db(transaction=True)
def test_existing_member_links_her_account_by_the_code_sent_to_the_phone_on_record(live_server, browser, cast):
    from huigong.portal.models import WorkerAccount

    person = cast.member.person
    MemorySmsSender.clear()
    base = live_server.url
    ctx = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN", is_mobile=True, has_touch=True)
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/portal/signup/")
    page.fill("#id_phone", "13912340001")
    page.click("button[value=send_code]")
    page.wait_for_selector("text=验证码已发送")
    page.fill("#id_code", MemorySmsSender.last_code("13912340001"))
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.check("#id_agree")
    page.check("#id_is_member")
    page.click("button[value=signup]")
    page.wait_for_selector("text=身份证号使用授权")
    page.click("text=同意并继续")
    page.fill("#id_name", person.name)
    page.fill("#id_id_number", person.id_number)
    page.check("input[name=method][value=sms]")
    page.click("text=下一步")
    page.wait_for_selector("#id_code")
    page.fill("#id_code", MemorySmsSender.last_code(person.phone))
    page.click("button:has-text('绑定')")
    page.wait_for_url(f"{base}/portal/me/")
    assert WorkerAccount.objects.get(person=person).phone_mask.endswith("0001")
    ctx.close()


@pytest.mark.django_db(transaction=True)
def test_releasing_union_refuses_a_transfer_request_on_its_page(live_server, browser, cast):
    from huigong.members.models import Membership, MembershipStatus
    from huigong.portal import join, services
    from huigong.portal.models import JoinStatus
    from huigong.portal.testing import make_worker_account, submit_join

    victim = cast.qd_member.person
    attacker = make_worker_account("13912340002")
    services.consent_give(account=attacker, purpose="id_number")
    app = submit_join(attacker, name=victim.name, id_number=victim.id_number, platform=cast.platform)
    join.join_accept(actor=cast.district_staff, application=app, verification_note="看过身份证")
    app.refresh_from_db()
    base = live_server.url
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    staff = ctx.new_page()
    staff.set_default_timeout(15_000)
    staff.goto(f"{base}/accounts/login/")
    staff.fill("input[name=username]", "qd_admin")
    staff.fill("input[name=password]", "pw-Test-12345")
    staff.click("button[type=submit]")
    staff.wait_for_load_state()
    staff.goto(f"{base}/portal/staff/transfers/")
    staff.click(f"a[href='/portal/staff/transfers/{app.transfer_request_id}/']")
    staff.wait_for_selector("[data-testid=identity-unverified]")
    staff.fill("#id_note", "已电话联系本人，本人未申请转出")
    staff.click("button:has-text('不同意')")
    staff.wait_for_selector("text=已答复不同意转出")
    assert staff.inner_text("[data-testid=transfer-status]") == "原工会不同意"
    ctx.close()
    app.refresh_from_db()
    assert app.status == JoinStatus.REJECTED
    assert Membership.objects.get(person=victim, status=MembershipStatus.ACTIVE) == cast.qd_member
