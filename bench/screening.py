"""Rule pass of a screening sweep over 1,000,000 visited members on PostgreSQL.

    .venv/bin/python bench/screening.py [--visits 1000000] [--runs 3] [--keep]

Builds a throw-away database (hg_bench_screening): a city of ~1,000 member-holding unions under 13
districts, screening rules at city, district and a few grassroots levels (some not yet in force),
and one sweep with N visits with household facts (COPY, people included). Then, alternating, in
fresh processes with the table vacuumed before each:

  ours   huigong.assistance.services.screening.sweep_rules_apply (the service, audit row included)
  hand   one hand-written UPDATE … FROM (LATERAL nearest rule per union) over psycopg
  same   one hand-written UPDATE … FROM (DISTINCT ON nearest rule per union) over psycopg: the same
         plan as the service, so ours / same is the cost of Django, the service and its audit row

and prints the medians and both ratios, ours / hand and ours / same (target ≤ 1.5), and checks all
three give the same counts per level.
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

DB = bench_db("hg_bench_screening")
SCRIPT = str(Path(__file__).resolve())

HAND_SQL = """
UPDATE assistance_sweepvisit AS v SET
    flagged_level = CASE
        WHEN r.id IS NULL THEN ''
        WHEN v.monthly_income_fen < r.dibao_fen * v.household_size THEN 'deep'
        WHEN (v.has_illness OR v.has_disaster OR v.has_job_loss OR v.has_work_injury)
             AND v.monthly_income_fen - v.rigid_expense_fen < r.dibao_fen * v.household_size THEN 'sudden'
        WHEN v.monthly_income_fen * 100 < r.dibao_fen * r.m100 * v.household_size
             OR (v.monthly_income_fen - v.rigid_expense_fen) * 100 < r.dibao_fen * r.m100 * v.household_size
             THEN 'relative'
        ELSE '' END,
    flagged_rule_id = r.id,
    per_capita_fen = (v.monthly_income_fen - v.rigid_expense_fen) / v.household_size,
    evaluated_at = now()
FROM assistance_sweepassignment a
LEFT JOIN LATERAL (
    SELECT s.id, s.dibao_fen, (s.relative_multiple * 100)::bigint AS m100
    FROM assistance_screeningrule s
    WHERE starts_with(a.node_path, s.node_path) AND s.effective_from <= current_date
    ORDER BY length(s.node_path) DESC, s.effective_from DESC LIMIT 1
) r ON true
WHERE a.sweep_id = %(sweep)s AND v.sweep_id = %(sweep)s AND v.assignment_id = a.id
"""


# The service's plan written by hand: the nearest rule per assignment by DISTINCT ON, then one UPDATE.
SAME_PLAN_SQL = """
UPDATE assistance_sweepvisit AS v SET
    flagged_level = CASE
        WHEN x.rule_id IS NULL THEN ''
        WHEN v.monthly_income_fen < x.dibao_fen * v.household_size THEN 'deep'
        WHEN (v.has_illness OR v.has_disaster OR v.has_job_loss OR v.has_work_injury)
             AND v.monthly_income_fen - v.rigid_expense_fen < x.dibao_fen * v.household_size THEN 'sudden'
        WHEN v.monthly_income_fen * 100 < x.dibao_fen * x.m100 * v.household_size
             OR (v.monthly_income_fen - v.rigid_expense_fen) * 100 < x.dibao_fen * x.m100 * v.household_size
             THEN 'relative'
        ELSE '' END,
    flagged_rule_id = x.rule_id,
    per_capita_fen = (v.monthly_income_fen - v.rigid_expense_fen) / v.household_size,
    evaluated_at = now()
FROM (
    SELECT DISTINCT ON (a.id) a.id AS assignment_id, s.id AS rule_id, s.dibao_fen,
           (s.relative_multiple * 100)::bigint AS m100
    FROM assistance_sweepassignment a
    LEFT JOIN assistance_screeningrule s
           ON starts_with(a.node_path, s.node_path) AND s.effective_from <= current_date
    WHERE a.sweep_id = %(sweep)s
    ORDER BY a.id, length(s.node_path) DESC NULLS LAST, s.effective_from DESC NULLS LAST
) AS x
WHERE v.sweep_id = %(sweep)s AND v.assignment_id = x.assignment_id
"""


def _copy_rows(cur, table: str, fields, overrides: dict, n: int, make):
    """COPY n rows into `table`: every concrete column gets a neutral value unless `make(i)` or
    `overrides` gives one (so the script keeps working when someone adds a nullable column)."""
    from django.db import models

    cols, defaults = [], []
    for f in fields:
        if f.primary_key:
            continue
        cols.append(f.column)
        if f.column in overrides:
            defaults.append(overrides[f.column])
        elif f.null:
            defaults.append(None)
        elif isinstance(f, models.BooleanField):
            defaults.append(False)
        elif isinstance(f, models.DateTimeField):
            defaults.append(dt.datetime.now(dt.UTC))
        elif isinstance(f, models.DateField):
            defaults.append(dt.date(1990, 1, 1))
        elif isinstance(f, models.IntegerField | models.BigIntegerField | models.PositiveSmallIntegerField):
            defaults.append(0)
        else:
            defaults.append("")
    index = {c: k for k, c in enumerate(cols)}
    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
        for i in range(n):
            row = list(defaults)
            for c, v in make(i).items():
                row[index[c]] = v
            copy.write_row(row)


def child_setup(args) -> None:
    django_setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from huigong.accounts.models import Role
    from huigong.assistance.models import ScreeningRule, Sweep, SweepAssignment, SweepVisit
    from huigong.members.models import Person
    from huigong.orgs.models import NodeLevel, UnionNode
    from huigong.testing import make_node, make_staff

    rng = random.Random(2026)
    root = make_node(None, "中华全国总工会", NodeLevel.NATIONAL, "100000")
    prov = make_node(root, "青海省总工会", NodeLevel.PROVINCE, "630000")
    city = make_node(prov, "海西州总工会", NodeLevel.CITY, "632800")
    actor = make_staff(city, Role.ADMIN, "bench_admin")
    districts = [make_node(city, f"第{d}区总工会", NodeLevel.DISTRICT, "632801") for d in range(13)]
    unions: list[UnionNode] = []
    for d in districts:  # ~77 grassroots unions per district, added in bulk through treebeard's paths
        for _k in range(77):
            unions.append(UnionNode.objects.get(pk=d.pk).add_child(
                code=f"B{len(unions):06d}", name=f"基层工会{len(unions)}", level=NodeLevel.GRASSROOTS,
                region_code="632801"))
    today = dt.date.today()
    ScreeningRule.objects.create(node=city, node_path=city.path, dibao_fen=72000, relative_multiple="1.5",
                                 effective_from=dt.date(2020, 1, 1))
    ScreeningRule.objects.create(node=city, node_path=city.path, dibao_fen=99000, relative_multiple="1.5",
                                 effective_from=today + dt.timedelta(days=30))  # not yet in force
    for d in districts[::2]:
        ScreeningRule.objects.create(node=d, node_path=d.path, dibao_fen=rng.choice([68000, 75000, 80000]),
                                     relative_multiple=rng.choice(["1.30", "1.50", "2.00"]),
                                     effective_from=dt.date(2021, 1, 1))
    for u in unions[::50]:
        ScreeningRule.objects.create(node=u, node_path=u.path, dibao_fen=85000, relative_multiple="1.20",
                                     effective_from=dt.date(2023, 1, 1))
    sweep = Sweep.objects.create(node=city, node_path=city.path, title="基准排查", year=today.year,
                                 deadline=today + dt.timedelta(days=60), opened_by=actor)
    per = args.visits // len(unions) + 1
    SweepAssignment.objects.bulk_create([SweepAssignment(sweep=sweep, node=u, node_path=u.path, member_total=per,
                                                         visited_count=per) for u in unions])
    assignments = list(SweepAssignment.objects.filter(sweep=sweep).values_list("pk", "node_id", "node_path"))
    # What the encrypted JSON field itself writes for an empty household list.
    empty_details = SweepVisit._meta.get_field("details").get_db_prep_save({}, connection)
    with Timer() as t, connection.cursor() as cur:
        pg = cur.connection.cursor()
        first = (Person.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        _copy_rows(pg, "members_person", Person._meta.concrete_fields,
                   {"id_number": "x", "gender": "M", "employment_form": "contract"}, args.visits,
                   lambda i: {"name": f"职工{i}", "id_number_hash": f"bench{i}"})
        visit_fields = SweepVisit._meta.concrete_fields

        def visit(i):
            a = assignments[i % len(assignments)]
            size = rng.randint(1, 6)
            income = rng.randint(0, 2_000_000)
            return {"sweep_id": sweep.pk, "assignment_id": a[0], "person_id": first + i, "node_id": a[1],
                    "node_path": a[2], "visited_on": today, "household_size": size, "monthly_income_fen": income,
                    "rigid_expense_fen": rng.choice([0, 0, 0, rng.randint(0, income // 2 + 1)]),
                    "has_illness": rng.random() < 0.08, "has_job_loss": rng.random() < 0.04,
                    "has_disaster": rng.random() < 0.01, "has_work_injury": rng.random() < 0.02,
                    "details": empty_details}

        _copy_rows(pg, "assistance_sweepvisit", visit_fields, {}, args.visits, visit)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    emit({"sweep": sweep.pk, "actor": actor.pk, "unions": len(unions),
          "rules": ScreeningRule.objects.count(), "load_seconds": round(t.seconds, 1)})


def _vacuum() -> None:
    import psycopg

    with psycopg.connect(database_url(DB), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE assistance_sweepvisit")


def _counts(cur_execute) -> dict:
    rows = cur_execute("SELECT flagged_level, count(*) FROM assistance_sweepvisit GROUP BY 1 ORDER BY 1")
    return {(k or "none"): n for k, n in rows}


def child_ours(args) -> None:
    django_setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from huigong.assistance.models import Sweep
    from huigong.assistance.services.screening import sweep_rules_apply

    actor = get_user_model().objects.get(pk=args.actor)
    sweep = Sweep.objects.get(pk=args.sweep)
    _vacuum()
    with Timer() as t:
        sweep_rules_apply(actor=actor, sweep=sweep)
    with connection.cursor() as cur:
        def ex(sql):
            cur.execute(sql)
            return cur.fetchall()
        counts = _counts(ex)
    emit({"seconds": t.seconds, "counts": counts})


def child_hand(args, sql: str = HAND_SQL) -> None:
    import psycopg

    _vacuum()
    with psycopg.connect(database_url(DB)) as conn:
        with Timer() as t, conn.transaction():
            conn.execute(sql, {"sweep": args.sweep})
        counts = _counts(lambda sql: conn.execute(sql).fetchall())
    emit({"seconds": t.seconds, "counts": counts})


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--visits", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--child", choices=["setup", "ours", "hand", "same"], help=argparse.SUPPRESS)
    p.add_argument("--sweep", type=int, help=argparse.SUPPRESS)
    p.add_argument("--actor", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        {"setup": child_setup, "ours": child_ours, "hand": child_hand,
         "same": lambda a: child_hand(a, SAME_PLAN_SQL)}[args.child](args)
        return
    work = Path(tempfile.mkdtemp(prefix="hg-bench-screening-"))
    env = child_env(DB, str(work / "var"))
    print(f"machine: {machine()}")
    print(f"screening rule pass: {args.visits:,} visits; database {DB} (recreated)")
    recreate_database(DB)
    try:
        setup = run_child(SCRIPT, ["--child", "setup", "--visits", str(args.visits)], env)
        print(f"loaded {args.visits:,} people and visits over {setup['unions']} unions, {setup['rules']} rules, "
              f"in {setup['load_seconds']} s")
        ids = ["--sweep", str(setup["sweep"]), "--actor", str(setup["actor"])]
        times: dict[str, list[float]] = {"ours": [], "hand": [], "same": []}
        counts: dict[str, dict] = {}
        orders = [["hand", "same", "ours"], ["ours", "hand", "same"], ["same", "ours", "hand"]]
        for run in range(1, args.runs + 1):
            for name in orders[(run - 1) % 3]:
                r = run_child(SCRIPT, ["--child", name, *ids], env)
                times[name].append(r["seconds"])
                counts[name] = r["counts"]
                print(f"  run {run} {name:4s} {r['seconds']:7.2f} s  {r['counts']}", flush=True)
        assert counts["ours"] == counts["hand"] == counts["same"], f"results differ: {counts}"
        ours, hand, same = median(times["ours"]), median(times["hand"]), median(times["same"])
        print(f"median ours (sweep_rules_apply): {ours:.2f} s; hand-written LATERAL: {hand:.2f} s; "
              f"hand-written DISTINCT ON (same plan): {same:.2f} s")
        print(f"ratio ours / LATERAL {ours / hand:.2f}x; ours / same plan {ours / same:.2f}x (target <= 1.5x); "
              f"same flags: yes")
    finally:
        if not args.keep:
            drop_database(DB)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
