"""Tranche payments through core.disbursement: payable tranches only, nobody pays what they approved,
the bank's sheet hands each payment over once, a result sheet imported twice pays nobody twice, a failed
tranche is retried on the same row, a terminated project's unpaid tranches are never paid."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from huigong.accounts.models import StaffProfile
from huigong.core.audit import AuditEvent
from huigong.core.disbursement.models import State
from huigong.core.models import AccessLog
from huigong.core.scope import OutOfScope
from huigong.research import payments, services
from huigong.research.models import Tranche, TrancheStatus
from huigong.research.testing import approved_project, make_project, reported_project
from huigong.testing import bank_fills, make_staff


def _keys(batch):
    return sorted(batch.payments.values_list("idempotency_key", flat=True))


def test_batch_takes_due_tranches_only_and_each_once(w):
    p = approved_project(w, w.programme)
    batch, skipped = payments.batch_create(actor=w.finance, programme=w.programme)
    first = p.tranches.get(seq=1)
    assert _keys(batch) == [f"rs-{first.pk}"] and skipped == []
    with pytest.raises(ValidationError) as e:  # nothing payable left: the locked tranches wait for their trigger
        payments.batch_create(actor=w.finance, programme=w.programme)
    assert "没有可发放" in " ".join(e.value.messages)


def test_only_finance_of_the_programme_union_pays(w):
    approved_project(w, w.programme)
    with pytest.raises(PermissionDenied):
        payments.batch_create(actor=w.city_admin, programme=w.programme)
    with pytest.raises(PermissionDenied):
        payments.batch_create(actor=make_staff(w.xihu, "finance"), programme=w.programme)
    with pytest.raises(OutOfScope):
        payments.batch_create(actor=make_staff(w.qingdao, "finance"), programme=w.programme)


def test_nobody_pays_what_they_approved(w):
    approver_with_money = make_staff(w.hangzhou, "finance")
    p = services.project_submit(actor=w.district_staff, project=make_project(w, w.programme))
    services.project_decide(actor=w.leader, project=p, decision="approved")
    # The leader who approved later moves to finance: the approval still bars them from paying it.
    StaffProfile.objects.filter(user=w.leader).update(role="finance")
    w.leader.refresh_from_db()
    with pytest.raises(ValidationError) as e:
        payments.batch_create(actor=w.leader, programme=w.programme)
    assert "职责分离" in " ".join(e.value.messages)
    batch, _ = payments.batch_create(actor=approver_with_money, programme=w.programme)
    assert batch.payments.count() == 1


def test_sheet_then_results_pay_once_and_release_nothing_else(w):
    p = approved_project(w, w.programme)
    batch, _ = payments.batch_create(actor=w.finance, programme=w.programme)
    sheet = payments.bank_sheet(actor=w.finance, batch=batch)
    pay = batch.payments.get()
    assert pay.status == State.SENT
    with pytest.raises(ValidationError):  # handed over once: a second new sheet has nothing to send
        payments.bank_sheet(actor=w.finance, batch=batch)
    results = bank_fills(sheet.content, {f"{pay.idempotency_key}#1": ("成功", "B-0001", "")})
    assert payments.import_results(actor=w.finance, batch=batch, data=results)["paid"] == 1
    again = payments.import_results(actor=w.finance, batch=batch, data=results)
    assert again["paid"] == 0
    t = Tranche.objects.get(pk=pay.tranche_id)
    assert t.status == TrancheStatus.PAID
    assert AuditEvent.objects.filter(verb="research_payment.paid").count() == 1
    assert payments.reconcile(w.programme).ok
    assert set(p.tranches.exclude(pk=t.pk).values_list("status", flat=True)) == {TrancheStatus.LOCKED}


def test_full_account_sheet_needs_pii_and_leaves_an_access_row(w):
    approved_project(w, w.programme)
    batch, _ = payments.batch_create(actor=w.finance, programme=w.programme)
    payments.bank_sheet(actor=w.finance, batch=batch, full=True)
    assert AccessLog.objects.filter(object_type="research.tranchepayment", object_id=f"batch:{batch.pk}").exists()


def test_failed_tranche_is_retried_on_the_same_row(w):
    approved_project(w, w.programme)
    batch, _ = payments.batch_create(actor=w.finance, programme=w.programme)
    pay = batch.payments.get()
    payments.mark_failed(actor=w.finance, payment=pay, reason="账户已销户")
    again = payments.retry(actor=w.finance, payment=pay)
    assert again.pk == pay.pk and again.attempts == 2 and again.status == State.PENDING
    payments.mark_paid(actor=w.finance, payment=again, bank_reference="B-2")
    paid = payments.mark_paid(actor=w.finance, payment=again, bank_reference="B-2")  # a repeat is a no-op
    assert paid.status == State.PAID
    with pytest.raises(ValidationError):
        payments.retry(actor=w.finance, payment=paid)
    assert Tranche.objects.get(pk=pay.tranche_id).status == TrancheStatus.PAID


def test_midterm_and_completion_release_their_tranches(w):
    p, _r = reported_project(w, w.programme, seed=81, accept=True)
    batch, _ = payments.batch_create(actor=w.finance, programme=w.programme)
    assert batch.payments.count() == 3
    assert sum(batch.payments.values_list("amount_fen", flat=True)) == p.approved_fen


def test_terminated_project_is_not_paid_further(w):
    p = approved_project(w, w.programme)
    services.midterm_check(actor=w.city_admin, project=p, verdict="fail", comment="未开展调研")
    with pytest.raises(ValidationError):
        payments.batch_create(actor=w.finance, programme=w.programme)
