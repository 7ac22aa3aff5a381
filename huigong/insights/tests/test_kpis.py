"""Each KPI against counts computed independently here (plain Python over the ORM rows), for a node,
its parent and a sibling, from the rollups and from the base tables, and after changes + refresh."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from huigong.insights import kpis as catalogue
from huigong.insights.periods import parse_period
from huigong.insights.rollups import rollups_refresh
from huigong.insights.selectors import RAW, ROLLUP, kpi_by_child, kpi_trend, kpi_value
from huigong.members.models import NEW_EMPLOYMENT_FORMS, Membership
from huigong.orgs.models import Enterprise, ServiceSite

PERIODS = ["2025-02", "2025-03", "2025-Q1", "2025", "2024-12:2025-02", "2024"]


def in_subtree(union, node) -> bool:
    return union.path.startswith(node.path)


def expected_members(node, period) -> dict[str, Counter]:
    start, end = period.start, period.end
    out = {k: Counter() for k in ("members.active", "members.new", "members.left", "members.transfers_in")}
    for m in Membership.objects.select_related("union", "person"):
        if not in_subtree(m.union, node):
            continue
        form = m.person.employment_form
        if m.joined_on <= end and (m.ended_on is None or m.ended_on > end):
            out["members.active"][form] += 1
        if start <= m.joined_on <= end:
            out["members.transfers_in" if m.source == "transfer" else "members.new"][form] += 1
        if m.status == "withdrawn" and m.ended_on and start <= m.ended_on <= end:
            out["members.left"][form] += 1
    return out


def expected_orgs(node, period) -> dict[str, Counter]:
    end = period.end
    ents = Counter(
        e.kind
        for e in Enterprise.objects.select_related("union")
        if in_subtree(e.union, node) and e.created_at.date() <= end
    )
    sites = Counter(
        s.kind
        for s in ServiceSite.objects.select_related("union")
        if in_subtree(s.union, node) and s.created_at.date() <= end and (s.closed_on is None or s.closed_on > end)
    )
    return {"units.enterprises": ents, "sites.count": sites}


def check_all(w, nodes, source):
    for node in nodes:
        for key in PERIODS:
            period = parse_period(key)
            want = {**expected_members(node, period), **expected_orgs(node, period)}
            for name, counter in want.items():
                got = kpi_value(catalogue.CATALOGUE[name], node, period, source=source)
                assert got.value == sum(counter.values()), (source, node.name, key, name)
                assert got.dims == {k: v for k, v in counter.items() if v}, (source, node.name, key, name)
            active = want["members.active"]
            total = sum(active.values())
            share = kpi_value(
                catalogue.CATALOGUE["members.new_form_share"], node, period, source=source
            ).value
            new_forms = sum(v for k, v in active.items() if k in NEW_EMPLOYMENT_FORMS)
            assert share == (round(new_forms * 100 / total, 1) if total else None), (source, node.name, key)


@pytest.fixture
def sites(kpi_world):
    from huigong.orgs.models import SiteKind
    from huigong.orgs.services import site_create

    w = kpi_world
    site_create(
        actor=w.city_admin, union=w.tech, name="西湖职工之家", kind=SiteKind.WORKERS_HOME, address="文三路1号"
    )
    site_create(
        actor=w.city_admin,
        union=w.gs_ent,
        name="拱墅爱心妈妈小屋",
        kind=SiteKind.MOTHERS_ROOM,
        address="拱墅1号",
    )
    site_create(
        actor=w.outsider,
        union=w.qd_ent,
        name="高新户外驿站",
        kind=SiteKind.OUTDOOR_STATION,
        address="高新1号",
    )
    return w


@pytest.mark.parametrize("source", [RAW, ROLLUP])
def test_kpis_match_independent_counts_for_node_parent_and_sibling(sites, source):
    w = sites
    rollups_refresh()
    check_all(w, [w.xihu, w.hangzhou, w.gongshu, w.tech, w.riders, w.qingdao, w.root], source)


def test_no_cross_subtree_leakage(kpi_world):
    w = kpi_world
    rollups_refresh()
    period = parse_period("2025")
    active = catalogue.CATALOGUE["members.active"]
    xihu = kpi_value(active, w.xihu, period, source=ROLLUP).value
    gongshu = kpi_value(active, w.gongshu, period, source=ROLLUP).value
    hangzhou = kpi_value(active, w.hangzhou, period, source=ROLLUP).value
    qingdao = kpi_value(active, w.qingdao, period, source=ROLLUP).value
    assert hangzhou == xihu + gongshu
    assert qingdao == 1
    root = kpi_value(active, w.root, period, source=ROLLUP).value
    assert root == hangzhou + qingdao


def test_after_changes_refresh_brings_rollups_back_in_line(kpi_world):
    from huigong.members.services import membership_withdraw
    from huigong.testing import make_member

    w = kpi_world
    rollups_refresh()
    period = parse_period("2025-03")
    active = catalogue.CATALOGUE["members.active"]
    before = kpi_value(active, w.xihu, period, source=ROLLUP).value
    make_member(w.city_admin, w.riders, "新骑手", employment_form="rider", joined_on=dt.date(2025, 3, 9))
    membership_withdraw(actor=w.city_admin, person=w.member.person, reason="离职", on=dt.date(2025, 3, 15))
    # Stale until refreshed; the base tables already know.
    assert kpi_value(active, w.xihu, period, source=ROLLUP).value == before
    assert kpi_value(active, w.xihu, period, source=RAW).value == before
    rollups_refresh(groups=["members"])
    check_all(w, [w.xihu, w.hangzhou, w.gongshu], ROLLUP)


def test_by_child_and_trend_agree_with_totals(kpi_world):
    w = kpi_world
    rollups_refresh()
    period = parse_period("2025-Q1")
    for name in ("members.active", "members.new"):
        k = catalogue.CATALOGUE[name]
        for source in (RAW, ROLLUP):
            rows = kpi_by_child(k, w.hangzhou, period, source=source)
            assert [r["node"].name for r in rows] == ["西湖区总工会", "拱墅区总工会"]
            assert sum(r["value"] for r in rows) == kpi_value(k, w.hangzhou, period, source=source).value
    for source in (RAW, ROLLUP):
        trend = kpi_trend(
            ["members.active", "members.new"], w.hangzhou, dt.date(2025, 3, 1), 4, source=source
        )
        months = [m for m, _v in trend["members.new"]]
        assert months == [dt.date(2024, 12, 1), dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)]
        for m, v in trend["members.new"]:
            key = f"{m:%Y-%m}"
            assert v == sum(expected_members(w.hangzhou, parse_period(key))["members.new"].values())
        for m, v in trend["members.active"]:
            key = f"{m:%Y-%m}"
            assert v == sum(expected_members(w.hangzhou, parse_period(key))["members.active"].values())


def test_periods_before_the_rollup_window_come_from_the_base_tables(kpi_world, settings):
    w = kpi_world
    settings.HUIGONG_INSIGHTS_YEARS = 1
    rollups_refresh()
    period = parse_period("2023-06")  # outside the window: AUTO must fall back to the base tables
    got = kpi_value(catalogue.CATALOGUE["members.active"], w.gongshu, period).value
    assert got == sum(expected_members(w.gongshu, period)["members.active"].values()) == 1


def test_roster_import_then_the_periodic_job_refreshes(kpi_world, settings, tmp_path):
    """An import writes an audit event; the periodic job sees it and rebuilds the rollups."""
    import random

    from huigong.core import periodic
    from huigong.insights.rollups import rollups_refresh_if_changed
    from huigong.members.roster import roster_import_start
    from huigong.members.roster.testing import person_row, roster_csv, upload

    settings.MEDIA_ROOT = str(tmp_path)
    w = kpi_world
    rollups_refresh()
    assert rollups_refresh_if_changed() == []  # nothing changed since
    period = parse_period("2025-04")
    new = catalogue.CATALOGUE["members.new"]
    before = kpi_value(new, w.tech, period, source=ROLLUP).value
    rng = random.Random(5)
    rows = [person_row(rng, 入会日期=f"2025-04-0{i + 1}") for i in range(3)]
    imp = roster_import_start(
        actor=w.city_admin, union=w.tech, upload=upload("四月名册.csv", roster_csv(rows))
    )
    imp.refresh_from_db()
    assert imp.status == "done", imp.message
    assert kpi_value(new, w.tech, period, source=ROLLUP).value == before  # stale until the job runs
    assert "insights.rollups_refresh" in periodic.JOBS
    done = rollups_refresh_if_changed()
    assert {r.kpi for r in done} >= {"members.new", "members.active"}
    assert kpi_value(new, w.tech, period, source=ROLLUP).value == before + 3
    check_all(w, [w.tech, w.xihu, w.gongshu], ROLLUP)
