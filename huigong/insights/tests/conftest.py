import datetime as dt

import pytest

from huigong.members.models import EmploymentForm
from huigong.orgs.models import NodeLevel
from huigong.testing import make_enterprise, make_member, make_node


@pytest.fixture
def kpi_world(cast):
    """The cast plus members spread over months, nodes and employment forms, some transferred or
    withdrawn, so that every member KPI has something to count and something not to."""
    from huigong.members.services import membership_transfer, membership_withdraw

    w = cast
    w.gongshu = make_node(w.hangzhou, "拱墅区总工会", NodeLevel.DISTRICT, "330105")
    w.gs_ent = make_node(w.gongshu, "拱墅某厂工会", NodeLevel.GRASSROOTS, "330105")
    w.gs_company = make_enterprise(w.gs_ent, "拱墅某厂")
    a = w.city_admin
    w.added = []
    specs = [
        (w.tech, EmploymentForm.CONTRACT, dt.date(2025, 1, 10)),
        (w.tech, EmploymentForm.DISPATCH, dt.date(2025, 2, 3)),
        (w.tech, EmploymentForm.CONTRACT, dt.date(2025, 2, 28)),
        (w.riders, EmploymentForm.RIDER, dt.date(2025, 1, 31)),
        (w.riders, EmploymentForm.COURIER, dt.date(2025, 3, 1)),
        (w.riders, EmploymentForm.RIDER, dt.date(2024, 12, 31)),
        (w.gs_ent, EmploymentForm.CONTRACT, dt.date(2025, 2, 14)),
        (w.gs_ent, EmploymentForm.TRUCK_DRIVER, dt.date(2025, 3, 20)),
        (w.gs_ent, EmploymentForm.CONTRACT, dt.date(2023, 6, 1)),
    ]
    for i, (union, form, joined) in enumerate(specs):
        w.added.append(make_member(a, union, f"成员{i}", employment_form=form, joined_on=joined))
    # One withdraws in February 2025, one moves from 科技 to 拱墅 in March 2025.
    membership_withdraw(actor=a, person=w.added[0].person, reason="本人申请", on=dt.date(2025, 2, 20))
    membership_transfer(
        actor=a, person=w.added[2].person, to_union=w.gs_ent, reason="换工作", on=dt.date(2025, 3, 5)
    )
    return w


@pytest.fixture
def march_10(kpi_world, monkeypatch):
    """kpi_world seen on 10 March 2025 (Beijing), its rollups refreshed that day."""
    from django.utils import timezone

    from huigong.insights.rollups import rollups_refresh

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2025, 3, 10))
    rollups_refresh()
    return kpi_world
