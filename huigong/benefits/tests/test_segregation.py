"""Segregation of duties for reimbursements (ISSUE14 #10, core/duties.py): whoever submitted a
reimbursement does not review it, and whoever approved it does not pay it."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

from huigong.accounts.models import Role, StaffProfile
from huigong.benefits import services
from huigong.benefits.models import PaymentStatus, ProgrammeKind, Reimbursement, ReimbursementStatus
from huigong.benefits.testing import clerk, make_programme, receipt_png
from huigong.core.duties import DutyConflict
from huigong.members.models import Person
from huigong.testing import result_sheet

pytestmark = pytest.mark.django_db


def _submitted(cast, actor):
    rb = make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.REIMBURSEMENT, quota=10)
    person = Person.objects.get(pk=cast.rider.person_id)
    person.bank_account, person.bank_account_mask, person.bank_name = "6222020000005678", "**** 5678", "工商银行"
    person.save()
    return services.reimbursement_submit(actor=actor, programme=rb, person=person, amount_fen=5000,
                                         receipt=receipt_png())


def test_whoever_submitted_cannot_approve_or_reject(cast):
    item = _submitted(cast, cast.city_admin)
    with pytest.raises(DutyConflict, match="职责分离"):
        services.reimbursement_approve(actor=cast.city_admin, reimbursement=item)
    with pytest.raises(PermissionDenied):
        services.reimbursement_reject(actor=cast.city_admin, reimbursement=item, reason="票据不清")
    assert Reimbursement.objects.get(pk=item.pk).status == ReimbursementStatus.SUBMITTED
    assert services.reimbursement_approve(actor=clerk(cast), reimbursement=item).status == ReimbursementStatus.APPROVED


def test_whoever_approved_cannot_pay(cast):
    # Given a reimbursement approved by the admin, who later moves to finance
    item = services.reimbursement_approve(actor=cast.city_admin, reimbursement=_submitted(cast, clerk(cast)))
    StaffProfile.objects.filter(user=cast.city_admin).update(role=Role.FINANCE)
    cast.city_admin = get_user_model().objects.get(pk=cast.city_admin.pk)  # no cached profile
    # Their batch leaves it out, saying why
    batch, skipped = services.payment_batch_create(actor=cast.city_admin, programme=item.programme)
    assert batch.payments.count() == 0 and "职责分离" in skipped[0]
    # Another finance officer builds it; the former approver can neither export, settle nor import it
    batch, skipped = services.payment_batch_create(actor=cast.finance, programme=item.programme)
    pay = batch.payments.get()
    with pytest.raises(DutyConflict):
        services.payment_batch_bank_sheet(actor=cast.city_admin, batch=batch)
    with pytest.raises(DutyConflict):
        services.payment_mark_paid(actor=cast.city_admin, payment=pay, bank_reference="BK1")
    with pytest.raises(DutyConflict):
        services.payment_mark_failed(actor=cast.city_admin, payment=pay, reason="户名不符")
    sheet = result_sheet([[1, "x", "", "", 50, "", pay.idempotency_key, "成功", "BK1", ""]])
    with pytest.raises(DutyConflict):
        services.payment_batch_import_results(actor=cast.city_admin, batch=batch, data=sheet)
    pay.refresh_from_db()
    assert pay.status == PaymentStatus.PENDING
    assert services.payment_batch_import_results(actor=cast.finance, batch=batch, data=sheet)["paid"] == 1


def test_the_review_page_says_why_the_submitter_cannot_approve(client, cast):
    item = _submitted(cast, cast.city_admin)
    client.force_login(cast.city_admin)
    r = client.post(f"/benefits/reimbursements/{item.pk}/", {"action": "approve", "approved_yuan": "50.00"})
    assert r.status_code == 200 and "职责分离" in r.content.decode()
    assert Reimbursement.objects.get(pk=item.pk).status == ReimbursementStatus.SUBMITTED
