"""bench/screening.py runs end to end at a tiny size (the service and both hand-written passes agree)."""

import pytest

from tests.bench_smoke import run_bench

# Several Django processes (and gunicorn for the HTTP benchmarks) even at a tiny size: over ~20 s.
pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_screening_bench_runs():
    out, _ = run_bench("screening.py", "--visits", "300", "--runs", "1")
    assert "ratio ours / LATERAL" in out and "same flags: yes" in out
