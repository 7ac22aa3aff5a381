"""#8: a node move must reach the subtree rollup rows of its old and new ancestors by the next tick."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from huigong.accounts.models import Role
from huigong.core import periodic
from huigong.insights import kpis as catalogue
from huigong.insights.models import KpiRollup
from huigong.insights.periods import parse_period
from huigong.insights.rollups import rollups_pending, rollups_refresh, tree_depth
from huigong.insights.selectors import RAW, ROLLUP, dashboard_data, kpi_by_child, kpi_value
from huigong.testing import make_staff

NODES = ("root", "zhejiang", "hangzhou", "xihu", "shandong", "qingdao", "gaoxin")


def _active(node, period):
    card = next(c for c in dashboard_data(node, period)["cards"] if c["name"] == "members.active")
    return card["value"]


def _next_tick():
    periodic.JOBS["insights.rollups_refresh"].last_run = 0.0  # the job is due
    assert periodic.tick()["insights.rollups_refresh"] == "ok"


@pytest.mark.parametrize(
    "mover, target",
    [
        ("xihu", "qingdao"),  # a district under another city: both provinces and cities change
        ("tech", "gaoxin"),  # a grassroots union: only its ancestors' subtree rows change
        ("tech", "zhejiang"),  # moved up to city depth: it gets subtree rows of its own
        ("hangzhou", "qingdao"),  # a city moved down: its subtree rows go, its children get them
    ],
)
def test_a_moved_subtree_counts_for_its_new_parent_after_the_next_tick(kpi_world, mover, target):
    from huigong.orgs.services import node_move

    w = kpi_world
    cache.clear()
    rollups_refresh()
    period = parse_period("2025")
    moved, new_parent = getattr(w, mover), getattr(w, target)
    active = catalogue.CATALOGUE["members.active"]
    moved_active = _active(moved, period)
    assert moved_active > 0
    national_admin = make_staff(w.root, Role.ADMIN, "national_admin")
    node_move(actor=national_admin, node=moved, new_parent=new_parent)
    assert rollups_pending()  # the pages say 有新数据待汇总 until the tick
    _next_tick()
    assert not rollups_pending()
    for name in NODES:
        node = getattr(w, name)
        node.refresh_from_db()
        raw = kpi_value(active, node, period, source=RAW).value
        assert _active(node, period) == raw, name
        assert dashboard_data(node, period)["source"] == ROLLUP
    moved.refresh_from_db()
    new_parent.refresh_from_db()
    assert _active(moved, period) == moved_active
    by_child = {r["node"].pk: r["value"] for r in kpi_by_child(active, new_parent, period) if r["node"]}
    assert by_child[moved.pk] == moved_active
    old_parent = {"xihu": w.hangzhou, "tech": w.xihu, "hangzhou": w.zhejiang}[mover]
    old_parent.refresh_from_db()
    assert moved.pk not in {r["node"].pk for r in kpi_by_child(active, old_parent, period) if r["node"]}
    # Subtree rows only for the top of the tree, wherever the move put a node.
    deep = KpiRollup.objects.filter(subtree=True, node__depth__gt=tree_depth())
    assert not deep.exists()
