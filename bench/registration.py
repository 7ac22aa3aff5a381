#!/usr/bin/env python
"""Registration-rush benchmark (acceptance for issue 17): 10,000 workers on 500 places of one session.

The structure of bench/quota_claims.py. On a throw-away PostgreSQL database (hg_bench_registration,
dropped at the end) with N signed-in workers, each a member, and one published event whose one session
has Q places, each set runs three things, one after the other, each from the same fresh session:

  ours       gunicorn (gthread workers, production settings) serving POST /api/v1/event-registrations; C
             concurrent clients (keep-alive connections spread over client processes) each send the
             registration of a different worker with that worker's portal session cookie and CSRF header.
             Every registration is one request: session + CSRF, the audience and window checks, then the
             capacity engine's one statement writing the place, the seat and its audit event.
  http floor (b) the same gunicorn, same workers, threads, clients and sessions, serving a minimal WSGI
             app (bench/registration_floor_wsgi.py): the same session and CSRF checks, then ONE statement
             (the worker's membership, the session's conditional decrement, the seat's INSERT), JSON back.
  sql floor  (a) raw psycopg on C connections, autocommit: per registration ONE statement (the
             conditional decrement and the seat's INSERT from it). What the database must spend.

All three end with exactly Q seats held; the script checks that (0 over capacity) and prints
registrations/s and p50/p99 latency per set, the medians over the sets and ours/(b), ours/(a).

Usage:
  python bench/registration.py                        # 10,000 workers on 500 places, 3 sets
  python bench/registration.py --runs 1
  python bench/registration.py --claims 3000 --quota 500 --clients 16 --workers 2 --threads 4
Needs PostgreSQL (BENCH_PG, default postgres://postgres@127.0.0.1:5432) and gunicorn (a dependency).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import quota_claims
from bench.common import (
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

DB = bench_db("hg_bench_registration")
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
    from huigong.activities import services
    from huigong.activities.testing import bulk_members
    from huigong.orgs.models import NodeLevel, UnionNode
    from huigong.portal.models import WorkerAccount

    call_command("migrate", verbosity=0)
    city = UnionNode.add_root(code="B0001", name="辽源市总工会", level=NodeLevel.CITY, region_code="220400")
    union = UnionNode.objects.get(pk=city.pk).add_child(code="B0002", name="辽源精工汽车部件有限公司工会",
                                                       level=NodeLevel.GRASSROOTS, region_code="220402")
    User = get_user_model()
    admin = User.objects.create_user(username="bench_admin", password="x")
    StaffProfile.objects.create(user=admin, node=city, role=Role.ADMIN, display_name="bench")
    event = services.event_create(actor=admin, node=city, kind="craftsmen", title="大国工匠进辽源",
                                  address="辽源市职工之家")
    start = timezone.now() + dt.timedelta(days=7)
    session = services.session_add(actor=admin, event=event, title="主会场", starts_at=start,
                                   ends_at=start + dt.timedelta(hours=2), total=quota, waitlist=False)
    services.event_publish(actor=admin, event=event)
    people = bulk_members(union, n)
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
    emit({"programme": session.pk, "sessions": keys})


def child_reset(programme_id: int, quota: int) -> None:
    """A fresh session for the next run: no seats, `remaining` back to the total."""
    from bench.common import django_setup

    django_setup()
    from bench.common import database_url

    reset_quota(database_url(DB), programme_id)
    emit({"ok": True})


# --- ours: HTTP against gunicorn (the quota bench's load generator, pointed at the registration route) ---


def run_ours(env: dict, programme: int, sessions: list[str], clients: int, workers: int, threads: int,
             client_procs: int, app: str = "huigong.wsgi") -> dict:
    return quota_claims.run_ours(env, programme, sessions, clients, workers, threads, client_procs, app=app,
                                 path="/api/v1/event-registrations", field="session_id")


# --- floor (a): one statement per claim, raw psycopg ---------------------------------------------------

SQL_FLOOR = """
WITH upd AS (
    UPDATE activities_eventsession SET remaining = remaining - 1
    WHERE id = %(programme)s AND is_open AND remaining > 0
    RETURNING id
)
INSERT INTO activities_registration (session_id, person_id, seq, companion_name, membership_id, union_id, status,
                                     approval, source, ticket, created_at, granted_at, end_reason)
SELECT upd.id, %(person)s, 0, '', %(membership)s, %(union)s, 'granted', '', 'portal', gen_random_uuid(), now(),
       now(), '' FROM upd
RETURNING id
"""


def reset_quota(dsn: str, programme: int) -> None:
    """A fresh session without Django: no seats, `remaining` back to the total (audit rows stay: the
    database refuses to delete history). VACUUM the dead row versions the previous run left behind."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("DELETE FROM activities_registration WHERE session_id = %s", [programme])
        c.execute("UPDATE activities_eventsession SET remaining = total WHERE id = %s", [programme])
        c.execute("VACUUM ANALYZE activities_eventsession, activities_registration")


def run_sql_floor(dsn: str, programme: int, n: int, clients: int) -> dict:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as c:
        row = c.execute("SELECT m.person_id, m.id, m.union_id FROM members_membership m ORDER BY m.id LIMIT %s",
                        [n]).fetchall()
    reset_quota(dsn, programme)
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
                got = conn.execute(SQL_FLOOR, {"programme": programme, "person": person, "membership": membership,
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
        granted = c.execute("SELECT count(*) FROM activities_registration WHERE session_id = %s AND status = 'granted'",
                            [programme]).fetchone()[0]
        remaining = c.execute("SELECT remaining FROM activities_eventsession WHERE id = %s", [programme]).fetchone()[0]
    return {"granted_rows": granted, "remaining": remaining, "oversold": max(0, granted - quota)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--claims", type=int, default=10_000, help="registrations sent, each by a different worker")
    ap.add_argument("--quota", type=int, default=500)
    ap.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients (and floor connections)")
    ap.add_argument("--client-procs", type=int, default=2, help="processes the HTTP clients are spread over")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn worker processes")
    ap.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
    ap.add_argument("--runs", type=int, default=3, help="sets (each: ours, (b), (a)); medians are quoted")
    ap.add_argument("--keep-db", action="store_true")
    ap.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, *rest = args.child
        {"setup": lambda: child_setup(int(rest[0]), int(rest[1])),
         "reset": lambda: child_reset(int(rest[0]), int(rest[1]))}[kind]()
        return

    var_dir = tempfile.mkdtemp(prefix="hg-bench-registration-")
    env = child_env(DB, var_dir)
    env.update({"DJANGO_SETTINGS_MODULE": "huigong.settings.prod", "HTTPS": "0", "HUIGONG_TASK_MODE": "sync",
                "HUIGONG_SMS_SENDER": "huigong.portal.sms.DisabledSmsSender",
                "DB_CONN_MAX_AGE": "600"})
    for name, make in (("SECRET_KEY", lambda: secrets.token_urlsafe(40)), ("SALT_KEY", lambda: secrets.token_urlsafe(16)),
                       ("BLIND_INDEX_KEY", lambda: secrets.token_hex(32))):
        env[f"HUIGONG_{name}"] = os.environ.get(f"HUIGONG_{name}") or make()
    print(f"machine: {machine()}")
    print(f"registrations {args.claims:,} by as many workers on {args.quota:,} places; {args.clients} concurrent clients; "
          f"gunicorn {args.workers} workers x {args.threads} threads (gthread)")
    recreate_database(DB)
    try:
        t0 = time.perf_counter()
        setup = run_child(__file__, ["--child", "setup", str(args.claims), str(args.quota)], env)
        print(f"setup: {args.claims:,} members, worker accounts and sessions in {time.perf_counter() - t0:.1f} s")
        programme, sessions = setup["programme"], setup["sessions"]
        dsn = database_url(DB)
        sets: dict[str, list[dict]] = {"ours": [], "http": [], "sql": []}

        def verdict(r: dict) -> tuple[dict, bool]:
            check = check_db(dsn, programme, args.quota)
            ok = (r["granted"] == args.quota == check["granted_rows"] and check["remaining"] == 0
                  and check["oversold"] == 0 and r.get("full", args.claims - args.quota) == args.claims - args.quota
                  and r.get("other", 0) == 0)
            return check, ok

        def line(run: int, name: str, r: dict, check: dict, ok: bool) -> str:
            extra = ""
            if "full" in r:
                extra = (f"  名额已满 {r['full']:,}  (granting {r['grant_phase_per_s']:.0f}/s, "
                         f"then 名额已满 {r['full_phase_per_s']:.0f}/s)")
            return (f"set {run}: {name:<14} {r['per_s']:8.0f} registrations/s  p50 {r['p50_ms']:6.1f} ms  "
                    f"p99 {r['p99_ms']:6.1f} ms  granted {r['granted']:,}  oversold {check['oversold']}  "
                    f"{'OK' if ok else 'MISMATCH'}{extra}")

        for run in range(1, args.runs + 1):
            print(f"set {run}: load average {load()}")
            run_child(__file__, ["--child", "reset", str(programme), str(args.quota)], env)
            ours = run_ours(env, programme, sessions, args.clients, args.workers, args.threads, args.client_procs)
            check, ok = verdict(ours)
            print(line(run, "ours", ours, check, ok))
            if not ok:
                raise SystemExit("the capacity was not honoured exactly: see above")
            reset_quota(dsn, programme)
            http = run_ours(env, programme, sessions, args.clients, args.workers, args.threads, args.client_procs,
                            app="bench.registration_floor_wsgi:application")
            check, ok = verdict(http)
            print(line(run, "(b) http floor", http, check, ok))
            if not ok:
                raise SystemExit("the HTTP floor did not honour the quota exactly: see above")
            sql = run_sql_floor(dsn, programme, args.claims, args.clients)
            check, ok = verdict(sql)
            print(line(run, "(a) sql floor", sql, check, ok))
            if not ok:
                raise SystemExit("the SQL floor did not honour the quota exactly: see above")
            for name, r in (("ours", ours), ("http", http), ("sql", sql)):
                sets[name].append(r)
        med = {name: {k: median([r[k] for r in rs]) for k in ("per_s", "p50_ms", "p99_ms")} for name, rs in sets.items()}
        o, b, a = med["ours"]["per_s"], med["http"]["per_s"], med["sql"]["per_s"]
        print(f"\nmedians of {args.runs} set(s):")
        for name, label in (("ours", "ours"), ("http", "(b) http floor"), ("sql", "(a) sql floor")):
            m = med[name]
            print(f"  {label:<14} {m['per_s']:8.0f} registrations/s  p50 {m['p50_ms']:6.1f} ms  p99 {m['p99_ms']:6.1f} ms")
        ratios_b = [x["per_s"] / y["per_s"] for x, y in zip(sets["ours"], sets["http"], strict=True)]
        print(f"ours/(b) = {o / b:.2f}x (per set: {', '.join(f'{r:.2f}' for r in ratios_b)}); "
              f"ours/(a) = {o / a:.2f}x; (b)/(a) = {b / a:.2f}x; oversold 0 in every set")
        print(f"targets: ours >= 0.5x of (b): {'met' if o / b >= 0.5 else 'NOT met'}; "
              f"p99 < 250 ms: {'met' if med['ours']['p99_ms'] < 250 else 'NOT met'}; 0 oversold: met")
        print(f"load average at the end: {load()}")
    finally:
        if not args.keep_db:
            drop_database(DB)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
