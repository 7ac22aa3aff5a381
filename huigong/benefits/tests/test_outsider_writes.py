"""Every console write (and the batch page) refused to Qingdao staff for Hangzhou's objects — an admin
and a finance officer — and nothing changes."""

import pytest

from huigong.accounts.models import Role
from huigong.benefits import services
from huigong.benefits.models import (
    BenefitClaim,
    PaymentBatch,
    ProgrammeKind,
    ProgrammeQuota,
    Reimbursement,
    ReimbursementPayment,
    SiteProfile,
    SiteUsage,
    Visit,
)
from huigong.benefits.testing import clerk, make_programme, receipt_png
from huigong.members.models import Person
from huigong.orgs.models import ServiceSite, SiteKind
from huigong.testing import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def hz(cast):
    rider = Person.objects.get(pk=cast.rider.person_id)
    rider.bank_account, rider.bank_account_mask = "6222020000005678", "**** **** 5678"
    rider.save()
    quota = make_programme(cast.city_admin, cast.hangzhou, quota=5, title="杭州职工体检")
    claim = services.claim_create(actor=cast.city_admin, programme=quota, person=rider)
    rb = make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.REIMBURSEMENT, quota=10)
    item = services.reimbursement_submit(actor=clerk(cast), programme=rb, person=rider, amount_fen=5000,
                                         receipt=receipt_png())
    services.reimbursement_approve(actor=cast.city_admin, reimbursement=item)
    batch, _ = services.payment_batch_create(actor=cast.finance, programme=rb)
    pending = batch.payments.get()
    # A second approved reimbursement with a failed payment, for the retry endpoint.
    member = Person.objects.get(pk=cast.member.person_id)
    member.bank_account, member.bank_account_mask = "6222020000001234", "**** **** 1234"
    member.save()
    item2 = services.reimbursement_submit(actor=clerk(cast), programme=rb, person=member, amount_fen=3000,
                                          receipt=receipt_png())
    services.reimbursement_approve(actor=cast.city_admin, reimbursement=item2)
    batch2, _ = services.payment_batch_create(actor=cast.finance, programme=rb)
    failed = services.payment_mark_failed(actor=cast.finance, payment=batch2.payments.get(), reason="户名不符")
    site = ServiceSite.objects.create(name="西湖职工之家", kind=SiteKind.WORKERS_HOME, union=cast.xihu, address="文三路")
    return {"quota": quota, "claim": claim, "rb": rb, "item": item, "batch": batch, "pending": pending,
            "failed": failed, "site": site}


def _state():
    return (list(BenefitClaim.objects.values_list("id", "status").order_by("id")),
            list(Reimbursement.objects.values_list("id", "status", "approved_fen").order_by("id")),
            list(ReimbursementPayment.objects.values_list("id", "status", "bank_reference").order_by("id")),
            PaymentBatch.objects.count(), list(ProgrammeQuota.objects.values_list("id", "slots")),
            Visit.objects.count(), SiteUsage.objects.count(), SiteProfile.objects.count())


@pytest.mark.parametrize("role", [Role.ADMIN, Role.FINANCE])
def test_qingdao_staff_cannot_write_hangzhou_objects(client, cast, hz, role):
    qd = cast.outsider if role == Role.ADMIN else make_staff(cast.qingdao, Role.FINANCE, "qd_finance")
    client.force_login(qd)
    before = _state()
    q, rb, site = hz["quota"].pk, hz["rb"].pk, hz["site"].pk
    posts = [
        (f"/benefits/programmes/{q}/open/", {}),
        (f"/benefits/programmes/{q}/close/", {}),
        (f"/benefits/programmes/{q}/edit/", {"title": "x", "board": "care", "year": 2026, "status": "closed"}),
        (f"/benefits/programmes/{q}/sub-quotas/", {"enterprise": cast.enterprise.pk, "slots": 1}),
        (f"/benefits/programmes/{rb}/payment-batch/", {}),
        (f"/benefits/claims/{hz['claim'].pk}/cancel/", {}),
        (f"/benefits/reimbursements/{hz['item'].pk}/", {"action": "reject", "reason": "x"}),
        (f"/benefits/payments/{hz['pending'].pk}/paid/", {"bank_reference": "QD-1"}),
        (f"/benefits/payments/{hz['pending'].pk}/failed/", {"reason": "x"}),
        (f"/benefits/payments/{hz['failed'].pk}/retry/", {}),
        (f"/benefits/batches/{hz['batch'].pk}/bank-sheet/", {"full": "1"}),
        (f"/benefits/batches/{hz['batch'].pk}/results/", {}),
        (f"/benefits/sites/{site}/", {"form": "usage", "day": "2026-01-05", "visitors": 9}),
        (f"/benefits/sites/{site}/", {"form": "profile", "district": "崂山区", "opening_hours": "全天"}),
    ]
    for url, data in posts:
        r = client.post(url, data)
        assert r.status_code in (403, 404), (url, r.status_code)
    # The visit form refuses Hangzhou's enterprise and site (field errors, nothing written).
    r = client.post("/benefits/visits/", {"visited_on": "2026-01-05", "headcount": 3, "goods": "棉衣",
                                          "value_yuan": "100", "node": cast.qingdao.pk,
                                          "enterprise": cast.enterprise.pk, "site": site})
    assert r.status_code in (200, 403)
    for url in (f"/benefits/batches/{hz['batch'].pk}/", f"/benefits/programmes/{q}/edit/",
                f"/benefits/reimbursements/{hz['item'].pk}/receipt/", f"/benefits/sites/{site}/"):
        assert client.get(url).status_code in (403, 404), url
    assert _state() == before
