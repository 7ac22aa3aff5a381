"""bench/registration.py runs end to end at a tiny size (ours and the HTTP floor under gunicorn, the SQL
floor, never over capacity in any of them)."""

import pytest

from tests.bench_smoke import run_bench

# Several Django processes and gunicorn even at a tiny size: over ~20 s.
pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_registration_bench_runs():
    out, _ = run_bench("registration.py", "--claims", "40", "--quota", "10", "--clients", "2", "--client-procs", "1",
                       "--workers", "1", "--threads", "2", "--runs", "1")
    assert "oversold 0" in out and "ours/(b) =" in out and "ours/(a) =" in out
    assert out.count("OK") == 3 and "MISMATCH" not in out  # ours, (b) and (a), each exactly the capacity
