"""GET /api/v1/kpis and /api/v1/kpis/{name}: catalogue, figures, scope, errors."""

from __future__ import annotations

import pytest

from huigong.api.tests.conftest import ApiClient, make_token
from huigong.insights.rollups import rollups_refresh


@pytest.fixture
def rolled(kpi_world):
    rollups_refresh()
    return kpi_world


def as_user(user) -> ApiClient:
    return ApiClient(make_token(user))


def test_catalogue_lists_every_kpi_with_its_meaning(rolled):
    r = as_user(rolled.viewer).get("kpis")
    assert r.status_code == 200
    by_name = {k["name"]: k for k in r.json()}
    assert {"members.active", "members.new", "members.new_form_share", "sites.count"} <= set(by_name)
    active = by_name["members.active"]
    assert active["kind"] == "stock" and active["unit"] == "person" and active["label"] == "在会会员"
    assert active["dimension"]["values"]["rider"] == "网约配送员/外卖骑手"
    assert ApiClient().get("kpis").status_code == 401


def test_kpi_for_node_period_with_previous_dims_and_children(rolled):
    w = rolled
    r = as_user(w.leader).get("kpis/members.new", {"node": w.hangzhou.pk, "period": "2025-Q1"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["value"] == 7 and body["previous"] == 1 and body["change"] == 6
    assert body["period"] == {
        "key": "2025-Q1",
        "label": "2025年第1季度",
        "start": "2025-01-01",
        "end": "2025-03-31",
    }
    assert body["previous_period"]["key"] == "2024-Q4"
    assert {d["key"]: d["value"] for d in body["dimensions"]}["contract"] == 3
    assert [(c["name"], c["value"]) for c in body["children"]] == [("西湖区总工会", 5), ("拱墅区总工会", 2)]
    assert body["as_of"]


def test_ratio_kpi(rolled):
    w = rolled
    r = as_user(w.leader).get("kpis/members.new_form_share", {"node": w.riders.pk, "period": "2025-03"})
    assert r.status_code == 200
    assert r.json()["value"] == 100.0


def test_outsider_and_lower_staff_are_refused_nodes_outside_their_subtree(rolled):
    w = rolled
    assert as_user(w.outsider).get("kpis/members.active", {"node": w.xihu.pk}).status_code == 404
    assert as_user(w.tech_staff).get("kpis/members.active", {"node": w.hangzhou.pk}).status_code == 404
    mine = as_user(w.outsider).get("kpis/members.active", {"period": "2025"})
    assert (
        mine.status_code == 200 and mine.json()["node_name"] == "青岛市总工会" and mine.json()["value"] == 1
    )


def test_errors_are_clear(rolled):
    w = rolled
    c = as_user(w.leader)
    assert c.get("kpis/no.such").status_code == 404
    assert c.get("kpis/members.active", {"node": 10**12}).status_code == 404
    r = c.get("kpis/members.active", {"period": "2025-13"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "period" and "期间格式" in r.json()["detail"][0]["message"]
