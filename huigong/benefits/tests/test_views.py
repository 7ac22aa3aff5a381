"""Console pages: every page renders for a reader, writes need BENEFIT (payments MONEY), and the
outsider (a Qingdao admin) gets 403/404 for Hangzhou's objects."""

import datetime as dt

import pytest

from huigong.benefits import services
from huigong.benefits.models import ClaimStatus, ProgrammeKind, ReimbursementStatus
from huigong.benefits.testing import clerk, make_programme, receipt_png
from huigong.members.models import Person
from huigong.orgs.models import ServiceSite, SiteKind

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def world(cast, hz_programme, qd_programme):
    rider = Person.objects.get(pk=cast.rider.person_id)
    rider.bank_account, rider.bank_account_mask = "6222020000005678", "**** **** 5678"
    rider.save()
    claim = services.claim_create(actor=cast.city_admin, programme=hz_programme, person=rider)
    rb = make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.REIMBURSEMENT, quota=10, title="骑手健康证补贴")
    item = services.reimbursement_submit(actor=clerk(cast), programme=rb, person=rider, amount_fen=5000,
                                         receipt=receipt_png())
    site = ServiceSite.objects.create(name="西湖职工之家", kind=SiteKind.WORKERS_HOME, union=cast.xihu, address="文三路")
    return {"claim": claim, "rb": rb, "item": item, "site": site}


def _pages(cast, hz_programme, world):
    return [
        "/benefits/",
        f"/benefits/programmes/{hz_programme.pk}/",
        f"/benefits/programmes/{world['rb'].pk}/",
        "/benefits/reimbursements/",
        f"/benefits/reimbursements/{world['item'].pk}/",
        f"/benefits/reimbursements/{world['item'].pk}/receipt/",
        "/benefits/visits/",
        "/benefits/sites/",
        f"/benefits/sites/{world['site'].pk}/",
    ]


def test_every_page_renders_for_each_role(client, cast, hz_programme, world):
    for user in (cast.city_admin, cast.district_staff, cast.viewer, cast.finance, cast.leader):
        _login(client, user)
        for url in _pages(cast, hz_programme, world):
            r = client.get(url)
            assert r.status_code == 200, (user.username, url, r.status_code)


def test_home_lists_programmes_with_remaining(client, cast, hz_programme, qd_programme, world):
    html = _login(client, cast.city_admin).get("/benefits/").content.decode()
    assert "杭州职工体检" in html and "剩余 4 / 5" in html and "高新区职工体检" not in html


def test_outsider_is_denied_hangzhou_objects(client, cast, hz_programme, world):
    _login(client, cast.outsider)
    for url in _pages(cast, hz_programme, world)[1:]:
        if url.endswith(("/reimbursements/", "/visits/", "/sites/")):
            continue
        assert client.get(url).status_code in (403, 404), url
    assert "杭州职工体检" not in client.get("/benefits/").content.decode()
    assert client.post(f"/benefits/claims/{world['claim'].pk}/cancel/").status_code in (403, 404)
    assert client.post(f"/benefits/reimbursements/{world['item'].pk}/", {"action": "approve"}).status_code in (403, 404)
    assert client.post(f"/benefits/programmes/{hz_programme.pk}/close/").status_code in (403, 404)
    assert "骑手" not in client.get("/benefits/reimbursements/?status=all").content.decode()


def test_anonymous_is_sent_to_sign_in(client, hz_programme):
    r = client.get("/benefits/")
    assert r.status_code == 302 and "/accounts/login" in r["Location"]


def test_viewer_cannot_write(client, cast, hz_programme, world):
    _login(client, cast.viewer)
    assert client.get("/benefits/programmes/new/").status_code == 403
    assert client.post(f"/benefits/claims/{world['claim'].pk}/cancel/").status_code == 403
    assert client.post(f"/benefits/reimbursements/{world['item'].pk}/", {"action": "approve"}).status_code == 403
    assert client.post(f"/benefits/programmes/{world['rb'].pk}/payment-batch/").status_code == 403


def test_create_programme_through_the_form(client, cast):
    _login(client, cast.city_admin)
    r = client.post("/benefits/programmes/new/", {"title": "单身联谊会", "node": cast.hangzhou.pk, "board": "vitality",
                                                  "kind": "quota", "year": 2026, "quota_total": 200, "waitlist": "on"})
    assert r.status_code == 302
    r = client.get(r["Location"])
    assert "单身联谊会" in r.content.decode() and "开放申领" in r.content.decode()


def test_programme_form_errors_name_the_field(client, cast):
    _login(client, cast.city_admin)
    r = client.post("/benefits/programmes/new/", {"title": "健康证补贴", "node": cast.hangzhou.pk, "board": "care",
                                                  "kind": "reimbursement", "year": 2026})
    assert r.status_code == 200
    assert "先办后补项目必须设置补贴上限" in r.content.decode()


def test_review_approve_and_pay_through_pages(client, cast, world):
    _login(client, cast.city_admin)
    r = client.post(f"/benefits/reimbursements/{world['item'].pk}/", {"action": "approve", "approved_yuan": "50.00"})
    assert r.status_code == 302
    world["item"].refresh_from_db()
    assert world["item"].status == ReimbursementStatus.APPROVED and world["item"].approved_fen == 5000
    _login(client, cast.finance)
    r = client.post(f"/benefits/programmes/{world['rb'].pk}/payment-batch/")
    assert r.status_code == 302
    html = client.get(r["Location"]).content.decode()
    assert "**** **** 5678" in html and "6222020000005678" not in html
    pay = world["item"].payments.get()
    client.post(f"/benefits/payments/{pay.pk}/paid/", {"bank_reference": "ICBC-1"})
    world["item"].refresh_from_db()
    assert world["item"].status == ReimbursementStatus.PAID


def test_reject_without_reason_shows_the_error(client, cast, world):
    _login(client, cast.city_admin)
    r = client.post(f"/benefits/reimbursements/{world['item'].pk}/", {"action": "reject", "reason": ""})
    assert r.status_code == 200 and "请填写不通过的原因" in r.content.decode()


def test_staff_cancel_claim(client, cast, world):
    _login(client, cast.city_admin)
    client.post(f"/benefits/claims/{world['claim'].pk}/cancel/")
    world["claim"].refresh_from_db()
    assert world["claim"].status == ClaimStatus.CANCELLED


def test_visit_form_and_site_usage(client, cast, world):
    _login(client, cast.district_staff)
    r = client.post("/benefits/visits/", {"node": cast.xihu.pk, "enterprise": cast.enterprise.pk,
                                          "visited_on": "2026-01-15", "headcount": 30, "goods": "棉衣",
                                          "value_yuan": "4500.00"})
    assert r.status_code == 302
    assert "4,500.00" in client.get("/benefits/visits/").content.decode()
    r = client.post(f"/benefits/sites/{world['site'].pk}/", {"form": "usage", "day": str(dt.date(2026, 1, 2)),
                                                            "visitors": 42})
    assert r.status_code == 302
    assert ">42<" in client.get("/benefits/sites/").content.decode().replace(" ", "")


def test_programme_list_is_one_query_per_kind_of_row(client, cast, django_assert_max_num_queries):
    for i in range(8):
        make_programme(cast.city_admin, cast.hangzhou, quota=10, title=f"项目{i}")
    _login(client, cast.city_admin)
    client.get("/benefits/")
    with django_assert_max_num_queries(12):
        client.get("/benefits/")
