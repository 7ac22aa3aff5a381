"""Regression tests for the review of huigong/insights (docs: /work/team/reviews/insights.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from huigong.insights import kpis as catalogue
from huigong.insights.periods import parse_period
from huigong.insights.rollups import rollups_refresh
from huigong.insights.selectors import RAW, ROLLUP, _dashboard_data, kpi_value

BASE_TABLES = ("members_membership", "members_person", "orgs_enterprise", "orgs_servicesite")


@pytest.fixture
def june_2025(monkeypatch):
    """The clock frozen on 15 June 2025 (Beijing) for everything that asks for today."""
    today = dt.date(2025, 6, 15)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: today)
    return today


def test_default_year_reads_rollups_only_while_the_year_runs(kpi_world, june_2025):
    """#1: "本年" ends in December, the rollups end this month; flows must still come from the rollups."""
    w = kpi_world
    rollups_refresh()
    period = parse_period("")  # this year so far
    assert period.key == "2025"
    with CaptureQueriesContext(connection) as ctx:
        data = _dashboard_data(w.hangzhou, period, source="auto")
    base = [q["sql"] for q in ctx.captured_queries if any(t in q["sql"] for t in BASE_TABLES)]
    # Only the days of last June up to the 15th (the comparison, #9) come from the base tables: rollups
    # are by month.
    assert all("2024-06-01" in q and "2024-06-15" in q for q in base), base[:2]
    new = next(c for c in data["cards"] if c["name"] == "members.new")
    raw = kpi_value(catalogue.CATALOGUE["members.new"], w.hangzhou, period, source=RAW).value
    assert new["value"] == raw
    # A running quarter too.
    q2 = parse_period("2025-Q2")
    with CaptureQueriesContext(connection) as ctx:
        got = kpi_value(catalogue.CATALOGUE["members.new"], w.hangzhou, q2).value
    assert not any("members_membership" in q["sql"] for q in ctx.captured_queries)
    assert got == kpi_value(catalogue.CATALOGUE["members.new"], w.hangzhou, q2, source=RAW).value


@pytest.mark.parametrize("source", [RAW, ROLLUP])
def test_event_just_after_midnight_beijing_counts_in_the_new_month(kpi_world, source):
    """#5: 2025-03-31T16:30Z is 1 April 00:30 in Beijing: an April event on both databases."""
    from huigong.orgs.models import Enterprise
    from huigong.testing import make_enterprise

    w = kpi_world
    ent = make_enterprise(w.tech, "午夜登记的企业")
    Enterprise.objects.filter(pk=ent.pk).update(created_at=dt.datetime(2025, 3, 31, 16, 30, tzinfo=dt.UTC))
    rollups_refresh(kpis=["units.enterprises"])
    k = catalogue.CATALOGUE["units.enterprises"]
    march = kpi_value(k, w.tech, parse_period("2025-03"), source=source).value
    april = kpi_value(k, w.tech, parse_period("2025-04"), source=source).value
    assert april == march + 1


def _event(object_type, verb, **kw):
    from huigong.core.models import AuditEvent

    return AuditEvent.objects.create(actor_label="test", verb=verb, object_type=object_type, **kw)


def test_periodic_refresh_rebuilds_only_the_kpis_a_write_touches(kpi_world):
    """#2: an export or report request changes nothing; an assistance write leaves the member KPIs alone."""
    from huigong.insights.rollups import rollups_refresh_if_changed

    rollups_refresh()
    assert rollups_refresh_if_changed() == []
    _event("orgs.unionnode", "members.export")
    _event("insights.report", "insights.report_request")
    _event("assistance.ledger", "aid_ledger.export")
    assert rollups_refresh_if_changed() == []
    _event("assistance.hardshipfile", "hardship_file.update")
    done = {r.kpi for r in rollups_refresh_if_changed()}
    assert "assist.open_files" in done
    assert not any(n.startswith(("members.", "benefits.", "join.", "units.", "sites.")) for n in done), done
    _event("members.membership", "membership.create")
    done = {r.kpi for r in rollups_refresh_if_changed()}
    assert {"members.active", "members.new"} <= done
    assert not any(n.startswith("assist.") for n in done), done


def test_a_write_committed_after_the_refresh_with_an_older_id_is_not_missed(kpi_world):
    """#3: ids are taken at insert, not at commit: a long import's event may carry an id below the
    newest one a refresh saw, yet commit after it."""
    from huigong.core.models import AuditEvent
    from huigong.insights.rollups import rollups_refresh_if_changed

    top = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    _event("members.membership", "membership.create", pk=top + 10)  # committed early, newer id
    rollups_refresh()
    assert rollups_refresh_if_changed() == []
    _event("members.rosterimport", "roster_import.apply", pk=top + 5)  # older id, commits now
    done = {r.kpi for r in rollups_refresh_if_changed()}
    assert "members.active" in done
    assert rollups_refresh_if_changed() == []


def test_visit_counts_say_household_visits_and_percent_changes_say_points():
    """#13, #16: visit rows are 户次, not 户; a change of a percentage is in 个百分点."""
    from django.utils import translation

    from huigong.insights.reports import display_change

    with translation.override("zh-hans"):
        for name in ("assist.sweep_visits", "assist.households_helped", "assist.open_causes"):
            k = catalogue.CATALOGUE.get(name)
            if k is not None:
                assert k.unit_label() == "户次", name
        assert display_change(2.5, "percent") == "+2.5 个百分点"
        assert display_change(-3, "person") == "-3"
        assert display_change(None, "percent") == "—"


def test_refresh_analyzes_the_rollup_table_on_postgres(kpi_world, on_postgres):
    """#6: the planner needs statistics of the rebuilt rollup table."""
    with CaptureQueriesContext(connection) as ctx:
        rollups_refresh(kpis=["members.new"])
    assert any(q["sql"].startswith("ANALYZE insights_kpirollup") for q in ctx.captured_queries)


def test_api_states_the_source_it_used_and_pending_writes(kpi_world):
    """#11: as_of only when the figure came from the rollups; pending once a write is not rolled up."""
    from huigong.api.tests.conftest import ApiClient, make_token

    w = kpi_world
    rollups_refresh()
    api = ApiClient(make_token(w.leader))
    body = api.get("kpis/members.new", {"node": w.hangzhou.pk, "period": "2025-Q1"}).json()
    assert body["source"] == "rollup" and body["as_of"] and body["pending"] is False
    old = api.get("kpis/members.new", {"node": w.hangzhou.pk, "period": "2001"}).json()
    assert old["source"] == "raw" and old["as_of"] is None
    _event("members.membership", "membership.create")
    body = api.get("kpis/members.new", {"node": w.hangzhou.pk, "period": "2025-Q1"}).json()
    assert body["pending"] is True
    assert api.get("kpis/units.enterprises", {"node": w.hangzhou.pk}).json()["pending"] is False


def test_a_report_left_running_by_a_dead_worker_is_failed_by_the_periodic_job(kpi_world):
    """#14: 生成中 must not last forever."""
    from huigong.core import periodic
    from huigong.insights.models import Report, ReportStatus
    from huigong.insights.services import reports_reclaim

    w = kpi_world
    now = timezone.now()
    stuck = Report.objects.create(node=w.hangzhou, period_key="2025", period_label="2025年",
                                  status=ReportStatus.RUNNING, started_at=now - dt.timedelta(hours=1))
    busy = Report.objects.create(node=w.hangzhou, period_key="2025", period_label="2025年",
                                 status=ReportStatus.RUNNING, started_at=now - dt.timedelta(minutes=2))
    assert "insights.reports_reclaim" in periodic.JOBS
    assert reports_reclaim() == 1
    stuck.refresh_from_db()
    busy.refresh_from_db()
    assert stuck.status == ReportStatus.FAILED and "超时" in stuck.message
    assert busy.status == ReportStatus.RUNNING
    assert reports_reclaim() == 0


def test_node_picker_says_when_it_lists_only_the_first_unions(kpi_world, client, monkeypatch):
    """#15: the picker is capped; it must say so instead of silently dropping unions."""
    from huigong.insights import views

    w = kpi_world
    client.force_login(w.leader)
    r = client.get("/insights/")
    assert r.status_code == 200 and "picker-more" not in r.content.decode()
    monkeypatch.setattr(views, "PICKER_LIMIT", 2)
    r = client.get("/insights/")
    assert "只列出前 2 个工会" in r.content.decode()
