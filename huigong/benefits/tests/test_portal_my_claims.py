"""Worker pages, issue 15: 我的申领 lists reimbursements too; a claim says what to do next (or its place on
the waitlist); the reimbursement form shows each programme's cap and names it when exceeded. A worker
never sees another worker's claims or reimbursements."""

import pytest

from huigong.benefits import services
from huigong.benefits.models import BenefitClaim, ClaimStatus, ProgrammeKind, Reimbursement
from huigong.benefits.testing import make_programme, receipt_png
from huigong.members.models import Person
from huigong.testing import make_member

pytestmark = pytest.mark.django_db

CLAIMS = "/portal/benefits/claims/"


def _person(m):
    return Person.objects.get(pk=m.person_id)


def test_my_claims_lists_reimbursements_with_status_amount_and_receipt(rider_worker, cast, hz_programme):
    rb = make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.REIMBURSEMENT, quota=50,
                        title="骑手健康证补贴", employment_forms=["rider"])
    mine = services.reimbursement_submit(actor=cast.city_admin, programme=rb, person=_person(cast.rider),
                                         amount_fen=4550, receipt=receipt_png())
    other_rb = make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.REIMBURSEMENT, quota=50,
                              title="职工体检补贴")
    theirs = services.reimbursement_submit(actor=cast.city_admin, programme=other_rb, person=_person(cast.member),
                                           amount_fen=3300, receipt=receipt_png())
    claim = services.claim_create(actor=cast.city_admin, programme=hz_programme, person=_person(cast.rider))
    html = rider_worker.get(CLAIMS).content.decode()
    # Both segments still there, the place claim and the reimbursement listed.
    assert "可申领" in html and f'data-testid="claim-{claim.pk}"' in html and "杭州职工体检" in html
    assert f'data-testid="reimbursement-{mine.pk}"' in html and "骑手健康证补贴" in html
    assert "45.50" in html and "待审核" in html and f"/portal/benefits/reimbursements/{mine.pk}/receipt/" in html
    # Another worker's reimbursement is not hers.
    assert "职工体检补贴" not in html and "33.00" not in html and f"reimbursement-{theirs.pk}" not in html


def test_my_claims_with_only_a_reimbursement_is_not_empty(rider_worker, cast):
    rb = make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.REIMBURSEMENT, quota=50,
                        title="骑手健康证补贴", employment_forms=["rider"])
    from huigong.benefits.testing import clerk

    item = services.reimbursement_submit(actor=clerk(cast), programme=rb, person=_person(cast.rider),
                                         amount_fen=4500, receipt=receipt_png())
    services.reimbursement_approve(actor=cast.city_admin, reimbursement=item)
    html = rider_worker.get(CLAIMS).content.decode()
    assert "还没有申领记录" not in html and "已批准待发放" in html and "核定" in html


def test_a_granted_claim_says_what_to_do_next(rider_worker, cast):
    cast.hangzhou.contact_name, cast.hangzhou.contact_phone = "王老师", "0571-87000000"
    cast.hangzhou.address = "杭州市西湖区文三路 1 号"
    cast.hangzhou.save()
    p = make_programme(cast.city_admin, cast.hangzhou, quota=5, title="杭州职工体检",
                       description="请于 12 月 20 日前到杭州市职工医院体检中心，空腹，带身份证。")
    r = rider_worker.post(f"/portal/benefits/{p.pk}/claim/")
    claim = BenefitClaim.objects.get(programme=p)
    assert claim.status == ClaimStatus.GRANTED
    assert r.status_code == 302 and r["Location"] == f"/portal/benefits/claims/{claim.pk}/"
    html = rider_worker.get(r["Location"]).content.decode()
    assert "申领成功" in html and "下一步" in html and "空腹，带身份证" in html
    assert "王老师" in html and 'href="tel:0571-87000000"' in html and "文三路 1 号" in html
    assert f'href="{CLAIMS}"' in html and "查看我的申领" in html


def test_a_waitlisted_claim_shows_its_place_in_the_queue(rider_worker, cast):
    p = make_programme(cast.city_admin, cast.hangzhou, quota=1, waitlist=True, title="杭州职工疗休养")
    services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.member))  # takes the place
    first = make_member(cast.city_admin, cast.tech, "钱多多").person
    assert services.claim_create(actor=cast.city_admin, programme=p, person=first).status == ClaimStatus.WAITLISTED
    r = rider_worker.post(f"/portal/benefits/{p.pk}/claim/")
    claim = BenefitClaim.objects.get(programme=p, person_id=cast.rider.person_id)
    assert claim.status == ClaimStatus.WAITLISTED and r["Location"] == f"/portal/benefits/claims/{claim.pk}/"
    html = rider_worker.get(r["Location"]).content.decode()
    assert "候补第 2 位" in html and "排第 2 位" in html


def test_another_workers_claim_page_is_404(rider_worker, cast, hz_programme):
    theirs = services.claim_create(actor=cast.city_admin, programme=hz_programme, person=_person(cast.member))
    assert rider_worker.get(f"{CLAIMS}{theirs.pk}/").status_code == 404
    assert rider_worker.get(f"{CLAIMS}999999/").status_code == 404


def test_reimbursement_form_shows_the_cap_and_names_it_when_exceeded(rider_worker, cast):
    from huigong.portal import services as portal_services

    p = make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.REIMBURSEMENT, quota=50,
                       title="骑手健康证补贴", employment_forms=["rider"], reimbursement_cap_fen=8000)
    portal_services.consent_give(account=rider_worker.account, purpose="health")
    html = rider_worker.get(f"/portal/benefits/reimbursements/new/?programme={p.pk}").content.decode()
    assert "补贴上限 80.00 元" in html
    r = rider_worker.post("/portal/benefits/reimbursements/new/", {"programme": p.pk, "amount_yuan": "80.01",
                                                                   "receipt": receipt_png()})
    body = r.content.decode()
    assert r.status_code == 200 and not Reimbursement.objects.exists()
    assert "申请金额超过“骑手健康证补贴”的补贴上限 80.00 元" in body
    r = rider_worker.post("/portal/benefits/reimbursements/new/", {"programme": p.pk, "amount_yuan": "80.00",
                                                                   "receipt": receipt_png()})
    assert r.status_code == 302 and Reimbursement.objects.get().amount_fen == 8000
