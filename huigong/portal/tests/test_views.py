"""Portal pages: the join walk through the forms, my page and card, messages, consents, and who can
open what (a worker only their own rows; staff pages scoped, workers kept out)."""

import re

import pytest
from django.test import Client

from huigong.members.models import MembershipStatus
from huigong.portal import cards, join, services
from huigong.portal.models import Consent, JoinApplication, JoinStatus, Message
from huigong.portal.testing import make_worker_account, sign_in, submit_join
from huigong.testing import new_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(client):
    account = make_worker_account("13900000011")
    sign_in(client, account)
    return account


def test_join_walk_needs_consent_then_routes_a_platform_rider(client, worker, cast):
    r = client.get("/portal/join/identity/")
    assert r.status_code == 302 and r["Location"].startswith("/portal/consent/id_number/")
    r = client.get(r["Location"])
    assert "身份证号使用授权" in r.content.decode() and "撤回" in r.content.decode()
    r = client.post("/portal/consent/id_number/", {"decision": "agree", "next": "/portal/join/identity/"})
    assert r["Location"] == "/portal/join/identity/"
    assert Consent.objects.filter(account=worker, purpose="id_number", withdrawn_at__isnull=True).exists()
    number = new_id_number()
    bad = number[:17] + ("0" if number[17] != "0" else "1")
    r = client.post("/portal/join/identity/", {"name": "陈骑手", "id_number": bad})
    assert r.status_code == 200 and "身份证号校验位错误" in r.content.decode()
    r = client.post("/portal/join/identity/", {"name": "陈骑手", "id_number": number})
    assert r["Location"] == "/portal/join/work/"
    assert number not in str(dict(client.session))  # kept encrypted in the session
    r = client.post("/portal/join/work/", {"employment_form": "rider"})
    assert r["Location"] == "/portal/join/where/"
    r = client.get("/portal/join/where/", {"q": "外卖平台"})
    assert cast.platform.name in r.content.decode()
    r = client.post("/portal/join/where/", {"enterprise": cast.platform.pk})
    assert r["Location"] == "/portal/join/confirm/"
    r = client.get("/portal/join/confirm/")
    assert "西湖区骑手联合工会" in r.content.decode() and "平台企业工会" in r.content.decode()
    r = client.post("/portal/join/confirm/")
    app = JoinApplication.objects.get()
    assert r["Location"] == f"/portal/join/{app.pk}/" and app.routed_to == cast.riders
    assert "待审核" in client.get(r["Location"]).content.decode()


def test_area_join_and_transfer_offer_on_the_confirm_page(client, cast):
    person = cast.member.person
    worker = make_worker_account(person.phone)  # the member's own phone: the record is provably theirs
    sign_in(client, worker)
    services.consent_give(account=worker, purpose="id_number")
    client.post("/portal/join/identity/", {"name": person.name, "id_number": person.id_number})
    client.post("/portal/join/work/", {"employment_form": "courier"})
    client.post("/portal/join/where/", {"area": cast.xihu.pk})
    body = client.get("/portal/join/confirm/").content.decode()
    assert "会员关系转接" in body and "杭州某科技公司工会" in body
    client.post("/portal/join/confirm/")
    app = JoinApplication.objects.get()
    assert app.status == JoinStatus.TRANSFER_OFFERED and app.route_rule == "area_joint"


def test_my_page_shows_card_with_signed_qr_and_applications(client, worker, cast):
    app = submit_join(worker, platform=cast.platform)
    join.join_accept(actor=cast.district_staff, application=app)
    body = client.get("/portal/me/").content.decode()
    worker.refresh_from_db()
    m = cards.active_membership(worker)
    assert m.card_no in body and "<svg" in body and "西湖区骑手联合工会" in body
    assert worker.person.id_number not in body
    token = cards.card_token(m)
    assert cards.card_token_read(token) == m.pk
    assert "已入会" in body
    # Home greets the member and no longer offers joining.
    home = client.get("/portal/").content.decode()
    assert "马上入会" not in home and m.person.name in home


def test_messages_unread_badge_and_reading(client, worker, cast):
    msg = services.message_send(account=worker, title="测试通知", body="内容")
    body = client.get("/portal/").content.decode()
    assert re.search(r'data-testid="unread">1<', body)
    assert "测试通知" in client.get(f"/portal/messages/{msg.pk}/").content.decode()
    msg.refresh_from_db()
    assert msg.read_at is not None
    assert 'data-testid="unread"' not in client.get("/portal/").content.decode()


def test_a_worker_cannot_open_another_workers_rows(client, worker, cast):
    other = make_worker_account("13900000012")
    their_app = submit_join(other, platform=cast.platform)
    their_msg = services.message_send(account=other, title="别人的消息")
    assert client.get(f"/portal/join/{their_app.pk}/").status_code == 404
    assert client.get(f"/portal/messages/{their_msg.pk}/").status_code == 404
    assert client.post(f"/portal/join/{their_app.pk}/withdraw/").status_code == 404
    assert "别人的消息" not in client.get("/portal/messages/").content.decode()
    # The other worker's card is theirs alone: my page shows none for me.
    join.join_accept(actor=cast.district_staff, application=their_app)
    body = client.get("/portal/me/").content.decode()
    assert 'data-testid="member-card"' not in body and their_app.name not in body
    # A message sent to their Person reaches them, never me.
    other.refresh_from_db()
    services.message_send(person=other.person, title="发给会员本人")
    assert "发给会员本人" not in client.get("/portal/messages/").content.decode()


def test_consent_withdraw_explains_the_effect(client, worker):
    services.consent_give(account=worker, purpose="id_number")
    r = client.post("/portal/consent/id_number/withdraw/", follow=True)
    assert "撤回后" in r.content.decode()
    c = Consent.objects.get(account=worker)
    assert c.withdrawn_at is not None
    assert client.get("/portal/join/identity/")["Location"].startswith("/portal/consent/")


def test_newer_consent_text_asks_again(worker):
    from huigong.portal.models import ConsentText
    from huigong.portal.selectors import consent_active

    services.consent_give(account=worker, purpose="health")
    assert consent_active(worker, "health")
    ConsentText.objects.create(purpose="health", version=2, title="健康信息使用授权", text="新版", withdraw_effect="x")
    assert not consent_active(worker, "health")
    services.consent_give(account=worker, purpose="health")
    assert consent_active(worker, "health")
    assert Consent.objects.filter(account=worker, purpose="health").count() == 2


# --- Staff pages -------------------------------------------------------------------------------------

def test_staff_list_detail_accept_reject(client, cast):
    app = submit_join(platform=cast.platform)
    app2 = submit_join(name="刘快递", area=cast.xihu)
    client.force_login(cast.district_staff)
    body = client.get("/portal/staff/joins/").content.decode()
    assert app.name in body and app2.name in body and app.id_number_mask in body
    assert app.id_number not in body
    assert app.name in client.get(f"/portal/staff/joins/{app.pk}/").content.decode()
    client.post(f"/portal/staff/joins/{app.pk}/accept/")
    app.refresh_from_db()
    assert app.status == JoinStatus.ACCEPTED and app.membership.status == MembershipStatus.ACTIVE
    r = client.post(f"/portal/staff/joins/{app2.pk}/reject/", {"reason": ""})
    assert r.status_code == 400 and "不通过原因" in r.content.decode()
    client.post(f"/portal/staff/joins/{app2.pk}/reject/", {"reason": "不在本区工作"})
    app2.refresh_from_db()
    assert app2.status == JoinStatus.REJECTED
    assert Message.objects.filter(account=app2.account, body__contains="不在本区工作").exists()


def test_outsider_is_denied_hangzhou_applications(client, cast):
    app = submit_join(platform=cast.platform)
    qd_app = submit_join(name="赵青申", area=cast.gaoxin, id_number=new_id_number("370213"))
    client.force_login(cast.outsider)
    body = client.get("/portal/staff/joins/?status=").content.decode()
    assert qd_app.name in body and app.name not in body
    assert client.get(f"/portal/staff/joins/{app.pk}/").status_code == 404
    assert client.post(f"/portal/staff/joins/{app.pk}/accept/").status_code == 404
    assert client.post(f"/portal/staff/joins/{app.pk}/reject/", {"reason": "x"}).status_code == 404
    assert JoinApplication.objects.get(pk=app.pk).status == JoinStatus.SUBMITTED


def test_roles_on_staff_pages(client, cast):
    app = submit_join(platform=cast.platform)
    client.force_login(cast.viewer)  # may read, may not decide
    assert client.get(f"/portal/staff/joins/{app.pk}/").status_code == 200
    assert "通过，登记为会员" not in client.get(f"/portal/staff/joins/{app.pk}/").content.decode()
    assert client.post(f"/portal/staff/joins/{app.pk}/accept/").status_code == 403
    anon = Client()
    assert anon.get("/portal/staff/joins/").status_code == 302
    worker = make_worker_account()
    c = Client()
    sign_in(c, worker)
    assert c.get("/portal/staff/joins/").status_code == 403


def test_console_nav_links_the_join_list(client, cast):
    client.force_login(cast.city_admin)
    assert "/portal/staff/joins/" in client.get("/members/").content.decode()


def test_my_page_lists_benefit_claims_and_reimbursements(client, worker, cast):
    from huigong.benefits import services as benefit_services
    from huigong.benefits.models import ProgrammeKind
    from huigong.benefits.testing import make_programme, receipt_png

    worker.person = cast.rider.person
    worker.save(update_fields=["person"])
    checkup = make_programme(cast.city_admin, cast.xihu, title="骑手免费体检")
    subsidy = make_programme(cast.city_admin, cast.xihu, kind=ProgrammeKind.REIMBURSEMENT, title="健康证补贴")
    benefit_services.claim_create(actor=worker.user, programme=checkup, person=worker.person)
    benefit_services.reimbursement_submit(actor=worker.user, programme=subsidy, person=worker.person,
                                          amount_fen=4000, receipt=receipt_png())
    body = client.get("/portal/me/").content.decode()
    assert "骑手免费体检" in body and "健康证补贴" in body and "福利申领" in body and "先办后补" in body
    # Another worker's page shows none of it.
    other = make_worker_account("13900000013")
    c = Client()
    sign_in(c, other)
    assert "骑手免费体检" not in c.get("/portal/me/").content.decode()


def test_staff_list_opens_on_what_waits_for_a_decision(client, cast):
    waiting = submit_join(name="待审甲", platform=cast.platform)
    person = cast.member.person
    transfer = submit_join(name=person.name, id_number=person.id_number, platform=cast.platform)
    done = submit_join(name="已办乙", platform=cast.platform)
    join.join_accept(actor=cast.district_staff, application=done)
    client.force_login(cast.district_staff)
    body = client.get("/portal/staff/joins/").content.decode()
    assert waiting.name in body and transfer.name in body and "已办乙" not in body
    assert "已办乙" in client.get("/portal/staff/joins/?status=").content.decode()
    assert "已办乙" in client.get("/portal/staff/joins/?status=accepted").content.decode()


def test_where_page_groups_districts_by_city(client, worker, cast):
    services.consent_give(account=worker, purpose="id_number")
    client.post("/portal/join/identity/", {"name": "陈骑手", "id_number": new_id_number()})
    client.post("/portal/join/work/", {"employment_form": "rider"})
    body = client.get("/portal/join/where/").content.decode()
    # Places, not union names: each district with its city (issue 15 item 10).
    assert '<optgroup label="杭州市">' in body and ">杭州市 西湖区</option>" in body and ">青岛市 高新区</option>" in body


def test_card_qr_opens_a_scoped_check_page(client, worker, cast):
    from huigong.portal import cards

    app = submit_join(worker, platform=cast.platform)
    join.join_accept(actor=cast.district_staff, application=app)
    worker.refresh_from_db()
    m = cards.active_membership(worker)
    url = cards.card_check_url(m)
    assert "id_number" not in url and worker.person.id_number not in url
    staff = Client()
    staff.force_login(cast.district_staff)
    body = staff.get(url).content.decode()
    assert "在会 · 卡有效" in body and m.card_no in body
    assert staff.get(url.replace("t=", "t=x")).status_code == 400  # tampered
    outsider = Client()
    outsider.force_login(cast.outsider)
    assert outsider.get(url).status_code == 404
    assert client.get(url).status_code == 403  # the worker's own session is not staff
