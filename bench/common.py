"""Shared pieces for the scripts in bench/: a throw-away PostgreSQL database, Django set-up in a
child process, running each measurement in its own process (so each has its own peak memory),
and printing results."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def bench_db(name: str) -> str:
    """The database a script uses: `name`, plus BENCH_DB_SUFFIX when set (so that test runs on a
    shared server each get their own)."""
    return name + os.environ.get("BENCH_DB_SUFFIX", "")


def database_url(name: str) -> str:
    return f"{PG_SERVER}/{name}"


def recreate_database(name: str) -> None:
    """A new empty database; a copy of BENCH_TEMPLATE (a migrated database, see migrated_template)
    when that is set, so that the script's own `migrate` has nothing left to do."""
    import psycopg

    template = os.environ.get("BENCH_TEMPLATE")
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


def migrated_template() -> str:
    """A database migrated to this tree's migrations, named after them (hg_bench_tpl_<digest>), made once
    per server and reused: the scripts' smoke runs copy it instead of migrating a fresh database each."""
    import psycopg

    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("huigong/**/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    name = f"hg_bench_tpl_{digest.hexdigest()[:16]}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", [name])  # one maker at a time
        try:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                return name
            tmp = f"{name}_new"
            conn.execute(f'DROP DATABASE IF EXISTS "{tmp}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{tmp}"')
            import tempfile

            with tempfile.TemporaryDirectory(prefix="hg-bench-tpl-") as var:
                env = {**child_env(tmp, var), "DJANGO_SETTINGS_MODULE": "huigong.settings.base"}
                subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"], env=env, cwd=ROOT,
                               check=True, capture_output=True, timeout=1800)
            conn.execute(f'ALTER DATABASE "{tmp}" RENAME TO "{name}"')  # whole, or not there at all
            return name
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", [name])


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def child_env(dbname: str, var_dir: str) -> dict:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": database_url(dbname),
        "DJANGO_SETTINGS_MODULE": "huigong.settings.base",
        "HUIGONG_VAR_DIR": var_dir,
        "MEDIA_ROOT": str(Path(var_dir) / "media"),
        "HUIGONG_TASK_MODE": "sync",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    })
    return env


def django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def peak_rss_mb() -> float:
    """The high-water mark of this process's resident memory: VmHWM (ru_maxrss may carry a forked
    parent's across exec)."""
    try:
        line = next(ln for ln in Path("/proc/self/status").read_text().splitlines() if ln.startswith("VmHWM"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_child(script: str, args: list[str], env: dict, timeout: float = 7200) -> dict:
    """Runs `python script --child …` and returns the JSON object its last stdout line holds."""
    cmd = [sys.executable, script, *args]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-8000:])
        raise SystemExit(f"child failed: {' '.join(args)} (exit {proc.returncode})")
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    return json.loads(lines[-1])


def emit(result: dict) -> None:
    print(json.dumps(result), flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine() -> str:
    cpus = os.cpu_count()
    try:
        model = next(ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                     if ln.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor() or "unknown CPU"
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return f"{cpus} cores ({model}), {mem:.0f} GiB RAM, Python {platform.python_version()}, {platform.system()}"


class Timer:
    def __enter__(self) -> Timer:  # noqa: PYI034
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.start
