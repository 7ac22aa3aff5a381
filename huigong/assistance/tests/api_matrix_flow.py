"""Rows of the API route x role matrix (huigong/api/tests/test_matrix.py) for the flow side of
assistance: programmes, applications and approval, notices, payout batches, payouts, ledger. Objects
are built inside each role's rolled-back savepoint, so every role meets the same world."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from huigong.accounts.models import Role
from huigong.testing import make_staff, result_sheet

from .. import clock
from ..services import aid, approval, notices, payouts
from .flowkit import make_file

BASE = "/api/v1"
TODAY = clock.today()


def _prog(w, node=None, actor=None, name="杭州生活救助", levels=("city",)):
    actor = actor or w.city_admin
    node = node or w.hangzhou
    p = aid.programme_create(actor=actor, node=node, kind="living", name=name, year=TODAY.year, amount_fen=500_000,
                             approval_levels=list(levels))
    aid.programme_open(actor=actor, programme=p)
    aid.programme_budget_set(actor=actor, programme=p, node=node, total_fen=10_000_000)
    return p


def _app(w, stage="draft"):
    p = _prog(w)
    f = make_file(w.member, w.tech)
    # The district's staff applies: the roles under test may then decide it (nobody decides their own).
    a = aid.aid_application_create(actor=w.district_staff, programme=p, file=f, amount_fen=100_000,
                                   reason="杭州申请理由")
    if stage == "draft":
        return a
    a = aid.aid_application_submit(actor=w.district_staff, application=a)
    if stage == "submitted":
        return a
    a = approval.approval_decide(actor=w.leader, application=a, decision="approved")
    if stage == "approved":
        return a
    with clock.travel(TODAY - dt.timedelta(days=5)):  # published last week: its one day is over
        n = notices.notice_publish(actor=w.city_admin, node=w.xihu, applications=[a], title="杭州公示", days=1)
    if stage == "notice":
        return n
    notices.notice_end(actor=w.city_admin, notice=n)
    if stage == "ended":
        return a
    b = payouts.payout_batch_create(actor=w.finance, node=w.xihu, title="杭州发放批次")
    if stage == "paid":
        payouts.payout_mark_paid(actor=w.finance, payout=b.payouts.get(), bank_reference="HZ-PAID-1")
    return b


def _qd_app(w, stage="draft"):
    p = _prog(w, node=w.qingdao, actor=w.outsider, name="青岛生活救助")
    f = make_file(w.qd_member, w.qd_ent)
    a = aid.aid_application_create(actor=w.outsider, programme=p, file=f, amount_fen=100_000, reason="青岛申请理由")
    if stage == "draft":
        return a
    qd_leader = make_staff(w.qingdao, Role.LEADER)  # the applicant does not approve their own
    a = aid.aid_application_submit(actor=w.outsider, application=a)
    a = approval.approval_decide(actor=qd_leader, application=a, decision="approved")
    with clock.travel(TODAY - dt.timedelta(days=5)):
        n = notices.notice_publish(actor=w.outsider, node=w.qingdao, applications=[a], title="青岛公示", days=1)
    if stage == "notice":
        return n
    notices.notice_end(actor=w.outsider, notice=n)
    qd_fin = make_staff(w.qingdao, Role.FINANCE)
    b = payouts.payout_batch_create(actor=qd_fin, node=w.qingdao, title="青岛发放批次")
    if stage == "paid":
        payouts.payout_mark_paid(actor=qd_fin, payout=b.payouts.get(), bank_reference="QD-PAID-1")
    return b


def _both(stage):
    def build(w):
        _app(w, stage)
        _qd_app(w, stage)
        return {}
    return build


def _objection(w):
    n = _app(w, "notice")
    o = notices.notice_objection_record(actor=w.city_admin, notice=n, content="来电反映")
    return {"notice_id": n.pk, "objection_id": o.pk}


def _payout(w, failed=False):
    p = _app(w, "batch").payouts.get()
    if failed:
        payouts.payout_mark_failed(actor=w.finance, payout=p, reason="户名不符")
    return {"payout_id": p.pk}


def _sent_batch(w):
    b = _app(w, "batch")
    payouts.payout_batch_mark_sent(actor=w.finance, batch=b)
    return {"batch_id": b.pk, "attempt": 1}


def _upload_batch(w):
    """params run first (they build the URL): the batch is made here and kept for the upload."""
    w._upload_batch = _app(w, "batch")
    return {"batch_id": w._upload_batch.pk}


def _result_upload(w):
    p = w._upload_batch.payouts.get()
    row = [1, p.payee_name, p.bank_account_mask, p.bank_name, 1000, "生活救助", f"{p.idempotency_key}#1", "成功", "B-1", ""]
    return {"file": SimpleUploadedFile("result.xlsx", result_sheet([row]))}


def matrix_rows(Row, _expect) -> dict:
    everyone = dict.fromkeys(("admin", "staff", "viewer", "finance", "leader"), 200)
    lst = _expect(everyone, outsider=200)
    read = _expect(everyone)
    assist = _expect({"admin": 200, "staff": 200})
    assist_create = _expect({"admin": 201, "staff": 201})
    money = _expect({"finance": 200})
    exports = _expect({"admin": 200, "staff": 200, "finance": 200, "leader": 200}, outsider=200)
    return {
        ("GET", f"{BASE}/aid-programmes"): Row(lst, params=_both("draft"), markers=("杭州生活救助", "青岛生活救助")),
        ("POST", f"{BASE}/aid-programmes"): Row(assist_create, body=lambda w: {
            "union_id": w.xihu.pk, "kind": "education", "name": "金秋助学", "year": 2026, "amount_mode": "fixed",
            "amount_fen": 300_000, "approval_levels": ["grassroots", "district"], "required_causes": ["schooling"]}),
        ("GET", f"{BASE}/aid-programmes/{{programme_id}}"): Row(read, params=lambda w: {"programme_id": _prog(w).pk}),
        ("PATCH", f"{BASE}/aid-programmes/{{programme_id}}"): Row(
            assist, params=lambda w: {"programme_id": _prog(w, node=w.xihu).pk},
            body=lambda w: {"description": "说明", "status": "closed"}),
        ("PUT", f"{BASE}/aid-programmes/{{programme_id}}/budgets"): Row(
            assist, params=lambda w: {"programme_id": _prog(w, node=w.xihu).pk},
            body=lambda w: {"union_id": w.xihu.pk, "total_fen": 20_000_000}),
        ("PUT", f"{BASE}/aid-programmes/household-caps"): Row(
            assist, body=lambda w: {"union_id": w.xihu.pk, "year": 2026, "cap_fen": 2_000_000}),
        ("GET", f"{BASE}/aid-applications"): Row(lst, params=_both("draft"), markers=("杭州申请理由", "青岛申请理由")),
        ("POST", f"{BASE}/aid-applications"): Row(
            _expect({"admin": 201, "staff": 201}),
            body=lambda w: {"programme_id": _prog(w).pk, "file_id": make_file(w.member, w.tech).pk,
                            "amount_fen": 100_000, "reason": "申请", "submit": True}),
        ("GET", f"{BASE}/aid-applications/{{application_id}}"): Row(
            read, params=lambda w: {"application_id": _app(w, "submitted").pk}),
        ("PATCH", f"{BASE}/aid-applications/{{application_id}}"): Row(
            assist, params=lambda w: {"application_id": _app(w).pk}, body=lambda w: {"amount_fen": 90_000}),
        ("POST", f"{BASE}/aid-applications/{{application_id}}/submit"): Row(
            assist, params=lambda w: {"application_id": _app(w).pk}),
        ("POST", f"{BASE}/aid-applications/{{application_id}}/withdraw"): Row(
            assist, params=lambda w: {"application_id": _app(w).pk}),
        ("POST", f"{BASE}/aid-applications/{{application_id}}/decide"): Row(
            _expect({"admin": 200, "leader": 200}), params=lambda w: {"application_id": _app(w, "submitted").pk},
            body=lambda w: {"decision": "approved", "comment": "同意"}),
        ("GET", f"{BASE}/notices"): Row(lst, params=_both("notice"), markers=("杭州公示", "青岛公示")),
        ("POST", f"{BASE}/notices"): Row(assist_create, body=lambda w: {
            "union_id": w.xihu.pk, "application_ids": [_app(w, "approved").pk], "title": "公示", "days": 5}),
        ("GET", f"{BASE}/notices/{{notice_id}}"): Row(read, params=lambda w: {"notice_id": _app(w, "notice").pk}),
        ("POST", f"{BASE}/notices/{{notice_id}}/objections"): Row(
            assist_create, params=lambda w: {"notice_id": _app(w, "notice").pk},
            body=lambda w: {"content": "来信反映", "channel": "来信"}),
        ("POST", f"{BASE}/notices/{{notice_id}}/objections/{{objection_id}}/resolve"): Row(
            assist, params=_objection, body=lambda w: {"upheld": False, "resolution": "不属实"}),
        ("POST", f"{BASE}/notices/{{notice_id}}/end"): Row(assist, params=lambda w: {"notice_id": _app(w, "notice").pk}),
        ("GET", f"{BASE}/payout-batches"): Row(lst, params=_both("batch"), markers=("杭州发放批次", "青岛发放批次")),
        ("POST", f"{BASE}/payout-batches"): Row(
            _expect({"finance": 201}), body=lambda w: {"union_id": w.xihu.pk, "title": "批次",
                                                      "application_ids": [_app(w, "ended").pk]}),
        ("GET", f"{BASE}/payout-batches/{{batch_id}}"): Row(read, params=lambda w: {"batch_id": _app(w, "batch").pk}),
        ("POST", f"{BASE}/payout-batches/{{batch_id}}/sent"): Row(
            money, params=lambda w: {"batch_id": _app(w, "batch").pk}),
        ("POST", f"{BASE}/payout-batches/{{batch_id}}/bank-sheet"): Row(
            money, params=lambda w: {"batch_id": _app(w, "batch").pk}),
        ("GET", f"{BASE}/payout-batches/{{batch_id}}/bank-sheet/{{attempt}}"): Row(money, params=_sent_batch),
        ("POST", f"{BASE}/payout-batches/{{batch_id}}/bank-results"): Row(
            money, params=_upload_batch, upload=_result_upload),
        ("GET", f"{BASE}/payouts/{{payout_id}}"): Row(read, params=_payout),
        ("POST", f"{BASE}/payouts/{{payout_id}}/paid"): Row(money, params=_payout,
                                                           body=lambda w: {"bank_reference": "B-1"}),
        ("POST", f"{BASE}/payouts/{{payout_id}}/failed"): Row(money, params=_payout,
                                                             body=lambda w: {"reason": "户名不符"}),
        ("POST", f"{BASE}/payouts/{{payout_id}}/retry"): Row(money, params=lambda w: _payout(w, failed=True),
                                                            body=lambda w: {}),
        ("GET", f"{BASE}/ledger"): Row(lst, params=_both("paid"), markers=("杭州生活救助", "青岛生活救助")),
        ("GET", f"{BASE}/ledger/export"): Row(exports, params=_both("paid")),  # contents: test_aid_api
    }


# Named in the body: the outsider's 422 (see huigong/api/tests/matrix.py).
NAMED_IN_BODY = [("POST", f"/api/v1/{r}") for r in ("aid-programmes", "notices", "payout-batches")] + [
    ("PUT", "/api/v1/aid-programmes/household-caps")]
