"""Worker pages: a signed-in member sees open programmes they may claim, claims and cancels,
submits a reimbursement with a receipt, finds sites; never another worker's records."""

import pytest

from huigong.benefits import services
from huigong.benefits.models import BenefitClaim, ClaimStatus, ProgrammeKind, Reimbursement
from huigong.benefits.testing import clerk, make_programme, receipt_png
from huigong.members.models import Person
from huigong.orgs.models import ServiceSite, SiteKind

pytestmark = pytest.mark.django_db


def test_anonymous_goes_to_portal_sign_in(client):
    r = client.get("/portal/benefits/")
    assert r.status_code == 302 and "/portal/login/" in r["Location"]


def test_programmes_show_only_those_above_the_worker(rider_worker, hz_programme, qd_programme):
    html = rider_worker.get("/portal/benefits/").content.decode()
    assert "杭州职工体检" in html and "高新区职工体检" not in html and "立即申领" in html


def test_claim_and_cancel(rider_worker, cast, hz_programme):
    r = rider_worker.post(f"/portal/benefits/{hz_programme.pk}/claim/")
    assert r.status_code == 302
    claim = BenefitClaim.objects.get(programme=hz_programme)
    assert claim.person_id == cast.rider.person_id and claim.status == ClaimStatus.GRANTED
    assert "已领取" in rider_worker.get("/portal/benefits/claims/").content.decode()
    from huigong.portal.models import Message

    assert Message.objects.filter(person_id=cast.rider.person_id, title__contains="申领成功").exists()
    rider_worker.post(f"/portal/benefits/claims/{claim.pk}/cancel/")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CANCELLED


def test_full_programme_answers_cleanly(rider_worker, cast, hz_programme):
    services.programme_update(actor=cast.city_admin, programme=hz_programme, quota_total=1)
    services.claim_create(actor=cast.city_admin, programme=hz_programme, person=Person.objects.get(pk=cast.member.person_id))
    r = rider_worker.post(f"/portal/benefits/{hz_programme.pk}/claim/", follow=True)
    assert "名额已满" in r.content.decode()


def test_worker_cannot_touch_another_workers_claim_or_outside_programme(rider_worker, cast, hz_programme,
                                                                         qd_programme):
    other = services.claim_create(actor=cast.city_admin, programme=hz_programme,
                                  person=Person.objects.get(pk=cast.member.person_id))
    assert rider_worker.post(f"/portal/benefits/claims/{other.pk}/cancel/").status_code == 404
    assert rider_worker.post(f"/portal/benefits/{qd_programme.pk}/claim/").status_code == 404
    other.refresh_from_db()
    assert other.status == ClaimStatus.GRANTED


def test_reimbursement_asks_health_consent_then_takes_a_receipt(rider_worker, cast):
    p = make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.REIMBURSEMENT, quota=50,
                       title="骑手健康证补贴", employment_forms=["rider"])
    r = rider_worker.get("/portal/benefits/reimbursements/new/")
    assert r.status_code == 302 and "/portal/consent/health/" in r["Location"]
    from huigong.portal import services as portal_services

    portal_services.consent_give(account=rider_worker.account, purpose="health")
    r = rider_worker.get(f"/portal/benefits/reimbursements/new/?programme={p.pk}")
    assert 'accept="image/*,application/pdf"' in r.content.decode()
    r = rider_worker.post("/portal/benefits/reimbursements/new/", {"programme": p.pk, "amount_yuan": "45.00",
                                                                   "receipt": receipt_png(), "note": "健康证"})
    assert r.status_code == 302
    item = Reimbursement.objects.get(programme=p)
    assert item.amount_fen == 4500 and item.person_id == cast.rider.person_id
    html = rider_worker.get("/portal/benefits/reimbursements/").content.decode()
    assert "待审核" in html and "45.00" in html
    assert rider_worker.get(f"/portal/benefits/reimbursements/{item.pk}/receipt/").status_code == 200


def test_bad_receipt_is_a_clear_error(rider_worker, cast):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from huigong.portal import services as portal_services

    p = make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.REIMBURSEMENT, quota=50)
    portal_services.consent_give(account=rider_worker.account, purpose="health")
    r = rider_worker.post("/portal/benefits/reimbursements/new/", {
        "programme": p.pk, "amount_yuan": "45.00", "receipt": SimpleUploadedFile("x.jpg", b"junk")})
    assert r.status_code == 200 and "票据：" in r.content.decode()
    assert not Reimbursement.objects.exists()


def test_worker_cannot_see_another_workers_receipt(rider_worker, cast):
    p = make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.REIMBURSEMENT, quota=50)
    other = services.reimbursement_submit(actor=clerk(cast), programme=p,
                                          person=Person.objects.get(pk=cast.member.person_id), amount_fen=100,
                                          receipt=receipt_png())
    assert rider_worker.get(f"/portal/benefits/reimbursements/{other.pk}/receipt/").status_code == 404


def test_sites_by_distance(rider_worker, cast):
    ServiceSite.objects.create(name="远处之家", kind=SiteKind.WORKERS_HOME, union=cast.xihu, address="b",
                               latitude=30.40, longitude=120.30)
    near = ServiceSite.objects.create(name="近处驿站", kind=SiteKind.OUTDOOR_STATION, union=cast.xihu, address="a",
                                      latitude=30.2741, longitude=120.1551, opening_hours="全天")
    services.site_profile_save(actor=cast.city_admin, site=near, district="西湖区", offerings=["饮水"], boards=[])
    ServiceSite.objects.create(name="青岛之家", kind=SiteKind.WORKERS_HOME, union=cast.gaoxin, address="c")
    html = rider_worker.get("/portal/benefits/sites/?lat=30.2745&lng=120.1555").content.decode()
    assert html.index("近处驿站") < html.index("远处之家") and "青岛之家" not in html and " m</span>" in html
    # The district filter keeps the location.
    assert "?district=%E8%A5%BF%E6%B9%96%E5%8C%BA&amp;lat=30.27450&amp;lng=120.15550" in html
    assert rider_worker.get("/portal/benefits/sites/?lat=abc&lng=999").status_code == 200


def test_staff_session_is_not_a_worker(client, cast, hz_programme):
    client.force_login(cast.city_admin)
    r = client.get("/portal/benefits/")
    assert r.status_code == 302
