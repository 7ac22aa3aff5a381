"""Rows of the API route x role matrix (huigong/api/tests/test_matrix.py) for /api/v1/education.
Objects are built inside each role's rolled-back savepoint (tests/objects.py), so every role meets the
same world."""

from __future__ import annotations

from . import objects as o


def _both(w):
    o.programme(w)
    o.programme(w, node=w.gaoxin, title="高新区求学圆梦")
    return {}


def _both_apps(w):
    o.application(w, o.programme(w))
    o.application(w, o.programme(w, node=w.gaoxin, title="高新区求学圆梦"), member=w.qd_member)
    return {}


def matrix_rows(Row, expect) -> dict:
    everyone = dict.fromkeys(("admin", "staff", "viewer", "finance", "leader"), 200)
    read = expect(everyone)
    lst = expect(everyone, outsider=200)
    base = "/api/v1/education"
    return {
        ("GET", f"{base}/programmes"): Row(lst, params=_both, markers=("西湖区求学圆梦", "高新区求学圆梦")),
        ("GET", f"{base}/programmes/{{programme_id}}"): Row(read, params=lambda w: {"programme_id": o.programme(w).pk}),
        ("GET", f"{base}/programmes/{{programme_id}}/funnel"): Row(
            read, params=lambda w: {"programme_id": o.application(w).programme_id}),
        ("GET", f"{base}/programmes/{{programme_id}}/draw"): Row(
            read, params=lambda w: {"programme_id": o.drawn_round(w).pk}),
        ("POST", f"{base}/programmes/{{programme_id}}/draw"): Row(
            expect({"admin": 200, "staff": 200}), params=lambda w: {"programme_id": o.closed_round(w).pk},
            body=lambda w: {"seed": "20251001"}),
        ("GET", f"{base}/applications"): Row(lst, params=_both_apps, markers=("李小红", "赵青岛")),
        ("GET", f"{base}/applications/{{application_id}}"): Row(
            read, params=lambda w: {"application_id": o.application(w).pk}),
        ("POST", f"{base}/applications/{{application_id}}/decide"): Row(
            expect({"admin": 200, "leader": 200}), params=lambda w: {"application_id": o.in_review(w).pk},
            body=lambda w: {"decision": "approved", "acting_reason": "西湖区暂无审批人员"}),
        ("GET", f"{base}/enrolments"): Row(lst, params=lambda w: o.enrolment(w) and {}),
    }
