"""The dashboard's by-union table of a union with own members."""

from __future__ import annotations

from huigong.insights.periods import parse_period
from huigong.insights.rollups import rollups_refresh
from huigong.insights.selectors import RAW, ROLLUP, _dashboard_data


def test_a_union_with_members_but_none_new_in_the_period_has_a_dashboard(kpi_world):
    """The 本级 row is in the active list and not in the new one: the rows are merged, not zipped."""
    w = kpi_world
    rollups_refresh()
    for source in (ROLLUP, RAW):
        data = _dashboard_data(w.tech, parse_period("2025-06"), source=source)
        assert data["children"] == [
            {"id": None, "name": "本级", "has_children": False, "active": 2, "new": 0}
        ], source
    # A node with children keeps them in path order after its own row.
    data = _dashboard_data(w.xihu, parse_period("2025-02"), source=ROLLUP)
    assert [c["id"] for c in data["children"]] == [w.riders.pk, w.tech.pk]
