"""bench/checkin.py runs end to end at a tiny size: ours and the HTTP floor under gunicorn, the SQL floor,
each admitting every attendee exactly once with re-scans refused, and an offline batch synced once."""

import pytest

from tests.bench_smoke import run_bench

# Several Django processes and gunicorn even at a tiny size: over ~20 s.
pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_checkin_bench_runs():
    out, result = run_bench("checkin.py", "--attendees", "40", "--gates", "3", "--offline", "10", "--client-procs", "1",
                            "--workers", "1", "--threads", "2", "--runs", "1")
    assert out.count("OK") == 3 and "MISMATCH" not in out  # ours, (b) and (a): every seat once, re-scans refused
    assert "double admissions 0" in out and "ours/(b) =" in out and "ours/(a) =" in out
    assert "10 scans synced" in out and "same answers" in out and "re-sync changes nothing: met" in out
    assert result is not None and result["offline_s"] > 0
