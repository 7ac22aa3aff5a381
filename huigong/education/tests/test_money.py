"""Tranches through the kernel's disbursement service: no tranche paid twice, none after the stop,
automatic stop when the worker leaves, clawback recorded, nobody pays what they approved. The row-lock
and race tests need PostgreSQL."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from huigong.education import clock, services
from huigong.education.models import (
    Application,
    Clawback,
    EnrolmentStatus,
    SubsidyPayment,
    Tranche,
    TrancheStatus,
)
from huigong.education.services import notices as edu_notices
from huigong.education.services import payments
from huigong.education.testing import World, applicant, make_programme
from huigong.members.models import Membership, MembershipStatus
from huigong.portal.models import Message


@pytest.fixture
def w(cast):
    return World(cast)


def _enrolled(w, *, n=1, **kw):
    p = make_programme(w.c.city_admin, w.c.hangzhou, total=n, **kw)
    apps, notice = w.confirmed(p, [applicant(w.c.city_admin, w.c.tech) for _ in range(n)])
    with clock.travel(notice.ends_on):
        edu_notices.notice_end(actor=w.c.city_admin, notice=notice)
    out = []
    for a in apps:
        a = Application.objects.get(pk=a.pk)
        out.append(services.enrolment_confirm(actor=w.c.city_admin, application=a, enrolled_on=timezone.localdate()))
    return p, out


def test_enrolment_tranche_paid_once_and_a_repeat_changes_nothing(w, on_postgres):
    p, [e] = _enrolled(w)
    batch, skipped = payments.batch_create(actor=w.c.finance, programme=p)
    assert skipped == []
    pay = batch.payments.get()
    assert pay.amount_fen == 100000 and Tranche.objects.get(pk=pay.tranche_id).status == TrancheStatus.PAYING
    payments.batch_bank_sheet(actor=w.c.finance, batch=batch)
    payments.payment_mark_paid(actor=w.c.finance, payment=pay, bank_reference="B001")
    payments.payment_mark_paid(actor=w.c.finance, payment=pay, bank_reference="B001")  # the bank's receipt again
    t = Tranche.objects.get(pk=pay.tranche_id)
    assert t.status == TrancheStatus.PAID and t.payments.count() == 1
    # A second batch finds nothing to pay; the database refuses a second live payment outright.
    batch2, _s = payments.batch_create(actor=w.c.finance, programme=p)
    assert batch2.payments.count() == 0
    with pytest.raises(IntegrityError), transaction.atomic():
        SubsidyPayment.objects.create(tranche=t, batch=batch2, attempt=2, amount_fen=t.amount_fen,
                                      idempotency_key="hg-edu-x", payee_name="x", bank_account_mask="1", bank_account="1")
    r = payments.reconcile()
    assert r.ok and r.paid_fen == 100000 and r.paid_twice == 0
    assert Message.objects.filter(person_id=e.person_id, title__contains="已发放").count() == 1


def test_no_tranche_paid_after_the_stop(w, on_postgres):
    """A worker who leaves the union: the periodic job stops the enrolment and every tranche not paid,
    records why and tells her; the payment already at the bank can no longer be marked paid."""
    p, [e] = _enrolled(w)
    batch, _s = payments.batch_create(actor=w.c.finance, programme=p)
    pay = batch.payments.get()
    payments.batch_bank_sheet(actor=w.c.finance, batch=batch)
    Membership.objects.filter(person_id=e.person_id).update(status=MembershipStatus.WITHDRAWN,
                                                             ended_on=timezone.localdate())
    assert services.leavers_stop() == 1
    assert services.leavers_stop() == 0  # idempotent
    e.refresh_from_db()
    assert e.status == EnrolmentStatus.STOPPED and "离开工会" in e.end_reason
    assert set(Tranche.objects.filter(application_id=e.application_id).values_list("status", flat=True)) == {
        TrancheStatus.STOPPED}
    with pytest.raises(ValidationError, match="已停发"):
        payments.payment_mark_paid(actor=w.c.finance, payment=pay, bank_reference="B9")
    pay.refresh_from_db()
    assert pay.status != "paid"
    payments.payment_mark_failed(actor=w.c.finance, payment=pay, reason="补贴已停发，退回")
    with pytest.raises(ValidationError, match="停发"):
        payments.payment_retry(actor=w.c.finance, payment=pay)
    assert not SubsidyPayment.objects.filter(tranche__application_id=e.application_id, status="paid").exists()
    assert Message.objects.filter(person_id=e.person_id, title__contains="停发").exists()


def test_moving_out_of_the_region_stops_too(w, on_postgres):
    p, [e] = _enrolled(w)
    m = Membership.objects.get(person_id=e.person_id, status=MembershipStatus.ACTIVE)
    m.union = w.c.qd_ent  # a transfer to a union outside the round's subtree (Qingdao)
    m.save()
    assert services.leavers_stop() == 1
    e.refresh_from_db()
    assert e.status == EnrolmentStatus.STOPPED and w.c.qd_ent.name in e.end_reason


def test_drop_out_stops_and_records_the_clawback(w, on_postgres):
    p, [e] = _enrolled(w, clawback_on_dropout=True)
    batch, _s = payments.batch_create(actor=w.c.finance, programme=p)
    payments.batch_bank_sheet(actor=w.c.finance, batch=batch)
    payments.payment_mark_paid(actor=w.c.finance, payment=batch.payments.get(), bank_reference="B1")
    with pytest.raises(ValidationError):
        services.enrolment_drop(actor=w.c.city_admin, enrolment=e, reason="")
    services.enrolment_drop(actor=w.c.city_admin, enrolment=e, reason="工作调动")
    claw = Clawback.objects.get(enrolment=e)
    assert claw.amount_fen == 100000
    assert Tranche.objects.filter(application_id=e.application_id, status=TrancheStatus.STOPPED).count() == 2
    assert payments.batch_create(actor=w.c.finance, programme=p)[0].payments.count() == 0


def test_nobody_pays_what_they_approved(w, on_postgres):
    """A payer who decided a step of the application: left out of the batch with the reason, and
    refused on a payment another payer batched."""
    from huigong.core.duties import DutyConflict
    from huigong.education.models import ApplicationStep

    p, [e] = _enrolled(w)
    batch, _s = payments.batch_create(actor=w.c.finance, programme=p)
    pay = batch.payments.get()
    payments.payment_mark_failed(actor=w.c.finance, payment=pay, reason="账户冻结")
    ApplicationStep.objects.filter(application_id=e.application_id, seq=1).update(decided_by=w.c.finance)
    with pytest.raises(DutyConflict):
        payments.payment_retry(actor=w.c.finance, payment=pay)
    Tranche.objects.filter(pk=pay.tranche_id).update(status=TrancheStatus.DUE)
    batch2, skipped = payments.batch_create(actor=w.c.finance, programme=p)
    assert batch2.payments.count() == 0 and any("职责分离" in s for s in skipped)


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_and_receipts_never_pay_a_tranche_twice(on_postgres):
    """Eight batch builders at once (real threads, PostgreSQL), then every receipt twice at once: each
    tranche is in exactly one live payment and paid once; the ledger reconciles."""
    from huigong.testing import Cast, run_in_threads

    w = World(Cast().build())
    p, _enrolments = _enrolled(w, n=6)
    ids = set(Tranche.objects.filter(application__programme=p, status=TrancheStatus.DUE).values_list("pk", flat=True))
    assert len(ids) == 6
    run_in_threads(lambda _i: payments.batch_create(actor=w.c.finance, programme=p), range(8), threads=8)
    live = list(SubsidyPayment.objects.filter(tranche_id__in=ids).values_list("tranche_id", flat=True))
    assert sorted(live) == sorted(ids)
    pays = list(SubsidyPayment.objects.filter(tranche_id__in=ids))
    for b in {x.batch_id for x in pays}:
        payments.batch_bank_sheet(actor=w.c.finance, batch=type(pays[0].batch).objects.get(pk=b))
    run_in_threads(lambda x: payments.payment_mark_paid(actor=w.c.finance, payment=x, bank_reference=f"R{x.pk}"),
                   pays + pays, threads=8)
    assert Tranche.objects.filter(pk__in=ids, status=TrancheStatus.PAID).count() == 6
    r = payments.reconcile()
    assert r.ok and r.paid_twice == 0 and r.paid_fen == 6 * 100000
