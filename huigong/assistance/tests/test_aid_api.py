"""The flow over the API, end to end: programme → application → approval at each level → notice →
batch → paid twice (one ledger row) → ledger reconciles. Refusals come back as 403 / 422 naming the field."""

import datetime as dt

import pytest

from huigong.api.tests.conftest import ApiClient, make_token

from .. import clock
from ..models import LedgerEntry
from .flowkit import Flow

pytestmark = pytest.mark.django_db


def as_(user):
    return ApiClient(make_token(user))


def test_end_to_end_over_the_api(cast):
    flow = Flow(cast)
    admin, finance = as_(cast.city_admin), as_(cast.finance)
    f = flow.new_file(name="郑大伟")
    r = as_(cast.tech_staff).post("aid-applications", {"programme_id": flow.prog.pk, "file_id": f.pk,
                                                       "amount_fen": 150_000, "reason": "重病", "submit": True})
    assert r.status_code == 201, r.content
    app_id = r.json()["id"]
    assert [s["node"]["id"] for s in r.json()["steps"]] == [cast.tech.pk, cast.xihu.pk, cast.hangzhou.pk]
    r = as_(flow.xihu_leader).post(f"aid-applications/{app_id}/decide", {"decision": "approved"})
    assert r.status_code == 403  # not the district's turn yet
    queue = as_(flow.tech_admin).get("aid-applications?mine_to_approve=true").json()
    assert [a["id"] for a in queue["items"]] == [app_id]
    for who in (flow.tech_admin, flow.xihu_leader, flow.city_leader):
        r = as_(who).post(f"aid-applications/{app_id}/decide", {"decision": "approved", "comment": "同意"})
        assert r.status_code == 200, r.content
    assert r.json()["status"] == "approved"
    today = clock.today()
    r = admin.post("notices", {"union_id": cast.hangzhou.pk, "application_ids": [app_id], "title": "公示",
                               "days": 5, "starts_on": (today - dt.timedelta(days=10)).isoformat()})
    assert r.status_code == 422 and "starts_on" in r.content.decode()  # no backdating the period
    r = admin.post("notices", {"union_id": cast.hangzhou.pk, "application_ids": [app_id], "title": "公示",
                               "days": 5})
    assert r.status_code == 201 and r.json()["rows"][0]["masked_name"] == "郑*伟"
    assert "郑大伟" not in r.content.decode()
    nid = r.json()["id"]
    assert admin.post(f"notices/{nid}/end").status_code == 422  # the five days have not passed
    with clock.travel(today + dt.timedelta(days=5)):
        assert admin.post(f"notices/{nid}/end").json()["status"] == "ended"
    r = finance.post("payout-batches", {"union_id": cast.hangzhou.pk, "title": "第一批"})
    assert r.status_code == 201
    pid = r.json()["payouts"][0]["id"]
    assert "6222020200112233445" not in r.content.decode()
    for ref in ("B1", "B2"):
        r = finance.post(f"payouts/{pid}/paid", {"bank_reference": ref})
        assert r.status_code == 200 and r.json()["bank_reference"] == "B1"
    assert LedgerEntry.objects.count() == 1
    led = admin.get(f"ledger?union_id={cast.hangzhou.pk}").json()
    assert led["reconciles"] and led["ledger_total_fen"] == 150_000 and led["households"] == 1


def test_refusals_name_the_field(cast):
    flow = Flow(cast, amount_fen=100_000)
    f = flow.new_file()
    r = as_(cast.tech_staff).post("aid-applications", {"programme_id": flow.prog.pk, "file_id": f.pk,
                                                       "amount_fen": 100_001, "reason": "x"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "amount_fen"
    r = as_(cast.outsider).post("aid-applications", {"programme_id": flow.prog.pk, "file_id": f.pk,
                                                     "amount_fen": 1, "reason": "x"})
    assert r.status_code in (403, 404)
    r = as_(cast.outsider).get("aid-applications")
    assert r.status_code == 200 and r.json()["items"] == []
    r = as_(cast.city_admin).put(f"aid-programmes/{flow.prog.pk}/budgets",
                                 {"union_id": cast.hangzhou.pk, "total_fen": -1})
    assert r.status_code == 422
