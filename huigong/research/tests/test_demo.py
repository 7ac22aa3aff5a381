"""The research part of the demo on a small world: Hangzhou's 新音台 with 25 topics, 25 accepted
reports, 30 adopted policy measures, and the rider cadre's 642 orders."""

import pytest
from django.db.models import Sum

from huigong.core.outcomes.models import Status, TrackedItem
from huigong.research import payments
from huigong.research.models import FieldworkLog, Programme, Report, Tranche, TrancheStatus

pytestmark = pytest.mark.django_db


def test_demo_xinyintai(demo_world, db):
    """On the demo world every app's demo tests share (conftest's `demo_world`: built once, rolled back)."""
    assert "research: 新音台 25 topics, 25 reports" in demo_world
    p = Programme.objects.get(brand="新音台")
    assert p.node.name == "杭州市总工会" and p.topics.count() == 25
    assert Report.objects.filter(project__programme=p, status="accepted").count() == 25
    items = TrackedItem.objects.filter(kind="research.recommendation")
    assert items.filter(status=Status.CLOSED).count() == 30 and items.count() == 40
    assert all(i.evidence.filter(of_effect=True).exists() for i in items.filter(status=Status.CLOSED))
    rider = FieldworkLog.objects.filter(project__programme=p, kind="ride_along")
    assert rider.aggregate(s=Sum("orders"))["s"] == 642 and rider.values("cadre").distinct().count() == 1
    assert rider.first().cadre != "周杰"  # synthetic people only
    # Money: the first tranche of every project paid once, the later ones payable, the ledger reconciled.
    tranches = Tranche.objects.filter(project__programme=p)
    assert set(tranches.filter(trigger="approval").values_list("status", flat=True)) == {TrancheStatus.PAID}
    assert set(tranches.exclude(trigger="approval").values_list("status", flat=True)) == {TrancheStatus.DUE}
    assert payments.reconcile(p).ok
