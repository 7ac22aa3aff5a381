"""#17: the .xlsx export and the PDF report read the rollup states once, not once per KPI."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from huigong.insights.periods import parse_period
from huigong.insights.reports import kpi_table_xlsx, report_context
from huigong.insights.rollups import rollups_refresh


def _state_reads(ctx) -> int:
    return sum('FROM "insights_rollupstate"' in q["sql"] for q in ctx.captured_queries)


def test_export_and_report_read_the_rollup_states_once(kpi_world):
    w = kpi_world
    rollups_refresh()
    period = parse_period("2025-Q1")
    with CaptureQueriesContext(connection) as ctx:
        body = kpi_table_xlsx(w.hangzhou, period)
    assert body[:2] == b"PK"
    assert _state_reads(ctx) <= 2, _state_reads(ctx)  # the states for the sums, and "as of"
    with CaptureQueriesContext(connection) as ctx:
        report_context(w.hangzhou, period)
    assert _state_reads(ctx) <= 2, _state_reads(ctx)
