#!/usr/bin/env python
"""Event check-in benchmark (acceptance for issue 17, item 3).

On a throw-away PostgreSQL database (hg_bench_checkin, dropped at the end) with N attendees holding a
granted seat at one session and G gates, each gate a staff member signed in on a phone (a staff session
with TOTP verified, CSRF cookie), each set runs, one after the other, each from no check-ins:

  ours       gunicorn (gthread, production settings) serving POST /api/v1/event-checkin/gates/<g>/scans,
             G concurrent clients (one per gate, keep-alive), each scan one request with one scan (a new
             UUID, the attendee's signed code). Every attendee's ticket is read once, and a share of them
             (--rescan, 20 %) a second time at another gate, so every set also races the same ticket on
             two gates. A scan: session + TOTP device + CSRF, the gate (scoped), the ticket's HMAC and
             window, the seat, the attendance row (INSERT … ON CONFLICT), the seat's check-in time and the
             scan's log row, in one transaction.
  http floor (b) the same gunicorn, workers, threads, clients and sessions, serving a minimal WSGI app
             (bench/checkin_floor_wsgi.py): the same session, TOTP-device and CSRF checks, the HMAC check,
             then ONE statement (the seat, and the attendance row unless one exists). No scan log, no rules.
  sql floor  (a) raw psycopg on G connections, autocommit: that ONE statement per scan.

Each set checks in the database: exactly N seats admitted, no seat admitted twice (0 double admissions),
every re-scan refused. Then, once: an offline gate's batch of --offline (1,000) scans (seats not yet in)
is synced in one request (target < 5 s) and sent again (nothing may change: same answers, same rows).

Usage:
  python bench/checkin.py                       # 5,000 attendees, 10 gates, 3 sets
  python bench/checkin.py --attendees 500 --gates 4 --runs 1
Needs PostgreSQL (BENCH_PG, default postgres://postgres@127.0.0.1:5432) and gunicorn (a dependency).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    ROOT,
    bench_db,
    child_env,
    database_url,
    drop_database,
    emit,
    machine,
    median,
    recreate_database,
    run_child,
)
from bench.quota_claims import LeanConnection, free_port, load, percentile, wait_up

DB = bench_db(os.environ.get("BENCH_CHECKIN_DB", "hg_bench_checkin"))
CSRF = "c" * 32


# --- child: schema, people, seats, gates, staff sessions -----------------------------------------------


def child_setup(n: int, gates: int) -> None:
    from bench.common import django_setup

    django_setup()
    import datetime as dt
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.models import Session
    from django.core.cache import caches
    from django.core.management import call_command
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from huigong.accounts import backends
    from huigong.accounts.middleware import SESSION_TOUCHED_KEY
    from huigong.accounts.models import Role, StaffProfile
    from huigong.activities import checkin_services as svc
    from huigong.activities.models import Event, EventSession, Registration
    from huigong.benefits.testing import bulk_members
    from huigong.members.models import Membership
    from huigong.orgs.models import NodeLevel, UnionNode

    call_command("migrate", verbosity=0)
    city = UnionNode.add_root(code="B0001", name="辽源市总工会", level=NodeLevel.CITY, region_code="220400")
    union = UnionNode.objects.get(pk=city.pk).add_child(code="B0002", name="辽源某企业工会", level=NodeLevel.GRASSROOTS,
                                                       region_code="220402")
    User = get_user_model()
    admin = User.objects.create_user(username="bench_admin", password="x")
    StaffProfile.objects.create(user=admin, node=city, role=Role.ADMIN, display_name="bench")
    now = timezone.now()
    event = Event.objects.create(node=city, kind="craftsmen", title="大国工匠进辽源", status="published", created_by=admin)
    session = EventSession.objects.create(event=event, title="主会场", starts_at=now - dt.timedelta(minutes=30),
                                          ends_at=now + dt.timedelta(hours=6), total=n, remaining=0, is_open=False)
    people = bulk_members(union, n, tag="c")
    memberships = dict(Membership.objects.filter(person__in=people).values_list("person_id", "pk"))
    regs = Registration.objects.bulk_create([
        Registration(session=session, person=p, membership_id=memberships[p.pk], union=union, status="granted",
                     source="import", granted_at=now) for p in people], batch_size=2000)
    for r in regs:
        r.session = session
    codes = [svc.ticket_code(r) for r in regs]
    gate_rows, keys = [], []
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    age = settings.SESSION_COOKIE_AGE
    cached = {}
    for i in range(gates):
        user = User.objects.create_user(username=f"gate{i}", password="x")
        StaffProfile.objects.create(user=user, node=city, role=Role.STAFF, display_name=f"门岗{i}")
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        g = svc.gate_create(actor=admin, event=event, name=f"{i + 1}号门")
        key = secrets.token_hex(16)
        data = {"_auth_user_id": str(user.pk), "_auth_user_backend": backends.PATH,
                "_auth_user_hash": user.get_session_auth_hash(), "otp_device_id": device.persistent_id,
                SESSION_TOUCHED_KEY: int(time.time())}
        Session.objects.create(session_key=key, session_data=store.encode(data), expire_date=now + dt.timedelta(seconds=age))
        cached[getattr(store, "cache_key_prefix", "") + key] = data
        gate_rows.append(g.pk)
        keys.append(key)
    if settings.SESSION_ENGINE.endswith("cached_db"):
        caches[settings.SESSION_CACHE_ALIAS].set_many(cached, age)
    emit({"session": session.pk, "gates": gate_rows, "sessions": keys, "codes": codes})


def child_reset(session_id: int) -> None:
    from bench.common import django_setup

    django_setup()
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DELETE FROM activities_scan")
        cur.execute("DELETE FROM activities_checkin WHERE session_id = %s", [session_id])
        cur.execute("UPDATE activities_registration SET checked_in_at = NULL WHERE session_id = %s", [session_id])
        cur.execute("VACUUM ANALYZE activities_scan, activities_checkin, activities_registration")
    emit({"ok": True})


def reset_db(dsn: str, session_id: int) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("DELETE FROM activities_scan")
        c.execute("DELETE FROM activities_checkin WHERE session_id = %s", [session_id])
        c.execute("UPDATE activities_registration SET checked_in_at = NULL WHERE session_id = %s", [session_id])
        c.execute("VACUUM ANALYZE activities_scan, activities_checkin, activities_registration")


# --- the workload -------------------------------------------------------------------------------------


def plan(codes: list[str], gates: int, rescan: float, seed: int = 17) -> list[list[str]]:
    """Per gate, the codes it reads: every code once at a random gate, a share again at another gate,
    interleaved so that re-scans race the first reading."""
    rng = random.Random(seed)
    lanes: list[list[str]] = [[] for _ in range(gates)]
    for c in codes:
        g = rng.randrange(gates)
        lanes[g].append(c)
        if rng.random() < rescan and gates > 1:
            lanes[(g + rng.randrange(1, gates)) % gates].append(c)
    for lane in lanes:
        rng.shuffle(lane)
    return lanes


def client_proc(port: int, gate_ids: list[int], sessions: list[str], lanes: list[list[str]], out: mp.Queue) -> None:
    results: list[tuple[int, float, str]] = []
    lock = threading.Lock()

    def worker(gate: int, session: str, lane: list[str]) -> None:
        conn = LeanConnection(port)
        head = (f"POST /api/v1/event-checkin/gates/{gate}/scans HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: application/json\r\nX-CSRFToken: {CSRF}\r\n"
                f"Cookie: csrftoken={CSRF}; sessionid={session}\r\n")
        local = []
        for code in lane:
            body = json.dumps({"scans": [{"uuid": str(uuid.uuid4()), "code": code}]}).encode()
            request = f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
            t0 = time.perf_counter()
            try:
                status, data = conn.post(request)
            except (OSError, ValueError, IndexError) as exc:
                local.append((0, time.perf_counter() - t0, f"{type(exc).__name__}: {exc}"))
                conn.close()
                conn = LeanConnection(port)
                continue
            took = time.perf_counter() - t0
            result = json.loads(data)["results"][0]["result"] if status == 200 else data[:200].decode(errors="replace")
            local.append((status, took, result))
        conn.close()
        with lock:
            results.extend(local)

    ts = [threading.Thread(target=worker, args=a) for a in zip(gate_ids, sessions, lanes, strict=True)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put(results)


def gunicorn(env: dict, app: str, workers: int, threads: int):
    port = free_port()
    log = tempfile.TemporaryFile(mode="w+")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--worker-class", "gthread", "--threads", str(threads), "--keep-alive", "30", "--timeout", "120",
         "--log-level", "warning"],
        env={**env, "LOG_LEVEL": "ERROR"}, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, text=True)
    return port, server, log


def stop(server, log) -> str:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
    log.seek(0)
    text = log.read()
    log.close()
    return text


def run_http(env: dict, setup: dict, lanes: list[list[str]], workers: int, threads: int, client_procs: int,
             app: str = "huigong.wsgi") -> dict:
    port, server, log = gunicorn(env, app, workers, threads)
    try:
        wait_up(port)
        gates, sessions = setup["gates"], setup["sessions"]
        idx = list(range(len(gates)))
        per = [idx[i::client_procs] for i in range(client_procs)]
        q: mp.Queue = mp.Queue()
        procs = [mp.Process(target=client_proc, args=(port, [gates[i] for i in part], [sessions[i] for i in part],
                                                      [lanes[i] for i in part], q)) for part in per if part]
        t0 = time.perf_counter()
        for p in procs:
            p.start()
        results = []
        for _ in procs:
            results.extend(q.get())
        for p in procs:
            p.join()
        seconds = time.perf_counter() - t0
    finally:
        errors = stop(server, log)
    admitted = sum(1 for s, _, r in results if s == 200 and r == "admitted")
    refused = sum(1 for s, _, r in results if s == 200 and r == "refused")
    other = [(s, r) for s, _, r in results if s != 200 or r not in ("admitted", "refused")]
    if other:
        sys.stderr.write(f"unexpected answers (first 5): {other[:5]}\ngunicorn: {errors[-2000:]}\n")
    lat = [d for _, d, _ in results]
    return {"scans": len(results), "admitted": admitted, "refused": refused, "other": len(other), "seconds": seconds,
            "per_s": len(results) / seconds, "p50_ms": percentile(lat, 50) * 1000, "p99_ms": percentile(lat, 99) * 1000}


SQL_FLOOR = """
WITH ins AS (
    INSERT INTO activities_checkin (registration_id, session_id, first_gate_id, last_gate_id, method, first_in_at,
                                    last_in_at, inside, auto_checked_out, entries)
    SELECT r.id, r.session_id, %(gate)s, %(gate)s, 'scan', now(), now(), true, false, 1
    FROM activities_registration r
    WHERE r.id = %(reg)s AND r.session_id = %(session)s AND r.status = 'granted'
    ON CONFLICT (registration_id) DO NOTHING
    RETURNING registration_id
)
SELECT count(*) FROM ins
"""


def run_sql_floor(dsn: str, setup: dict, lanes: list[list[str]]) -> dict:
    import psycopg

    sys.path.insert(0, str(ROOT))
    ids = {}
    for c in setup["codes"]:
        ids[c] = _peek(c)
    lat: list[float] = []
    counts = {"admitted": 0, "refused": 0}
    lock = threading.Lock()

    def worker(gate: int, lane: list[str]) -> None:
        local, ok = [], 0
        with psycopg.connect(dsn, autocommit=True, prepare_threshold=1) as conn:
            for code in lane:
                reg, session = ids[code]
                t0 = time.perf_counter()
                n = conn.execute(SQL_FLOOR, {"gate": gate, "reg": reg, "session": session}).fetchone()[0]
                local.append(time.perf_counter() - t0)
                ok += n
        with lock:
            lat.extend(local)
            counts["admitted"] += ok
            counts["refused"] += len(local) - ok

    ts = [threading.Thread(target=worker, args=(g, lane)) for g, lane in zip(setup["gates"], lanes, strict=True)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    seconds = time.perf_counter() - t0
    return {"scans": len(lat), **counts, "other": 0, "seconds": seconds, "per_s": len(lat) / seconds,
            "p50_ms": percentile(lat, 50) * 1000, "p99_ms": percentile(lat, 99) * 1000}


def _peek(code: str) -> tuple[int, int]:
    import base64
    import struct

    raw = base64.b32decode(code[4:] + "=" * (-len(code[4:]) % 8))
    _v, reg, session = struct.unpack(">BII", raw[:9])
    return reg, session


def check_db(dsn: str, session_id: int) -> dict:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as c:
        checkins = c.execute("SELECT count(*) FROM activities_checkin WHERE session_id = %s", [session_id]).fetchone()[0]
        doubles = c.execute("SELECT count(*) FROM (SELECT registration_id FROM activities_scan WHERE result = 'admitted' "
                            "GROUP BY registration_id HAVING count(*) > 1) d").fetchone()[0]
        entries = c.execute("SELECT coalesce(max(entries), 0) FROM activities_checkin").fetchone()[0]
        stamped = c.execute("SELECT count(*) FROM activities_registration WHERE session_id = %s AND checked_in_at IS NOT NULL",
                            [session_id]).fetchone()[0]
        scans = c.execute("SELECT count(*) FROM activities_scan").fetchone()[0]
    return {"checkins": checkins, "double_admissions": doubles + max(0, entries - 1), "stamped": stamped, "scans": scans}


def offline_sync(env: dict, setup: dict, n: int, workers: int, threads: int) -> dict:
    """One offline gate's queue of n scans (seats not checked in yet, admitted locally) in one request,
    then the same request again."""
    import http.client

    port, server, log = gunicorn(env, "huigong.wsgi", workers, threads)
    try:
        wait_up(port)
        base = time.time() - 600
        scans = [{"uuid": str(uuid.uuid4()), "code": c, "offline": True, "local_result": "admitted",
                  "scanned_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(base + i * 0.3))}
                 for i, c in enumerate(setup["codes"][-n:])]
        body = json.dumps({"scans": scans})
        headers = {"Content-Type": "application/json", "X-CSRFToken": CSRF,
                   "Cookie": f"csrftoken={CSRF}; sessionid={setup['sessions'][0]}"}
        # Warm every worker first (a fresh gunicorn's first request to a worker loads the URLconf, the API
        # and its schemas: ~1 s on this machine, which the first run of this bench counted as sync time).
        for _ in range(4 * workers):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request("GET", f"/api/v1/event-checkin/gates/{setup['gates'][0]}", headers=headers)
            conn.getresponse().read()
            conn.close()
        out = []
        for _ in range(2):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            t0 = time.perf_counter()
            conn.request("POST", f"/api/v1/event-checkin/gates/{setup['gates'][0]}/scans", body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
            took = time.perf_counter() - t0
            conn.close()
            if r.status != 200:
                raise SystemExit(f"offline sync answered {r.status}: {data[:500]!r}")
            res = json.loads(data)["results"]
            out.append((took, [(a["id"], a["result"]) for a in res]))
    finally:
        stop(server, log)
    (t1, first), (t2, second) = out
    return {"first_s": t1, "again_s": t2, "admitted": sum(1 for _, r in first if r == "admitted"),
            "same_answers": first == second}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--attendees", type=int, default=5_000)
    ap.add_argument("--gates", type=int, default=10, help="concurrent gates (clients, one staff session each)")
    ap.add_argument("--rescan", type=float, default=0.2, help="share of tickets read a second time at another gate")
    ap.add_argument("--offline", type=int, default=1_000, help="scans in the offline gate's batch")
    ap.add_argument("--client-procs", type=int, default=2)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn worker processes")
    ap.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
    ap.add_argument("--runs", type=int, default=3, help="sets (each: ours, (b), (a)); medians are quoted")
    ap.add_argument("--keep-db", action="store_true")
    ap.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, *rest = args.child
        {"setup": lambda: child_setup(int(rest[0]), int(rest[1])), "reset": lambda: child_reset(int(rest[0]))}[kind]()
        return
    if args.offline >= args.attendees:
        raise SystemExit("--offline must be smaller than --attendees (the batch uses seats not yet checked in)")

    var_dir = tempfile.mkdtemp(prefix="hg-bench-checkin-")
    env = child_env(DB, var_dir)
    env.update({"DJANGO_SETTINGS_MODULE": "huigong.settings.prod", "HTTPS": "0", "HUIGONG_TASK_MODE": "sync",
                "HUIGONG_SMS_SENDER": "huigong.portal.sms.DisabledSmsSender", "DB_CONN_MAX_AGE": "600"})
    for name, make in (("SECRET_KEY", lambda: secrets.token_urlsafe(40)), ("SALT_KEY", lambda: secrets.token_urlsafe(16)),
                       ("BLIND_INDEX_KEY", lambda: secrets.token_hex(32))):
        env[f"HUIGONG_{name}"] = os.environ.get(f"HUIGONG_{name}") or make()
    print(f"machine: {machine()}")
    print(f"{args.attendees:,} attendees through {args.gates} concurrent gates ({args.rescan:.0%} of tickets read again "
          f"at another gate); gunicorn {args.workers} workers x {args.threads} threads (gthread)")
    recreate_database(DB)
    try:
        t0 = time.perf_counter()
        setup = run_child(__file__, ["--child", "setup", str(args.attendees), str(args.gates)], env)
        print(f"setup: {args.attendees:,} members with seats, {args.gates} gates and staff sessions in "
              f"{time.perf_counter() - t0:.1f} s")
        dsn = database_url(DB)
        session_id = setup["session"]
        lanes = plan(setup["codes"], args.gates, args.rescan)
        total = sum(len(lane) for lane in lanes)
        sets: dict[str, list[dict]] = {"ours": [], "http": [], "sql": []}

        def verdict(r: dict) -> tuple[dict, bool]:
            check = check_db(dsn, session_id)
            ok = (r["admitted"] == args.attendees == check["checkins"] and check["double_admissions"] == 0
                  and r["refused"] == total - args.attendees and r["other"] == 0)
            return check, ok

        def line(run: int, name: str, r: dict, check: dict, ok: bool) -> str:
            return (f"set {run}: {name:<14} {r['per_s']:8.0f} scans/s  p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms  "
                    f"admitted {r['admitted']:,}  re-scans refused {r['refused']:,}  double admissions "
                    f"{check['double_admissions']}  {'OK' if ok else 'MISMATCH'}")

        for run in range(1, args.runs + 1):
            print(f"set {run}: load average {load()}")
            run_child(__file__, ["--child", "reset", str(session_id)], env)
            ours = run_http(env, setup, lanes, args.workers, args.threads, args.client_procs)
            check, ok = verdict(ours)
            ok = ok and check["stamped"] == args.attendees and check["scans"] == total
            print(line(run, "ours", ours, check, ok))
            if not ok:
                raise SystemExit(f"check-in was not exact: {check}")
            reset_db(dsn, session_id)
            http = run_http(env, setup, lanes, args.workers, args.threads, args.client_procs,
                            app="bench.checkin_floor_wsgi:application")
            check, ok = verdict(http)
            print(line(run, "(b) http floor", http, check, ok))
            if not ok:
                raise SystemExit(f"the HTTP floor was not exact: {check}")
            reset_db(dsn, session_id)
            sql = run_sql_floor(dsn, setup, lanes)
            check, ok = verdict(sql)
            print(line(run, "(a) sql floor", sql, check, ok))
            if not ok:
                raise SystemExit(f"the SQL floor was not exact: {check}")
            for name, r in (("ours", ours), ("http", http), ("sql", sql)):
                sets[name].append(r)
        if not args.runs:  # --runs 0: the offline batch only
            sets = {name: [{"per_s": 1.0, "p50_ms": 0.0, "p99_ms": 0.0}] for name in sets}
        med = {name: {k: median([r[k] for r in rs]) for k in ("per_s", "p50_ms", "p99_ms")} for name, rs in sets.items()}
        o, b, a = med["ours"]["per_s"], med["http"]["per_s"], med["sql"]["per_s"]
        print(f"\nmedians of {args.runs} set(s):")
        for name, label in (("ours", "ours"), ("http", "(b) http floor"), ("sql", "(a) sql floor")):
            m = med[name]
            print(f"  {label:<14} {m['per_s']:8.0f} scans/s  p50 {m['p50_ms']:6.1f} ms  p99 {m['p99_ms']:6.1f} ms")
        print(f"ours/(b) = {o / b:.2f}x; ours/(a) = {o / a:.2f}x; (b)/(a) = {b / a:.2f}x; double admissions 0 in every set")

        reset_db(dsn, session_id)
        before = check_db(dsn, session_id)
        off = offline_sync(env, setup, args.offline, args.workers, args.threads)
        after = check_db(dsn, session_id)  # after both requests: each scan once
        print(f"offline batch: {args.offline:,} scans synced in {off['first_s']:.2f} s ({off['admitted']:,} admitted); "
              f"sent again in {off['again_s']:.2f} s: {'same answers' if off['same_answers'] else 'DIFFERENT answers'}, "
              f"rows {after['scans'] - before['scans']:,} scans / {after['checkins']:,} check-ins")
        resync_ok = (off["same_answers"] and off["admitted"] == args.offline and after["checkins"] == args.offline
                     and after["scans"] == args.offline)
        if not resync_ok:
            raise SystemExit("the offline batch did not sync exactly once")
        sets_line = (f"ours >= 0.5x of (b): {'met' if o / b >= 0.5 else 'NOT met'}; "
                     f"p99 < 100 ms: {'met' if med['ours']['p99_ms'] < 100 else 'NOT met'}; 0 double admissions: met; "
                     if args.runs else "(no sets run); ")
        print(f"targets: {sets_line}offline batch < 5 s: {'met' if off['first_s'] < 5 else 'NOT met'}; "
              "re-sync changes nothing: met")
        print(f"load average at the end: {load()}")
        print("json: " + json.dumps({"ours": med["ours"], "http": med["http"], "sql": med["sql"],
                                     "offline_s": off["first_s"], "resync_s": off["again_s"]}))
    finally:
        if not args.keep_db:
            drop_database(DB)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
