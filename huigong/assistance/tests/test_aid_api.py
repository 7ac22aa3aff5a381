"""The flow over the API, end to end: programme → application → approval at each level → notice →
batch → paid twice (one ledger row) → ledger reconciles. Refusals come back as 403 / 422 naming the field."""

import datetime as dt

import pytest

from huigong.api.tests.conftest import ApiClient, make_token

from .. import clock
from ..models import AidApplication, LedgerEntry
from ..services import aid
from .flowkit import Flow, make_file

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


def test_create_and_submit_is_one_transaction(cast):
    """Review #5: when the submission is refused, no draft is left behind."""
    flow = Flow(cast, levels=("township",))  # no township on the branch: submission is refused
    f = flow.new_file()
    r = as_(cast.tech_staff).post("aid-applications", {"programme_id": flow.prog.pk, "file_id": f.pk,
                                                      "amount_fen": 100_000, "reason": "重病", "submit": True})
    assert r.status_code == 422 and "没有项目要求的任何审批层级" in r.content.decode()
    assert not AidApplication.objects.filter(file=f).exists()


def test_missing_and_out_of_scope_file_answer_alike(cast):
    """Review #17: no existence oracle on file ids."""
    from huigong.testing import make_member

    flow = Flow(cast)
    qd = make_file(make_member(cast.outsider, cast.qd_ent, "青岛户"), cast.qd_ent)
    qd_prog = aid.programme_create(actor=cast.outsider, node=cast.qingdao, kind="living", name="青岛救助",
                                   year=2026, amount_fen=500_000, approval_levels=["city"])
    aid.programme_open(actor=cast.outsider, programme=qd_prog)
    del flow
    outsider = as_(cast.outsider)
    hz_file = make_file(make_member(cast.city_admin, cast.tech, "杭州户", employer=cast.enterprise), cast.tech)
    body = {"programme_id": qd_prog.pk, "amount_fen": 100_000, "reason": "x"}
    r1 = outsider.post("aid-applications", {**body, "file_id": hz_file.pk})
    r2 = outsider.post("aid-applications", {**body, "file_id": 999_999})
    assert r1.status_code == r2.status_code == 404
    assert r1.json().keys() == r2.json().keys()
    assert qd.pk  # the outsider's own file still works
    assert outsider.post("aid-applications", {**body, "file_id": qd.pk}).status_code == 201


def test_ledger_over_the_api_shows_own_payments_only(cast):
    """Review #11: with a payment on the books, the outsider's ledger and export never carry it."""
    import io

    from python_calamine import CalamineWorkbook

    from ..services import payouts

    flow = Flow(cast)
    [app] = flow.ready_to_pay(1)
    payouts.payout_mark_paid(actor=flow.finance, payout=flow.batch().payouts.get(), bank_reference="HZ-API-42")

    def text(r):
        wb = CalamineWorkbook.from_filelike(io.BytesIO(r.content))
        return " ".join(str(c) for row in wb.get_sheet_by_index(0).to_python() for c in row)

    inside = as_(cast.city_admin)
    assert inside.get(f"ledger?union_id={cast.hangzhou.pk}").json()["ledger_total_fen"] == app.amount_requested_fen
    assert "HZ-API-42" in text(inside.get(f"ledger/export?union_id={cast.hangzhou.pk}"))
    outsider = as_(cast.outsider)
    # a union outside the subtree is named like one that does not exist
    assert outsider.get(f"ledger?union_id={cast.hangzhou.pk}").status_code in (404, 422)
    assert outsider.get(f"ledger/export?union_id={cast.hangzhou.pk}").status_code in (404, 422)
    own = outsider.get("ledger")
    assert own.status_code == 200 and own.json()["ledger_total_fen"] == 0 and flow.prog.name not in own.content.decode()
    assert "HZ-API-42" not in text(outsider.get("ledger/export"))
