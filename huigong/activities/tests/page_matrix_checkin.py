"""Rows of the console page matrix (huigong/orgs/tests/test_views_matrix.py) for the check-in pages:
every page of an event of 西湖区 (the Hangzhou cast's subtree) is a 404 for Qingdao's admin, a 403 for
roles without event_checkin (viewer, finance, leader), a sign-in redirect for the anonymous."""

from huigong.activities import checkin_services as svc
from huigong.activities.models_checkin import Gate

from .checkin_world import make_event, scan_in, seat

CAP = "event_checkin"


def _event(c):
    if not hasattr(c, "_gate_event"):
        c._gate_event = make_event(c.city_admin, c.xihu, "西湖区工匠讲座")
        c._gate_seat = seat(c._gate_event.sessions.get(), c.member)
        # Written directly: the matrix counts audit events around each request, and a builder runs inside it.
        c._gate = Gate.objects.create(event=c._gate_event, name="西湖区北门")
    return c._gate_event


def _gate(c):
    _event(c)
    return c._gate


def _scan(c):
    g = _gate(c)
    return svc.scan_record(actor=c.city_admin, gate=g, item=scan_in("NOT-A-TICKET"))


ROUTES = {
    "activities_gate:home": (lambda c: [], CAP, "GET"),
    "activities_gate:event": (lambda c: [_event(c).pk], CAP, "GET POST"),
    "activities_gate:scans": (lambda c: [_event(c).pk], CAP, "GET"),
    "activities_gate:review": (lambda c: [_scan(c).pk], CAP, "POST"),
    "activities_gate:bulk": (lambda c: [_event(c).sessions.get().pk], CAP, "GET POST"),
    "activities_gate:gate": (lambda c: [_gate(c).pk], CAP, "GET"),
    "activities_gate:edit": (lambda c: [_gate(c).pk], CAP, "GET POST"),
    "activities_gate:roster": (lambda c: [_gate(c).pk], CAP, "GET"),
    "activities_gate:sw": (lambda c: [], CAP, "GET"),
    "activities_gate:search": (lambda c: [_gate(c).pk], CAP, "GET"),
    "activities_gate:manual": (lambda c: [_gate(c).pk, (_gate(c), c._gate_seat)[1].pk], CAP, "POST"),
}
