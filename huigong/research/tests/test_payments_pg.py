"""Money on PostgreSQL with real threads: concurrent batches split the payable tranches (none in two
batches), concurrent receipts for one payment pay its tranche once, and the ledger reconciles."""

from collections import Counter

import pytest

from huigong.research import payments, services
from huigong.research.models import Tranche, TrancheBatch, TranchePayment, TrancheStatus
from huigong.research.testing import make_programme, make_project
from huigong.testing import make_staff, run_in_threads

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def _projects(cast, programme, n):
    out = []
    for i in range(n):
        p = make_project(cast, programme, topic=programme.topics.all()[i % 2])
        p = services.project_submit(actor=cast.district_staff, project=p)
        out.append(services.project_decide(actor=cast.city_admin, project=p, decision="approved"))
    return out


def test_concurrent_batches_never_take_a_tranche_twice(on_postgres, cast):
    programme = make_programme(cast, budget_fen=10_000_000)
    _projects(cast, programme, 12)
    officers = [make_staff(cast.hangzhou, "finance") for _ in range(8)]
    for o in officers:
        o.staff.node  # noqa: B018 (warm the profile before the threads share it)
    results = run_in_threads(lambda o: payments.batch_create(actor=o, programme=programme), officers, threads=8)
    assert {kind for kind, _ in results} <= {"ok", "refused"}
    keys = list(TranchePayment.objects.values_list("tranche_id", flat=True))
    assert len(keys) == len(set(keys)) == 12  # every payable tranche, each in one batch
    assert TrancheBatch.objects.filter(payments__isnull=False).distinct().count() >= 1


def test_concurrent_receipts_pay_a_tranche_once(on_postgres, cast):
    programme = make_programme(cast, budget_fen=10_000_000)
    project = _projects(cast, programme, 1)[0]
    batch, _ = payments.batch_create(actor=cast.finance, programme=programme)
    pay = batch.payments.get()
    officers = [cast.finance] + [make_staff(cast.hangzhou, "finance") for _ in range(5)]
    for o in officers:
        o.staff.node  # noqa: B018
    results = run_in_threads(lambda o: payments.mark_paid(actor=o, payment=pay, bank_reference="B-77"),
                             officers * 4, threads=12)
    assert Counter(kind for kind, _ in results) == {"ok": 24}
    from huigong.core.audit import AuditEvent

    assert AuditEvent.objects.filter(verb="research_payment.paid", object_id=str(pay.pk)).count() == 1
    t = Tranche.objects.get(pk=pay.tranche_id)
    assert t.status == TrancheStatus.PAID
    rec = payments.reconcile(programme)
    assert rec.ok
    assert project.tranches.filter(status=TrancheStatus.PAID).count() == 1
