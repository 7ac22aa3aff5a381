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
  python bench/dashboard.py --day-changes 0.01 --runs 2 --db hg_bench_day   # first build, then refreshes
                                                 # after a day's changes touching 1 % of the members
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


def child_day_changes(fraction: float, seed: int) -> dict:
    """A working day's writes, dated today, touching `fraction` of the active members (default 1 %):
    half of them transferred to another union (the old membership ended, a new one opened with source
    'transfer'), a quarter withdrawn, and as many former members joining again by import; a tenth as many
    people's employment form corrected by an import (which moves them between dimension values in every
    month of the stock); and as many ledger payouts and granted benefit claims as members touched dated
    today (existing rows re-dated: the same rollup cells a new payout or claim touches, plus the ones
    they leave). Plain SQL, no audit events: the benchmark calls refresh_kpi itself."""
    django_setup()
    from django.db import connection, transaction
    from django.utils import timezone

    today = timezone.localdate()
    now = timezone.now()
    out: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT setseed(%s)", [((seed % 1000) / 1000.0)])
        cur.execute("SELECT count(*) FROM members_membership WHERE status = 'active'")
        n = max(4, int(cur.fetchone()[0] * fraction))
        cur.execute(
            "CREATE TEMP TABLE day_pick ON COMMIT DROP AS SELECT id, person_id, union_id, "
            "row_number() OVER () AS rn FROM (SELECT id, person_id, union_id FROM members_membership "
            "WHERE status = 'active' ORDER BY random() LIMIT %s) s",
            [n],
        )
        cur.execute(
            "CREATE TEMP TABLE day_unions ON COMMIT DROP AS "
            "SELECT array_agg(union_id ORDER BY union_id) AS ids FROM (SELECT DISTINCT union_id FROM members_membership) s"
        )
        half, quarter = n // 2, n // 4
        # Transfers: end the old membership, open one in another union.
        cur.execute(
            "UPDATE members_membership m SET status = 'transferred', ended_on = %s FROM day_pick p "
            "WHERE m.id = p.id AND p.rn <= %s",
            [today, half],
        )
        out["transferred"] = cur.rowcount
        cur.execute(
            "INSERT INTO members_membership (person_id, union_id, status, joined_on, ended_on, card_no, source, created_at) "
            "SELECT p.person_id, u.ids[1 + (p.rn * 7919) %% cardinality(u.ids)], 'active', %s, NULL, '', 'transfer', %s "
            "FROM day_pick p CROSS JOIN day_unions u WHERE p.rn <= %s",
            [today, now, half],
        )
        # Withdrawals.
        cur.execute(
            "UPDATE members_membership m SET status = 'withdrawn', ended_on = %s FROM day_pick p "
            "WHERE m.id = p.id AND p.rn > %s AND p.rn <= %s",
            [today, half, half + quarter],
        )
        out["withdrawn"] = cur.rowcount
        # Former members joining again through an import (people with no active membership).
        cur.execute(
            "INSERT INTO members_membership (person_id, union_id, status, joined_on, ended_on, card_no, source, created_at) "
            "SELECT f.person_id, f.union_id, 'active', %s, NULL, '', 'import', %s FROM ("
            "  SELECT DISTINCT ON (m.person_id) m.person_id, m.union_id FROM members_membership m "
            "  WHERE m.status <> 'active' AND m.ended_on < %s AND NOT EXISTS (SELECT 1 FROM members_membership a "
            "    WHERE a.person_id = m.person_id AND a.status = 'active') "
            "  ORDER BY m.person_id, m.ended_on DESC LIMIT %s) f",
            [today, now, today, quarter],
        )
        out["rejoined"] = cur.rowcount
        # An import correcting people's employment form.
        cur.execute(
            "UPDATE members_person p SET employment_form = CASE WHEN p.employment_form = 'rider' THEN 'courier' "
            "ELSE 'rider' END FROM (SELECT person_id FROM day_pick WHERE rn > %s ORDER BY rn LIMIT %s) s "
            "WHERE p.id = s.person_id",
            [half + quarter, max(1, n // 10)],
        )
        out["form_corrected"] = cur.rowcount
        # Payouts and granted claims of the day.
        cur.execute(
            "UPDATE assistance_ledgerentry l SET paid_on = %s WHERE l.id IN "
            "(SELECT id FROM assistance_ledgerentry ORDER BY random() LIMIT %s)",
            [today, n],
        )
        out["payouts"] = cur.rowcount
        cur.execute(
            "UPDATE benefits_benefitclaim c SET granted_at = %s WHERE c.id IN (SELECT id FROM benefits_benefitclaim "
            "WHERE status = 'granted' AND granted_at IS NOT NULL ORDER BY random() LIMIT %s)",
            [now, n],
        )
        out["claims"] = cur.rowcount
        out["members_touched"] = n
    with connection.cursor() as cur:
        cur.execute("ANALYZE members_membership, members_person, assistance_ledgerentry, benefits_benefitclaim")
    return out


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


def _refresh_line(label: str, ref: dict) -> tuple[float, float]:
    raw, refresh = ref["raw_aggregate_s"][0], ref["refresh_s"][0]
    raw_wm = ref["raw_aggregate_work_mem_s"][0]
    print(f"{label:34s} refresh {refresh:7.2f} s  raw aggregate {raw:6.2f} s  ratio {refresh / raw:.2f}x"
          f"  ({refresh / raw_wm:.2f}x the same-memory SELECT {raw_wm:.2f} s)", flush=True)
    slow = sorted(ref["per_kpi"].items(), key=lambda kv: -(kv[1][1] - kv[1][0]))[:4]
    print("    slowest over their floor: " + ", ".join(f"{n} {b:.2f}/{a:.2f} s" for n, (a, b) in slow), flush=True)
    return refresh, raw


def day_changes(args, env: dict) -> None:
    """First build, then --runs rounds of (a day's changes, refresh), then a refresh with nothing changed.
    Each refresh is timed beside the raw aggregate measured in the same child, KPI by KPI."""
    print(f"rollup rows before: {rollup_rows(env):,}")
    results: dict[str, list] = {"first_build": [], "day": [], "unchanged": []}
    if not args.reuse:
        results["first_build"].append(_refresh_line("first build (empty rollups)",
                                                    run_child(SCRIPT, ["--child", "refresh", "--runs", "1"], env)))
    for i in range(args.runs):
        with Timer() as t:
            ch = run_child(SCRIPT, ["--child", "day_changes", "--day-changes", str(args.day_changes),
                                    "--seed", str(args.seed + i)], env)
        print(f"day's changes {i + 1} ({t.seconds:.0f} s to apply): {json.dumps(ch)}", flush=True)
        results["day"].append(_refresh_line(f"refresh after day's changes {i + 1}",
                                            run_child(SCRIPT, ["--child", "refresh", "--runs", "1"], env)))
    results["unchanged"].append(_refresh_line("refresh, nothing changed",
                                              run_child(SCRIPT, ["--child", "refresh", "--runs", "1"], env)))
    day = results["day"]
    if day:
        ratios = [a / b for a, b in day]
        print(f"after a day's changes: median ratio {median(ratios):.2f}x over {len(day)} rounds "
              f"(refresh median {median([a for a, _ in day]):.2f} s, raw median {median([b for _, b in day]):.2f} s;"
              f" target ≤ 2x)")
    print(json.dumps({k: [[round(a, 2), round(b, 2)] for a, b in v] for k, v in results.items()}))


def rollup_rows(env: dict) -> int:
    import psycopg

    with psycopg.connect(env["DATABASE_URL"]) as conn:
        return conn.execute("SELECT count(*) FROM insights_kpirollup").fetchone()[0]


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
    ap.add_argument("--day-changes", type=float, default=0.0, metavar="FRACTION",
                    help="refresh after a day's changes touching FRACTION of the members (e.g. 0.01), "
                         "--runs times, after timing the first build; then one refresh with no change")
    ap.add_argument("--db", default=DB, help="database name (dropped and recreated unless --reuse)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--child", choices=["refresh", "targets", "day_changes"])
    args = ap.parse_args()
    if args.child == "day_changes":
        emit(child_day_changes(args.day_changes, args.seed))
        return
    if args.child == "refresh":
        emit(child_refresh(args.runs))
        return
    if args.child == "targets":
        emit(child_targets(args.requests, 11))
        return

    var_dir = f"/tmp/hg-bench-dashboard-{os.getpid()}"
    env = child_env(args.db, var_dir)
    # One cache shared by the gunicorn workers, as in production (prod.py: Redis); a db of its own.
    env["HUIGONG_CACHE_URL"] = os.environ.get("HUIGONG_BENCH_CACHE_URL", "redis://127.0.0.1:6379/7")
    print(f"machine: {machine()}")
    if not args.reuse:
        recreate_database(args.db)
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
    if args.day_changes:
        day_changes(args, env)
        return
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
