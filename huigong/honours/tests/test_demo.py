"""The honours part of the demo on a small world: Tianjin's titles with entitlements, the campaign whose
list was blocked by the women's share rule and then went up, the coal mine's verified figures."""

from decimal import Decimal

import pytest

from huigong.core.models import AuditEvent
from huigong.honours.models import (
    Campaign,
    EntitlementStatus,
    Gain,
    Honour,
    Innovation,
    InnovationStatus,
    ListStatus,
    NominationList,
)


@pytest.fixture(scope="module")
def demo(demo_world):
    """The demo world every app's demo tests share (conftest's `demo_world`: built once, rolled back)."""
    return demo_world


def test_tianjin_model_workers_with_entitlements(demo, db):
    assert "honours:" in demo
    print(next(line for line in demo.splitlines() if "honours:" in line))
    tj = Honour.objects.filter(node_path__startswith=Campaign.objects.get(title__contains="天津").node_path)
    assert tj.count() == 16 and tj.filter(title_type="craftsman").count() == 4
    model_workers = tj.filter(title_type="model_worker")
    assert all(h.entitlements.count() == 4 for h in model_workers)
    assert model_workers.filter(entitlements__status=EntitlementStatus.DELIVERED).exists()


def test_campaign_list_blocked_then_fixed(demo, db):
    nl = NominationList.objects.get(node__name="滨海新区总工会")
    assert nl.status == ListStatus.IN_APPROVAL and nl.nominees.count() == 5
    removed = AuditEvent.objects.filter(verb="nominee.remove", object_id=str(nl.pk))
    assert removed.count() == 1
    assert "女性须不低于 20%" in demo or "女性须不低于 20%" in "".join(
        AuditEvent.objects.filter(verb="demo.seed").values_list("new", flat=True).first().get("extras", []))


def test_coal_mine_figures_are_verified(demo, db):
    mine = Innovation.objects.filter(union__name__contains="二号煤矿")
    assert mine.filter(status=InnovationStatus.ADOPTED).count() == 4
    g = Gain.objects.get(metric__startswith="每班入洗量")
    assert g.after - g.baseline == Decimal("1600") and g.verified
    moisture = Gain.objects.get(metric="商品煤水分")
    assert (moisture.baseline, moisture.after) == (Decimal("10"), Decimal("8.5")) and moisture.verified
    assert sum(x.annual_value_fen for x in Gain.objects.filter(innovation__in=mine)) == 1_200_000_000
    suggestion = mine.get(kind="suggestion")
    assert suggestion.via_portal and all(r.reason for r in suggestion.reviews.all())
