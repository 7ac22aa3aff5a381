"""Rows of the API route x role matrix (huigong/api/tests/test_matrix.py) for /api/v1/event-checkin.
Objects are made inside each role's rolled-back savepoint: an event of 西湖区 with a seat and a gate;
Qingdao's admin (the outsider) gets 404 for them, or the 422 of an unknown id where the id is in the body."""

from huigong.activities import checkin_services as svc
from huigong.activities.models import Registration

from .checkin_world import gate, make_event, scan_in, seat


def _hz(w):
    event = make_event(w.city_admin, w.xihu, "西湖区工匠讲座")
    reg = seat(event.sessions.get(), w.member)
    return event, reg, gate(w.city_admin, event, "西湖区北门")


def _qd(w):
    event = make_event(w.outsider, w.gaoxin, "高新区安全讲座")
    return event, gate(w.outsider, event, "高新区北门")


def _both_gates(w):
    _hz(w), _qd(w)
    return {}


def _code(reg):
    return svc.ticket_code(Registration.objects.select_related("session").get(pk=reg.pk))


def _scan_body(w):
    _event, reg, _gate = w._checkin
    return {"scans": [{"uuid": "6f1c1d5e-8d43-4c53-9a5d-0c1f1b0e2a11", "code": _code(reg)}]}


def _scan_params(w):
    w._checkin = _hz(w)
    return {"gate_id": w._checkin[2].pk}


def _bulk_params(w):
    w._checkin = _hz(w)
    return {"session_id": w._checkin[1].session_id}


def _flagged(w):
    _event, reg, g = _hz(w)
    svc.scan_record(actor=w.city_admin, gate=g, item=scan_in(_code(reg)))
    s = svc.scans_sync(actor=w.city_admin, gate=g, items=[scan_in(_code(reg), offline=True, local="admitted")])[0]
    return {"scan_id": s.pk}


def matrix_rows(Row, expect) -> dict:
    ok = {"admin": 200, "staff": 200}
    base = "/api/v1/event-checkin"
    return {
        ("GET", f"{base}/gates"): Row(expect(ok, outsider=200), params=_both_gates, markers=("西湖区北门", "高新区北门")),
        ("POST", f"{base}/gates"): Row(expect({"admin": 201, "staff": 201}),
                                       body=lambda w: {"event_id": make_event(w.city_admin, w.xihu).pk, "name": "东门"}),
        ("GET", f"{base}/gates/{{gate_id}}"): Row(expect(ok), params=lambda w: {"gate_id": _hz(w)[2].pk}),
        ("POST", f"{base}/gates/{{gate_id}}/scans"): Row(expect(ok), params=_scan_params, body=_scan_body),
        ("GET", f"{base}/scans"): Row(expect(ok), body=lambda w: {"event_id": _hz(w)[0].pk}),
        ("POST", f"{base}/scans/{{scan_id}}/review"): Row(expect(ok), params=_flagged, body=lambda w: {"note": "核实"}),
        ("POST", f"{base}/sessions/{{session_id}}/bulk"): Row(
            expect(ok), params=_bulk_params, body=lambda w: {"registration_ids": [w._checkin[1].pk]}),
    }
