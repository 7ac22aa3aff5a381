#!/usr/bin/env python
"""Member search benchmark (issue 15, "member search at scale").

On a PostgreSQL database filled by `manage.py generate_federation --members N` it measures, in one run,
the member list and every search mode:

  list      no search text (the page a union opens first)
  name      a member's full name (2-3 Chinese characters: substring search)
  pinyin    the name's full pinyin ("zhangwei": prefix search)
  initials  the name's initials ("zw": prefix search, thousands of matches nationwide)
  tail      the ID tail a list shows ("…041X")
  phone     a full mobile number

each three ways, under --clients concurrent clients:

  page  the console page: GET /members/?s=<token> (the search text kept in the session by the form's
        POST, as a browser gets there), against gunicorn
  api   POST /api/v1/members/search with a bearer token, against gunicorn
  sql   hand-written SQL on the same indexes, straight to PostgreSQL (psycopg, one connection per
        client): the page of 50 rows with the member's union, and the count bounded the way the app
        bounds it. The floor the app is compared with (ratio = app p50 / sql p50).

Half the requests come from a national admin (every member in scope), half from district admins (a
small scope); every query names a member inside the asker's scope.

Usage:
  python bench/member_search.py                        # 1,000,000 members (builds hg_bench_member_search)
  python bench/member_search.py --reuse --db hg_search_bench --requests 100
Needs PostgreSQL (BENCH_PG, default postgres://postgres@127.0.0.1:5432) and Redis (the workers' shared
cache, HUIGONG_BENCH_CACHE_URL, default redis://127.0.0.1:6379/9).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, Timer, child_env, database_url, django_setup, emit, machine, recreate_database, \
    run_child  # noqa: E402

SCRIPT = str(Path(__file__).resolve())
MODES = ("list", "name", "pinyin", "initials", "tail", "phone")
SURFACES = ("page", "api", "sql")
PAGE_SIZE = 50
TARGET_P95_MS = 150
COOKIE = "sessionid"  # settings.SESSION_COOKIE_NAME (checked by build_targets)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))]


# ----------------------------------------------------------------- what the clients ask (Django set up)


def sample_people(union_ids: list[int] | None, k: int, rng: random.Random):
    """Up to k active members of these unions (None: of every union), spread over the scope."""
    from django.db import connection

    from huigong.members.models import Person

    scope, params = ("", []) if union_ids is None else ("AND union_id = ANY(%s) ", [union_ids])
    with connection.cursor() as cur:
        cur.execute(f"SELECT person_id FROM members_membership WHERE status = 'active' {scope}"
                    "ORDER BY md5(id::text || %s) LIMIT %s", [*params, str(rng.random()), k])
        ids = [r[0] for r in cur.fetchall()]
    people = list(Person.objects.filter(pk__in=ids).only("name", "name_pinyin", "name_initials", "id_number",
                                                         "id_number_mask", "id_number_hash", "phone", "record_path"))
    from huigong.core import crypto, idnumber

    for p in people[:1]:  # phones and tails are found by keyed indexes: the keys must be the world's
        try:
            same = crypto.blind_index(idnumber.normalize(p.id_number), "id") == p.id_number_hash
        except Exception:  # noqa: BLE001 - a value that does not decrypt: other keys
            same = False
        if not same:
            raise SystemExit("the keys in HUIGONG_VAR_DIR are not the ones this database was written with: "
                             "pass --var-dir (the HUIGONG_VAR_DIR of the run that generated it)")
    return people


def query_for(mode: str, person, scope_path: str) -> str | None:
    if mode == "list":
        return ""
    if mode == "name":
        return person.name
    if mode == "pinyin":
        return person.name_pinyin
    if mode == "initials":
        return person.name_initials
    if mode == "tail":
        return "…" + person.id_number_mask[-4:]
    if mode == "phone":  # only a phone recorded inside the asker's subtree is findable
        if not person.phone:
            return None
        # A world generated before people had a record_path finds no phone: still the same index lookup.
        return person.phone if person.record_path.startswith(scope_path) or not person.record_path else None
    raise ValueError(mode)


def sql_for(mode: str, q: str, union_ids: list[int] | None, own_path: str, count_cap: int, *,
            small_scope: bool = False) -> dict:
    """Hand-written SQL for one request, the way the app goes about it on the same indexes: the matching
    people first (bounded; initials and pinyin as two index-only prefix scans), then the page of 50 and
    the bounded count over their memberships; past the bound, the search as a condition on each
    membership's person, the scope's memberships sorted when the scope is small (`joined_on + 0`: no
    walk of the join-date index). `union_ids` None: the scope is every union (no union condition)."""
    from huigong.core import crypto, idnumber, phone as phone_rules
    from huigong.members.selectors import SEARCH_CANDIDATES, name_grams

    bound = SEARCH_CANDIDATES + 1
    people, dense = None, None
    if mode == "name":
        people = [("SELECT id FROM members_person WHERE hg_name_grams(name) @> %s::text[] AND name LIKE %s "
                   f"LIMIT {bound}", [name_grams(q), f"%{q}%"])]
        dense = ("p.name LIKE %s", [f"%{q}%"])
    elif mode in ("pinyin", "initials"):
        people = [(f"SELECT id FROM members_person WHERE name_initials LIKE %s LIMIT {bound}", [q.lower() + "%"]),
                  (f"SELECT id FROM members_person WHERE name_pinyin LIKE %s LIMIT {bound}", [q.lower() + "%"])]
        dense = ("(p.name_initials LIKE %s OR p.name_pinyin LIKE %s)", [q.lower() + "%", q.lower() + "%"])
    elif mode == "tail":
        people = [(f"SELECT id FROM members_person WHERE id_tail_hash = ANY(%s) LIMIT {bound}",
                   [crypto.id_tail_lookups(idnumber.parse_tail(q).tail)])]
    elif mode == "phone":
        people = [(f"SELECT id FROM members_person WHERE phone_hash = %s AND record_path LIKE %s LIMIT {bound}",
                   [crypto.blind_index(phone_rules.normalize(q), "phone"), own_path + "%"])]

    def statements(extra: str, extra_params: list, *, join: bool = False, sort_scope: bool = False) -> list:
        cond, params = "m.status = 'active'" + extra, list(extra_params)
        if union_ids is not None:
            cond, params = "m.union_id = ANY(%s) AND " + cond, [union_ids, *params]
        order = "m.joined_on + 0 DESC, m.id DESC" if sort_scope else "m.joined_on DESC, m.id DESC"
        page = ("SELECT m.id, m.joined_on, m.status, m.card_no, p.id, p.name, p.gender, p.id_number_mask, "
                "p.phone_mask, p.employment_form, u.id, u.name FROM members_membership m "
                "JOIN members_person p ON p.id = m.person_id JOIN orgs_unionnode u ON u.id = m.union_id "
                f"WHERE {cond} ORDER BY {order} LIMIT {PAGE_SIZE}")
        person = "JOIN members_person p ON p.id = m.person_id " if join else ""
        count = f"SELECT count(*) FROM (SELECT 1 FROM members_membership m {person}WHERE {cond} LIMIT {count_cap + 1}) s"
        return [[page, params], [count, params]]

    if people is None:
        return {"people": None, "plain": statements("", [])}
    return {"people": people, "bound": SEARCH_CANDIDATES,
            "by_ids": statements(" AND m.person_id = ANY(%s)", ["__ids__"]),
            "dense": statements(f" AND {dense[0]}", dense[1], join=True, sort_scope=small_scope) if dense else
            statements(f" AND m.person_id IN ({people[0][0].rsplit(' LIMIT', 1)[0]})", people[0][1])}


def run_sql(cur, spec: dict) -> tuple[list, int]:
    """Runs one request's statements on a cursor: (page rows, bounded count)."""
    if spec["people"] is None:
        stmts = spec["plain"]
    else:
        ids: list[int] = []
        for sql, params in spec["people"]:
            if len(ids) > spec["bound"]:
                break
            cur.execute(sql, params)
            ids = list(dict.fromkeys([*ids, *(r[0] for r in cur.fetchall())]))
        stmts = spec["dense"] if len(ids) > spec["bound"] else \
            [[sql, [ids if p == "__ids__" else p for p in params]] for sql, params in spec["by_ids"]]
    (page_sql, page_params), (count_sql, count_params) = stmts
    cur.execute(page_sql, page_params)
    rows = cur.fetchall()
    cur.execute(count_sql, count_params)
    return rows, cur.fetchone()[0]


def make_actors(rng: random.Random, districts: int):
    """A national admin and `districts` district admins (created once; a rerun reuses them)."""
    from django.contrib.auth import get_user_model

    from huigong.accounts.models import StaffProfile
    from huigong.orgs.models import UnionNode

    User = get_user_model()
    root = UnionNode.objects.order_by("depth", "pk").first()
    # Districts that hold members, chosen the same way on every run.
    candidates = list(UnionNode.objects.filter(depth=root.depth + 3).order_by("pk"))
    chosen = random.Random(15).sample(candidates, min(districts, len(candidates)))
    actors = []
    for i, node in enumerate([root, *chosen]):
        user, _ = User.objects.get_or_create(username=f"bench_search_{i}")
        StaffProfile.objects.get_or_create(user=user, defaults={"node": node, "role": "admin",
                                                                "display_name": user.username})
        actors.append(user)
    return actors


def build_targets(n: int, seed: int, *, districts: int = 4) -> dict:
    """For each mode: n requests as (page url + session cookie, api body + token, SQL statements).
    Runs inside Django (a child process of the bench, or a test)."""
    from types import SimpleNamespace

    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from huigong.accounts.models import ApiToken
    from huigong.core import searchtext
    from huigong.core.scope import root_path
    from huigong.members.selectors import COUNT_EXACT_UP_TO, SMALL_SCOPE_SHARE, scope_union_ids

    rng = random.Random(seed)
    actors = make_actors(rng, districts)
    national, local = actors[0], actors[1:] or actors[:1]
    scopes = {}
    for a in actors:
        path = root_path(a)
        ids, share = scope_union_ids(path)
        raw = ApiToken.new_key()
        ApiToken.objects.create(user=a, name="bench", prefix=raw[:10], key_hash=ApiToken.hash_key(raw))
        scopes[a.pk] = {"path": path, "union_ids": ids, "small": ids is not None and share <= SMALL_SCOPE_SHARE,
                        "token": raw, "people": sample_people(ids, max(4 * n, 40), rng)}
    list_url = reverse("members:list")
    assert settings.SESSION_COOKIE_NAME == COOKIE, settings.SESSION_COOKIE_NAME
    out = {m: [] for m in MODES}
    for mode in MODES:
        # The page finds its search text in the session behind ?s=<token>, as the form's POST leaves it
        # (core/searchtext.py); a session keeps its latest 20 texts, so a new session every 15.
        session, tries = None, 0
        while len(out[mode]) < n and tries < 50 * n:
            tries += 1
            actor = national if len(out[mode]) % 2 == 0 else local[rng.randrange(len(local))]
            scope = scopes[actor.pk]
            if not scope["people"]:
                continue
            q = query_for(mode, rng.choice(scope["people"]), scope["path"])
            if q is None:
                continue
            if session is None or session["used"] >= 15 or session["actor"] != actor.pk:
                if session is not None:
                    session["store"].save()
                c = Client()
                c.force_login(actor)
                session = {"store": c.session, "actor": actor.pk, "used": 0,
                           "cookie": c.cookies[settings.SESSION_COOKIE_NAME].value}
            url = list_url
            if q:
                url = f"{list_url}?{searchtext.TOKEN_PARAM}={searchtext.stash(SimpleNamespace(session=session['store']), q)}"
                session["used"] += 1
            out[mode].append({
                "q": q, "actor": actor.pk,
                "page": [url, session["cookie"]],
                "api": [{"q": q, "limit": PAGE_SIZE}, scope["token"]],
                "sql": sql_for(mode, q, scope["union_ids"], scope["path"], COUNT_EXACT_UP_TO, small_scope=scope["small"]),
            })
        if session is not None:
            session["store"].save()
    return {"targets": out, "scopes": {str(a.pk): "all" if scopes[a.pk]["union_ids"] is None else
                                       len(scopes[a.pk]["union_ids"]) for a in actors}}


# ----------------------------------------------------------------- parent


def serve(env: dict, workers: int):
    from bench.dashboard import free_port

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "huigong.wsgi:application", "-b", f"127.0.0.1:{port}", "-w",
         str(workers), "--log-level", "warning", "--timeout", "120"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
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


def hammer(clients: int, items: list, call) -> tuple[list[float], int]:
    """Runs call(state, item) for every item from `clients` threads; returns latencies and errors."""
    latencies, errors, lock, queue = [], [0], threading.Lock(), list(items)

    def worker() -> None:
        state = {}
        while True:
            with lock:
                if not queue:
                    break
                item = queue.pop()
            t0 = time.perf_counter()
            ok = call(state, item)
            dt_ = time.perf_counter() - t0
            with lock:
                latencies.append(dt_)
                errors[0] += 0 if ok else 1
        if "close" in state:
            state["close"]()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0]


def http_caller(port: int, surface: str):
    def call(state, item) -> bool:
        conn = state.get("conn")
        if conn is None:
            conn = state["conn"] = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            state["close"] = conn.close
        if surface == "page":
            url, cookie = item["page"]
            conn.request("GET", url, headers={"Cookie": f"{COOKIE}={cookie}"})
        else:
            body, token = item["api"]
            conn.request("POST", "/api/v1/members/search", body=json.dumps(body),
                         headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200 and "first_error" not in state:
            state["first_error"] = f"{surface} {resp.status} {resp.getheader('Location') or body[:300]!r}"
            sys.stderr.write(state["first_error"] + "\n")
        return resp.status == 200
    return call


def sql_caller(dburl: str):
    import psycopg

    def call(state, item) -> bool:
        conn = state.get("conn")
        if conn is None:
            conn = state["conn"] = psycopg.connect(dburl, autocommit=True)
            state["close"] = conn.close
        with conn.cursor() as cur:
            run_sql(cur, item["sql"])
        return True
    return call


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=1_000_000)
    ap.add_argument("--db", default="hg_bench_member_search")
    ap.add_argument("--reuse", action="store_true", help="keep the database of a previous run")
    ap.add_argument("--requests", type=int, default=100, help="requests per mode and surface")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    ap.add_argument("--skip-record-path", action="store_true",
                    help="leave people of an older world without record_path (phone searches then match nothing)")
    ap.add_argument("--var-dir", help="HUIGONG_VAR_DIR holding the keys the database was generated with")
    ap.add_argument("--child", choices=["targets"])
    args = ap.parse_args()
    if args.child == "targets":
        django_setup()
        emit(build_targets(args.requests, 15))
        return

    # The keys (var/keys.json) belong to the database: a reused world must be read with the keys it was
    # written with, or its encrypted phones cannot be read and its blind indexes (tails, phones) match
    # nothing. So the directory is named after the database, not after this run (--var-dir to point at
    # the one a world was generated with).
    var_dir = args.var_dir or f"/tmp/hg-bench-member-search-{args.db}"
    env = child_env(args.db, var_dir)
    env["HUIGONG_CACHE_URL"] = os.environ.get("HUIGONG_BENCH_CACHE_URL", "redis://127.0.0.1:6379/9")
    print(f"machine: {machine()}")
    if not args.reuse:
        recreate_database(args.db)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    if not args.reuse:
        with Timer() as gen:
            subprocess.run([sys.executable, "manage.py", "generate_federation", "--members", str(args.members),
                            "--no-refresh"], env=env, cwd=ROOT, check=True)
        print(f"generate_federation --members {args.members:,}: {gen.seconds:.0f} s")
    import psycopg

    with psycopg.connect(database_url(args.db), autocommit=True) as conn:
        # Worlds generated before generate_federation recorded record_path: give each person its union's.
        if not args.skip_record_path:
            cur = conn.execute("UPDATE members_person p SET record_path = u.path FROM members_membership m "
                               "JOIN orgs_unionnode u ON u.id = m.union_id WHERE m.person_id = p.id "
                               "AND m.status = 'active' AND p.record_path = ''")
            if cur.rowcount:
                print(f"record_path set on {cur.rowcount:,} people")
                conn.execute("VACUUM ANALYZE members_person")
        conn.execute("ANALYZE members_membership")
        conn.execute("ANALYZE members_person")
        members = conn.execute("SELECT count(*) FROM members_membership WHERE status = 'active'").fetchone()[0]
    print(f"active members: {members:,}")
    tg = run_child(SCRIPT, ["--child", "targets", "--requests", str(args.requests)], env)
    targets = tg["targets"]
    print(f"scopes (unions): {tg['scopes']}")
    proc, port = serve(env, args.workers)
    results: dict = {}
    try:
        for mode in MODES:  # warm each path once (imports, plans, caches) before timing
            for surface in ("page", "api"):
                hammer(1, targets[mode][:2], http_caller(port, surface))
        for mode in MODES:
            for surface in SURFACES:
                call = sql_caller(database_url(args.db)) if surface == "sql" else http_caller(port, surface)
                lat, errors = hammer(args.clients, targets[mode], call)
                results[(mode, surface)] = (lat, errors)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(f"\n{args.clients} concurrent clients, {args.requests} requests per mode and surface, "
          f"gunicorn -w {args.workers}; ms")
    print(f"{'mode':9s} {'page p50':>9s} {'page p95':>9s} {'api p50':>8s} {'api p95':>8s} {'sql p50':>8s} "
          f"{'sql p95':>8s} {'page/sql':>9s} {'api/sql':>8s}  errors")
    worst = 0.0
    summary = {}
    for mode in MODES:
        row = {s: results[(mode, s)][0] for s in SURFACES}
        errors = sum(results[(mode, s)][1] for s in SURFACES)
        p = {s: (pct(row[s], 50) * 1000, pct(row[s], 95) * 1000) for s in SURFACES}
        worst = max(worst, p["page"][1], p["api"][1])
        print(f"{mode:9s} {p['page'][0]:9.0f} {p['page'][1]:9.0f} {p['api'][0]:8.0f} {p['api'][1]:8.0f} "
              f"{p['sql'][0]:8.1f} {p['sql'][1]:8.1f} {p['page'][0] / p['sql'][0]:8.1f}x "
              f"{p['api'][0] / p['sql'][0]:7.1f}x  {errors}")
        summary[mode] = {s: {"p50_ms": p[s][0], "p95_ms": p[s][1]} for s in SURFACES}
    print(f"worst app p95: {worst:.0f} ms (target < {TARGET_P95_MS} ms): {'met' if worst < TARGET_P95_MS else 'NOT met'}")
    emit({"members": members, "results": summary})


if __name__ == "__main__":
    main()
