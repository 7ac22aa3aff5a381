#!/usr/bin/env python
"""Check-ups benchmark (acceptance for issue 20): the campaign report page on a big campaign.

On a throw-away PostgreSQL database it builds one campaign over --enterprises enterprises (spread over
200 grassroots unions of one district) with --findings findings, each a tracked item of the outcome
tracker (80 % closed, the rest open, in progress or waiting for the return visit, half of them past their
due date), one instrument per enterprise covering half of its findings; then, in one run, times:

  page      GET /checkups/campaigns/<id>/report/ (the leader's report page: every figure and table), in
            process through Django's test client, --requests times, as leaders read it: the report kept
            in the cache until a write changes the campaign's figures (selectors.campaign_report_cached)
  cold      the same page right after the cache was emptied (the first read after a write)
  report    selectors.campaign_report() alone: one query over the campaign's running tally (checkups.tally)
  scan      selectors.campaign_report_scan(): the same figures from the tables (three grouped queries)
  hand tally the tally's one hand-written SQL statement: the floor of `report`
  hand SQL  the same figures from three hand-written SQL statements over the tables: the floor of `scan`

checks that the tally's report equals the scan's and the hand SQL's figures, and prints p50/p95 of each and
whether the page's p95 (kept and computed afresh) is under --p95-ms (300 ms by default), with the load average.

Usage:
  python bench/checkups.py                                   # 10,000 enterprises, 100,000 findings
  python bench/checkups.py --enterprises 50 --findings 400 --requests 3   # the suite's smoke run
Needs PostgreSQL (BENCH_PG, default postgres://postgres@127.0.0.1:5432); hg_bench_checkups is recreated.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    bench_db,
    child_env,
    django_setup,
    drop_database,
    machine,
    recreate_database,
    run_child,
)

DB = bench_db("hg_bench_checkups")
SCRIPT = str(Path(__file__).resolve())

CATEGORIES = ("contract", "wages", "hours", "insurance", "female", "dispatch", "democracy", "collective", "union",
              "rules", "other")

HAND_SQL = {
    "exams": """SELECT count(*), count(*) FILTER (WHERE self_assessed_at IS NOT NULL),
        count(*) FILTER (WHERE status IN ('visited', 'return_visited')),
        count(*) FILTER (WHERE status = 'return_visited'),
        count(*) FILTER (WHERE status = 'visited' AND return_visit_due < %(today)s),
        coalesce(sum(workers_covered) FILTER (WHERE status IN ('visited', 'return_visited')), 0), avg(score)
        FROM checkups_examination WHERE campaign_id = %(c)s""",
    "findings": """SELECT f.category, f.severity, count(*), count(*) FILTER (WHERE t.status = 'closed'),
        count(*) FILTER (WHERE t.status IN ('open', 'in_progress', 'reopened', 'verifying')),
        count(*) FILTER (WHERE t.status IN ('open', 'in_progress', 'reopened', 'verifying') AND t.due_date < %(today)s),
        count(*) FILTER (WHERE f.instrument_id IS NOT NULL), count(*) FILTER (WHERE i.accepted),
        count(*) FILTER (WHERE f.instrument_id IS NOT NULL AND t.status = 'closed'),
        sum(t.ended_at - t.created_at) FILTER (WHERE t.status = 'closed')
        FROM checkups_finding f JOIN outcomes_trackeditem t ON t.id = f.item_id
        LEFT JOIN checkups_instrument i ON i.id = f.instrument_id WHERE f.campaign_id = %(c)s
        GROUP BY f.category, f.severity""",
    "instruments": """SELECT i.kind, count(*), count(*) FILTER (WHERE i.replied_on IS NOT NULL),
        count(*) FILTER (WHERE i.accepted), count(*) FILTER (WHERE i.replied_on IS NULL AND i.reply_due < %(today)s)
        FROM checkups_instrument i JOIN checkups_examination e ON e.id = i.examination_id
        WHERE e.campaign_id = %(c)s GROUP BY i.kind""",
}


HAND_TALLY = """SELECT section, key, sum(n), sum(amount) FROM checkups_tally
    WHERE campaign_id = %(c)s AND day < %(today)s GROUP BY section, key"""


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))]


def child_build(enterprises: int, findings: int) -> dict:
    django_setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from huigong.accounts.models import StaffProfile
    from huigong.checkups import tally
    from huigong.checkups.models import Campaign, ChecklistTemplate, TemplateItem
    from huigong.orgs.models import Enterprise, NodeLevel, UnionNode

    started = time.perf_counter()
    today = timezone.localdate()
    with transaction.atomic():
        root = UnionNode.add_root(code="B0001", name="基准市总工会", level=NodeLevel.CITY, region_code="370200")
        district = root.add_child(code="B0002", name="基准区总工会", level=NodeLevel.DISTRICT, region_code="370214")
        unions = [district.add_child(code=f"B1{i:04d}", name=f"基准企业联合工会{i}", level=NodeLevel.JOINT,
                                     region_code="370214") for i in range(min(200, max(1, enterprises // 10)))]
        Enterprise.objects.bulk_create([
            Enterprise(name=f"基准企业{i}有限公司", uscc=f"9137B{i:013d}", union=unions[i % len(unions)],
                       employee_count=20 + i % 400) for i in range(enterprises)], batch_size=5000)
        user = get_user_model().objects.create(username="bench_leader")
        StaffProfile.objects.create(user=user, node=district, role="viewer")
        tpl = ChecklistTemplate.objects.create(node=district, name="基准清单", kind="legal")
        TemplateItem.objects.create(template=tpl, seq=1, category="contract", text="签订书面劳动合同", weight=10)
        camp = Campaign.objects.create(node=district, title="基准体检活动", kind="legal", year=today.year,
                                       starts_on=today.replace(month=1, day=1), ends_on=today)
        camp.templates.set([tpl])
        cats = "ARRAY[" + ",".join(f"'{c}'" for c in CATEGORIES) + "]"
        with connection.cursor() as cur:
            cur.execute("""INSERT INTO checkups_examination (campaign_id, enterprise_id, union_id, status, workers_covered,
                self_assessed_at, visited_on, visit_team, score, return_visit_due, return_visited_on, return_visit_note)
                SELECT %(c)s, e.id, e.union_id, CASE WHEN e.id %% 3 = 0 THEN 'visited' ELSE 'return_visited' END,
                e.employee_count, now() - interval '120 days', %(today)s - 100, '基准', 80.0, %(today)s - 40,
                CASE WHEN e.id %% 3 = 0 THEN NULL ELSE %(today)s - 40 END, ''
                FROM orgs_enterprise e WHERE e.union_id IN (SELECT id FROM orgs_unionnode WHERE path LIKE %(p)s)""",
                        {"c": camp.pk, "today": today, "p": district.path + "%"})
            cur.execute("""INSERT INTO checkups_instrument (examination_id, kind, number, issued_on, reply_due, replied_on,
                reply_text, accepted, pdf, issued_by_id) SELECT e.id, (ARRAY['reminder','opinion','recommendation'])[1 + e.id %% 3],
                'B' || e.id, %(today)s - 95, %(today)s - 80, CASE WHEN e.id %% 10 = 0 THEN NULL ELSE %(today)s - 85 END, '',
                CASE WHEN e.id %% 10 = 0 THEN NULL ELSE e.id %% 7 <> 0 END, '', NULL
                FROM checkups_examination e WHERE e.campaign_id = %(c)s""", {"c": camp.pk, "today": today})
            cur.execute("""CREATE TEMP TABLE ex AS SELECT id, union_id, enterprise_id,
                (row_number() OVER (ORDER BY id)) - 1 AS rn FROM checkups_examination WHERE campaign_id = %(c)s""",
                        {"c": camp.pk})
            cur.execute(f"""INSERT INTO outcomes_trackeditem (kind, source_id, title, description, category, severity,
                node_id, owner_kind, owner_enterprise_id, owner_name, status, progress, due_date, escalation_level,
                cycle, created_at, ended_at, updated_at)
                SELECT 'checkups.finding', g::text, '基准问题' || g, '', ({cats})[1 + g %% 11],
                (ARRAY['low','medium','high','critical'])[1 + g %% 4], ex.union_id, 'enterprise', ex.enterprise_id,
                '基准企业', CASE WHEN g %% 10 < 8 THEN 'closed' WHEN g %% 10 = 8 THEN 'in_progress' ELSE 'verifying' END,
                CASE WHEN g %% 10 = 8 THEN 50 ELSE 100 END, %(today)s - 60 + (g %% 90), 0, 0,
                now() - interval '100 days', CASE WHEN g %% 10 < 8 THEN now() - interval '100 days' + (g %% 60) * interval '1 day' END,
                now() FROM generate_series(1, %(n)s) g JOIN ex ON ex.rn = g %% (SELECT count(*) FROM ex)""",
                        {"n": findings, "today": today})
            cur.execute("""INSERT INTO checkups_finding (campaign_id, examination_id, template_item_id, category, severity,
                description, legal_basis, recommendation, instrument_id, item_id, created_at)
                SELECT %(c)s, ex.id, NULL, t.category, t.severity, t.title, '', '',
                CASE WHEN t.id %% 2 = 0 THEN i.id END, t.id, t.created_at FROM outcomes_trackeditem t
                JOIN ex ON ex.rn = t.source_id::int %% (SELECT count(*) FROM ex)
                JOIN checkups_instrument i ON i.examination_id = ex.id WHERE t.kind = 'checkups.finding'""",
                        {"c": camp.pk})
        # The rows above went round the services (which count every write into the report's tally as they
        # make it): the tally is counted once from the tables, as the demo builder does.
        tally.rebuild(camp)
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    return {"campaign": camp.pk, "user": user.pk, "build_s": round(time.perf_counter() - started, 1)}


def child_time(campaign: int, user: int, requests: int) -> dict:
    django_setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from huigong.checkups.models import Campaign
    from huigong.checkups.selectors import campaign_report, campaign_report_scan

    camp = Campaign.objects.get(pk=campaign)
    client = Client()
    client.force_login(get_user_model().objects.get(pk=user))
    url = reverse("checkups:report", args=[campaign])
    params = {"c": campaign, "today": timezone.localdate()}
    from django.core.cache import cache

    page, cold, report, scan, hand, hand_tally = [], [], [], [], [], []
    for _ in range(requests):
        cache.clear()  # no report kept: the page computes it (as the first read after a write does)
        t = time.perf_counter()
        r = client.get(url, HTTP_HOST="localhost")
        cold.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.status_code
        t = time.perf_counter()
        r = client.get(url, HTTP_HOST="localhost")  # the report kept by the previous read
        page.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.status_code
        t = time.perf_counter()
        got = campaign_report(camp)
        report.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        scanned = campaign_report_scan(camp)
        scan.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(HAND_TALLY, params)
            cur.fetchall()
        hand_tally.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        with connection.cursor() as cur:
            rows = {}
            for name, sql in HAND_SQL.items():
                cur.execute(sql, params)
                rows[name] = cur.fetchall()
        hand.append((time.perf_counter() - t) * 1000)
    # The page's figures are the hand SQL's, and the tally's are the tables' (avg_score: to 0.01).
    for r_ in (got, scanned):
        if r_["exams"]["avg_score"] is not None:
            r_["exams"]["avg_score"] = round(r_["exams"]["avg_score"], 2)
    assert got == scanned, (got, scanned)
    assert got["totals"]["total"] == sum(r[2] for r in rows["findings"])
    assert got["totals"]["closed"] == sum(r[3] for r in rows["findings"])
    assert got["totals"]["overdue"] == sum(r[5] for r in rows["findings"])
    assert got["totals"]["accepted"] == sum(r[7] for r in rows["findings"])
    assert got["exams"]["workers"] == rows["exams"][0][5]
    return {"page": page, "cold": cold, "report": report, "scan": scan, "hand_tally": hand_tally, "hand": hand, "findings": got["totals"]["total"],
            "enterprises": got["exams"]["enrolled"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=10_000)
    ap.add_argument("--findings", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=30)
    ap.add_argument("--p95-ms", type=float, default=300.0)
    ap.add_argument("--child", choices=["build", "time"])
    ap.add_argument("--campaign", type=int)
    ap.add_argument("--user", type=int)
    a = ap.parse_args()
    if a.child == "build":
        print(json.dumps(child_build(a.enterprises, a.findings)))
        return
    if a.child == "time":
        print(json.dumps(child_time(a.campaign, a.user, a.requests)))
        return
    recreate_database(DB)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="hg-bench-checkups-") as var:
        env = child_env(DB, var)
        import subprocess

        subprocess.run([sys.executable, str(Path(SCRIPT).parent.parent / "manage.py"), "migrate", "-v", "0"], env=env,
                       check=True, timeout=1800)
        built = run_child(SCRIPT, ["--child", "build", "--enterprises", str(a.enterprises), "--findings",
                                   str(a.findings)], env)
        timed = run_child(SCRIPT, ["--child", "time", "--campaign", str(built["campaign"]), "--user",
                                   str(built["user"]), "--requests", str(a.requests)], env)
    drop_database(DB)
    out = {"machine": machine(), "enterprises": timed["enterprises"], "findings": timed["findings"],
           "build_s": built["build_s"], "requests": a.requests}
    for key in ("page", "cold", "report", "scan", "hand_tally", "hand"):
        out[f"{key}_p50_ms"] = round(pct(timed[key], 50), 1)
        out[f"{key}_p95_ms"] = round(pct(timed[key], 95), 1)
    out["page_over_hand_p95"] = round(out["page_p95_ms"] / max(out["hand_p95_ms"], 0.01), 2)
    out["cold_over_hand_p95"] = round(out["cold_p95_ms"] / max(out["hand_p95_ms"], 0.01), 2)
    out["ok"] = out["page_p95_ms"] < a.p95_ms
    out["cold_ok"] = out["cold_p95_ms"] < a.p95_ms
    out["load_before"], out["load_after"] = load_before, os.getloadavg()[0]
    print(f"campaign report on {out['enterprises']:,} enterprises, {out['findings']:,} findings ({machine()})")
    for key, label in (("page", "report page (kept report)"), ("cold", "report page (computed afresh)"),
                       ("report", "campaign_report() (tally)"), ("hand_tally", "hand SQL over the tally (floor)"),
                       ("scan", "campaign_report_scan() (tables)"), ("hand", "hand SQL over the tables")):
        print(f"  {label:34s} p50 {out[f'{key}_p50_ms']:8.1f} ms   p95 {out[f'{key}_p95_ms']:8.1f} ms")
    print(f"  page p95 under {a.p95_ms:.0f} ms: kept {'yes' if out['ok'] else 'NO'}, "
          f"computed afresh {'yes' if out['cold_ok'] else 'NO'}")
    print(f"  load average (1 min) before {load_before:.1f}, after {out['load_after']:.1f}")
    print("json: " + json.dumps(out))


if __name__ == "__main__":
    main()
