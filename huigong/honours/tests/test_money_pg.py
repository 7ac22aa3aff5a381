"""Model workers' allowances on PostgreSQL with real threads: a holder's allowance is paid at most once
per year however many officers build batches at the same time, a repeated receipt changes nothing, and
nothing is paid after the title is revoked (left out of batches, refused on the sheet, refused when the
bank's receipt comes)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from huigong.core.disbursement import services as disbursement
from huigong.honours import services
from huigong.honours.models import AllowancePayment, EntitlementKind, EntitlementStatus, PayStatus
from huigong.honours.services import payments
from huigong.honours.testing import make_honour, pdf_file, worker, xihu_admin
from huigong.testing import make_staff, run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)

YEAR = dt.date.today().year


def _holders(cast, n):
    return [make_honour(cast, worker(cast, f"劳模{i}")) for i in range(n)]


def test_concurrent_batches_pay_each_allowance_once(on_postgres, cast):
    honours = _holders(cast, 6)
    officers = [make_staff(cast.hangzhou, "finance", f"fin{i}") for i in range(8)]
    for u in officers:
        u.staff.node  # noqa: B018  (warm the cached profile before the threads share it)
    results = run_in_threads(lambda u: services.allowance_batch_create(actor=u, node=cast.xihu, year=YEAR),
                             officers, threads=8)
    assert all(kind == "ok" for kind, _ in results)
    live = AllowancePayment.objects.exclude(status=PayStatus.FAILED)
    assert live.count() == len(honours)
    assert sorted(live.values_list("entitlement__honour_id", flat=True)) == sorted(h.pk for h in honours)


def test_a_receipt_twice_pays_once_and_reconciles(on_postgres, cast):
    (h,) = _holders(cast, 1)
    batch, skipped = services.allowance_batch_create(actor=cast.finance, node=cast.xihu, year=YEAR)
    assert skipped == []
    p = batch.payments.get()
    assert p.amount_fen == 240_000 and p.idempotency_key == f"hg-al-{p.entitlement_id}-1"
    sheet = payments.batch_bank_sheet(actor=cast.finance, batch=batch)
    assert sheet.rows == 1
    p.refresh_from_db()
    assert p.status == PayStatus.SENT
    results = run_in_threads(lambda _i: payments.payment_mark_paid(actor=cast.finance, payment=p,
                                                                    bank_reference="B-001"), range(6), threads=6)
    assert all(kind == "ok" for kind, _ in results)
    p.refresh_from_db()
    assert p.status == PayStatus.PAID
    e = h.entitlements.get(kind=EntitlementKind.ALLOWANCE)
    assert e.status == EntitlementStatus.DELIVERED
    # A second batch finds nothing to pay; the ledger equals what was paid, nobody paid twice.
    again, _s = services.allowance_batch_create(actor=cast.finance, node=cast.xihu, year=YEAR)
    assert not again.payments.exists()
    rec = disbursement.reconcile(payments.ALLOWANCE)
    assert rec.ok and rec.paid_fen == 240_000


def test_revoked_holders_allowance_is_stopped_everywhere(on_postgres, cast):
    a, b = _holders(cast, 2)
    batch, _s = services.allowance_batch_create(actor=cast.finance, node=cast.xihu, year=YEAR)
    pa = batch.payments.get(entitlement__honour=a)
    case = services.revocation_propose(actor=cast.district_staff, node=cast.xihu, honours=[a], ground="fraud",
                                       grounds_text="弄虚作假骗取荣誉，经查属实", evidence=pdf_file())
    services.revocation_decide(actor=xihu_admin(cast), case=case, decision="approved")
    services.revocation_decide(actor=cast.city_admin, case=case, decision="approved")
    assert a.entitlements.get(kind=EntitlementKind.ALLOWANCE).status == EntitlementStatus.STOPPED
    # The pending payment cannot go to the bank, nor be recorded as paid.
    with pytest.raises(ValidationError, match="已停止"):
        payments.batch_bank_sheet(actor=cast.finance, batch=batch)
    with pytest.raises(ValidationError, match="已停止"):
        payments.payment_mark_paid(actor=cast.finance, payment=pa, bank_reference="B-9")
    pa.refresh_from_db()
    assert pa.status == PayStatus.PENDING
    payments.payment_mark_failed(actor=cast.finance, payment=pa, reason="称号已撤销")
    # A new batch leaves the revoked holder out; the other is still paid.
    batch2, _s = services.allowance_batch_create(actor=cast.finance, node=cast.xihu, year=YEAR)
    assert not batch2.payments.filter(entitlement__honour=a).exists()
    with pytest.raises(ValidationError):  # a failed payment of a stopped allowance cannot be paid either
        payments.payment_mark_paid(actor=cast.finance, payment=pa, bank_reference="B-10")
    pb = batch.payments.get(entitlement__honour=b)
    payments.payment_mark_paid(actor=cast.finance, payment=pb, bank_reference="B-11")
    assert disbursement.reconcile(payments.ALLOWANCE).ok
    assert AllowancePayment.objects.filter(entitlement__honour=a, status=PayStatus.PAID).count() == 0


def test_whoever_granted_the_title_does_not_pay_it(on_postgres, cast):
    make_honour(cast, worker(cast, "自己登记"), actor=cast.city_admin)
    batch, skipped = services.allowance_batch_create(actor=cast.finance, node=cast.xihu, year=YEAR)
    assert batch.payments.count() == 1 and skipped == []
    # The officer who registered the title moves to finance: she still may not pay its allowance.
    cast.city_admin.staff.role = "finance"
    cast.city_admin.staff.save(update_fields=["role"])
    with pytest.raises(Exception, match="职责分离"):
        payments.payment_mark_paid(actor=cast.city_admin, payment=batch.payments.get(), bank_reference="X")
