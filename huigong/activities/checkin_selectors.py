"""Scoped reads for check-in: an event's gates, scans and seats, inside the actor's subtree (the event's
organising union's path), else OutOfScope (answered as 404) or Http404."""

from __future__ import annotations

import datetime as dt
from functools import cache

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from huigong.core.crypto import mask_name
from huigong.core.rawread import Columns, fetch_one, relate
from huigong.core.scope import OutOfScope, path_in_scope, require, root_path

from . import checkin_ticket as ticket
from .checkin_services import CAP, ENDED
from .models import Event, EventSession, Registration
from .models_checkin import CheckIn, Gate, Scan, ScanResult


def event_get_for_actor(actor, event_id: int) -> Event:
    require(actor, CAP)
    event = Event.objects.select_related("node").filter(pk=event_id).first()
    if event is None:
        raise Http404
    if not path_in_scope(actor, event.node.path):
        raise OutOfScope
    return event


def events_for_actor(actor) -> QuerySet[Event]:
    require(actor, CAP)
    return (Event.objects.select_related("node").filter(node__path__startswith=root_path(actor))
            .exclude(status="draft").annotate(gate_count=Count("gates")).order_by("-created_at", "-id"))


def gate_get_for_actor(actor, gate_id: int) -> Gate:
    require(actor, CAP)
    gate = Gate.objects.select_related("event", "event__node", "session").filter(pk=gate_id).first()
    if gate is None:
        raise Http404
    if not path_in_scope(actor, gate.event.node.path):
        raise OutOfScope
    return gate


@cache
def _gate_sql():
    from huigong.orgs.models import UnionNode

    gate, event, node, session = (Columns.of(Gate, "g"), Columns.of(Event, "e"), Columns.of(UnionNode, "n"),
                                  Columns.of(EventSession, "s"))
    q = connection.ops.quote_name
    sql = (f"SELECT {gate.select}, {event.select}, {node.select}, {session.select} FROM {q(Gate._meta.db_table)} g "
           f"JOIN {q(Event._meta.db_table)} e ON e.id = g.event_id JOIN {q(UnionNode._meta.db_table)} n ON n.id = e.node_id "
           f"LEFT JOIN {q(EventSession._meta.db_table)} s ON s.id = g.session_id WHERE g.id = %s")
    return sql, gate, event, node, session


def gate_for_scans(actor, gate_id: int) -> Gate:
    """gate_get_for_actor for the scans route, every gate's every scan: the same checks and the same gate
    (its event, the event's node and its session loaded with it), read by one precomposed statement (the
    ORM compiled the four-table select anew on each scan)."""
    require(actor, CAP)
    sql, gate_c, event_c, node_c, session_c = _gate_sql()
    row = fetch_one(sql, [gate_id])
    if row is None:
        raise Http404
    gate = gate_c.instance(row)
    at = len(gate_c.names)
    event = event_c.instance(row[at:])
    at += len(event_c.names)
    relate(event, "node", node_c.instance(row[at:]))
    at += len(node_c.names)
    relate(gate, "event", event)
    relate(gate, "session", session_c.instance(row[at:]) if gate.session_id is not None else None)
    if not path_in_scope(actor, event.node.path):
        raise OutOfScope
    return gate


def gates_for_actor(actor, *, event: Event | None = None) -> QuerySet[Gate]:
    require(actor, CAP)
    qs = Gate.objects.select_related("event", "session").filter(event__node__path__startswith=root_path(actor))
    return qs.filter(event=event) if event is not None else qs


def session_get_for_actor(actor, session_id: int) -> EventSession:
    require(actor, CAP)
    session = EventSession.objects.select_related("event", "event__node").filter(pk=session_id).first()
    if session is None:
        raise Http404
    if not path_in_scope(actor, session.event.node.path):
        raise OutOfScope
    return session


def scan_get_for_actor(actor, scan_id: int) -> Scan:
    require(actor, CAP)
    scan = Scan.objects.select_related("event", "event__node", "gate", "registration__person").filter(pk=scan_id).first()
    if scan is None:
        raise Http404
    if not path_in_scope(actor, scan.event.node.path):
        raise OutOfScope
    return scan


def scans_for_actor(actor, *, event: Event | None = None, gate: Gate | None = None, failed: bool = False,
                    flagged: bool = False, reason: str = "") -> QuerySet[Scan]:
    require(actor, CAP)
    qs = (Scan.objects.select_related("gate", "registration__person", "registration__session", "event")
          .filter(event__node__path__startswith=root_path(actor)))
    if event is not None:
        qs = qs.filter(event=event)
    if gate is not None:
        qs = qs.filter(gate=gate)
    if failed:
        qs = qs.filter(Q(result__in=[ScanResult.REFUSED, ScanResult.CONFLICT]) | Q(flagged=True))
    if flagged:
        qs = qs.filter(flagged=True)
    if reason:
        qs = qs.filter(reason=reason)
    return qs.order_by("-scanned_at", "-id")


def gate_counts(gate: Gate) -> dict:
    """Figures for the gate page's head: seats of its sessions, checked in, inside now."""
    sessions = [gate.session_id] if gate.session_id else list(gate.event.sessions.values_list("pk", flat=True))
    seats = Registration.objects.filter(session_id__in=sessions, status="granted").count()
    agg = CheckIn.objects.filter(session_id__in=sessions).aggregate(n=Count("pk"), inside=Count("pk", filter=Q(inside=True)))
    return {"seats": seats, "checked_in": agg["n"], "inside": agg["inside"]}


def gate_sessions(gate: Gate) -> list[EventSession]:
    if gate.session_id:
        return [gate.session]
    return list(gate.event.sessions.all())


def gate_keys(gate: Gate) -> dict[str, dict]:
    """What the gate page needs to verify tickets offline: each of its sessions' MAC keys (hex), never more."""
    return {str(s.pk): {"label": s.title, "keys": [k.hex() for k in ticket.session_keys(s.pk)]}
            for s in gate_sessions(gate)}


def seat_search(gate: Gate, q: str, *, limit: int = 20) -> list[Registration]:
    """Manual search at a gate: the gate's seats by name, pinyin, initials, or the ID number's masked tail
    (the last four characters the list already shows); no full number is taken here."""
    q = (q or "").strip()
    if not q:
        return []
    sessions = [s.pk for s in gate_sessions(gate)]
    qs = (Registration.objects.select_related("person", "session", "checkin", "lead__person")
          .filter(session_id__in=sessions).exclude(status__in=list(ENDED)))
    if q.isdigit() or (len(q) <= 4 and q[:-1].isdigit() and q[-1:].upper() == "X"):
        if len(q) > 4:
            return []
        qs = qs.filter(person__id_number_mask__endswith=q.upper())
    elif q.isascii():
        low = q.lower()
        qs = qs.filter(Q(person__name_pinyin__startswith=low) | Q(person__name_initials__startswith=low))
    else:
        qs = qs.filter(Q(person__name__contains=q) | Q(companion_name__contains=q))
    return list(qs.order_by("person__name_pinyin", "seq", "pk")[:limit])


def session_seats(session: EventSession) -> list[Registration]:
    """The paper list on screen: the session's granted seats with their check-in, by name."""
    return list(Registration.objects.select_related("person", "checkin", "lead__person")
                .filter(session=session, status="granted").order_by("person__name_pinyin", "seq", "pk"))


ROSTER_TTL = dt.timedelta(hours=12)  # the longest a phone keeps the masked roster
ROSTER_AFTER_END = dt.timedelta(hours=2)  # kept this long after the gate's last session ends
ROSTER_FIELDS = ["name_masked", "id_number_tail4"]


def gate_roster(gate: Gate, *, now: dt.datetime | None = None) -> dict:
    """The masked roster a gate keeps for offline admissions: per granted seat of its sessions the name
    masked (张*华) and the ID number's last four characters; never a full ID number or a phone. With
    `expires` (ISO): the earlier of now + 12 h and two hours after the gate's last session ends (at
    least an hour from now, so a late roster is still usable for the scan in front of the gate)."""
    now = now or timezone.now()
    sessions = gate_sessions(gate)
    seats = (Registration.objects.filter(session_id__in=[s.pk for s in sessions], status="granted")
             .values_list("pk", "seq", "companion_name", "person__name", "person__id_number_mask")
             .order_by("pk"))
    rows = {}
    for pk, seq, companion, name, id_mask in seats:
        if seq:
            rows[str(pk)] = [mask_name(companion) or "", ""]
        else:
            rows[str(pk)] = [mask_name(name), (id_mask or "")[-4:]]
    last_end = max((s.ends_at for s in sessions), default=now)
    expires = min(now + ROSTER_TTL, max(last_end + ROSTER_AFTER_END, now + dt.timedelta(hours=1)))
    return {"gate": gate.pk, "fetched": now.isoformat(), "expires": expires.isoformat(), "seats": rows}
