"""求学圆梦 at scale: a round with 20,000 applicants across 200 unions with quotas, on PostgreSQL.

    .venv/bin/python bench/education.py [--applicants 20000] [--unions 200] [--runs 3] [--keep]

Builds a throw-away database (hg_bench_education): a city whose 200 grassroots unions are the round's
quota units (places split equally by the round's formula), 20,000 members with varied register data
(joined, contract, employment form, birth date, employer) and an application each (COPY). Then, in
fresh processes:

  check-ours  huigong.education.eligibility.run_check: the automatic first check, the service's statement
  check-hand  one hand-written UPDATE … FROM doing the same selection over psycopg
  draw-ours   the kernel's draw (huigong.core.capacity.services.draw) over the approved applications, with
              the round's per-union quotas, writing each entrant's place and WON/LOST
  draw-hand   one hand-written UPDATE doing the same selection (HMAC-SHA256 order by pgcrypto's hmac(),
              per-union rank within the quota) over psycopg

and prints the medians, the ratios ours / hand (target <= 2x), whether both give the same rows, and
whether re-running the draw from the published seed gives the identical list.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    Timer,
    bench_db,
    child_env,
    database_url,
    django_setup,
    drop_database,
    emit,
    machine,
    median,
    recreate_database,
    run_child,
)

DB = bench_db("hg_bench_education")
SCRIPT = str(Path(__file__).resolve())
SEED = "20261207-bench"

CHECK_HAND = """
UPDATE education_application AS a SET check_failures =
    CASE WHEN m.id IS NULL THEN 'member,' ELSE '' END
 || CASE WHEN m.id IS NOT NULL AND u.path NOT LIKE %(root)s THEN 'subtree,' ELSE '' END
 || CASE WHEN m.id IS NOT NULL AND m.joined_on > %(joined)s THEN 'member_months,' ELSE '' END
 || CASE WHEN p.contract_start IS NULL OR p.contract_start > %(contract)s
         OR (p.contract_end IS NOT NULL AND p.contract_end < %(today)s) THEN 'contract_years,' ELSE '' END
 || CASE WHEN p.employment_form NOT IN ('contract', 'dispatch', 'rider', 'courier', 'truck_driver')
         THEN 'forms,' ELSE '' END
 || CASE WHEN p.birth_date <= %(oldest)s THEN 'max_age,' ELSE '' END
 || CASE WHEN e.id IS NULL OR e.union_id IS NULL THEN 'employer_union,' ELSE '' END
 || CASE WHEN EXISTS (SELECT 1 FROM education_application o WHERE o.person_id = p.id AND o.level = a.level
                      AND o.programme_id <> a.programme_id AND o.status IN ('won', 'notice', 'confirmed'))
         THEN 'once_per_level,' ELSE '' END,
    checked_at = now()
FROM members_person p
LEFT JOIN members_membership m ON m.person_id = p.id AND m.status = 'active'
LEFT JOIN orgs_unionnode u ON u.id = m.union_id
LEFT JOIN orgs_enterprise e ON e.id = COALESCE(p.employer_id, p.platform_id)
WHERE p.id = a.person_id AND a.programme_id = %(programme)s AND a.status = 'submitted'
"""

DRAW_HAND = """
UPDATE education_application AS a SET
    place = CASE WHEN r.unit_rank <= q.slots THEN 'granted' ELSE 'lost' END,
    status = CASE WHEN r.unit_rank <= q.slots THEN 'won' ELSE 'lost' END,
    draw_rank = r.rank
FROM (
    SELECT x.id, x.sub_key,
           row_number() OVER (ORDER BY x.t, x.id) AS rank,
           row_number() OVER (PARTITION BY x.sub_key ORDER BY x.t, x.id) AS unit_rank
    FROM (SELECT id, sub_key, encode(hmac(id::text, %(seed)s, 'sha256'), 'hex') AS t
          FROM education_application WHERE programme_id = %(programme)s AND place = 'entered') x
) r
JOIN education_programmequota q ON q.programme_id = %(programme)s AND q.key = r.sub_key
WHERE a.id = r.id
"""


def _copy_rows(cur, table, fields, overrides, n, make):
    from bench.screening import _copy_rows as copy_rows

    copy_rows(cur, table, fields, overrides, n, make)


def child_setup(args) -> None:
    django_setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from huigong.accounts.models import Role
    from huigong.education import services
    from huigong.education.models import Application, DegreeLevel, Institution, Major, Programme
    from huigong.members.models import Membership, Person
    from huigong.orgs.models import Enterprise, NodeLevel, UnionNode
    from huigong.testing import make_node, make_staff

    rng = random.Random(2026)
    root = make_node(None, "中华全国总工会", NodeLevel.NATIONAL, "100000")
    prov = make_node(root, "广东省总工会", NodeLevel.PROVINCE, "440000")
    city = make_node(prov, "广州市总工会", NodeLevel.CITY, "440100")
    actor = make_staff(city, Role.ADMIN, "bench_admin")
    unions = [UnionNode.objects.get(pk=city.pk).add_child(code=f"G{i:05d}", name=f"基层工会{i}",
                                                            level=NodeLevel.GRASSROOTS, region_code="440106")
              for i in range(args.unions)]
    ents = Enterprise.objects.bulk_create([Enterprise(name=f"单位{i}", uscc=f"9144010{i:011d}", union=u)
                                           for i, u in enumerate(unions)])
    today = dt.date.today()
    p = services.programme_create(
        actor=actor, node=city, title="基准求学圆梦", year=today.year, opens_on=today, closes_on=today,
        total=args.applicants // 4, quota_formula="equal",
        rules={"member_months": 12, "contract_years": 1, "forms": ["contract", "dispatch", "rider", "courier",
                                                                  "truck_driver"],
               "max_age": 50, "employer_union": True, "once_per_level": True},
        levels=[NodeLevel.CITY], tranches=[{"trigger": "enrolment", "fen": 100000}])
    inst = Institution.objects.create(node=city, node_path=city.path, name="广东开放大学")
    major = Major.objects.create(programme=p, institution=inst, name="机电一体化技术", level=DegreeLevel.COLLEGE,
                                 seats=args.applicants)
    services.quotas_compute(actor=actor, programme=p)
    n = args.applicants
    forms = ["contract", "contract", "dispatch", "rider", "courier", "flexible", "other"]
    with Timer() as t, connection.cursor() as cur:
        pg = cur.connection.cursor()
        first = (Person.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        _copy_rows(pg, "members_person", Person._meta.concrete_fields,
                   {"id_number": "x", "gender": "M"}, n,
                   lambda i: {"name": f"职工{i}", "id_number_hash": f"bench{i}", "employment_form": rng.choice(forms),
                              "birth_date": dt.date(rng.randint(1965, 2004), rng.randint(1, 12), 1),
                              "contract_start": None if rng.random() < 0.1 else dt.date(rng.randint(2015, 2026), 1, 1),
                              "employer_id": None if rng.random() < 0.05 else ents[i % len(ents)].pk})
        _copy_rows(pg, "members_membership", Membership._meta.concrete_fields, {}, n,
                   lambda i: {"person_id": first + i, "union_id": unions[i % len(unions)].pk,
                              "status": "withdrawn" if rng.random() < 0.03 else "active",
                              "joined_on": dt.date(rng.randint(2015, 2026), rng.randint(1, 12), 1)})
        _copy_rows(pg, "education_application", Application._meta.concrete_fields, {}, n,
                   lambda i: {"programme_id": p.pk, "person_id": first + i, "union_id": unions[i % len(unions)].pk,
                              "node_path": unions[i % len(unions)].path, "major_id": major.pk, "level": "college",
                              "status": "submitted", "round": 1})
    with connection.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
        cur.execute("ANALYZE")
    Programme.objects.filter(pk=p.pk).update(status="closed", is_open=False)
    emit({"programme": p.pk, "actor": actor.pk, "load_seconds": round(t.seconds, 1)})


def _pg():
    import psycopg

    return psycopg.connect(database_url(DB), autocommit=True)


def _reset_check(programme: int) -> None:
    with _pg() as conn:
        conn.execute("UPDATE education_application SET check_failures = '', checked_at = NULL, status = 'submitted' "
                     "WHERE programme_id = %s", [programme])
        conn.execute("VACUUM ANALYZE education_application")


def _reset_draw(programme: int) -> None:
    """Every eligible application approved and entered with its quota unit; no draw yet."""
    with _pg() as conn:
        conn.execute("DELETE FROM capacity_draw WHERE purpose = %s", [f"education.programme:{programme}"])
        conn.execute("UPDATE education_programme SET remaining = total, status = 'closed' WHERE id = %s", [programme])
        conn.execute("UPDATE education_programmequota SET remaining = slots WHERE programme_id = %s", [programme])
        conn.execute("UPDATE education_application a SET status = CASE WHEN check_failures = '' THEN 'approved' "
                     "ELSE 'ineligible' END, place = CASE WHEN check_failures = '' THEN 'entered' ELSE '' END, "
                     "draw_rank = NULL, granted_at = NULL, ended_at = NULL, "
                     "sub_key = (SELECT u.id FROM orgs_unionnode u WHERE u.path = a.node_path) "
                     "WHERE programme_id = %s", [programme])
        conn.execute("VACUUM ANALYZE education_application")


def _check_counts(programme: int) -> dict:
    with _pg() as conn:
        rows = conn.execute("SELECT check_failures, count(*) FROM education_application WHERE programme_id = %s "
                            "GROUP BY 1 ORDER BY 1", [programme]).fetchall()
    return {k or "eligible": v for k, v in rows}


def _draw_rows(programme: int) -> list:
    with _pg() as conn:
        return conn.execute("SELECT id, place, draw_rank FROM education_application WHERE programme_id = %s "
                            "AND draw_rank IS NOT NULL ORDER BY draw_rank", [programme]).fetchall()


def child_check_ours(args) -> None:
    django_setup()
    from huigong.education import eligibility
    from huigong.education.models import Programme

    p = Programme.objects.get(pk=args.programme)
    _reset_check(p.pk)
    with Timer() as t:
        eligibility.run_check(p)
    emit({"seconds": t.seconds, "counts": _check_counts(p.pk)})


def child_check_hand(args) -> None:
    django_setup()
    from huigong.education import eligibility
    from huigong.education.models import Programme

    p = Programme.objects.get(pk=args.programme)
    today = dt.date.today()
    params = {"root": p.node_path + "%", "joined": eligibility._months_before(today, 12),
              "contract": eligibility._years_before(today, 1), "today": today,
              "oldest": eligibility._years_before(today, 51), "programme": p.pk}
    _reset_check(p.pk)
    with _pg() as conn, Timer() as t:
        conn.execute(CHECK_HAND, params)
    emit({"seconds": t.seconds, "counts": _check_counts(p.pk)})


def child_draw_ours(args) -> None:
    django_setup()
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from huigong.core.capacity import services as cap
    from huigong.education.models import Programme
    from huigong.education.places import PLACES

    _reset_draw(args.programme)
    actor = get_user_model().objects.get(pk=args.actor)
    p = Programme.objects.get(pk=args.programme)
    with Timer() as t, transaction.atomic():
        record = cap.draw(PLACES, actor=actor, pool=p, seed=SEED, node_path=p.node_path)
        # The draw writes WON / LOST with the place (education.places.PLACES.draw_sets).
    from huigong.core.capacity import lottery

    same_order = lottery.order(SEED, record.entrants) == [r[0] for r in record.result]
    emit({"seconds": t.seconds, "rows": _draw_rows(p.pk), "reran_same_order": same_order,
          "hash": record.entrants_hash})


def child_draw_hand(args) -> None:
    _reset_draw(args.programme)
    with _pg() as conn, Timer() as t:
        conn.execute(DRAW_HAND, {"seed": SEED, "programme": args.programme})
    emit({"seconds": t.seconds, "rows": _draw_rows(args.programme)})


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--applicants", type=int, default=20_000)
    p.add_argument("--unions", type=int, default=200)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--only", choices=["all", "check", "draw"], default="all", help="time only one of the two")
    p.add_argument("--child", choices=["setup", "check-ours", "check-hand", "draw-ours", "draw-hand"],
                   help=argparse.SUPPRESS)
    p.add_argument("--programme", type=int, help=argparse.SUPPRESS)
    p.add_argument("--actor", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        {"setup": child_setup, "check-ours": child_check_ours, "check-hand": child_check_hand,
         "draw-ours": child_draw_ours, "draw-hand": child_draw_hand}[args.child](args)
        return
    work = Path(tempfile.mkdtemp(prefix="hg-bench-education-"))
    env = child_env(DB, str(work / "var"))
    print(f"machine: {machine()}")
    print(f"求学圆梦 round: {args.applicants:,} applicants across {args.unions} unions; database {DB} (recreated)")
    recreate_database(DB)
    try:
        setup = run_child(SCRIPT, ["--child", "setup", "--applicants", str(args.applicants),
                                   "--unions", str(args.unions)], env)
        print(f"loaded in {setup['load_seconds']} s")
        ids = ["--programme", str(setup["programme"]), "--actor", str(setup["actor"])]
        times: dict[str, list[float]] = {k: [] for k in ("check-ours", "check-hand", "draw-ours", "draw-hand")}
        out: dict[str, list] = {k: [] for k in times}
        for run in range(1, args.runs + 1):
            # Both checks write the same rows, so either leaves the state the draws start from.
            checks = ["check-hand", "check-ours"] if run % 2 else ["check-ours", "check-hand"]
            draws = ["draw-hand", "draw-ours"] if run % 2 else ["draw-ours", "draw-hand"]
            for name in [*checks, *(draws if args.only != "check" else [])]:
                if args.only == "draw" and name in checks and run > 1:
                    continue  # the draws need one first check's answer
                r = run_child(SCRIPT, ["--child", name, *ids], env)
                times[name].append(r["seconds"])
                out[name].append(r)
                print(f"  run {run} {name:10s} {r['seconds']:8.3f} s", flush=True)
        same_check = all(r["counts"] == out["check-hand"][0]["counts"] for r in out["check-ours"] + out["check-hand"])
        counts = out["check-ours"][0]["counts"]
        print(f"first check: {counts.get('eligible', 0):,} eligible of {args.applicants:,}")
        co, ch = median(times["check-ours"]), median(times["check-hand"])
        print(f"median first check: ours {co:.3f} s, hand-written {ch:.3f} s, ratio {co / ch:.2f}x (target <= 2x)")
        same_draw = reran = args.only == "check"
        if args.only != "check":
            same_draw = all(r["rows"] == out["draw-hand"][0]["rows"] for r in out["draw-ours"] + out["draw-hand"])
            reran = all(r["reran_same_order"] for r in out["draw-ours"]) and \
                len({tuple(map(tuple, r["rows"])) for r in out["draw-ours"]}) == 1
            won = sum(1 for row in out["draw-ours"][0]["rows"] if row[1] == "granted")
            print(f"draw: {len(out['draw-ours'][0]['rows']):,} entrants, {won:,} places granted; "
                  f"entrant-list hash {out['draw-ours'][0]['hash']}")
            do, dh = median(times["draw-ours"]), median(times["draw-hand"])
            print(f"median draw: ours {do:.3f} s, hand-written {dh:.3f} s, ratio {do / dh:.2f}x (target <= 2x)")
        print(f"same check rows: {'yes' if same_check else 'NO'}; same draw rows: {'yes' if same_draw else 'NO'}; "
              f"re-run from the seed identical: {'yes' if reran else 'NO'}")
    finally:
        if not args.keep:
            drop_database(DB)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
