"""bench/import_roster.py runs end to end at a tiny size (every contender, the report)."""

import pytest

from tests.bench_smoke import run_bench

# Several Django processes (and gunicorn for the HTTP benchmarks) even at a tiny size: over ~20 s.
pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_import_roster_bench_runs():
    out, result = run_bench("import_roster.py", "--rows", "300", "--iie-rows", "100")
    assert result["rows"] == 300
    for name in ("floor", "bare", "ours"):
        assert result[name]["rows"] == 300, name
    assert result["iie"]["rows"] == 100
    assert result["iie"]["queries_per_row"] < 1  # tuned: no query per row
    assert result["ours_vs_floor"] > 0 and result["speedup_vs_iie"] > 0
    assert "end to end / floor (real tables)" in out
