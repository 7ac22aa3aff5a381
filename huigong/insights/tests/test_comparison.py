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


@pytest.fixture
def march_10(kpi_world, monkeypatch):
    """kpi_world seen on 10 March 2025 (Beijing)."""
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2025, 3, 10))
    rollups_refresh()
    return kpi_world


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
