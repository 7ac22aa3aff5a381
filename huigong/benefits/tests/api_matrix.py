"""Rows of the API route x role matrix (huigong/api/tests/test_matrix.py) for the benefits routes.
Objects are built inside each role's rolled-back savepoint, so every role meets the same world."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from huigong.benefits import services
from huigong.benefits.models import ProgrammeKind
from huigong.benefits.testing import clerk, make_programme, receipt_png
from huigong.members.models import Person
from huigong.testing import result_sheet


def _hz(w, **kw):
    kw.setdefault("title", "杭州职工体检")
    return make_programme(w.city_admin, w.xihu, quota=kw.pop("quota", 10), **kw)


def _qd(w, **kw):
    return make_programme(w.outsider, w.gaoxin, quota=10, title="高新区职工体检", **kw)


def _claim(w):
    return services.claim_create(actor=w.city_admin, programme=_hz(w), person=Person.objects.get(pk=w.member.person_id))


def _reimbursement(w, membership=None, actor=None, node=None, approve=False):
    submitter = actor or clerk(w)
    actor, node, membership = actor or w.city_admin, node or w.xihu, membership or w.rider
    p = make_programme(actor, node, kind=ProgrammeKind.REIMBURSEMENT, quota=10, title="健康证补贴")
    person = Person.objects.get(pk=membership.person_id)
    person.bank_account, person.bank_account_mask = "6222020000001111", "**** **** 1111"
    person.save()
    item = services.reimbursement_submit(actor=submitter, programme=p, person=person, amount_fen=5000,
                                         receipt=receipt_png())
    if approve:
        item = services.reimbursement_approve(actor=actor, reimbursement=item)
    return item


def _payment(w, fail=False):
    item = _reimbursement(w, approve=True)
    batch, _ = services.payment_batch_create(actor=w.finance, programme=item.programme)
    pay = batch.payments.get()
    if fail:
        services.payment_mark_failed(actor=w.finance, payment=pay, reason="退票")
    return pay


def _upload_batch(w):
    """params run first (they build the URL): the batch is made here and kept for the upload."""
    w._upload_payment = _payment(w)
    return {"batch_id": w._upload_payment.batch_id}


def _result_upload(w):
    p = w._upload_payment
    row = [1, p.payee_name, p.bank_account_mask, p.bank_name, p.amount_fen / 100, "补贴", p.idempotency_key, "成功",
           "B-1", ""]
    return {"file": SimpleUploadedFile("result.xlsx", result_sheet([row]))}


def _both_reimbursements(w):
    _reimbursement(w)
    _reimbursement(w, membership=w.qd_member, actor=w.outsider, node=w.gaoxin)
    return {}


def _both_visits(w):
    services.visit_record(actor=w.city_admin, node=w.xihu, enterprise=w.enterprise, visited_on=dt.date(2026, 1, 5),
                          headcount=10, goods="杭州棉衣", value_fen=100000)
    services.visit_record(actor=w.outsider, node=w.gaoxin, enterprise=w.qd_enterprise, visited_on=dt.date(2026, 1, 5),
                          headcount=10, goods="青岛棉衣", value_fen=100000)
    return {}


def matrix_rows(Row, expect) -> dict:
    everyone = dict.fromkeys(("admin", "staff", "viewer", "finance", "leader"), 200)
    read = expect(everyone)
    lst = expect(everyone, outsider=200)
    write = expect({"admin": 200, "staff": 200})
    create = expect({"admin": 201, "staff": 201})
    money = expect({"finance": 200})
    base = "/api/v1"
    return {
        ("GET", f"{base}/benefit-programmes"): Row(lst, params=lambda w: (_hz(w), _qd(w)) and {},
                                                    markers=("杭州职工体检", "高新区职工体检")),
        ("POST", f"{base}/benefit-programmes"): Row(create, body=lambda w: {
            "node_id": w.xihu.pk, "board": "vitality", "kind": "quota", "title": "单身联谊会", "year": 2026,
            "quota_total": 100}),
        ("GET", f"{base}/benefit-programmes/{{programme_id}}"): Row(read, params=lambda w: {"programme_id": _hz(w).pk}),
        ("PATCH", f"{base}/benefit-programmes/{{programme_id}}"): Row(
            write, params=lambda w: {"programme_id": _hz(w).pk}, body=lambda w: {"quota_total": 20}),
        ("POST", f"{base}/benefit-programmes/{{programme_id}}/open"): Row(
            write, params=lambda w: {"programme_id": _hz(w, open_now=False).pk}),
        ("POST", f"{base}/benefit-programmes/{{programme_id}}/close"): Row(
            write, params=lambda w: {"programme_id": _hz(w).pk}),
        ("POST", f"{base}/benefit-claims"): Row(
            create, body=lambda w: {"programme_id": _hz(w).pk, "person_id": w.member.person_id}),
        ("GET", f"{base}/benefit-claims"): Row(read, body=lambda w: {"programme_id": _claim(w).programme_id}),
        ("POST", f"{base}/benefit-claims/{{claim_id}}/cancel"): Row(write, params=lambda w: {"claim_id": _claim(w).pk}),
        ("GET", f"{base}/reimbursements"): Row(lst, params=_both_reimbursements, markers=("王骑手", "赵青岛")),
        ("GET", f"{base}/reimbursements/{{reimbursement_id}}"): Row(
            read, params=lambda w: {"reimbursement_id": _reimbursement(w).pk}),
        ("POST", f"{base}/reimbursements/{{reimbursement_id}}/approve"): Row(
            write, params=lambda w: {"reimbursement_id": _reimbursement(w).pk}, body=lambda w: {}),
        ("POST", f"{base}/reimbursements/{{reimbursement_id}}/reject"): Row(
            write, params=lambda w: {"reimbursement_id": _reimbursement(w).pk}, body=lambda w: {"reason": "票据不清"}),
        ("POST", f"{base}/reimbursement-payments/batches"): Row(
            expect({"finance": 201}),
            body=lambda w: {"programme_id": _reimbursement(w, approve=True).programme_id}),
        ("POST", f"{base}/reimbursement-payments/batches/{{batch_id}}/bank-sheet"): Row(
            money, params=lambda w: {"batch_id": _payment(w).batch_id}),
        ("POST", f"{base}/reimbursement-payments/batches/{{batch_id}}/bank-results"): Row(
            money, params=_upload_batch, upload=_result_upload),
        ("POST", f"{base}/reimbursement-payments/{{payment_id}}/paid"): Row(
            money, params=lambda w: {"payment_id": _payment(w).pk}, body=lambda w: {"bank_reference": "B1"}),
        ("POST", f"{base}/reimbursement-payments/{{payment_id}}/failed"): Row(
            money, params=lambda w: {"payment_id": _payment(w).pk}, body=lambda w: {"reason": "户名不符"}),
        ("POST", f"{base}/reimbursement-payments/{{payment_id}}/retry"): Row(
            expect({"finance": 201}), params=lambda w: {"payment_id": _payment(w, fail=True).pk}),
        ("GET", f"{base}/visits"): Row(lst, params=_both_visits, markers=("杭州棉衣", "青岛棉衣")),
        ("POST", f"{base}/visits"): Row(create, body=lambda w: {
            "node_id": w.xihu.pk, "enterprise_id": w.enterprise.pk, "visited_on": "2026-01-05", "headcount": 3,
            "goods": "米面油", "value_fen": 30000}),
        ("GET", f"{base}/site-usage"): Row(read, body=lambda w: {"site_id": w.site.pk}),
        ("POST", f"{base}/site-usage"): Row(create, body=lambda w: {"site_id": w.site.pk, "day": "2026-01-05",
                                                                   "visitors": 12}),
    }
