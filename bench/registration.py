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

import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import quota_claims
from bench.common import (
    bench_db,
    database_url,
    emit,
)

DB = bench_db("hg_bench_registration")


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


def check_db(dsn: str, programme: int, quota: int) -> dict:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as c:
        granted = c.execute("SELECT count(*) FROM activities_registration WHERE session_id = %s AND status = 'granted'",
                            [programme]).fetchone()[0]
        remaining = c.execute("SELECT remaining FROM activities_eventsession WHERE id = %s", [programme]).fetchone()[0]
    return {"granted_rows": granted, "remaining": remaining, "oversold": max(0, granted - quota)}


def main() -> None:
    quota_claims.run_rush(quota_claims.Rush(
        script=__file__, db=DB, unit="registrations", claims=10_000, quota=500, runs=3,
        floor_app="bench.registration_floor_wsgi:application", sql_floor=SQL_FLOOR, child_setup=child_setup,
        child_reset=child_reset, run_ours=run_ours, reset=reset_quota, check_db=check_db,
        var_prefix="hg-bench-registration-", places="capacity"))


if __name__ == "__main__":
    main()
