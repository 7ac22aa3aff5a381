#!/usr/bin/env python
"""Quota-claim benchmark (acceptance for issues 4 and 16).

On a throw-away PostgreSQL database (hg_bench_quota, dropped at the end) with N signed-in workers,
each a member, and one open programme of Q places, each set runs three things, one after the other,
each from the same fresh quota:

  ours       gunicorn (gthread workers, production settings) serving POST /api/v1/benefit-claims; C
             concurrent clients (keep-alive connections spread over client processes) each send the
             claim of a different worker with that worker's portal session cookie and CSRF header. Every
             claim is one request: session + CSRF, eligibility reads, then the capacity engine's one
             statement writing the place, the claim, its audit event and the worker's message.
  http floor (b) the same gunicorn, same workers, threads, clients and sessions, serving a minimal WSGI
             app (bench/quota_floor_wsgi.py): the same session check (the production session engine,
             worker flag) and CSRF check, then ONE statement (the worker's membership, the conditional
             decrement, the claim's INSERT), JSON back. What any web app must spend on a claim.
  sql floor  (a) raw psycopg on C connections, autocommit: per claim ONE statement (a data-modifying CTE:
             `UPDATE ... SET remaining = remaining - 1 WHERE ... AND remaining > 0` and the claim's
             INSERT from it). What the database must spend on a claim.

All three end with exactly Q granted; the script checks that (0 oversold) and prints claims/s and
p50/p99 latency per set, then the medians over the sets and ours/(b), ours/(a). Ratios within one
run are what count: the machine may be shared (the load average is printed).

Usage:
  python bench/quota_claims.py                        # 20,000 claims on 5,000 places, 5 sets
  python bench/quota_claims.py --runs 1               # one set
  python bench/quota_claims.py --claims 6000 --quota 1500 --clients 16 --workers 2 --threads 4
Needs PostgreSQL (BENCH_PG, default postgres://postgres@127.0.0.1:5432) and gunicorn (a dependency).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
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

DB = os.environ.get("BENCH_QUOTA_DB") or bench_db("hg_bench_quota")  # BENCH_QUOTA_DB: a name of your own
CSRF = "b" * 32  # the CSRF secret every client holds in its cookie and echoes in the header


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


# --- child: schema, people, sessions --------------------------------------------------------------


def child_setup(n: int, quota: int) -> None:
    from bench.common import django_setup

    django_setup()
    import datetime as dt
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.models import Session
    from django.core.cache import caches
    from django.core.management import call_command
    from django.utils import timezone

    from huigong.accounts import backends
    from huigong.accounts.middleware import SESSION_TOUCHED_KEY, WORKER_SESSION_KEY
    from huigong.accounts.models import Role, StaffProfile
    from huigong.benefits import services
    from huigong.benefits.testing import bulk_members
    from huigong.orgs.models import NodeLevel, UnionNode
    from huigong.portal.models import WorkerAccount

    call_command("migrate", verbosity=0)
    city = UnionNode.add_root(code="B0001", name="杭州市总工会", level=NodeLevel.CITY, region_code="330100")
    union = UnionNode.objects.get(pk=city.pk).add_child(code="B0002", name="西湖区骑手联合工会", level=NodeLevel.JOINT,
                                                       region_code="330106")
    User = get_user_model()
    admin = User.objects.create_user(username="bench_admin", password="x")
    StaffProfile.objects.create(user=admin, node=city, role=Role.ADMIN, display_name="bench")
    programme = services.programme_create(actor=admin, node=city, board="care", kind="quota", title="职工健康体检",
                                          year=2026, quota_total=quota)
    services.programme_open(actor=admin, programme=programme)
    people = bulk_members(union, n, employment_form="rider", tag="b")
    hashed = make_password("bench-worker-pw")
    users = User.objects.bulk_create([User(username=f"w{p.pk}", password=hashed) for p in people], batch_size=2000)
    WorkerAccount.objects.bulk_create([
        WorkerAccount(user=u, person=p, phone=f"1{p.pk:010d}", phone_hash=f"bench-{p.pk}", phone_mask="1**")
        for u, p in zip(users, people, strict=True)], batch_size=2000)
    auth_hash = users[0].get_session_auth_hash()  # same password hash for all: same session hash
    # Sessions as a portal sign-in leaves them: in the database and, with production's cached_db
    # engine, in the cache too; stamped as just saved (SessionTouchMiddleware).
    # The portal's sign-in sets a worker's session to last a week (set_expiry), which is also what the
    # touch middleware's slack is a thirtieth of; without it a session takes the console's 30 minutes and
    # is re-saved on every claim a minute after setup.
    from huigong.portal.views import WORKER_SESSION_SECONDS

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    age = WORKER_SESSION_SECONDS
    expire = timezone.now() + dt.timedelta(seconds=age)
    keys, rows, cached = [], [], {}
    for u in users:
        key = secrets.token_hex(16)
        data = {"_auth_user_id": str(u.pk), "_auth_user_backend": backends.PATH,
                "_auth_user_hash": auth_hash, WORKER_SESSION_KEY: True, SESSION_TOUCHED_KEY: int(time.time()),
                "_session_expiry": age}
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expire))
        cached[getattr(store, "cache_key_prefix", "") + key] = data
        keys.append(key)
    Session.objects.bulk_create(rows, batch_size=2000)
    if settings.SESSION_ENGINE.endswith("cached_db"):
        cache = caches[settings.SESSION_CACHE_ALIAS]
        items = list(cached.items())
        for i in range(0, len(items), 2000):
            cache.set_many(dict(items[i:i + 2000]), age)
    emit({"programme": programme.pk, "sessions": keys})


def child_reset(programme_id: int, quota: int) -> None:
    """A fresh quota for the next run: no claims, `remaining` back to the quota."""
    from bench.common import django_setup

    django_setup()
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DELETE FROM portal_message")
        cur.execute("DELETE FROM benefits_benefitclaim WHERE programme_id = %s", [programme_id])
        cur.execute("UPDATE benefits_benefitprogramme SET remaining = quota_total WHERE id = %s", [programme_id])
        # Every run from the same state: the previous run left the programme row's dead versions (one
        # per grant, ours and the floor's) and the deleted claims and messages behind.
        cur.execute("VACUUM ANALYZE benefits_benefitprogramme, benefits_benefitclaim, portal_message")
    emit({"ok": True})


# --- ours: HTTP against gunicorn ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(port: int, timeout: float = 60) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/api/v1/openapi.json")
            c.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not come up")


class LeanConnection:
    """HTTP/1.1 keep-alive over a plain socket: the request bytes built once per claim, the answer read
    by its status line and Content-Length. The load generator shares the two cores with the server and
    the database; http.client's header parsing (email.parser) cost it more CPU than a claim's SQL."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.file = self.sock.makefile("rb")

    def post(self, request: bytes) -> tuple[int, bytes]:
        self.sock.sendall(request)
        status_line = self.file.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status, length = int(status_line.split()[1]), 0
        while True:
            line = self.file.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, self.file.read(length)

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def client_proc(port: int, programme: int, sessions: list[str], threads: int, out: mp.Queue,
                path: str = "/api/v1/benefit-claims", field: str = "programme_id") -> None:
    """One load-generating process: `threads` keep-alive connections POST {field: programme} to `path` as
    each session in turn (the registration bench drives its route with the same loop)."""
    body = json.dumps({field: programme}).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"X-CSRFToken: {CSRF}\r\nContent-Length: {len(body)}\r\nCookie: csrftoken={CSRF}; sessionid=")
    lock = threading.Lock()
    queue = list(reversed(sessions))
    results: list[tuple[int, float, str, float]] = []

    def worker() -> None:
        conn = LeanConnection(port)
        local = []
        while True:
            with lock:
                if not queue:
                    break
                key = queue.pop()
            request = f"{head}{key}\r\n\r\n".encode() + body
            t0 = time.perf_counter()
            try:
                status, data = conn.post(request)
            except (OSError, ValueError, IndexError) as exc:
                # Counted as a failed claim (never retried: a retry could hide a lost answer).
                local.append((0, time.perf_counter() - t0, f"{type(exc).__name__}: {exc}", time.perf_counter()))
                conn.close()
                conn = LeanConnection(port)
                continue
            done = time.perf_counter()
            note = ""
            if status == 422:
                note = json.loads(data)["detail"][0]["message"]
            elif status != 201:
                note = data[:200].decode(errors="replace")
            local.append((status, done - t0, note, done))
        conn.close()
        with lock:
            results.extend(local)

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put(results)


def run_ours(env: dict, programme: int, sessions: list[str], clients: int, workers: int, threads: int,
             client_procs: int, app: str = "huigong.wsgi", path: str = "/api/v1/benefit-claims",
             field: str = "programme_id") -> dict:
    port = free_port()
    # The server's log goes to a file: a pipe nobody reads fills up and blocks every worker.
    log = tempfile.TemporaryFile(mode="w+")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--worker-class", "gthread", "--threads", str(threads), "--keep-alive", "30", "--timeout", "120",
         "--log-level", "warning"],
        env={**env, "LOG_LEVEL": "ERROR"}, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, text=True)
    try:
        wait_up(port)
        per = [sessions[i::client_procs] for i in range(client_procs)]
        q: mp.Queue = mp.Queue()
        procs = [mp.Process(target=client_proc, args=(port, programme, chunk, max(1, clients // client_procs), q,
                                                          path, field))
                 for chunk in per]
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
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.seek(0)
        errors = log.read()
        log.close()
    granted = sum(1 for s, _, _, _ in results if s == 201)
    full = sum(1 for s, _, note, _ in results if s == 422 and note.startswith("名额已满"))
    other = [(s, note) for s, _, note, _ in results
             if s not in (201,) and not (s == 422 and note.startswith("名额已满"))]
    if other or not results:
        sys.stderr.write(f"unexpected answers (first 5): {other[:5]}\ngunicorn: {errors[-2000:]}\n")
    lat = [d for _, d, _, _ in results]
    # The two phases: places being granted (until the last 201), then only 名额已满 answers.
    last_grant = max((done for s, _, _, done in results if s == 201), default=t0)
    ends = sorted(done for _, _, _, done in results)
    in_grant = sum(1 for e in ends if e <= last_grant)
    return {"claims": len(results), "granted": granted, "full": full, "other": len(other), "seconds": seconds,
            "per_s": len(results) / seconds, "p50_ms": percentile(lat, 50) * 1000, "p99_ms": percentile(lat, 99) * 1000,
            "grant_phase_per_s": in_grant / max(last_grant - t0, 1e-9),
            "full_phase_per_s": (len(results) - in_grant) / max(ends[-1] - last_grant, 1e-9) if ends else 0.0}


# --- floor (a): one statement per claim, raw psycopg ---------------------------------------------------

SQL_FLOOR = """
WITH upd AS (
    UPDATE benefits_benefitprogramme SET remaining = remaining - 1
    WHERE id = %(programme)s AND status = 'open' AND remaining > 0
    RETURNING id
)
INSERT INTO benefits_benefitclaim (programme_id, person_id, membership_id, union_id, status, created_at,
                                   granted_at, cancel_reason)
SELECT upd.id, %(person)s, %(membership)s, %(union)s, 'granted', now(), now(), '' FROM upd
RETURNING id
"""


def reset_quota(dsn: str, programme: int) -> None:
    """A fresh quota without Django (between the floors): no claims, `remaining` back to the quota."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("DELETE FROM portal_message")
        c.execute("DELETE FROM benefits_benefitclaim WHERE programme_id = %s", [programme])
        c.execute("UPDATE benefits_benefitprogramme SET remaining = quota_total WHERE id = %s", [programme])
        c.execute("VACUUM ANALYZE benefits_benefitprogramme, benefits_benefitclaim, portal_message")  # as child_reset


def run_sql_floor(dsn: str, programme: int, n: int, clients: int, sql: str | None = None, reset=None) -> dict:
    """Floor (a): `sql` (this bench's SQL_FLOOR by default) once per worker on `clients` raw connections,
    from a fresh place count (`reset`, reset_quota by default)."""
    import psycopg

    sql, reset = sql or SQL_FLOOR, reset or reset_quota

    with psycopg.connect(dsn, autocommit=True) as c:
        row = c.execute("SELECT m.person_id, m.id, m.union_id FROM members_membership m ORDER BY m.id LIMIT %s",
                        [n]).fetchall()
    reset(dsn, programme)
    lock = threading.Lock()
    queue = list(reversed(row))
    lat: list[float] = []
    granted = [0]

    def worker() -> None:
        local, ok = [], 0
        with psycopg.connect(dsn, autocommit=True, prepare_threshold=1) as conn:
            while True:
                with lock:
                    if not queue:
                        break
                    person, membership, union = queue.pop()
                t0 = time.perf_counter()
                got = conn.execute(sql, {"programme": programme, "person": person, "membership": membership,
                                               "union": union}).fetchone()
                local.append(time.perf_counter() - t0)
                ok += got is not None
        with lock:
            lat.extend(local)
            granted[0] += ok

    ts = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    seconds = time.perf_counter() - t0
    return {"claims": len(lat), "granted": granted[0], "seconds": seconds, "per_s": len(lat) / seconds,
            "p50_ms": percentile(lat, 50) * 1000, "p99_ms": percentile(lat, 99) * 1000}


def check_db(dsn: str, programme: int, quota: int) -> dict:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as c:
        granted = c.execute("SELECT count(*) FROM benefits_benefitclaim WHERE programme_id = %s AND status = 'granted'",
                            [programme]).fetchone()[0]
        remaining = c.execute("SELECT remaining FROM benefits_benefitprogramme WHERE id = %s", [programme]).fetchone()[0]
    return {"granted_rows": granted, "remaining": remaining, "oversold": max(0, granted - quota)}


@dataclass(frozen=True)
class Rush:
    """What differs between the rush benchmarks built on this one (bench/registration.py): the places,
    the route (run_ours), the floors and the words. Everything else is run_rush's."""

    script: str  # the benchmark's file: its children (--child setup/reset) run it
    db: str
    unit: str  # "claims", "registrations"
    claims: int
    quota: int
    runs: int
    floor_app: str  # (b): the minimal WSGI app
    sql_floor: str  # (a): the one statement
    child_setup: Callable[[int, int], None]
    child_reset: Callable[[int, int], None]
    run_ours: Callable[..., dict]
    reset: Callable[[str, int], None]
    check_db: Callable[[str, int, int], dict]
    var_prefix: str
    places: str = "places"  # what the quota is in words (the quota, the capacity)


def run_rush(rush: Rush, argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=sys.modules["__main__"].__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--claims", type=int, default=rush.claims, help=f"{rush.unit} sent, each by a different worker")
    ap.add_argument("--quota", type=int, default=rush.quota)
    ap.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients (and floor connections)")
    ap.add_argument("--client-procs", type=int, default=2, help="processes the HTTP clients are spread over")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn worker processes")
    ap.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
    ap.add_argument("--runs", type=int, default=rush.runs, help="sets (each: ours, (b), (a)); medians are quoted")
    ap.add_argument("--keep-db", action="store_true")
    ap.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        {"setup": lambda: rush.child_setup(int(rest[0]), int(rest[1])),
         "reset": lambda: rush.child_reset(int(rest[0]), int(rest[1]))}[kind]()
        return

    var_dir = tempfile.mkdtemp(prefix=rush.var_prefix)
    env = child_env(rush.db, var_dir)
    env.update({"DJANGO_SETTINGS_MODULE": "huigong.settings.prod", "HTTPS": "0", "HUIGONG_TASK_MODE": "sync",
                "HUIGONG_SMS_SENDER": "huigong.portal.sms.DisabledSmsSender",
                "DB_CONN_MAX_AGE": "600"})
    for name, make in (("SECRET_KEY", lambda: secrets.token_urlsafe(40)), ("SALT_KEY", lambda: secrets.token_urlsafe(16)),
                       ("BLIND_INDEX_KEY", lambda: secrets.token_hex(32))):
        env[f"HUIGONG_{name}"] = os.environ.get(f"HUIGONG_{name}") or make()
    print(f"machine: {machine()}")
    print(f"{rush.unit} {args.claims:,} by as many workers on {args.quota:,} places; {args.clients} concurrent clients; "
          f"gunicorn {args.workers} workers x {args.threads} threads (gthread)")
    recreate_database(rush.db)
    try:
        t0 = time.perf_counter()
        setup = run_child(rush.script, ["--child", "setup", str(args.claims), str(args.quota)], env)
        print(f"setup: {args.claims:,} members, worker accounts and sessions in {time.perf_counter() - t0:.1f} s")
        programme, sessions = setup["programme"], setup["sessions"]
        dsn = database_url(rush.db)
        sets: dict[str, list[dict]] = {"ours": [], "http": [], "sql": []}

        def verdict(r: dict) -> tuple[dict, bool]:
            check = rush.check_db(dsn, programme, args.quota)
            ok = (r["granted"] == args.quota == check["granted_rows"] and check["remaining"] == 0
                  and check["oversold"] == 0 and r.get("full", args.claims - args.quota) == args.claims - args.quota
                  and r.get("other", 0) == 0)
            return check, ok

        def line(run: int, name: str, r: dict, check: dict, ok: bool) -> str:
            extra = ""
            if "full" in r:
                extra = (f"  名额已满 {r['full']:,}  (granting {r['grant_phase_per_s']:.0f}/s, "
                         f"then 名额已满 {r['full_phase_per_s']:.0f}/s)")
            return (f"set {run}: {name:<14} {r['per_s']:8.0f} {rush.unit}/s  p50 {r['p50_ms']:6.1f} ms  "
                    f"p99 {r['p99_ms']:6.1f} ms  granted {r['granted']:,}  oversold {check['oversold']}  "
                    f"{'OK' if ok else 'MISMATCH'}{extra}")

        for run in range(1, args.runs + 1):
            print(f"set {run}: load average {load()}")
            run_child(rush.script, ["--child", "reset", str(programme), str(args.quota)], env)
            ours = rush.run_ours(env, programme, sessions, args.clients, args.workers, args.threads, args.client_procs)
            check, ok = verdict(ours)
            print(line(run, "ours", ours, check, ok))
            if not ok:
                raise SystemExit(f"the {rush.places} were not honoured exactly: see above")
            rush.reset(dsn, programme)
            http = rush.run_ours(env, programme, sessions, args.clients, args.workers, args.threads, args.client_procs,
                                 app=rush.floor_app)
            check, ok = verdict(http)
            print(line(run, "(b) http floor", http, check, ok))
            if not ok:
                raise SystemExit(f"the HTTP floor did not honour the {rush.places} exactly: see above")
            sql = run_sql_floor(dsn, programme, args.claims, args.clients, sql=rush.sql_floor, reset=rush.reset)
            check, ok = verdict(sql)
            print(line(run, "(a) sql floor", sql, check, ok))
            if not ok:
                raise SystemExit(f"the SQL floor did not honour the {rush.places} exactly: see above")
            for name, r in (("ours", ours), ("http", http), ("sql", sql)):
                sets[name].append(r)
        med = {name: {k: median([r[k] for r in rs]) for k in ("per_s", "p50_ms", "p99_ms")} for name, rs in sets.items()}
        o, b, a = med["ours"]["per_s"], med["http"]["per_s"], med["sql"]["per_s"]
        print(f"\nmedians of {args.runs} set(s):")
        for name, label in (("ours", "ours"), ("http", "(b) http floor"), ("sql", "(a) sql floor")):
            m = med[name]
            print(f"  {label:<14} {m['per_s']:8.0f} {rush.unit}/s  p50 {m['p50_ms']:6.1f} ms  p99 {m['p99_ms']:6.1f} ms")
        ratios_b = [x["per_s"] / y["per_s"] for x, y in zip(sets["ours"], sets["http"], strict=True)]
        print(f"ours/(b) = {o / b:.2f}x (per set: {', '.join(f'{r:.2f}' for r in ratios_b)}); "
              f"ours/(a) = {o / a:.2f}x; (b)/(a) = {b / a:.2f}x; oversold 0 in every set")
        print(f"targets: ours >= 0.5x of (b): {'met' if o / b >= 0.5 else 'NOT met'}; "
              f"p99 < 250 ms: {'met' if med['ours']['p99_ms'] < 250 else 'NOT met'}; 0 oversold: met")
        print(f"load average at the end: {load()}")
    finally:
        if not args.keep_db:
            drop_database(rush.db)
        shutil.rmtree(var_dir, ignore_errors=True)


def main() -> None:
    run_rush(Rush(script=__file__, db=DB, unit="claims", claims=20_000, quota=5_000, runs=5,
                  floor_app="bench.quota_floor_wsgi:application", sql_floor=SQL_FLOOR, child_setup=child_setup,
                  child_reset=child_reset, run_ours=run_ours, reset=reset_quota, check_db=check_db,
                  var_prefix="hg-bench-quota-", places="quota"))


if __name__ == "__main__":
    main()
