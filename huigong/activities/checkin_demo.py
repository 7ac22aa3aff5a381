"""The demo's check-in history: the past events' seats that the demo marks attended (checked_in_at) get
what the gates would have written: two gates per event, an attendance row and an admitted scan per seat
(alternating gates, out at the session's end), and a few refused scans for the failed-scan log. Bulk rows,
one statement per table, so the demo stays fast."""

from __future__ import annotations

import uuid

from .models import Event, Registration
from .models_checkin import CheckIn, CheckInMethod, Gate, Scan, ScanResult


def build(event_ids: list[int]) -> str:
    events = list(Event.objects.filter(pk__in=event_ids).order_by("pk"))
    gates = Gate.objects.bulk_create([Gate(event=e, name=name, scans_exits=True)
                                      for e in events for name in ("主入口", "侧门")])
    by_event: dict[int, list[Gate]] = {}
    for g in gates:
        by_event.setdefault(g.event_id, []).append(g)
    seats = list(Registration.objects.filter(session__event_id__in=event_ids, checked_in_at__isnull=False)
                 .select_related("session").only("pk", "session_id", "checked_in_at", "session__event_id",
                                                 "session__ends_at").order_by("pk"))
    checkins, scans = [], []
    for i, r in enumerate(seats):
        g = by_event[r.session.event_id][i % 2]
        checkins.append(CheckIn(registration_id=r.pk, session_id=r.session_id, first_gate=g, last_gate=g,
                                method=CheckInMethod.SCAN, first_in_at=r.checked_in_at, last_in_at=r.checked_in_at,
                                last_out_at=r.session.ends_at, inside=False, auto_checked_out=True, entries=1))
        scans.append(Scan(uuid=uuid.uuid4(), gate=g, event_id=r.session.event_id, registration_id=r.pk,
                          result=ScanResult.ADMITTED, entry_no=1, scanned_at=r.checked_in_at, code_tail=""))
        if i % 97 == 0:  # a second reading of the same ticket at the other gate, refused
            other = by_event[r.session.event_id][(i + 1) % 2]
            scans.append(Scan(uuid=uuid.uuid4(), gate=other, event_id=r.session.event_id, registration_id=r.pk,
                              result=ScanResult.REFUSED, reason="already_inside", scanned_at=r.checked_in_at))
    CheckIn.objects.bulk_create(checkins, batch_size=5000)
    Scan.objects.bulk_create(scans, batch_size=5000)
    return f"{len(gates)} gates, {len(checkins):,} check-ins"
