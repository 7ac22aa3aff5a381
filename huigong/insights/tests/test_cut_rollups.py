"""Comparisons of running periods from the cut rows (the cut month's days to the cut, per node), not
from the base tables; correct for a node, its parent and other subtrees, after a write and when the
day changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from huigong.insights import kpis as catalogue
from huigong.insights.models import KpiCutRollup, RollupState
from huigong.insights.periods import parse_period
from huigong.insights.rollups import cut_days, rollups_refresh_if_changed
from huigong.insights.selectors import RAW, comparison_values
from huigong.members.models import EmploymentForm
from huigong.testing import make_member

BASE_TABLES = ("members_", "assistance_", "benefits_", "orgs_servicesite", "orgs_enterprise", "portal_")
RUNNING = ["2025-03", "2025-Q1", "2025"]  # on 10 March 2025: cut 10 Feb, 10 Dec 2024, 10 Mar 2024


def _names() -> list[str]:
    return [k.name for k in catalogue.CATALOGUE.values() if k.available]


def _compare(node, key, source="auto"):
    return {n: v.value for n, v in comparison_values(_names(), node, parse_period(key).comparison(),
                                                     source=source).items()}


def _base_reads(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if any(f'"{t}' in q["sql"] or f" {t}" in q["sql"]
                                                         for t in BASE_TABLES)]


def test_cut_days_are_today_in_the_months_a_running_period_compares_with():
    assert cut_days(dt.date(2025, 3, 10)) == [dt.date(2025, 2, 10), dt.date(2024, 12, 10), dt.date(2024, 3, 10)]
    # A day the earlier month does not have: its last day.
    assert cut_days(dt.date(2025, 5, 31)) == [dt.date(2025, 4, 30), dt.date(2025, 2, 28), dt.date(2024, 5, 31)]


def test_running_periods_compare_from_the_cut_rows(march_10):
    w = march_10
    assert RollupState.objects.filter(cut_day=dt.date(2025, 3, 10)).count() == len(
        [k for k in catalogue.stored_kpis() if k.available])
    assert KpiCutRollup.objects.filter(kpi="members.new", cut=dt.date(2025, 2, 10)).exists()
    # A node with subtree rows, its parent, the district below it (own rows), its sibling district and
    # a city of another province: the same figures as from the base tables, without reading them.
    for node in (w.hangzhou, w.zhejiang, w.xihu, w.gongshu, w.qingdao, w.root):
        for key in RUNNING:
            with CaptureQueriesContext(connection) as ctx:
                got = _compare(node, key)
            assert _base_reads(ctx) == [], (node.name, key)
            assert got == _compare(node, key, RAW), (node.name, key)


def test_the_cut_rows_count_what_the_test_counts(march_10):
    """Independent counts from the fixture's join days: 1–10 February 2025 has 科技's dispatch worker
    (3 Feb) only; 1–10 December 2024 none (the rider joined on 31 December)."""
    w = march_10
    assert _compare(w.hangzhou, "2025-03")["members.new"] == 1
    assert _compare(w.xihu, "2025-03")["members.new"] == 1
    assert _compare(w.gongshu, "2025-03")["members.new"] == 0  # 14 February is after the cut
    assert _compare(w.qingdao, "2025-03")["members.new"] == 0
    assert _compare(w.hangzhou, "2025-Q1")["members.new"] == 0


def test_a_write_reaches_the_cut_rows_at_the_next_refresh(march_10):
    w = march_10
    make_member(w.city_admin, w.gs_ent, "二月新会员", employment_form=EmploymentForm.RIDER,
                joined_on=dt.date(2025, 2, 5))
    done = {r.kpi for r in rollups_refresh_if_changed()}
    assert "members.new" in done and "members.active" in done
    with CaptureQueriesContext(connection) as ctx:
        got = _compare(w.gongshu, "2025-03")
    assert _base_reads(ctx) == []
    assert got["members.new"] == 1 and got == _compare(w.gongshu, "2025-03", RAW)
    assert _compare(w.hangzhou, "2025-03")["members.new"] == 2


def test_the_next_day_reads_the_base_tables_until_the_cut_rows_are_rebuilt(march_10, monkeypatch):
    w = march_10
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2025, 3, 11))
    with CaptureQueriesContext(connection) as ctx:
        got = _compare(w.hangzhou, "2025-03")
    assert _base_reads(ctx)  # 10 February's rows do not answer a cut at 11 February
    assert got == _compare(w.hangzhou, "2025-03", RAW)
    # The periodic job rebuilds every KPI for the new day, though nothing was written.
    done = {r.kpi for r in rollups_refresh_if_changed()}
    assert done == {k.name for k in catalogue.stored_kpis() if k.available}
    assert set(RollupState.objects.values_list("cut_day", flat=True)) == {dt.date(2025, 3, 11)}
    with CaptureQueriesContext(connection) as ctx:
        again = _compare(w.hangzhou, "2025-03")
    assert _base_reads(ctx) == [] and again == got
    assert rollups_refresh_if_changed() == []


@pytest.mark.parametrize("key", ["2025-02", "2024"])
def test_a_past_period_needs_no_cut_rows(march_10, key):
    w = march_10
    assert parse_period(key).comparison().cut is None
    KpiCutRollup.objects.all().delete()
    assert _compare(w.hangzhou, key) == _compare(w.hangzhou, key, RAW)


def test_a_kpi_with_a_dimension_stores_no_total_rows(march_10):
    """Totals are the sum of the values' rows (the other tests check the figures)."""
    from huigong.insights.models import KpiRollup

    for model in (KpiRollup, KpiCutRollup):
        assert model.objects.filter(kpi="members.active").exists()
        assert not model.objects.filter(kpi="members.active", dim="").exists()


def test_rollups_built_for_fewer_levels_are_not_read_until_rebuilt(kpi_world, settings):
    """Raising HUIGONG_INSIGHTS_TREE_DEPTH (as the upgrade to 4 did): a district's figures must not be
    read from subtree rows its rollups do not have yet (they read as 0); the base tables answer until
    the periodic job has rebuilt every KPI."""
    from huigong.insights.rollups import rollups_refresh
    from huigong.insights.selectors import ROLLUP, dashboard_data, kpi_value

    w = kpi_world
    period = parse_period("2025")
    active = catalogue.CATALOGUE["members.active"]
    settings.HUIGONG_INSIGHTS_TREE_DEPTH = 3
    rollups_refresh()
    settings.HUIGONG_INSIGHTS_TREE_DEPTH = 4
    assert w.xihu.depth == 4
    want = kpi_value(active, w.xihu, period, source=RAW).value
    assert want > 0
    assert kpi_value(active, w.xihu, period).value == want
    data = dashboard_data(w.xihu, period)
    assert data["source"] == RAW
    assert {c["name"]: c["value"] for c in data["cards"]}["members.active"] == want
    assert {r.kpi for r in rollups_refresh_if_changed()} == {k.name for k in catalogue.stored_kpis() if k.available}
    data = dashboard_data(w.xihu, period)
    assert data["source"] == ROLLUP
    assert {c["name"]: c["value"] for c in data["cards"]}["members.active"] == want
    assert rollups_refresh_if_changed() == []
