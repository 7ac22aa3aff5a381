"""Services: programmes, quota claims with sub-quotas and waitlist, eligibility reasons,
reimbursements and exactly-once payments, visits and site usage."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from huigong.benefits import selectors, services
from huigong.benefits.models import (
    BenefitClaim,
    ClaimStatus,
    PaymentStatus,
    ProgrammeKind,
    ProgrammeStatus,
    ReimbursementStatus,
    SiteUsage,
)
from huigong.benefits.testing import bulk_members, clerk, make_programme, receipt_pdf, receipt_png
from huigong.core.models import AuditEvent
from huigong.members.models import EmploymentForm, Person
from huigong.orgs.models import ServiceSite, SiteKind

pytestmark = pytest.mark.django_db


def _person(membership):
    return Person.objects.get(pk=membership.person_id)


def _refusal(exc) -> str:
    return " ".join(exc.value.messages)


# --- programmes ------------------------------------------------------------------------------------


def test_programme_needs_benefit_capability_and_scope(cast):
    with pytest.raises(PermissionDenied):
        make_programme(cast.viewer, cast.hangzhou)
    with pytest.raises(PermissionDenied):
        make_programme(cast.outsider, cast.hangzhou)
    p = make_programme(cast.city_admin, cast.hangzhou, quota=5)
    assert p.status == ProgrammeStatus.OPEN and p.remaining == 5
    assert AuditEvent.objects.filter(verb="benefit_programme.create", object_id=str(p.pk)).exists()


def test_bad_programme_input_names_the_field(cast):
    with pytest.raises(ValidationError) as e:
        services.programme_create(actor=cast.city_admin, node=cast.hangzhou, board="nope", kind="quota",
                                  title="", year=1900)
    assert {"title", "board", "year", "quota_total"} <= set(e.value.message_dict)
    with pytest.raises(ValidationError) as e:
        services.programme_create(actor=cast.city_admin, node=cast.hangzhou, board="care", kind="reimbursement",
                                  title="健康证补贴", year=2026)
    assert "reimbursement_cap_fen" in e.value.message_dict


def test_quota_cannot_shrink_below_places_taken(cast):
    p = make_programme(cast.city_admin, cast.hangzhou, quota=3)
    services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.member))
    services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.rider))
    with pytest.raises(ValidationError) as e:
        services.programme_update(actor=cast.city_admin, programme=p, quota_total=1)
    assert "已有 2 个名额被领取" in _refusal(e)
    p = services.programme_update(actor=cast.city_admin, programme=p, quota_total=10)
    assert (p.quota_total, p.remaining) == (10, 8)


# --- claims ----------------------------------------------------------------------------------------


def test_claim_grants_then_full_is_a_clean_refusal(cast):
    p = make_programme(cast.city_admin, cast.hangzhou, quota=1)
    claim = services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.member))
    assert claim.status == ClaimStatus.GRANTED and claim.union == cast.tech
    with pytest.raises(ValidationError) as e:
        services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.rider))
    assert _refusal(e) == "名额已满"
    p.refresh_from_db()
    assert p.remaining == 0 and BenefitClaim.objects.filter(programme=p).count() == 1


def test_one_claim_per_member(cast):
    p = make_programme(cast.city_admin, cast.hangzhou, quota=5)
    services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.member))
    with pytest.raises(ValidationError) as e:
        services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.member))
    assert "已申领" in _refusal(e)


def test_eligibility_refusals_give_the_reason(cast):
    p = make_programme(cast.city_admin, cast.hangzhou, quota=5, employment_forms=[EmploymentForm.RIDER])
    with pytest.raises(ValidationError) as e:
        services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.member))
    assert "网约配送员/外卖骑手" in _refusal(e)
    services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.rider))
    late = make_programme(cast.city_admin, cast.hangzhou, quota=5, joined_to=dt.date(2020, 1, 1))
    with pytest.raises(ValidationError) as e:
        services.claim_create(actor=cast.city_admin, programme=late, person=_person(cast.rider))
    assert "2020-01-01 及以前入会" in _refusal(e)
    future = make_programme(cast.city_admin, cast.hangzhou, quota=5,
                            opens_at=timezone.now() + dt.timedelta(days=2))
    with pytest.raises(ValidationError) as e:
        services.claim_create(actor=cast.city_admin, programme=future, person=_person(cast.rider))
    assert "开放" in _refusal(e)
    draft = make_programme(cast.city_admin, cast.hangzhou, quota=5, open_now=False)
    with pytest.raises(ValidationError) as e:
        services.claim_create(actor=cast.city_admin, programme=draft, person=_person(cast.rider))
    assert "未开放" in _refusal(e)


def test_member_outside_the_programme_node_is_refused(cast):
    p = make_programme(cast.outsider, cast.gaoxin, quota=5)
    services.claim_create(actor=cast.outsider, programme=p, person=_person(cast.qd_member))
    with pytest.raises(ValidationError) as e:
        services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.member))
    assert "仅限青岛高新区总工会所属会员" in _refusal(e)
    p2 = make_programme(cast.city_admin, cast.tech, quota=5)
    with pytest.raises(ValidationError) as e:
        services.claim_create(actor=cast.city_admin, programme=p2, person=_person(cast.rider))
    assert "仅限" in _refusal(e)


def test_staff_cannot_claim_for_a_member_outside_their_subtree(cast):
    p = make_programme(cast.outsider, cast.gaoxin, quota=5)
    with pytest.raises(PermissionDenied):
        services.claim_create(actor=cast.outsider, programme=p, person=_person(cast.member))


def test_sub_quota_limits_an_enterprise(cast):
    p = make_programme(cast.city_admin, cast.hangzhou, quota=10, open_now=False)
    services.programme_set_sub_quota(actor=cast.city_admin, programme=p, enterprise=cast.enterprise, slots=1)
    services.programme_open(actor=cast.city_admin, programme=p)
    a, b = bulk_members(cast.tech, 2, employer=cast.enterprise)
    services.claim_create(actor=cast.city_admin, programme=p, person=a)
    with pytest.raises(ValidationError) as e:
        services.claim_create(actor=cast.city_admin, programme=p, person=b)
    assert "单位的名额已满" in _refusal(e)
    with pytest.raises(ValidationError) as e:  # the rider's platform has no sub-quota
        services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.rider))
    assert "未分配" in _refusal(e)
    p.refresh_from_db()
    assert p.remaining == 9


def test_sub_quotas_cannot_exceed_the_total(cast):
    p = make_programme(cast.city_admin, cast.hangzhou, quota=10)
    with pytest.raises(ValidationError) as e:
        services.programme_set_sub_quota(actor=cast.city_admin, programme=p, enterprise=cast.enterprise, slots=11)
    assert cast.enterprise.name in _refusal(e)


def test_cancel_returns_the_place_and_promotes_the_waitlist(cast):
    p = make_programme(cast.city_admin, cast.hangzhou, quota=1, waitlist=True)
    first = services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.member))
    waiting = services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.rider))
    assert waiting.status == ClaimStatus.WAITLISTED
    services.claim_cancel(actor=cast.city_admin, claim=first, reason="另有安排")
    waiting.refresh_from_db()
    p.refresh_from_db()
    assert waiting.status == ClaimStatus.GRANTED and p.remaining == 0
    # Cancelled members may claim again (and land on the waitlist now).
    again = services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.member))
    assert again.status == ClaimStatus.WAITLISTED


def test_cancel_without_waitlist_frees_the_place(cast):
    p = make_programme(cast.city_admin, cast.hangzhou, quota=1)
    c = services.claim_create(actor=cast.city_admin, programme=p, person=_person(cast.member))
    services.claim_cancel(actor=cast.city_admin, claim=c)
    p.refresh_from_db()
    assert p.remaining == 1
    with pytest.raises(ValidationError):
        services.claim_cancel(actor=cast.city_admin, claim=c)


# --- reimbursements and payments -------------------------------------------------------------------


def _reimb_programme(cast, **kw):
    return make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.REIMBURSEMENT, quota=kw.pop("quota", 5),
                          reimbursement_cap_fen=6000, board="care", title="骑手健康证补贴", **kw)


def _with_bank(membership):
    person = _person(membership)
    person.bank_account, person.bank_account_mask, person.bank_name = "6222021234567890", "**** **** 7890", "工行"
    person.save()
    return person


def test_reimbursement_flow_to_paid(cast):
    p = _reimb_programme(cast)
    rider = _with_bank(cast.rider)
    item = services.reimbursement_submit(actor=clerk(cast), programme=p, person=rider, amount_fen=9000,
                                         receipt=receipt_png(), note="体检费")
    assert item.status == ReimbursementStatus.SUBMITTED and item.receipt_type == "image/png"
    assert "IMG_0001" not in item.receipt.name
    with pytest.raises(ValidationError) as e:
        services.reimbursement_approve(actor=cast.city_admin, reimbursement=item, approved_fen=9000)
    assert "补贴上限 60.00 元" in _refusal(e)
    item = services.reimbursement_approve(actor=cast.city_admin, reimbursement=item)
    assert item.approved_fen == 6000
    with pytest.raises(PermissionDenied):  # payments need the finance role
        services.payment_batch_create(actor=cast.city_admin, programme=p)
    batch, skipped = services.payment_batch_create(actor=cast.finance, programme=p)
    assert skipped == [] and batch.payments.count() == 1
    pay = batch.payments.get()
    assert pay.bank_account == "6222021234567890" and pay.idempotency_key == f"hg-rb-{item.pk}-1"
    again, _ = services.payment_batch_create(actor=cast.finance, programme=p)
    assert again.payments.count() == 0  # never twice
    services.payment_mark_paid(actor=cast.finance, payment=pay, bank_reference="BK001")
    services.payment_mark_paid(actor=cast.finance, payment=pay, bank_reference="BK001")  # repeat: no-op
    with pytest.raises(ValidationError):
        services.payment_mark_paid(actor=cast.finance, payment=pay, bank_reference="BK002")
    item.refresh_from_db()
    assert item.status == ReimbursementStatus.PAID
    assert AuditEvent.objects.filter(verb="reimbursement_payment.paid").count() == 1


def test_failed_payment_is_retried_once_with_a_new_key(cast):
    p = _reimb_programme(cast)
    rider = _with_bank(cast.rider)
    item = services.reimbursement_submit(actor=clerk(cast), programme=p, person=rider, amount_fen=3000,
                                         receipt=receipt_pdf())
    services.reimbursement_approve(actor=cast.city_admin, reimbursement=item)
    batch, _ = services.payment_batch_create(actor=cast.finance, programme=p)
    pay = batch.payments.get()
    services.payment_mark_failed(actor=cast.finance, payment=pay, reason="户名不符")
    item.refresh_from_db()
    assert item.status == ReimbursementStatus.FAILED
    retry = services.payment_retry(actor=cast.finance, payment=pay)
    assert retry.attempt == 2 and retry.idempotency_key.endswith("-2") and retry.status == PaymentStatus.PENDING
    with pytest.raises(ValidationError):
        services.payment_retry(actor=cast.finance, payment=pay)
    services.payment_mark_paid(actor=cast.finance, payment=retry, bank_reference="BK9")
    item.refresh_from_db()
    assert item.status == ReimbursementStatus.PAID


def test_no_bank_account_is_skipped_with_the_reason(cast):
    p = _reimb_programme(cast)
    item = services.reimbursement_submit(actor=clerk(cast), programme=p, person=_person(cast.rider),
                                         amount_fen=3000, receipt=receipt_png())
    services.reimbursement_approve(actor=cast.city_admin, reimbursement=item)
    batch, skipped = services.payment_batch_create(actor=cast.finance, programme=p)
    assert batch.payments.count() == 0 and "王骑手" in skipped[0]


def test_reject_needs_reason_and_returns_the_place(cast):
    p = _reimb_programme(cast, quota=1)
    item = services.reimbursement_submit(actor=clerk(cast), programme=p, person=_person(cast.rider),
                                         amount_fen=3000, receipt=receipt_png())
    with pytest.raises(ValidationError) as e:
        services.reimbursement_submit(actor=clerk(cast), programme=p, person=_person(cast.member),
                                      amount_fen=3000, receipt=receipt_png())
    assert _refusal(e) == "名额已满"
    with pytest.raises(ValidationError) as e:
        services.reimbursement_reject(actor=cast.city_admin, reimbursement=item, reason=" ")
    assert "reason" in e.value.message_dict
    services.reimbursement_reject(actor=cast.city_admin, reimbursement=item, reason="票据模糊")
    p.refresh_from_db()
    assert p.remaining == 1
    again = services.reimbursement_submit(actor=clerk(cast), programme=p, person=_person(cast.rider),
                                          amount_fen=3000, receipt=receipt_png())
    assert again.status == ReimbursementStatus.SUBMITTED


def test_bad_receipt_or_amount_is_refused_naming_the_field(cast):
    from django.core.files.uploadedfile import SimpleUploadedFile

    p = _reimb_programme(cast)
    with pytest.raises(ValidationError) as e:
        services.reimbursement_submit(actor=clerk(cast), programme=p, person=_person(cast.rider),
                                      amount_fen=3000, receipt=SimpleUploadedFile("a.jpg", b"not an image"))
    assert "票据：" in _refusal(e)
    with pytest.raises(ValidationError) as e:
        services.reimbursement_submit(actor=clerk(cast), programme=p, person=_person(cast.rider),
                                      amount_fen=0, receipt=receipt_png())
    assert "amount" in e.value.message_dict
    assert not p.reimbursements.exists()


def test_outsider_cannot_review(cast):
    p = _reimb_programme(cast)
    item = services.reimbursement_submit(actor=clerk(cast), programme=p, person=_person(cast.rider),
                                         amount_fen=3000, receipt=receipt_png())
    with pytest.raises(PermissionDenied):
        services.reimbursement_approve(actor=cast.outsider, reimbursement=item)


# --- visits and sites ------------------------------------------------------------------------------


def test_visit_record_and_totals(cast):
    p = make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.DISTRIBUTION, board="care",
                       title="冬送温暖")
    services.visit_record(actor=cast.district_staff, node=cast.xihu, programme=p, enterprise=cast.enterprise,
                          visited_on=dt.date(2026, 1, 10), headcount=40, goods="米、油、羽绒手套", value_fen=800000)
    with pytest.raises(ValidationError) as e:
        services.visit_record(actor=cast.district_staff, node=cast.xihu, visited_on=dt.date(2026, 1, 10),
                              headcount=0, goods="", value_fen=-1)
    assert {"enterprise", "headcount", "goods", "value_fen"} <= set(e.value.message_dict)
    with pytest.raises(ValidationError) as e:
        services.visit_record(actor=cast.district_staff, node=cast.xihu, enterprise=cast.qd_enterprise,
                              visited_on=dt.date(2026, 1, 10), headcount=3, goods="水", value_fen=100)
    assert "enterprise" in e.value.message_dict
    totals = selectors.visit_totals(selectors.visit_list_for_actor(cast.city_admin))
    assert totals == {"visits": 1, "headcount": 40, "value_fen": 800000}
    assert selectors.visit_totals(selectors.visit_list_for_actor(cast.outsider))["visits"] == 0


def test_site_usage_is_one_row_per_day(cast):
    site = ServiceSite.objects.create(name="西湖职工之家", kind=SiteKind.WORKERS_HOME, union=cast.xihu, address="文三路1号")
    services.site_usage_record(actor=cast.district_staff, site=site, day=dt.date(2026, 2, 1), visitors=30)
    services.site_usage_record(actor=cast.district_staff, site=site, day=dt.date(2026, 2, 1), visitors=35)
    assert SiteUsage.objects.get(site=site).visitors == 35
    with pytest.raises(PermissionDenied):
        services.site_usage_record(actor=cast.outsider, site=site, day=dt.date(2026, 2, 1), visitors=1)
    with pytest.raises(ValidationError):
        services.site_usage_record(actor=cast.district_staff, site=site, day=timezone.localdate() + dt.timedelta(1),
                                   visitors=1)


def test_sites_for_worker_sorted_by_distance(cast):
    near = ServiceSite.objects.create(name="近处驿站", kind=SiteKind.OUTDOOR_STATION, union=cast.xihu, address="a",
                                      latitude=30.2741, longitude=120.1551)
    far = ServiceSite.objects.create(name="远处之家", kind=SiteKind.WORKERS_HOME, union=cast.xihu, address="b",
                                     latitude=30.40, longitude=120.30)
    ServiceSite.objects.create(name="青岛之家", kind=SiteKind.WORKERS_HOME, union=cast.gaoxin, address="c")
    services.site_profile_save(actor=cast.city_admin, site=near, district="西湖区", offerings=["饮水", "充电"],
                               boards=["care"], opening_hours="全天")
    rows = selectors.sites_for_worker(person=_person(cast.rider), lat=30.2745, lng=120.1555)
    assert [r.site for r in rows] == [near, far]
    assert rows[0].distance_km < 0.1 and 15 < rows[1].distance_km < 25
    assert rows[0].offerings == ["饮水", "充电"]


def test_worker_selectors(cast):
    p = make_programme(cast.city_admin, cast.hangzhou, quota=3)
    make_programme(cast.outsider, cast.gaoxin, quota=3)
    rider = _person(cast.rider)
    offered = selectors.programmes_for_person(rider)
    assert [(x.pk, reason) for x, reason in offered] == [(p.pk, None)]
    services.claim_create(actor=cast.city_admin, programme=p, person=rider)
    assert [c.programme_id for c in selectors.claims_for_person(rider)] == [p.pk]
    assert selectors.reimbursements_for_person(rider) == []
