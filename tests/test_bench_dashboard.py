"""bench/dashboard.py runs end to end at a tiny size (generated federation, refresh, both dashboards)."""

import pytest

from tests.bench_smoke import run_bench

# Several Django processes (and gunicorn for the HTTP benchmarks) even at a tiny size: over ~20 s.
pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_dashboard_bench_runs():
    out, _ = run_bench("dashboard.py", "--members", "300", "--requests", "4", "--clients", "2",
                            "--workers", "1", "--runs", "1")
    assert "rollup refresh (all KPIs)" in out and "dashboard from rollups, warm" in out
    assert "errors 0" in out
