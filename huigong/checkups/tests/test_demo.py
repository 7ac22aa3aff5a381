"""The check-ups part of the demo on a small world: Qingdao's 94 enterprises, 1,000+ findings in the
categories a labour-law check-up finds, most rectified and signed off at the return visit, some overdue;
the rows are consistent with what the services would have written."""

import pytest
from django.db.models import Count
from django.utils import timezone

from huigong.checkups import selectors
from huigong.checkups.models import Campaign, Finding
from huigong.core.outcomes.models import DONE, Status, TrackedItem

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(demo_world):
    """The demo world every app's demo tests share (conftest's `demo_world`: built once, rolled back)."""
    return demo_world


def test_qingdao_campaign(demo, db):
    assert "checkups: 94 enterprises examined" in demo
    c = Campaign.objects.get(node__name="青岛高新区总工会")
    r = selectors.campaign_report(c)
    assert r["exams"]["enrolled"] == 94 and r["exams"]["examined"] == 94 and r["exams"]["workers"] > 0
    t = r["totals"]
    assert t["total"] >= 1000 and t["closed"] / t["total"] > 0.7 and t["overdue"] > 0
    assert t["issued"] == t["total"] and 0 < t["accepted"] < t["issued"]
    assert len(r["by_category"]) >= 8 and r["by_category"][0]["category"] in ("contract", "wages", "hours")
    assert r["exams"]["return_visited"] > 60


def test_demo_rows_keep_the_tracker_invariants(demo, db):
    items = TrackedItem.objects.filter(kind="checkups.finding")
    assert items.count() == Finding.objects.count()
    assert not items.filter(status__in=DONE, ended_at__isnull=True).exists()
    assert not items.exclude(status__in=DONE).filter(ended_at__isnull=False).exists()
    # Closed only with current-cycle evidence of effect; the last status entry is the item's status.
    closed = items.filter(status=Status.CLOSED)
    assert not closed.exclude(evidence__of_effect=True).exists()
    for item in items.order_by("?")[:50]:
        last = item.timeline.exclude(to_status="").order_by("at", "id").last()
        assert last.to_status == item.status
    # Each finding's item names it back, and overdue items were escalated.
    assert not Finding.objects.exclude(item__source_id=Cast("pk")).exists()
    late = items.filter(status__in=["open", "in_progress", "reopened", "verifying"],
                        due_date__lt=timezone.localdate())
    assert late.exists() and not late.filter(escalation_level=0).exists()
    assert items.values("category").annotate(n=Count("pk")).count() >= 8


def Cast(field):
    from django.db.models import CharField
    from django.db.models.functions import Cast as _Cast

    return _Cast(field, CharField())
