"""The research KPIs over the raw tables (both dialects): topics approved, reports accepted, budget
paid, people reached, recommendations adopted (the tracker's closed items of the kind) and open; and the
applicant is told of decisions through the notifications outbox."""

from django.utils import timezone

from huigong.core.notify.models import Notification
from huigong.core.outcomes import services as outcomes
from huigong.insights import kpis as catalogue
from huigong.insights.periods import parse_period
from huigong.insights.selectors import RAW, kpi_value
from huigong.research import payments
from huigong.research.testing import reported_project


def test_research_kpis(w):
    _p, r = reported_project(w, w.programme, seed=601, accept=True)
    batch, _ = payments.batch_create(actor=w.finance, programme=w.programme)
    for pay in batch.payments.order_by("pk")[:1]:
        payments.mark_paid(actor=w.finance, payment=pay, bank_reference="B-1")
    item = r.recommendations.order_by("seq").first().item
    outcomes.evidence_add(actor=w.city_admin, item=item, kind="instruction", issuer="市委主要领导", text="请研究落实",
                          of_effect=True)
    outcomes.item_submit(actor=w.city_admin, item=item)
    outcomes.item_verify(actor=w.leader, item=item, effective=True)
    period = parse_period(str(timezone.localdate().year))
    got = {name: kpi_value(catalogue.CATALOGUE[name], w.hangzhou, period, source=RAW).value
           for name in ("research.topics", "research.reports", "research.paid_fen", "research.people_reached",
                        "research.policies_adopted", "research.recommendations_open")}
    assert got == {"research.topics": 1, "research.reports": 1, "research.paid_fen": 40_000,
                   "research.people_reached": 35, "research.policies_adopted": 1, "research.recommendations_open": 1}
    # The district's figure holds its own team's project; Qingdao's holds nothing of it.
    assert kpi_value(catalogue.CATALOGUE["research.topics"], w.xihu, period, source=RAW).value == 1
    assert kpi_value(catalogue.CATALOGUE["research.topics"], w.qingdao, period, source=RAW).value == 0


def test_the_applicant_is_told_through_the_outbox(w):
    _p, _r = reported_project(w, w.programme, seed=602, accept=True)
    events = set(Notification.objects.filter(user=w.district_staff).values_list("event", flat=True))
    assert events == {"research.decided", "research.midterm", "research.report"}
