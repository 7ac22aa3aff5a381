"""Every KPI in the catalogue that test_kpis_services.py and test_kpis.py do not check, against counts
computed here with plain ORM queries over the rows the test creates (never through insights code), for
a node, its parent, a sibling and another city, from the rollups (after a refresh) and from the base
tables. Rows dated by created_at / submitted_at / settled_at are back-dated so no figure is 0 == 0."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db.models import Q
from django.utils import timezone

from huigong.assistance.models import (
    AidApplication,
    FileCause,
    HardshipFile,
    LedgerEntry,
    ProgrammeBudget,
    SweepVisit,
)
from huigong.assistance.services import aid as aid_services
from huigong.assistance.services import screening
from huigong.assistance.tests.flowkit import YEAR
from huigong.benefits import services as benefit_services
from huigong.benefits.models import BenefitClaim, ReimbursementPayment, SiteUsage
from huigong.benefits.testing import clerk, make_programme, receipt_png
from huigong.insights import kpis as catalogue
from huigong.insights.periods import parse_period
from huigong.insights.rollups import rollups_refresh
from huigong.insights.selectors import RAW, ROLLUP, kpi_value
from huigong.insights.tests.test_kpis_services import pay as aid_pay
from huigong.insights.tests.test_kpis_services import world  # noqa: F401  (fixture)
from huigong.members.models import Membership
from huigong.orgs.models import Enterprise, ServiceSite
from huigong.orgs.services import site_create, site_update
from huigong.portal.models import JoinApplication


def _at(day: dt.date, hour_utc: int = 2) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour_utc, tzinfo=dt.UTC)


def _local(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(moment).date() if moment else None


@pytest.fixture
def full(world):  # noqa: F811
    c = world
    flow = c.flow
    # A second cause on a 骑手 file and on the closed file: causes are counted per household and cause.
    FileCause.objects.create(file=c.files[2], cause="disability")
    FileCause.objects.create(file=c.files[1], cause="disability")
    # Aid applications: two submitted (back-dated to January and March), one draft (never counted).
    apps = [flow.apply(file=c.files[0], amount_fen=50_000), flow.apply(amount_fen=60_000),
            flow.apply(amount_fen=70_000, submit=False)]
    AidApplication.objects.filter(pk=apps[0].pk).update(submitted_at=_at(dt.date(YEAR, 1, 20)))
    # 2026-02-28 17:00 UTC is 1 March in Beijing.
    AidApplication.objects.filter(pk=apps[1].pk).update(submitted_at=_at(dt.date(YEAR, 2, 28), 17))
    # A budget for 拱墅 too, and last year's for 杭州.
    aid_services.programme_budget_set(actor=c.city_admin, programme=flow.prog, node=c.gongshu, total_fen=3_000_000)
    # Two payouts (February, March) for files in 西湖, charged to the city's budget where it is held.
    paid = [flow.approve_all(flow.apply(file=f, amount_fen=a))
            for f, a in ((flow.new_file("辛", c.tech), 30_000), (flow.new_file("壬", c.tech), 45_000))]
    flow.publish_and_end(paid)
    aid_pay(flow, paid[0], dt.date(YEAR, 2, 6))
    aid_pay(flow, paid[1], dt.date(YEAR, 3, 12))
    # Sweep visits in 科技, 骑手 and 拱墅 on several dates.
    sweep = screening.sweep_open(actor=c.city_admin, node=c.hangzhou, title="摸底排查", year=YEAR,
                                 deadline=timezone.localdate() + dt.timedelta(days=30))
    gs_person = Membership.objects.filter(union=c.gs_ent, status="active").first().person
    for person, day in ((c.member.person, dt.date(YEAR, 1, 12)), (c.rider.person, dt.date(YEAR, 2, 14)),
                        (gs_person, dt.date(YEAR, 3, 3))):
        screening.sweep_visit_record(actor=c.city_admin, sweep=sweep, person=person, visited_on=day,
                                     household_size=3, monthly_income_fen=300_000)
    # 先办后补: one reimbursement paid (settled 2026-03-31 16:30Z = 1 April in Beijing), one approved, unpaid.
    prog = make_programme(c.city_admin, c.hangzhou, kind="reimbursement", quota=5, reimbursement_cap_fen=6000,
                          board="vitality", title="骑手健康证补贴")
    rider = c.rider.person
    rider.bank_account, rider.bank_account_mask, rider.bank_name = "6222021234567890", "**** 7890", "工行"
    rider.save()
    item = benefit_services.reimbursement_submit(actor=clerk(c), programme=prog, person=rider,
                                                 amount_fen=5000, receipt=receipt_png())
    benefit_services.reimbursement_approve(actor=c.city_admin, reimbursement=item)
    benefit_services.reimbursement_submit(actor=clerk(c), programme=prog, person=c.member.person,
                                          amount_fen=4000, receipt=receipt_png())
    batch, _ = benefit_services.payment_batch_create(actor=c.finance, programme=prog)
    pay = batch.payments.get()
    benefit_services.payment_mark_paid(actor=c.finance, payment=pay, bank_reference="BK1")
    ReimbursementPayment.objects.filter(pk=pay.pk).update(settled_at=dt.datetime(YEAR, 3, 31, 16, 30, tzinfo=dt.UTC))
    # Sites: one more in 拱墅, one in 骑手 that closed on 1 March (counted until then), all back-dated;
    # usage in 拱墅.
    gs_site = site_create(actor=c.city_admin, union=c.gs_ent, name="拱墅爱心妈妈小屋", kind="mothers_room",
                          address="2号")
    closed = site_create(actor=c.city_admin, union=c.riders, name="骑手驿站", kind="outdoor_station", address="3号")
    site_update(actor=c.city_admin, site=closed, is_active=False)
    assert ServiceSite.objects.get(pk=closed.pk).closed_on == timezone.localdate()
    ServiceSite.objects.filter(pk=closed.pk).update(closed_on=dt.date(YEAR, 3, 1))
    benefit_services.site_usage_record(actor=c.city_admin, site=gs_site, day=dt.date(YEAR, 3, 8), visitors=7)
    days = [dt.date(YEAR - 1, 11, 3), dt.date(YEAR, 1, 15), dt.date(YEAR, 2, 27), dt.date(YEAR, 3, 30)]
    for i, pk in enumerate(ServiceSite.objects.order_by("pk").values_list("pk", flat=True)):
        ServiceSite.objects.filter(pk=pk).update(created_at=_at(days[i % len(days)]))
    for i, pk in enumerate(Enterprise.objects.order_by("pk").values_list("pk", flat=True)):
        Enterprise.objects.filter(pk=pk).update(created_at=_at(days[(i + 1) % len(days)], 20 if i % 2 else 2))
    # A claim granted on another day than the fixture's, so months differ.
    first = BenefitClaim.objects.filter(status="granted").order_by("pk").first()
    BenefitClaim.objects.filter(pk=first.pk).update(granted_at=_at(dt.date(YEAR, 1, 30), 18))
    return c


def _under(path, node) -> bool:
    return path.startswith(node.path)


def expected(node, period) -> dict[str, Counter]:
    """The figures, computed from the rows with the ORM only."""
    s, e = period.start, period.end
    out: dict[str, Counter] = {}

    def flow(name, rows):
        ctr = Counter()
        for path, dim, day, amount in rows:
            if _under(path, node) and day is not None and s <= day <= e:
                ctr[dim] += amount
        out[name] = ctr

    def stock(name, rows):
        ctr = Counter()
        for path, dim, since, until in rows:
            if _under(path, node) and since is not None and since <= e and (until is None or until > e):
                ctr[dim] += 1
        out[name] = ctr

    files = list(HardshipFile.objects.select_related("node").exclude(opened_on=None))
    stock("assist.open_causes", [(c.file.node.path, c.cause, c.file.opened_on, c.file.closed_on)
                                 for c in FileCause.objects.select_related("file__node")
                                 if c.file.opened_on is not None])
    flow("assist.files_closed", [(f.node.path, f.close_reason, f.closed_on, 1) for f in files if f.closed_on])
    flow("assist.sweep_visits", [(v.node.path, "", v.visited_on, 1) for v in SweepVisit.objects.select_related("node")])
    flow("assist.applications", [(a.node.path, a.programme.kind, _local(a.submitted_at), 1)
                                 for a in AidApplication.objects.select_related("node", "programme")])
    flow("assist.budget_fen", [(b.node.path, b.programme.kind, dt.date(b.programme.year, 1, 1), b.total_fen)
                               for b in ProgrammeBudget.objects.select_related("node", "programme")])
    flow("assist.budget_paid_fen", [(e.application.budget.node.path, str(e.year), e.paid_on, e.amount_fen)
                                    for e in LedgerEntry.objects.select_related("application__budget__node")
                                    if e.application.budget is not None])
    flow("benefits.slots_claimed", [(c.union.path, c.programme.board, _local(c.granted_at), 1)
                                    for c in BenefitClaim.objects.select_related("union", "programme")
                                    if c.status == "granted"])
    flow("benefits.reimbursed_fen", [
        (p.reimbursement.union.path, p.reimbursement.programme.board, _local(p.settled_at), p.amount_fen)
        for p in ReimbursementPayment.objects.select_related("reimbursement__union", "reimbursement__programme")
        if p.status == "paid"])
    flow("sites.usage", [(u.site.union.path, u.site.kind, u.day, u.visitors)
                         for u in SiteUsage.objects.select_related("site__union")])
    joins = list(JoinApplication.objects.select_related("routed_to"))
    flow("join.applications", [(j.routed_to.path, j.employment_form, _local(j.submitted_at), 1) for j in joins])
    flow("join.accepted", [(j.routed_to.path, j.employment_form, _local(j.decided_at), 1)
                           for j in joins if j.status == "accepted"])
    stock("units.enterprises", [(x.union.path, x.kind, _local(x.created_at), None)
                                for x in Enterprise.objects.select_related("union")])
    stock("sites.count", [(x.union.path, x.kind, _local(x.created_at), x.closed_on)
                          for x in ServiceSite.objects.select_related("union")])
    return out


def _active_members(node, period) -> int:
    e = period.end
    return (Membership.objects.filter(union__path__startswith=node.path, joined_on__lte=e)
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=e)).count())


PERIODS = [f"{YEAR}-01", f"{YEAR}-02", f"{YEAR}-03", f"{YEAR}-04", f"{YEAR}-Q1", f"{YEAR}",
           f"{YEAR - 1}-11:{YEAR}-02", f"{YEAR - 1}"]


def test_the_catalogue_is_covered():
    """A KPI added to the catalogue without a check here (or in test_kpis / test_kpis_services) fails."""
    here = set(expected.__code__.co_consts) | {"assist.sweep_coverage"}
    covered_elsewhere = {"assist.open_files", "assist.files_opened", "assist.paid_fen", "assist.households_helped",
                         "benefits.visits", "benefits.goods_value_fen", "assist.budget_used",
                         "members.active", "members.new", "members.left", "members.transfers_in",
                         "members.new_form_share"}
    # The KPIs of the spine and the first two domains are checked here; each later app's KPIs (events,
    # education, honours, check-ups, research, the outcome tracker) are checked by that app's own tests.
    ours = {n for n in catalogue.CATALOGUE if n.split(".")[0] in ("assist", "benefits", "members")}
    assert len(ours) >= 15
    assert ours - covered_elsewhere <= here


def test_every_remaining_kpi_for_node_parent_sibling_from_rollups_and_base_tables(full):
    w = full
    rollups_refresh()
    nodes = [w.tech, w.riders, w.xihu, w.gongshu, w.hangzhou, w.qingdao]
    nonzero: Counter = Counter()
    for source in (RAW, ROLLUP):
        for node in nodes:
            for key in PERIODS:
                period = parse_period(key)
                for name, counter in expected(node, period).items():
                    k = catalogue.CATALOGUE[name]
                    got = kpi_value(k, node, period, source=source)
                    want = sum(counter.values())
                    nonzero[name] += bool(want)
                    assert got.value == want, (source, node.name, key, name, got.value, want)
                    if k.dimension is not None:
                        assert got.dims == {d: v for d, v in counter.items() if v}, (source, node.name, key, name)
                visits = sum(expected(node, period)["assist.sweep_visits"].values())
                members = _active_members(node, period)
                cov = kpi_value(catalogue.CATALOGUE["assist.sweep_coverage"], node, period, source=source)
                assert cov.value == (round(visits * 100 / members, 1) if members else None), (source, node.name, key)
                nonzero["assist.sweep_coverage"] += bool(visits and members)
    # Every KPI had something to count somewhere (no 0 == 0 everywhere).
    assert {n for n, c in nonzero.items() if c == 0} == set()


def test_the_pdf_report_says_what_the_dashboard_says_figure_by_figure(full):
    """Every KPI value and every part of its mix in the report reads as on the dashboard (money in yuan:
    a breakdown once printed fen as yuan, 100x too large)."""
    from huigong.insights.reports import display, report_context
    from huigong.insights.selectors import dashboard_data

    w = full
    rollups_refresh()
    checked_money_dims = 0
    for node in (w.hangzhou, w.xihu):
        period = parse_period(f"{YEAR}-Q1")
        report = report_context(node, period)
        board = dashboard_data(node, period)
        shown = {c["name"]: (display(c["value"], c["unit"]), []) for c in board["cards"]}
        for section in board["sections"]:
            for r in section["rows"]:
                shown[r["name"]] = (display(r["value"], r["unit"]),
                                    [(d["name"], display(d["value"], r["unit"])) for d in r["dims"]])
        for row in report["table"]:
            name = row["kpi"].name
            if name not in shown:
                continue
            value_text, dims = shown[name]
            assert row["value_text"] == value_text, (node.name, name)
            if dims:
                assert [(label, text) for _k, label, text, _v in row["dims"]] == dims, (node.name, name)
                checked_money_dims += row["kpi"].unit == "fen"
    assert checked_money_dims  # a money KPI with a breakdown was compared (e.g. 已发放 by 三助 type)


def test_the_reports_trend_has_value_axes_and_marks_the_running_month():
    from huigong.insights.charts import line_chart

    svg = line_chart(["2026-10", "2026-11", "2026-12"], [("在会会员", [1200, 1250, 1260]), ("新入会", [30, 45, 6])],
                     running_label="2026-12 尚未结束")
    assert "1,500" in svg or "1,200" in svg  # left axis ticks for the first series
    assert ">40<" in svg and ">80<" in svg  # right axis ticks for the second
    assert 'stroke-dasharray="4 3"' in svg and "26-12*" in svg and "尚未结束" in svg
    plain = line_chart(["2026-10", "2026-11"], [("在会会员", [1, 2])])
    assert "stroke-dasharray" not in plain and "*" not in plain
