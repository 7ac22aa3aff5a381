"""bench/checkups.py runs end to end at a tiny size: the page, the ORM report and the hand SQL agree."""

import pytest

from tests.bench_smoke import run_bench

# Several Django processes even at a tiny size: over ~20 s.
pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_checkups_bench_runs():
    out, result = run_bench("checkups.py", "--enterprises", "40", "--findings", "400", "--requests", "3")
    assert result is not None and result["findings"] == 400 and result["enterprises"] == 40
    assert result["page_p95_ms"] > 0 and result["hand_p95_ms"] > 0 and "campaign report on" in out
