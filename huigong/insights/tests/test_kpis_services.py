"""Assistance, benefits and joining KPIs against counts computed here from the rows, for a node, its
parent and a sibling, and after a payout (refresh, then check)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter

import pytest

from huigong.assistance.models import FileStatus, HardshipFile, LedgerEntry, ProgrammeBudget
from huigong.assistance.services import payouts
from huigong.assistance.tests.flowkit import YEAR, Flow, make_file
from huigong.insights import kpis as catalogue
from huigong.insights.periods import parse_period
from huigong.insights.rollups import rollups_refresh
from huigong.insights.selectors import RAW, ROLLUP, kpi_by_child, kpi_value
from huigong.testing import make_enterprise, make_member


def under(path: str, node) -> bool:
    return path.startswith(node.path)


def expected(node, period) -> dict[str, Counter]:
    start, end = period.start, period.end
    out = {
        k: Counter()
        for k in (
            "assist.open_files",
            "assist.files_opened",
            "assist.paid_fen",
            "assist.households_helped",
            "benefits.visits",
            "benefits.goods_value_fen",
        )
    }
    for f in HardshipFile.objects.select_related("node"):
        if not under(f.node.path, node) or f.opened_on is None:
            continue
        if f.opened_on <= end and (f.closed_on is None or f.closed_on > end):
            out["assist.open_files"][f.level] += 1
        if start <= f.opened_on <= end:
            out["assist.files_opened"][f.level] += 1
    for e in LedgerEntry.objects.select_related("node", "programme"):
        if under(e.node.path, node) and start <= e.paid_on <= end:
            out["assist.paid_fen"][e.programme.kind] += e.amount_fen
            out["assist.households_helped"][e.programme.kind] += 1
    from huigong.benefits.models import Visit

    for v in Visit.objects.select_related("node"):
        if under(v.node.path, node) and start <= v.visited_on <= end:
            out["benefits.visits"][""] += v.headcount
            out["benefits.goods_value_fen"][""] += v.value_fen
    return out


@pytest.fixture
def world(cast):
    """Files in 科技 and 骑手 (西湖) and in 拱墅 (a sibling district), one closed; payouts on two dates;
    visits in two districts; a Qingdao file that must never show up in Hangzhou."""
    from huigong.benefits.services import visit_record
    from huigong.insights.tests.conftest import make_node
    from huigong.orgs.models import NodeLevel

    c = cast
    flow = Flow(cast)
    c.flow = flow
    c.gongshu = make_node(c.hangzhou, "拱墅区总工会", NodeLevel.DISTRICT, "330105")
    c.gs_ent = make_node(c.gongshu, "拱墅某厂工会", NodeLevel.GRASSROOTS, "330105")
    gs_company = make_enterprise(c.gs_ent, "拱墅某厂")
    files = [
        flow.new_file("甲", c.tech, level="deep"),
        flow.new_file("乙", c.tech, level="relative"),
        flow.new_file("丙", c.riders, level="sudden"),
        make_file(make_member(c.city_admin, c.gs_ent, "丁"), c.gs_ent, level="deep"),
        make_file(make_member(c.outsider, c.qd_ent, "戊"), c.qd_ent, level="deep"),
    ]
    dates = [
        dt.date(YEAR, 1, 5),
        dt.date(YEAR, 2, 10),
        dt.date(YEAR, 2, 20),
        dt.date(YEAR, 3, 1),
        dt.date(YEAR, 1, 9),
    ]
    for f, d in zip(files, dates, strict=True):
        HardshipFile.objects.filter(pk=f.pk).update(opened_on=d)
    HardshipFile.objects.filter(pk=files[1].pk).update(
        status=FileStatus.CLOSED, closed_on=dt.date(YEAR, 3, 15), close_reason="recovered"
    )
    c.files = files
    # Benefits: two claims in 西湖 (one cancelled), one in 拱墅; site usage on two days; join applications.
    from huigong.benefits.models import BenefitClaim
    from huigong.benefits.services import claim_cancel, claim_create, site_usage_record
    from huigong.benefits.testing import make_programme
    from huigong.orgs.services import site_create

    prog = make_programme(c.city_admin, c.hangzhou, quota=10)
    for holder in (c.member, c.rider, make_member(c.city_admin, c.gs_ent, "庚")):
        claim_create(actor=c.city_admin, programme=prog, person=holder.person)
    claim_cancel(actor=c.city_admin, claim=BenefitClaim.objects.get(person=c.rider.person), reason="不需要了")
    BenefitClaim.objects.update(granted_at=dt.datetime(YEAR, 2, 3, 9, tzinfo=dt.UTC))
    site = site_create(
        actor=c.city_admin, union=c.tech, name="西湖职工之家", kind="workers_home", address="1号"
    )
    for day, n in ((dt.date(YEAR, 1, 10), 40), (dt.date(YEAR, 2, 11), 25)):
        site_usage_record(actor=c.city_admin, site=site, day=day, visitors=n)
    _join(c, c.riders, "rider", dt.date(YEAR, 1, 8), accepted_on=dt.date(YEAR, 2, 2))
    _join(c, c.riders, "courier", dt.date(YEAR, 2, 9))
    _join(c, c.gs_ent, "contract", dt.date(YEAR, 3, 9), accepted_on=dt.date(YEAR, 3, 12))
    visit_record(
        actor=c.city_admin,
        node=c.xihu,
        visited_on=dt.date(YEAR, 1, 20),
        headcount=30,
        goods="米油",
        value_fen=600_000,
        enterprise=c.enterprise,
    )
    visit_record(
        actor=c.city_admin,
        node=c.gongshu,
        visited_on=dt.date(YEAR, 7, 1),
        headcount=12,
        goods="清凉饮品",
        value_fen=120_000,
        enterprise=gs_company,
    )
    return c


def _join(c, union, form, submitted: dt.date, *, accepted_on: dt.date | None = None):
    """A join application row as the portal writes it (the portal's own flow is tested there)."""
    from django.contrib.auth import get_user_model

    from huigong.portal.models import JoinApplication, WorkerAccount
    from huigong.testing import new_id_number

    n = next(_joins)
    user = get_user_model().objects.create_user(username=f"worker{n}", password="x-Worker-2026")
    acct = WorkerAccount.objects.create(
        user=user, phone=f"1390000{n:04d}", phone_hash=f"h{n}", phone_mask="139****0000"
    )
    idn = new_id_number()
    j = JoinApplication.objects.create(
        account=acct,
        name=f"申请人{n}",
        id_number=idn,
        id_number_hash=f"j{n}",
        id_number_mask=idn[:6] + "********" + idn[-4:],
        phone_mask="139****0000",
        employment_form=form,
        routed_to=union,
        route_rule="area_joint",
        status="accepted" if accepted_on else "submitted",
    )
    JoinApplication.objects.filter(pk=j.pk).update(
        submitted_at=dt.datetime(submitted.year, submitted.month, submitted.day, 2, tzinfo=dt.UTC),
        decided_at=dt.datetime(accepted_on.year, accepted_on.month, accepted_on.day, 2, tzinfo=dt.UTC)
        if accepted_on
        else None,
    )


_joins = itertools.count(1)


def pay(flow, app, on: dt.date):
    batch = flow.batch(applications=[app])
    p = batch.payouts.get()
    payouts.payout_mark_paid(actor=flow.finance, payout=p, bank_reference=f"B{app.pk}", paid_on=on)


def check(nodes, periods, source):
    for node in nodes:
        for key in periods:
            period = parse_period(key)
            for name, counter in expected(node, period).items():
                got = kpi_value(catalogue.CATALOGUE[name], node, period, source=source)
                assert got.value == sum(counter.values()), (source, node.name, key, name)
                if catalogue.CATALOGUE[name].dimension is not None:
                    assert got.dims == {k: v for k, v in counter.items() if v}, (source, node.name, key, name)


PERIODS = [f"{YEAR}-01", f"{YEAR}-02", f"{YEAR}-03", f"{YEAR}-Q1", f"{YEAR}", f"{YEAR - 1}-12:{YEAR}-02"]


def test_assistance_and_benefit_kpis_for_node_parent_and_sibling(world):
    w = world
    app = w.flow.approve_all(w.flow.apply(file=w.files[0], amount_fen=150_000))
    w.flow.publish_and_end([app])
    pay(w.flow, app, dt.date(YEAR, 3, 10))
    rollups_refresh()
    for source in (RAW, ROLLUP):
        check([w.tech, w.xihu, w.hangzhou, w.gongshu, w.qingdao], PERIODS, source)
    q1 = parse_period(f"{YEAR}-Q1")
    assert kpi_value(catalogue.CATALOGUE["assist.paid_fen"], w.hangzhou, q1).value == 150_000
    assert kpi_value(catalogue.CATALOGUE["assist.paid_fen"], w.qingdao, q1).value == 0
    rows = kpi_by_child(catalogue.CATALOGUE["assist.open_files"], w.hangzhou, q1)
    assert [(r["node"].name, r["value"]) for r in rows] == [("西湖区总工会", 2), ("拱墅区总工会", 1)]


def test_after_a_payout_refresh_then_check(world):
    w = world
    rollups_refresh()
    march = parse_period(f"{YEAR}-03")
    paid = catalogue.CATALOGUE["assist.paid_fen"]
    assert kpi_value(paid, w.xihu, march, source=ROLLUP).value == 0
    apps = [
        w.flow.approve_all(w.flow.apply(file=f, amount_fen=a))
        for f, a in ((w.files[0], 120_000), (w.flow.new_file("己", w.tech), 80_000))
    ]
    w.flow.publish_and_end(apps)
    pay(w.flow, apps[0], dt.date(YEAR, 3, 10))
    pay(w.flow, apps[1], dt.date(YEAR, 4, 2))
    assert kpi_value(paid, w.xihu, march, source=ROLLUP).value == 0  # stale until refreshed
    from huigong.insights.rollups import rollups_refresh_if_changed

    assert {r.kpi for r in rollups_refresh_if_changed()} >= {"assist.paid_fen", "assist.households_helped"}
    check([w.tech, w.riders, w.xihu, w.hangzhou, w.gongshu], PERIODS + [f"{YEAR}-04"], ROLLUP)
    # Budget execution: paid so far this year against the year's budget (Flow sets 10,000,000 fen).
    budget = sum(ProgrammeBudget.objects.values_list("total_fen", flat=True))
    used = kpi_value(catalogue.CATALOGUE["assist.budget_used"], w.hangzhou, parse_period(f"{YEAR}-04")).value
    assert used == round(200_000 * 100 / budget, 1)
    used_march = kpi_value(catalogue.CATALOGUE["assist.budget_used"], w.hangzhou, march).value
    assert used_march == round(120_000 * 100 / budget, 1)


def test_budget_use_counts_the_budgets_held_in_the_subtree_and_what_they_paid(world):
    """#12: 西湖 holds a budget of its own that paid nothing; 科技's payouts come from the city's budget.
    西湖's execution rate is 0 (not the city's payouts over 西湖's budget); the city's counts both."""
    from huigong.assistance.services import aid as aid_services

    w = world
    other = aid_services.programme_create(
        actor=w.city_admin, node=w.hangzhou, kind="illness", name="大病救助西湖", year=YEAR,
        amount_fen=100_000, amount_mode="up_to", approval_levels=["grassroots", "district"],
    )
    aid_services.programme_open(actor=w.city_admin, programme=other)
    aid_services.programme_budget_set(actor=w.city_admin, programme=other, node=w.xihu, total_fen=1_000_000)
    apps = [w.flow.approve_all(w.flow.apply(file=w.files[0], amount_fen=120_000))]
    w.flow.publish_and_end(apps)
    pay(w.flow, apps[0], dt.date(YEAR, 3, 10))
    rollups_refresh()
    used = catalogue.CATALOGUE["assist.budget_used"]
    april = parse_period(f"{YEAR}-04")
    city_budget = 10_000_000 + 1_000_000
    for source in (RAW, ROLLUP):
        assert kpi_value(used, w.xihu, april, source=source).value == 0.0
        assert kpi_value(used, w.hangzhou, april, source=source).value == round(120_000 * 100 / city_budget, 1)
        assert kpi_value(used, w.tech, april, source=source).value is None  # holds no budget
        # Paid before the period's end only.
        assert kpi_value(used, w.hangzhou, parse_period(f"{YEAR}-02"), source=source).value == 0.0
    # The money itself still counts where it was paid.
    assert kpi_value(catalogue.CATALOGUE["assist.paid_fen"], w.xihu, parse_period(f"{YEAR}-03")).value == 120_000
