"""Running a script of bench/ at a tiny size, so that a benchmark cannot silently rot: each script's
own smoke test calls `run_bench`. The script runs as it would by hand (its own processes, its own
throw-away database on the test server) but on a copy of a migrated template database
(bench.common.migrated_template) and under a database name of its own (BENCH_DB_SUFFIX), so that
parallel workers and other runs on the same server never meet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _server() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("the benchmarks need PostgreSQL: set DATABASE_URL to run their smoke tests")
    return url.rsplit("/", 1)[0]


def run_bench(script: str, *args: str, timeout: float = 600) -> tuple[str, dict | None]:
    """Runs bench/<script> with `args`; returns its stdout and the object of its last `json: ` line."""
    server = _server()
    env = {**os.environ, "BENCH_PG": server, "PYTHONPATH": str(ROOT)}
    sys.path.insert(0, str(ROOT))
    try:
        from bench import common
    finally:
        sys.path.remove(str(ROOT))
    common.PG_SERVER = server
    env["BENCH_TEMPLATE"] = common.migrated_template()
    env["BENCH_DB_SUFFIX"] = f"_smoke_{uuid.uuid4().hex[:10]}"
    for key in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL"):  # the scripts set their own for their children
        env.pop(key, None)
    try:
        proc = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False)
    finally:
        _drop_databases(server, env["BENCH_DB_SUFFIX"])  # whatever the script left (some keep theirs)
    assert proc.returncode == 0, f"bench/{script} failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    found = [ln for ln in proc.stdout.splitlines() if ln.startswith("json: ")]
    return proc.stdout, json.loads(found[-1][6:]) if found else None


def _drop_databases(server: str, suffix: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE right(datname, %s) = %s",
                                            [len(suffix), suffix])]
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
