"""The two figures that were on the pages only, now KPIs of the insights catalogue: a nomination list's
composition shares (the meter on the list's page) and the entitlements still due (the 劳模待遇 page's
count), computed from the raw tables for the list's union and rolled up to the city; another subtree
sees nothing, and the dashboard lists them."""

import datetime as dt

import pytest

from huigong.honours import services
from huigong.honours.models import EntitlementKind, EntitlementStatus, Nominee, NomineeStatus
from huigong.honours.testing import fill_list, make_campaign, make_honour, worker
from huigong.insights import kpis as catalogue
from huigong.insights.periods import Period
from huigong.insights.selectors import RAW, kpi_value

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()
MONTH = Period("month", TODAY.replace(day=1), TODAY.replace(day=1))
LAST_YEAR = Period("year", dt.date(TODAY.year - 1, 1, 1), dt.date(TODAY.year - 1, 1, 1))


def _value(name, node, period=MONTH):
    return kpi_value(catalogue.CATALOGUE[name], node, period, source=RAW)


def test_composition_shares_match_the_lists_meter(client, w):
    nl = fill_list(w, make_campaign(w), women=1, men=4, industrial=2)
    gone = nl.nominees.filter(name="男职工3").get()
    Nominee.objects.filter(pk=gone.pk).update(status=NomineeStatus.WITHDRAWN)  # as a rejected list's are
    client.force_login(w.district_staff)
    meter = client.get(f"/honours/lists/{nl.pk}/").context["meter"]
    shown = {r.rule.attribute: r.percent for r in meter.rows}
    assert meter.total == 4 and shown == {"industrial": 50.0, "female": 25.0, "unit_head": 0.0}
    for node in (w.xihu, w.hangzhou):
        assert _value("honours.nominees", node).value == 4
        assert _value("honours.nominee_composition", node).dims == {"industrial": 2, "female": 1}
        for attribute, percent in shown.items():
            assert _value(f"honours.share_{attribute}", node).value == percent, (node.name, attribute)
    assert _value("honours.share_industrial", w.qingdao).value is None  # nobody nominated there
    assert _value("honours.nominees", w.xihu, LAST_YEAR).value == 0


def test_entitlements_due_match_the_entitlements_page(client, w):
    a, b, c = (make_honour(w, worker(w, name)) for name in ("劳模甲", "劳模乙", "劳模丙"))
    checkup = a.entitlements.get(kind=EntitlementKind.CHECKUP)
    services.entitlement_deliver(actor=w.district_staff, entitlement=checkup, delivered_on=TODAY - dt.timedelta(days=400))
    services.honour_mark_deceased(actor=w.district_staff, honour=b, reason="病故")
    due = c.entitlements.filter(status=EntitlementStatus.DUE).count() + a.entitlements.filter(
        status=EntitlementStatus.DUE).count()
    assert due == 7  # four each for a and c, less a's check-up; b's stopped
    client.force_login(w.district_staff)
    page = client.get("/honours/entitlements/")
    assert page.context["page"].paginator.count == due
    assert f'data-testid="due-count">{due}<' in page.content.decode()
    for node in (w.xihu, w.hangzhou):
        v = _value("honours.entitlements_due", node)
        assert v.value == due and v.dims == {"visit": 2, "allowance": 2, "recuperation": 2, "checkup": 1}
    assert _value("honours.entitlements_due", w.qingdao).value == 0
    assert _value("honours.entitlements_due", w.xihu, LAST_YEAR).value == 0  # none existed then


def test_the_dashboard_lists_them(client, w):
    client.force_login(w.city_admin)
    html = client.get("/insights/").content.decode()
    for label in ("推荐人选中产业工人占比", "推荐人选中女性占比", "待落实的劳模待遇"):
        assert label in html, label
