"""Builders for the check-in tests and matrix rows: an event of the Hangzhou cast with sessions, seats and
gates. Seats are written directly (a granted seat as the capacity engine leaves it): registration is the
events side's, these tests are about the gate."""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils import timezone

from huigong.activities import checkin_services as svc
from huigong.activities.models import Event, EventSession, Registration


def make_event(actor, node, title: str = "大国工匠进西湖", *, start: dt.datetime | None = None, sessions: int = 1,
               status: str = "published") -> Event:
    start = start or timezone.now() - dt.timedelta(minutes=30)
    event = Event.objects.create(node=node, kind="craftsmen", title=title, status=status, created_by=actor)
    for i in range(sessions):
        s = start + dt.timedelta(days=i)
        EventSession.objects.create(event=event, title=f"第{i + 1}场", starts_at=s, ends_at=s + dt.timedelta(hours=3),
                                    total=500, remaining=500, is_open=True)
    return event


def seat(session: EventSession, membership, *, status: str = "granted", approval: str = "", seq: int = 0,
         lead: Registration | None = None, companion_name: str = "") -> Registration:
    return Registration.objects.create(session=session, person_id=membership.person_id, membership=membership,
                                       union_id=membership.union_id, status=status, approval=approval, seq=seq,
                                       lead=lead, companion_name=companion_name, source="staff",
                                       granted_at=timezone.now() if status == "granted" else None)


def gate(actor, event: Event, name: str = "北门", **kw):
    return svc.gate_create(actor=actor, event=event, name=name, **kw)


def scan_in(code: str, *, kind: str = "entry", at: dt.datetime | None = None, offline: bool = False,
            local: str = "", local_reason: str = "", uid: uuid.UUID | None = None) -> svc.ScanIn:
    return svc.ScanIn(uuid=uid or uuid.uuid4(), code=code, kind=kind, scanned_at=at, offline=offline,
                      local_result=local, local_reason=local_reason)
