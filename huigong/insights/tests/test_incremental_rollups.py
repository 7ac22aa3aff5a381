"""The refresh of a KPI already rolled up for the window writes only the cells its changes reach
(PostgreSQL), with the same rows as a full rebuild."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from huigong.insights import kpis as catalogue
from huigong.insights.models import KpiCutRollup, KpiRollup, RollupState
from huigong.insights.rollups import refresh_kpi, rollups_refresh
from huigong.members.models import EmploymentForm, Person
from huigong.members.services import membership_transfer, membership_withdraw
from huigong.testing import make_member

pg_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the incremental refresh is PostgreSQL's")


def _rows() -> set[tuple]:
    return set(KpiRollup.objects.values_list("kpi", "dim", "month", "node_id", "subtree", "value"))


def _day_of_changes(w) -> None:
    """Backdated and today-dated (10 March 2025) writes: joins, a withdrawal, a transfer, a corrected
    employment form (every month of the stock since the person joined)."""
    a = w.city_admin
    make_member(a, w.gs_ent, "补录会员", employment_form=EmploymentForm.RIDER, joined_on=dt.date(2024, 5, 2))
    make_member(a, w.riders, "今日入会", employment_form=EmploymentForm.COURIER, joined_on=dt.date(2025, 3, 10))
    membership_withdraw(actor=a, person=w.added[3].person, reason="本人申请", on=dt.date(2025, 3, 10))
    membership_withdraw(actor=a, person=w.added[5].person, reason="补录退会", on=dt.date(2025, 1, 15))
    membership_transfer(actor=a, person=w.added[1].person, to_union=w.gs_ent, reason="换工作",
                        on=dt.date(2025, 3, 10))
    Person.objects.filter(pk=w.added[8].person.pk).update(employment_form=EmploymentForm.DISPATCH)


def test_a_refresh_after_backdated_and_today_dated_changes_equals_a_full_rebuild(march_10):
    _day_of_changes(march_10)
    rollups_refresh()
    refreshed = _rows()
    # A second round on top of the first (rows that fall to zero, rows that reappear).
    membership_withdraw(actor=march_10.city_admin, person=march_10.added[4].person, reason="本人申请",
                        on=dt.date(2025, 3, 10))
    Person.objects.filter(pk=march_10.added[8].person.pk).update(employment_form=EmploymentForm.CONTRACT)
    rollups_refresh()
    refreshed2 = _rows()
    KpiRollup.objects.all().delete()
    KpiCutRollup.objects.all().delete()
    RollupState.objects.all().delete()
    rollups_refresh()
    assert refreshed2 == _rows()
    assert refreshed != refreshed2  # the second round changed something the refresh had to follow


@pg_only
def test_a_change_dated_today_rewrites_the_current_month_of_a_stock_alone(march_10):
    """One member joining 拱墅某厂 today: members.active changes in March 2025 alone, in the union's own
    row and the subtree rows of its four kept ancestors (拱墅区, 杭州, 浙江, 全国); members.new likewise."""
    w = march_10
    before = {(r[:5]): r[5] for r in _rows()}
    make_member(w.city_admin, w.gs_ent, "今日入会", employment_form=EmploymentForm.RIDER,
                joined_on=dt.date(2025, 3, 10))
    for name in ("members.active", "members.new"):
        done = refresh_kpi(catalogue.get(name))
        cuts = KpiCutRollup.objects.filter(kpi=name).count()
        assert done.rows - cuts == 5, name
    after = {(r[:5]): r[5] for r in _rows()}
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    assert {(kpi, month) for kpi, _, month, _, _ in changed} == {
        ("members.active", dt.date(2025, 3, 1)), ("members.new", dt.date(2025, 3, 1))}
    assert len(changed) == 10


@pg_only
def test_a_backdated_change_rewrites_a_stock_from_its_month_on_and_a_flow_in_its_month(march_10):
    w = march_10
    make_member(w.city_admin, w.gs_ent, "补录会员", employment_form=EmploymentForm.RIDER,
                joined_on=dt.date(2024, 11, 20))
    active = refresh_kpi(catalogue.get("members.active"))
    new = refresh_kpi(catalogue.get("members.new"))
    # November 2024 to March 2025 (5 months) × (own row + 4 subtree rows); the flow: November alone.
    assert active.rows - KpiCutRollup.objects.filter(kpi="members.active").count() == 25
    assert new.rows - KpiCutRollup.objects.filter(kpi="members.new").count() == 5
