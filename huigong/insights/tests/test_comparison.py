"""#9: a running period is compared with the previous one cut at the same day, not with a whole one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from huigong.insights import kpis as catalogue
from huigong.insights.periods import parse_period
from huigong.insights.rollups import rollups_refresh
from huigong.insights.selectors import RAW, ROLLUP, _dashboard_data, comparison_values


def _cards(node, key, source):
    return {c["name"]: c for c in _dashboard_data(node, parse_period(key), source=source)["cards"]}


def test_periods_say_what_they_are_compared_with(march_10):
    c = parse_period("2025").comparison()
    assert (c.period.first, c.cut) == (dt.date(2024, 1, 1), dt.date(2024, 3, 10))
    assert c.label == "与上年同期相比（2024-01-01 至 2024-03-10）" and c.change_label == "较上年同期"
    c = parse_period("2025-Q1").comparison()
    assert (c.period.first, c.cut) == (dt.date(2024, 10, 1), dt.date(2024, 12, 10))
    c = parse_period("2025-03").comparison()
    assert (c.period.first, c.cut) == (dt.date(2025, 2, 1), dt.date(2025, 2, 10))
    c = parse_period("2025-02").comparison()  # a past period: the whole previous one
    assert (c.period.key, c.cut) == ("2025-01", None)
    assert c.label == "对比 2025年1月" and c.change_label == "较上期"


@pytest.mark.parametrize("source", [ROLLUP, RAW])
def test_running_periods_compare_the_same_days(march_10, source):
    w = march_10
    # 2025-Q1 so far against 1 Oct–10 Dec 2024: the rider who joined on 31 December is not in it yet
    # (new members: 0, not 1; active at 10 December: one fewer than at the end of December).
    cards = _cards(w.hangzhou, "2025-Q1", source)
    assert cards["members.new"]["previous"] == 0
    active = catalogue.CATALOGUE["members.active"]
    from huigong.insights.selectors import kpi_value

    at_dec_31 = kpi_value(active, w.hangzhou, parse_period("2024-12"), source=RAW).value
    assert cards["members.active"]["previous"] == at_dec_31 - 1
    # March so far against 1–10 February: 科技's dispatch worker (3 Feb) only; not 14 or 28 February.
    cards = _cards(w.hangzhou, "2025-03", source)
    assert cards["members.new"]["previous"] == 1
    assert cards["members.new"]["delta"] == cards["members.new"]["value"] - 1
    # The share of new employment forms is taken at the cut too.
    share = cards["members.new_form_share"]["previous"]
    assert share == comparison_values(["members.new_form_share"], w.hangzhou,
                                      parse_period("2025-03").comparison(), source=RAW)["members.new_form_share"].value


def test_the_dashboard_says_the_same_days_last_year(march_10):
    w = march_10
    c = Client()
    c.force_login(w.leader)
    text = c.get("/insights/", {"period": "2025"}).content.decode()
    assert "与上年同期相比（2024-01-01 至 2024-03-10）" in text and "较上年同期" in text
    text = c.get("/insights/", {"period": "2024"}).content.decode()
    assert "对比 2023年" in text and "较上期" in text


def test_a_cut_on_a_month_end_reads_the_rollups_only(kpi_world, monkeypatch):
    """31 March: March so far against all of February, from the rollups alone."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = kpi_world
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2025, 3, 31))
    rollups_refresh()
    c = parse_period("2025-03").comparison()
    assert c.cut == dt.date(2025, 2, 28)
    with CaptureQueriesContext(connection) as ctx:
        got = comparison_values(["members.new", "members.active"], w.hangzhou, c)
    assert not any("members_membership" in q["sql"] for q in ctx.captured_queries)
    assert got["members.new"].value == 3  # 3, 14 and 28 February


def test_the_api_export_and_report_compare_as_the_dashboard_does(march_10):
    """The API's `previous`, the .xlsx 上期 column and the PDF report's table give the dashboard's
    comparison: for 2025-Q1 on 10 March, 1 Oct–10 Dec 2024."""
    import io

    from python_calamine import CalamineWorkbook

    from huigong.api.tests.conftest import ApiClient, make_token
    from huigong.insights.reports import kpi_table

    w = march_10
    cards = _cards(w.hangzhou, "2025-Q1", ROLLUP)
    body = ApiClient(make_token(w.leader)).get("kpis/members.active", {"node": w.hangzhou.pk, "period": "2025-Q1"}).json()
    assert body["previous"] == cards["members.active"]["previous"]
    assert body["previous_period"]["start"] == "2024-10-01" and body["previous_period"]["end"] == "2024-12-10"
    assert body["compare_label"] == "与上季度同期相比（2024-10-01 至 2024-12-10）"
    rows = {r["kpi"].name: r for r in kpi_table(w.hangzhou, parse_period("2025-Q1"))}
    assert rows["members.new"]["previous"] == cards["members.new"]["previous"] == 0
    assert rows["members.active"]["previous"] == cards["members.active"]["previous"]
    c = Client()
    c.force_login(w.leader)
    book = CalamineWorkbook.from_filelike(io.BytesIO(
        c.get("/insights/export.xlsx", {"node": w.hangzhou.pk, "period": "2025-Q1"}).content))
    sheet = book.get_sheet_by_index(0).to_python()
    assert sheet[0][4] == "与上季度同期相比（2024-10-01 至 2024-12-10）" and sheet[2][5] == "上季度同期"
    assert {row[2]: row for row in sheet[3:]}["members.new"][5] == 0
    # A past period is compared with the whole previous one, as before.
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(
        c.get("/insights/export.xlsx", {"node": w.hangzhou.pk, "period": "2024-Q4"}).content)).get_sheet_by_index(0)
    assert sheet.to_python()[2][5] == "上期"
