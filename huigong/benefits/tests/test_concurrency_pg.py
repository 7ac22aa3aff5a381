"""Contention on PostgreSQL with real threads, each on its own connection: the quota is never
oversold, one member gets one claim, a payment is made exactly once."""

from collections import Counter

import pytest

from huigong.benefits import services
from huigong.benefits.models import (
    BenefitClaim,
    BenefitProgramme,
    ClaimStatus,
    PaymentStatus,
    ProgrammeKind,
    ProgrammeQuota,
    Reimbursement,
    ReimbursementPayment,
    ReimbursementStatus,
)
from huigong.benefits.testing import bulk_members, clerk, make_programme, receipt_png
from huigong.members.models import Person
from huigong.testing import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 48


def _run(fn, items, threads=THREADS):
    return run_in_threads(fn, items, threads)


def test_20000_claims_on_5000_places_grant_exactly_5000(on_postgres, cast):
    programme = make_programme(cast.city_admin, cast.hangzhou, quota=5000)
    people = bulk_members(cast.tech, 20_000, employer=cast.enterprise)
    actor = cast.city_admin
    actor.staff.node  # noqa: B018  (warm the cached profile before the threads share it)
    results = _run(lambda p: services.claim_create(actor=actor, programme=programme.pk, person=p), people)
    outcomes = Counter(kind for kind, _ in results)
    assert outcomes == {"ok": 5000, "refused": 15000}
    refusals = Counter(msg for kind, msg in results if kind == "refused")
    assert refusals == {"名额已满": 15000}
    programme.refresh_from_db()
    assert programme.remaining == 0
    assert BenefitClaim.objects.filter(programme=programme, status=ClaimStatus.GRANTED).count() == 5000
    assert BenefitClaim.objects.filter(programme=programme).count() == 5000  # refusals left nothing behind


def test_50_parallel_claims_by_one_member_give_one_claim(on_postgres, cast):
    programme = make_programme(cast.city_admin, cast.hangzhou, quota=100)
    person = Person.objects.get(pk=cast.member.person_id)
    actor = cast.city_admin
    actor.staff.node  # noqa: B018
    results = _run(lambda _: services.claim_create(actor=actor, programme=programme.pk, person=person), range(50))
    assert Counter(kind for kind, _ in results) == {"ok": 1, "refused": 49}
    assert {msg for kind, msg in results if kind == "refused"} == {
        "您已申领过该项目"}
    programme.refresh_from_db()
    assert programme.remaining == 99
    assert BenefitClaim.objects.filter(programme=programme).count() == 1


def test_sub_quotas_hold_under_contention(on_postgres, cast):
    programme = make_programme(cast.city_admin, cast.hangzhou, quota=300, open_now=False)
    services.programme_set_sub_quota(actor=cast.city_admin, programme=programme, enterprise=cast.enterprise,
                                     slots=120)
    services.programme_open(actor=cast.city_admin, programme=programme)
    people = bulk_members(cast.tech, 600, employer=cast.enterprise)
    actor = cast.city_admin
    actor.staff.node  # noqa: B018
    results = _run(lambda p: services.claim_create(actor=actor, programme=programme.pk, person=p), people)
    assert Counter(kind for kind, _ in results) == {"ok": 120, "refused": 480}
    assert ProgrammeQuota.objects.get(programme=programme).remaining == 0
    programme.refresh_from_db()
    assert programme.remaining == 180


def test_cancellations_racing_claims_never_oversell(on_postgres, cast):
    programme = make_programme(cast.city_admin, cast.hangzhou, quota=50, waitlist=True)
    first = bulk_members(cast.tech, 50)
    actor = cast.city_admin
    actor.staff.node  # noqa: B018
    claims = [services.claim_create(actor=actor, programme=programme.pk, person=p) for p in first]
    late = bulk_members(cast.tech, 100)

    def work(i):
        if i < 25:
            return services.claim_cancel(actor=actor, claim=claims[i])
        return services.claim_create(actor=actor, programme=programme.pk, person=late[i - 25])

    _run(work, range(125))
    granted = BenefitClaim.objects.filter(programme=programme, status=ClaimStatus.GRANTED).count()
    programme.refresh_from_db()
    assert granted + programme.remaining == 50 and granted == 50  # every freed place went to the waitlist
    assert BenefitClaim.objects.filter(programme=programme, status=ClaimStatus.WAITLISTED).count() == 75


def _approved_reimbursements(cast, n):
    programme = make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.REIMBURSEMENT, quota=n + 10,
                               reimbursement_cap_fen=6000)
    people = bulk_members(cast.riders, n, employment_form="rider")
    items = []
    for p in people:
        p.bank_account, p.bank_account_mask, p.bank_name = "6222020000001234", "**** **** 1234", "工商银行"
        p.save(update_fields=["bank_account", "bank_account_mask", "bank_name"])
        item = services.reimbursement_submit(actor=clerk(cast), programme=programme.pk, person=p,
                                             amount_fen=7000, receipt=receipt_png())
        items.append(services.reimbursement_approve(actor=cast.city_admin, reimbursement=item))
    return programme, items


def test_parallel_batches_pay_each_reimbursement_once(on_postgres, cast):
    programme, items = _approved_reimbursements(cast, 20)
    actor = cast.finance
    actor.staff.node  # noqa: B018
    results = _run(lambda _: services.payment_batch_create(actor=actor, programme=programme), range(12), threads=12)
    assert all(kind == "ok" for kind, _ in results)
    live = ReimbursementPayment.objects.filter(reimbursement__programme=programme)
    assert live.count() == 20
    assert sorted(live.values_list("reimbursement_id", flat=True)) == sorted(i.pk for i in items)
    assert all(p.amount_fen == 6000 for p in live)  # capped


def test_parallel_receipts_and_retries_pay_once(on_postgres, cast):
    programme, items = _approved_reimbursements(cast, 3)
    batch, _ = services.payment_batch_create(actor=cast.finance, programme=programme)
    pays = list(batch.payments.order_by("id"))
    actor = cast.finance
    actor.staff.node  # noqa: B018
    # The same bank receipt posted by 30 threads: one transition, the rest are no-ops.
    _run(lambda _: services.payment_mark_paid(actor=actor, payment=pays[0], bank_reference="B-0001"), range(30))
    # A failure retried by 30 threads at once: exactly one new attempt.
    services.payment_mark_failed(actor=actor, payment=pays[1], reason="账户已销户")
    results = _run(lambda _: services.payment_retry(actor=actor, payment=pays[1]), range(30))
    assert Counter(kind for kind, _ in results) == {"ok": 1, "refused": 29}
    assert ReimbursementPayment.objects.filter(reimbursement=items[1]).count() == 2
    assert ReimbursementPayment.objects.filter(reimbursement=items[1]).exclude(status=PaymentStatus.FAILED).count() == 1
    from huigong.core.models import AuditEvent

    assert AuditEvent.objects.filter(verb="reimbursement_payment.paid", object_id=str(pays[0].pk)).count() == 1
    assert Reimbursement.objects.get(pk=items[0].pk).status == ReimbursementStatus.PAID
    assert Reimbursement.objects.get(pk=items[1].pk).status == ReimbursementStatus.APPROVED
    assert BenefitProgramme.objects.get(pk=programme.pk).remaining == 10
