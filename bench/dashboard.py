#!/usr/bin/env python
"""Dashboard benchmark (acceptance for issue 5, point 3).

On a throw-away PostgreSQL database filled by `manage.py generate_federation --members N` it times,
in one run:

  refresh   rollups_refresh(): every stored KPI rebuilt from the base tables (INSERT … SELECT … GROUP BY),
            its monthly rows and its cut rows (today's cut days of a running period's comparison)
  raw agg   the same aggregates as plain SELECTs over the base tables (no write): the floor for refresh
  dashboard GET /insights/ (the leader's dashboard page, all its KPIs, charts' data and tables) under
            --clients concurrent clients against gunicorn, for a mix of nodes (national, provinces,
            cities, districts) and periods (months, quarters, years); from the rollups, with the
            per-generation answer cache off (cold) and on (warm)
  raw dash  the same dashboards computed straight from the base tables (source=raw), sequentially

Usage:
  python bench/dashboard.py                      # 1,000,000 members
  python bench/dashboard.py --members 100000 --requests 30
  python bench/dashboard.py --reuse              # keep the database of the previous run
Needs PostgreSQL (BENCH_PG, default postgres://postgres@127.0.0.1:5432); the database hg_bench_dashboard is
dropped and recreated unless --reuse.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    ROOT,
    Timer,
    bench_db,
    child_env,
    django_setup,
    emit,
    machine,
    median,
    recreate_database,
    run_child,
)

DB = bench_db("hg_bench_dashboard")
SCRIPT = str(Path(__file__).resolve())
def periods() -> list[str]:
    """Periods relative to the current month (a fixed list goes stale), and "" — the page a leader opens
    first (this year so far)."""
    from huigong.insights.periods import month_add, this_month

    m = this_month()
    q = (m.month - 1) // 3 + 1
    prev_q = month_add(m.replace(month=(q - 1) * 3 + 1), -3)
    return [
        "",
        "",
        f"{month_add(m, -1):%Y-%m}",
        f"{m:%Y-%m}",
        f"{m.year}-Q{q}",
        f"{prev_q.year}-Q{(prev_q.month - 1) // 3 + 1}",
        f"{m.year}",
        f"{m.year - 1}",
        f"{month_add(m, -12):%Y-%m}:{month_add(m, -1):%Y-%m}",
    ]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


# ----------------------------------------------------------------- children (run with Django set up)


def child_refresh(runs: int) -> dict:
    """Raw aggregate (the SELECT alone) vs refresh (DELETE + INSERT … SELECT) for every stored KPI."""
    django_setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from huigong.insights import kpis as catalogue
    from huigong.insights.kpis import Dialect
    from huigong.insights.rollups import aggregate_sql, cut_aggregate_sql, cut_days, refresh_kpi, window

    d = Dialect()
    first, last = window()
    cuts = cut_days(timezone.localdate())
    raw_runs, raw_wm_runs, refresh_runs, per_kpi = [], [], [], {}
    for _ in range(runs):
        raw_total = raw_wm_total = refresh_total = 0.0
        for k in catalogue.stored_kpis():
            if not k.available:
                continue
            # What the refresh computes: the monthly rows and the cut rows (a running period's comparison).
            with_, select = aggregate_sql(k, d, first, last)
            cut_select = cut_aggregate_sql(k, d, cuts)
            with Timer() as t, connection.cursor() as cur:
                cur.execute(f"{with_}SELECT count(*), sum(value) FROM ({select}) q")
                cur.fetchone()
                cur.execute(f"SELECT count(*), sum(value) FROM ({cut_select}) q")
                cur.fetchone()
            # The same SELECTs with the memory the refresh gives itself (a floor that is not starved).
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("SELECT set_config('work_mem', %s, true)",
                            [getattr(settings, "HUIGONG_INSIGHTS_REFRESH_WORK_MEM", "256MB")])
                with Timer() as tw:
                    cur.execute(f"{with_}SELECT count(*), sum(value) FROM ({select}) q")
                    cur.fetchone()
                    cur.execute(f"SELECT count(*), sum(value) FROM ({cut_select}) q")
                    cur.fetchone()
            with Timer() as r:
                refresh_kpi(k)
            raw_total += t.seconds
            raw_wm_total += tw.seconds
            refresh_total += r.seconds
            per_kpi.setdefault(k.name, []).append((t.seconds, r.seconds))
        raw_runs.append(raw_total)
        raw_wm_runs.append(raw_wm_total)
        refresh_runs.append(refresh_total)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM insights_kpirollup")
        rows = cur.fetchone()[0]
    return {
        "raw_aggregate_s": raw_runs,
        "raw_aggregate_work_mem_s": raw_wm_runs,
        "refresh_s": refresh_runs,
        "rollup_rows": rows,
        "per_kpi": {n: [median([a for a, _ in v]), median([b for _, b in v])] for n, v in per_kpi.items()},
    }


def child_targets(n: int, seed: int) -> dict:
    """(node, period) pairs the clients ask for, a session cookie for the national leader, and the raw timing."""
    django_setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from huigong.insights.periods import parse_period
    from huigong.insights.selectors import RAW, _dashboard_data
    from huigong.orgs.models import UnionNode

    rng = random.Random(seed)
    nodes = list(UnionNode.objects.filter(depth__lte=4).values_list("pk", "depth"))
    weights = {1: 10, 2: 20, 3: 30, 4: 40}
    picks = rng.choices(
        [pk for pk, _ in nodes], [weights[d] / sum(1 for _, dd in nodes if dd == d) for _, d in nodes], k=n
    )
    choices = periods()
    targets = [(pk, rng.choice(choices)) for pk in picks]
    depths = dict(nodes)
    c = Client()
    c.force_login(get_user_model().objects.get(username="bench_leader"))
    cookie = c.cookies["sessionid"].value
    raw = []
    for pk, period in targets[: min(len(targets), 12)]:
        node = UnionNode.objects.get(pk=pk)
        with Timer() as t:
            _dashboard_data(node, parse_period(period), source=RAW)
        raw.append(t.seconds)
    return {"targets": targets, "cookie": cookie, "raw_dashboard_s": raw, "depths": {str(k): v for k, v in depths.items()}}


# ----------------------------------------------------------------- parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hammer(
    port: int, cookie: str, targets: list[tuple[int, str]], clients: int, per_node: list | None = None
) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    queue = list(targets)

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if not queue:
                    break
                pk, period = queue.pop()
            t0 = time.perf_counter()
            conn.request(
                "GET", f"/insights/?node={pk}&period={period}", headers={"Cookie": f"sessionid={cookie}"}
            )
            resp = conn.getresponse()
            resp.read()
            dt_ = time.perf_counter() - t0
            with lock:
                latencies.append(dt_)
                if per_node is not None:
                    per_node.append((pk, dt_))
                if resp.status != 200:
                    errors[0] += 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0]


def serve(env: dict, workers: int, cache: bool):
    port = free_port()
    env = dict(env, HUIGONG_INSIGHTS_CACHE="1" if cache else "0")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "huigong.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--log-level",
            "warning",
            "--timeout",
            "120",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/accounts/login/")
            c.getresponse().read()
            return proc, port
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("gunicorn did not start: " + proc.stderr.read().decode()[-2000:])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=1_000_000)
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--requests", type=int, default=300, help="dashboard requests per measurement")
    ap.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    ap.add_argument("--runs", type=int, default=3, help="refresh / raw aggregate repetitions")
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--skip-dashboard", action="store_true", help="only refresh vs raw aggregate")
    ap.add_argument("--skip-refresh", action="store_true", help="only the dashboard timings")
    ap.add_argument("--child", choices=["refresh", "targets"])
    args = ap.parse_args()
    if args.child == "refresh":
        emit(child_refresh(args.runs))
        return
    if args.child == "targets":
        emit(child_targets(args.requests, 11))
        return

    var_dir = f"/tmp/hg-bench-dashboard-{os.getpid()}"
    env = child_env(DB, var_dir)
    # One cache shared by the gunicorn workers, as in production (prod.py: Redis); a db of its own.
    env["HUIGONG_CACHE_URL"] = os.environ.get("HUIGONG_BENCH_CACHE_URL", "redis://127.0.0.1:6379/7")
    print(f"machine: {machine()}")
    if not args.reuse:
        recreate_database(DB)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    if not args.reuse:
        with Timer() as gen:
            subprocess.run(
                [
                    sys.executable,
                    "manage.py",
                    "generate_federation",
                    "--members",
                    str(args.members),
                    "--no-refresh",
                ],
                env=env,
                cwd=ROOT,
                check=True,
            )
        print(f"generate_federation --members {args.members:,}: {gen.seconds:.0f} s")
    raw_m = ref_m = float("nan")
    if not args.skip_refresh:
        ref = run_child(SCRIPT, ["--child", "refresh", "--runs", str(args.runs)], env)
        raw_m, ref_m = median(ref["raw_aggregate_s"]), median(ref["refresh_s"])
        print(f"rollup rows: {ref['rollup_rows']:,}")
        print(
            f"raw aggregate (all KPIs, SELECT only): median {raw_m:.2f} s  runs {[round(x, 2) for x in ref['raw_aggregate_s']]}"
        )
        raw_wm = median(ref["raw_aggregate_work_mem_s"])
        print(
            f"raw aggregate, refresh's work_mem:      median {raw_wm:.2f} s  runs "
            f"{[round(x, 2) for x in ref['raw_aggregate_work_mem_s']]}"
        )
        print(
            f"rollup refresh (all KPIs):              median {ref_m:.2f} s  runs {[round(x, 2) for x in ref['refresh_s']]}"
            f"  ratio {ref_m / raw_m:.2f}x, {ref_m / raw_wm:.2f}x against the same-memory SELECT (target ≤ 2x)"
        )
        slow = sorted(ref["per_kpi"].items(), key=lambda kv: -kv[1][1])[:5]
        for name, (a, b) in slow:
            print(f"    {name:28s} raw {a:6.2f} s  refresh {b:6.2f} s")
    if args.skip_dashboard:
        return
    tg = run_child(SCRIPT, ["--child", "targets", "--requests", str(args.requests)], env)
    raw = tg["raw_dashboard_s"]
    results = {
        "members": args.members,
        "raw_aggregate_s": raw_m,
        "refresh_s": ref_m,
        "raw_dashboard_p50_s": statistics.median(raw),
        "raw_dashboard_p95_s": pct(raw, 95),
    }
    for cache in (False, True):
        proc, port = serve(env, args.workers, cache)
        try:
            # Warm the workers' connections and imports; with the answer cache on, ask every question once
            # first, so the measured pass is what a leader's second look at a dashboard costs.
            hammer(port, tg["cookie"], tg["targets"] if cache else tg["targets"][:20], args.clients)
            with Timer() as wall:
                per_node: list = []
                lat, errors = hammer(port, tg["cookie"], tg["targets"], args.clients, per_node)
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        label = "warm (answer cache on)" if cache else "cold (rollup queries every request)"
        p50, p95 = statistics.median(lat), pct(lat, 95)
        print(
            f"dashboard from rollups, {label}: {len(lat)} requests, {args.clients} clients, {args.workers} workers:"
            f" p50 {p50 * 1000:.0f} ms  p95 {p95 * 1000:.0f} ms  max {max(lat) * 1000:.0f} ms"
            f"  {len(lat) / wall.seconds:.1f} req/s  errors {errors}"
        )
        by_depth: dict[int, list[float]] = {}
        for pk, t in per_node:
            by_depth.setdefault(tg["depths"][str(pk)], []).append(t)
        for depth, ts in sorted(by_depth.items()):
            print(f"  depth {depth}: {len(ts)} requests  p50 {statistics.median(ts) * 1000:.0f} ms"
                  f"  p95 {pct(ts, 95) * 1000:.0f} ms")
            results[f"dashboard_{'warm' if cache else 'cold'}_depth{depth}_p95_ms"] = pct(ts, 95) * 1000
        results[f"dashboard_{'warm' if cache else 'cold'}_p50_ms"] = p50 * 1000
        results[f"dashboard_{'warm' if cache else 'cold'}_p95_ms"] = p95 * 1000
    print(
        f"dashboard straight from base tables (source=raw, sequential, {len(raw)} dashboards):"
        f" p50 {statistics.median(raw) * 1000:.0f} ms  p95 {pct(raw, 95) * 1000:.0f} ms"
    )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
