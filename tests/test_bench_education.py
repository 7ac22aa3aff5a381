"""bench/education.py runs end to end at a tiny size: the first check and the draw give the same rows
as the hand-written statements, and the draw re-run from the published seed is identical."""

import pytest

from tests.bench_smoke import run_bench

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_education_bench_runs():
    out, _ = run_bench("education.py", "--applicants", "400", "--unions", "8", "--runs", "2")
    assert "same check rows: yes; same draw rows: yes; re-run from the seed identical: yes" in out
