"""Check-in services: gates and their rules, scans (online, offline batches), manual and after-the-fact
check-in, review of flagged scans, automatic check-out.

Invariants (the database holds them; see models_checkin):
- a scan UUID is recorded once: re-sending a scan, or a whole batch, changes nothing and answers what
  was answered the first time;
- a seat is admitted at most once per rule: its first admission creates its CheckIn (UNIQUE seat); a
  later entry is a conditional UPDATE `… WHERE inside = false` allowed only at a gate with re-entry,
  numbered, and the admitted scan's (seat, entry number) is UNIQUE. Two gates scanning one ticket at
  the same moment: one UPDATE/INSERT wins, the other waits for its row lock, re-reads and refuses;
- a scan a gate decided offline is recorded with what the gate did: an admission the server cannot
  count (the seat already inside through another gate, a cancelled seat, a bad code) becomes a
  `conflict` or a refusal *flagged* for review, never a second admission.

Scans are their own log (who, which gate, when, what was read, the outcome: the Scan row, never changed
but by a review), so a single scan writes no audit event; a synced batch, a manual or bulk check-in,
a review and every change of a gate write one.
"""

from __future__ import annotations

import datetime as dt
import uuid as uuidlib
from dataclasses import dataclass
from functools import cache

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.core.audit import audit
from huigong.core.capacity.models import EntryStatus
from huigong.core.rawread import Columns, fetch_one, hot_cursor, relate
from huigong.core.scope import ensure_path_in_scope, require

from . import checkin_ticket as ticket
from .models import Approval, Event, EventSession, Registration
from .models_checkin import CheckIn, CheckInMethod, Gate, Scan, ScanKind, ScanReason, ScanResult

CAP = "event_checkin"
# A ticket opens this long before its session starts and closes this long after it ends.
TICKET_EARLY = dt.timedelta(hours=3)
TICKET_LATE = dt.timedelta(hours=2)
# An offline gate's clock may be off; a scan time further in the future than this is taken as now.
CLOCK_SKEW = dt.timedelta(minutes=10)
MAX_BATCH = 1000
SYNC_CHUNK = 100
ENDED = {EntryStatus.CANCELLED, EntryStatus.DECLINED, EntryStatus.EXPIRED, EntryStatus.NO_SHOW, EntryStatus.LOST}


def admissible(reg: Registration) -> bool:
    """A seat a gate lets in: granted (an offered place not yet claimed is not a seat) and approved
    where the event needs its union's approval."""
    return reg.status == EntryStatus.GRANTED and reg.approval in (Approval.NONE, Approval.APPROVED)


def ticket_code(reg: Registration) -> str:
    """The signed code of a seat (the QR on the worker's phone)."""
    s = reg.session
    return ticket.issue(registration_id=reg.pk, session_id=s.pk, nonce=ticket.nonce_of(reg.ticket),
                        valid_from=s.starts_at - TICKET_EARLY, valid_until=s.ends_at + TICKET_LATE)


# --- gates ---------------------------------------------------------------------------------------------

def _check_event(actor, event: Event) -> None:
    require(actor, CAP)
    ensure_path_in_scope(actor, event.node.path)


def _gate_values(gate: Gate) -> dict:
    return {"name": gate.name, "session": gate.session_id, "allows_reentry": gate.allows_reentry,
            "scans_exits": gate.scans_exits, "is_active": gate.is_active,
            "auto_checkout_at": gate.auto_checkout_at.isoformat() if gate.auto_checkout_at else None}


def _validate_gate(event: Event, *, name: str, session: EventSession | None, exclude: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写签到口名称")})
    if session is not None and session.event_id != event.pk:
        raise ValidationError({"session": _("所选场次不属于本活动")})
    if Gate.objects.filter(event=event, name=name).exclude(pk=exclude).exists():
        raise ValidationError({"name": _("本活动已有同名签到口：%(name)s") % {"name": name}})
    return name


@transaction.atomic
def gate_create(*, actor, event: Event, name: str, session: EventSession | None = None, allows_reentry: bool = False,
                scans_exits: bool = False, auto_checkout_at: dt.time | None = None) -> Gate:
    _check_event(actor, event)
    name = _validate_gate(event, name=name, session=session)
    gate = Gate.objects.create(event=event, name=name, session=session, allows_reentry=allows_reentry,
                               scans_exits=scans_exits, auto_checkout_at=auto_checkout_at, created_by=actor)
    audit(actor=actor, verb="activities.gate_create", obj=gate, node_path=event.node.path, new=_gate_values(gate))
    return gate


@transaction.atomic
def gate_update(*, actor, gate: Gate, name: str, session: EventSession | None, allows_reentry: bool,
                scans_exits: bool, auto_checkout_at: dt.time | None, is_active: bool) -> Gate:
    _check_event(actor, gate.event)
    old = _gate_values(gate)
    gate.name = _validate_gate(gate.event, name=name, session=session, exclude=gate.pk)
    gate.session, gate.allows_reentry, gate.scans_exits = session, allows_reentry, scans_exits
    gate.auto_checkout_at, gate.is_active = auto_checkout_at, is_active
    gate.save()
    new = _gate_values(gate)
    changed = {k for k in new if new[k] != old[k]}
    if changed:
        audit(actor=actor, verb="activities.gate_update", obj=gate, node_path=gate.event.node.path,
              old={k: old[k] for k in changed}, new={k: new[k] for k in changed})
    return gate


# --- scans ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ScanIn:
    uuid: uuidlib.UUID
    code: str
    kind: str = ScanKind.ENTRY
    scanned_at: dt.datetime | None = None
    offline: bool = False
    local_result: str = ""  # what an offline gate did: admitted | exited | refused
    local_reason: str = ""


class _Refused(Exception):
    def __init__(self, reason: str):
        self.reason = reason


def _when(item: ScanIn, now: dt.datetime) -> dt.datetime:
    if item.scanned_at is None:
        return now
    at = item.scanned_at if timezone.is_aware(item.scanned_at) else timezone.make_aware(item.scanned_at)
    return now if at > now + CLOCK_SKEW else min(at, now)


# The first admission: the seat's attendance row, unless it has one, and the seat's check-in time, in one
# statement (one round trip on the hot path of a gate).
_INSERT_CHECKIN = """
WITH ins AS (
    INSERT INTO activities_checkin (registration_id, session_id, first_gate_id, last_gate_id, method, first_in_at,
                                    last_in_at, inside, auto_checked_out, entries)
    VALUES (%s, %s, %s, %s, %s, %s, %s, true, false, 1)
    ON CONFLICT (registration_id) DO NOTHING
    RETURNING registration_id, entries
), stamp AS (
    UPDATE activities_registration SET checked_in_at = %s
    WHERE id IN (SELECT registration_id FROM ins) AND checked_in_at IS NULL
)
SELECT entries FROM ins
"""
# SQLite has no data-modifying CTE: the same two steps, one after the other, in the same transaction.
_INSERT_CHECKIN_PLAIN = """
INSERT INTO activities_checkin (registration_id, session_id, first_gate_id, last_gate_id, method, first_in_at,
                                last_in_at, inside, auto_checked_out, entries)
VALUES (%s, %s, %s, %s, %s, %s, %s, true, false, 1)
ON CONFLICT (registration_id) DO NOTHING
RETURNING entries
"""
_REENTER = """
UPDATE activities_checkin SET inside = true, entries = entries + 1, last_in_at = %s, last_gate_id = %s,
       auto_checked_out = false
WHERE registration_id = %s AND inside = false
RETURNING entries
"""
_EXIT = """
UPDATE activities_checkin SET inside = false, last_out_at = %s, last_gate_id = %s
WHERE registration_id = %s AND inside = true
RETURNING entries
"""


def _admit(cur, gate: Gate | None, reg: Registration, when: dt.datetime, method: str) -> int:
    """The seat's entry number when this admission counts, else _Refused. Inside the caller's transaction."""
    values = [reg.pk, reg.session_id, gate.pk if gate else None, gate.pk if gate else None, method, when, when]
    if connection.vendor == "postgresql":
        cur.execute(_INSERT_CHECKIN, [*values, when])
        row = cur.fetchone()
    else:
        cur.execute(_INSERT_CHECKIN_PLAIN, values)
        row = cur.fetchone()
        if row is not None:
            cur.execute("UPDATE activities_registration SET checked_in_at = %s WHERE id = %s AND checked_in_at IS NULL",
                        [when, reg.pk])
    if row is not None:
        return row[0]
    if gate is not None and gate.allows_reentry:
        cur.execute(_REENTER, [when, gate.pk, reg.pk])
        row = cur.fetchone()
        if row is not None:
            return row[0]
    cur.execute("SELECT inside FROM activities_checkin WHERE registration_id = %s", [reg.pk])
    inside = cur.fetchone()[0]
    raise _Refused(ScanReason.ALREADY_INSIDE if inside else ScanReason.NO_REENTRY)


def _exit(cur, gate: Gate, reg: Registration, when: dt.datetime) -> None:
    if not gate.scans_exits:
        raise _Refused(ScanReason.NO_EXITS)
    cur.execute(_EXIT, [when, gate.pk, reg.pk])
    if cur.fetchone() is None:
        raise _Refused(ScanReason.NOT_INSIDE)


@cache
def _seat_sql():
    from huigong.members.models import Person

    reg, session, person = Columns.of(Registration, "r"), Columns.of(EventSession, "s"), Columns.of(Person, "p")
    q = connection.ops.quote_name
    sql = (f"SELECT {reg.select}, {session.select}, {person.select} FROM {q(Registration._meta.db_table)} r "
           f"JOIN {q(EventSession._meta.db_table)} s ON s.id = r.session_id "
           f"JOIN {q(Person._meta.db_table)} p ON p.id = r.person_id WHERE r.id = %s")
    return sql, reg, session, person


def _seat(registration_id: int) -> Registration | None:
    """The seat a ticket names with its session and person, as select_related("session", "person") loads
    it, by one precomposed statement (every online scan reads one)."""
    sql, reg_c, session_c, person_c = _seat_sql()
    row = fetch_one(sql, [registration_id])
    if row is None:
        return None
    reg = reg_c.instance(row)
    at = len(reg_c.names)
    relate(reg, "session", session_c.instance(row[at:]))
    relate(reg, "person", person_c.instance(row[at + len(session_c.names):]))
    return reg


def _registration(gate: Gate, t: ticket.Ticket, regs: dict | None) -> Registration:
    reg = regs.get(t.registration_id) if regs is not None else _seat(t.registration_id)
    if reg is None or reg.session_id != t.session_id:
        raise _Refused(ScanReason.UNKNOWN)
    if reg.session.event_id != gate.event_id:
        raise _Refused(ScanReason.WRONG_EVENT)
    if gate.session_id and reg.session_id != gate.session_id:
        raise _Refused(ScanReason.WRONG_SESSION)
    if ticket.nonce_of(reg.ticket) != t.nonce:
        raise _Refused(ScanReason.REVOKED)
    return reg


def _seat_ok(reg: Registration) -> None:
    if reg.status in ENDED or reg.approval == Approval.REJECTED:
        raise _Refused(ScanReason.CANCELLED)
    if not admissible(reg):
        raise _Refused(ScanReason.NOT_CONFIRMED)


def _judge(gate: Gate, item: ScanIn, code: str, when: dt.datetime, regs: dict | None) -> tuple[Registration | None, str]:
    """What a scan's code, seat and gate say before the seat's attendance is touched: (the seat or None,
    the refusal reason or "" when the seat's attendance decides). Reads nothing but `regs` (or one row
    when `regs` is None); the online scan and the offline batch both judge through here."""
    reg = None
    try:
        if not gate.is_active:
            raise _Refused(ScanReason.GATE_CLOSED)
        try:
            t = ticket.read(code)
        except ticket.TicketError as e:
            raise _Refused(e.reason) from None
        reg = _registration(gate, t, regs)
        try:
            ticket.check_time(t, when)
        except ticket.TicketError as e:
            raise _Refused(e.reason) from None
        _seat_ok(reg)
        if item.offline and item.local_result not in (ScanResult.ADMITTED, ScanResult.EXITED):
            # The gate turned them away: nothing to count, whatever the server would have said.
            raise _Refused(item.local_reason if item.local_reason in ScanReason.values else ScanReason.MALFORMED)
    except _Refused as r:
        return reg, r.reason
    return reg, ""


def _scan_row(actor, gate: Gate, item: ScanIn, *, reg, code: str, when, result: str, reason: str, entry_no,
              flagged: bool) -> Scan:
    return Scan(uuid=item.uuid, gate=gate, event_id=gate.event_id, registration=reg, kind=item.kind,
                method=CheckInMethod.SCAN, result=result, reason=reason, entry_no=entry_no, code_tail=code[-12:],
                scanned_at=when, offline=item.offline, local_result=item.local_result[:9], flagged=flagged,
                actor=actor)


# An online entry scan that admits, in one statement: the seat's attendance row unless it has one, the seat's
# check-in time and the scan's row (entry 1). No row back: the seat has an attendance row already, and the
# seat's rules decide (_record). A UUID recorded before fails the whole statement, which writes nothing.
_ADMIT_AND_LOG = """
WITH ins AS (
    INSERT INTO activities_checkin (registration_id, session_id, first_gate_id, last_gate_id, method, first_in_at,
                                    last_in_at, inside, auto_checked_out, entries)
    VALUES (%(reg)s, %(session)s, %(gate)s, %(gate)s, %(method)s, %(at)s, %(at)s, true, false, 1)
    ON CONFLICT (registration_id) DO NOTHING
    RETURNING registration_id, entries
), stamp AS (
    UPDATE activities_registration SET checked_in_at = %(at)s
    WHERE id IN (SELECT registration_id FROM ins) AND checked_in_at IS NULL
)
INSERT INTO activities_scan (uuid, gate_id, event_id, registration_id, kind, method, result, reason, entry_no, code_tail,
                             scanned_at, received_at, offline, local_result, flagged, review_note, actor_id)
SELECT %(uuid)s, %(gate)s, %(event)s, registration_id, %(kind)s, %(method)s, %(result)s, '', entries, %(tail)s,
       %(at)s, %(received)s, %(offline)s, %(local)s, false, '', %(actor)s
FROM ins
RETURNING id
"""


def _admit_at_once(actor, gate: Gate, item: ScanIn, reg: Registration, code: str, when: dt.datetime) -> Scan | None:
    """The first admission of a seat with its scan row in one statement (PostgreSQL, outside a transaction:
    the statement is its own); None when the seat has an attendance row (nothing written)."""
    received = timezone.now()
    params = {"reg": reg.pk, "session": reg.session_id, "gate": gate.pk, "event": gate.event_id, "at": when,
              "method": CheckInMethod.SCAN, "uuid": item.uuid, "kind": item.kind, "result": ScanResult.ADMITTED,
              "tail": code[-12:], "received": received, "offline": item.offline, "local": item.local_result[:9],
              "actor": actor.pk}
    with hot_cursor() as cur:
        cur.execute(_ADMIT_AND_LOG, params)
        row = cur.fetchone()
    if row is None:
        return None
    scan = _scan_row(actor, gate, item, reg=reg, code=code, when=when, result=ScanResult.ADMITTED, reason="",
                     entry_no=1, flagged=False)
    scan.pk, scan.received_at = row[0], received
    scan._state.adding, scan._state.db = False, "default"
    return scan


def _record_online(actor, gate: Gate, item: ScanIn, now: dt.datetime) -> Scan:
    """An online scan: a first admission in one statement where it can be (_admit_at_once), else _record."""
    if item.kind != ScanKind.ENTRY or item.offline or connection.vendor != "postgresql" or connection.in_atomic_block:
        return _record(actor, gate, item, now)
    when = _when(item, now)
    code = ticket.normalise(item.code)
    reg, reason = _judge(gate, item, code, when, None)
    if reason:  # judged again there, with the seat read again: refusals are not the hot path
        return _record(actor, gate, item, now)
    try:
        scan = _admit_at_once(actor, gate, item, reg, code, when)
    except IntegrityError:  # this UUID was recorded before: that scan counts (_record answers it)
        scan = None
    return scan or _record(actor, gate, item, now, {reg.pk: reg})


def _record(actor, gate: Gate, item: ScanIn, now: dt.datetime, regs: dict | None = None) -> Scan:
    when = _when(item, now)
    entry_no = None
    code = ticket.normalise(item.code)
    try:
        with transaction.atomic():
            reg, reason = _judge(gate, item, code, when, regs)
            if reason:
                result = ScanResult.REFUSED
            else:
                try:
                    with connection.cursor() as cur:
                        if item.kind == ScanKind.EXIT:
                            _exit(cur, gate, reg, when)
                            result, reason = ScanResult.EXITED, ""
                        else:
                            entry_no = _admit(cur, gate, reg, when, CheckInMethod.SCAN)
                            result, reason = ScanResult.ADMITTED, ""
                except _Refused as r:
                    result, reason = ScanResult.REFUSED, r.reason
            flagged = item.offline and item.local_result == ScanResult.ADMITTED and result != ScanResult.ADMITTED
            if flagged and reason in (ScanReason.ALREADY_INSIDE, ScanReason.NO_REENTRY):
                result, reason = ScanResult.CONFLICT, ScanReason.OFFLINE_DUPLICATE
                # The admission it collides with (another gate's, or an earlier one) is flagged too, so
                # the review sees both sides of it.
                Scan.objects.filter(pk=Scan.objects.filter(registration=reg, result=ScanResult.ADMITTED)
                                    .order_by("-entry_no").values("pk")[:1]).update(flagged=True)
            scan = _scan_row(actor, gate, item, reg=reg, code=code, when=when, result=result, reason=reason,
                             entry_no=entry_no, flagged=flagged)
            scan.save(force_insert=True)
            return scan
    except IntegrityError:
        # The same UUID, recorded meanwhile by another upload of this scan: that one counts, and this
        # attempt's changes were rolled back with the savepoint.
        existing = Scan.objects.select_related("registration__person").filter(uuid=item.uuid).first()
        if existing is None:
            raise
        return existing


def _check_gate(actor, gate: Gate) -> None:
    require(actor, CAP)
    ensure_path_in_scope(actor, gate.event.node.path)


def scan_record(*, actor, gate: Gate, item: ScanIn) -> Scan:
    """One scan, online: the gate's answer. Idempotent by `item.uuid`."""
    _check_gate(actor, gate)
    # No look-up first: a UUID seen before fails the scan's INSERT (UNIQUE), which rolls this attempt back
    # and answers the recorded scan (_record), so a new scan costs no extra round trip.
    return _record_online(actor, gate, item, timezone.now())


# The first admissions of a batch's seats, in one statement: each seat's attendance row unless it has one
# (in seat order, so two batches lock in the same order) and its check-in time; the seats admitted come back.
_INSERT_CHECKINS = """
WITH v AS (
    SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[]) AS v(registration_id, session_id, at)
), ins AS (
    INSERT INTO activities_checkin (registration_id, session_id, first_gate_id, last_gate_id, method, first_in_at,
                                    last_in_at, inside, auto_checked_out, entries)
    SELECT registration_id, session_id, %s, %s, %s, at, at, true, false, 1 FROM v ORDER BY registration_id
    ON CONFLICT (registration_id) DO NOTHING
    RETURNING registration_id, first_in_at
), stamp AS (
    UPDATE activities_registration r SET checked_in_at = ins.first_in_at FROM ins
    WHERE r.id = ins.registration_id AND r.checked_in_at IS NULL
)
SELECT registration_id FROM ins
"""


def _sync_at_once(actor, gate: Gate, todo: list[ScanIn], now: dt.datetime, regs: dict) -> tuple[dict, list[ScanIn]]:
    """The bulk of an offline queue in a few statements: the scans whose answer needs no seat state (refused
    by the code, the seat or the gate's own verdict) and each seat's first admission when the seat has no
    attendance row yet and is read once in the batch. Returns the scans recorded and the items left for
    the scan-at-a-time path (exits, seats read more than once or already inside, and anything that
    raced another gate or another upload of the same scans: the UNIQUE keys send those back whole)."""
    judged, rest = [], []
    per_seat: dict[int, int] = {}
    for item in todo:
        code = ticket.normalise(item.code)
        when = _when(item, now)
        reg, reason = _judge(gate, item, code, when, regs)
        judged.append((item, code, when, reg, reason))
        if not reason:
            per_seat[reg.pk] = per_seat.get(reg.pk, 0) + 1
    seats = [r for r, n in per_seat.items() if n == 1]
    inside = set(CheckIn.objects.filter(registration_id__in=seats).values_list("registration_id", flat=True)) if seats else set()
    rows, admit = [], {}
    for item, code, when, reg, reason in judged:
        if reason:
            flagged = item.offline and item.local_result == ScanResult.ADMITTED
            rows.append(_scan_row(actor, gate, item, reg=reg, code=code, when=when, result=ScanResult.REFUSED,
                                  reason=reason, entry_no=None, flagged=flagged))
        elif item.kind == ScanKind.ENTRY and per_seat[reg.pk] == 1 and reg.pk not in inside:
            admit[reg.pk] = (item, code, when, reg)
        else:
            rest.append(item)
    if not rows and not admit:
        return {}, rest
    try:
        with transaction.atomic():
            if admit:
                ids = sorted(admit)
                with connection.cursor() as cur:
                    cur.execute(_INSERT_CHECKINS, [ids, [admit[i][3].session_id for i in ids], [admit[i][2] for i in ids],
                                                   gate.pk, gate.pk, CheckInMethod.SCAN])
                    won = {r[0] for r in cur.fetchall()}
                for i in ids:
                    item, code, when, reg = admit[i]
                    if i in won:
                        rows.append(_scan_row(actor, gate, item, reg=reg, code=code, when=when,
                                              result=ScanResult.ADMITTED, reason="", entry_no=1, flagged=False))
                    else:  # another gate admitted the seat since the look-up: the seat's rules decide, one by one
                        rest.append(item)
            Scan.objects.bulk_create(rows)
    except (IntegrityError, OperationalError):
        # A scan recorded meanwhile by another upload of this queue (UNIQUE uuid), or a deadlock: nothing of
        # this attempt stays, and every scan takes the one-at-a-time path, which answers each exactly.
        return {}, todo
    return {r.uuid: r for r in rows}, rest


def scans_sync(*, actor, gate: Gate, items: list[ScanIn]) -> list[Scan]:
    """A gate's queue: each scan recorded once, in the order they were read. Scans already recorded come
    back as they were; a batch sent again changes nothing.

    Most of a queue is recorded at once (_sync_at_once: refusals, and first admissions of seats read once
    and not yet inside, in one statement with the attendance rows' UNIQUE seat as backstop); what is left
    (exits, re-entries, seats read several times, conflicts with other gates) goes a scan at a time in
    the order read, SYNC_CHUNK scans per commit (each in its own savepoint), so a long batch holds another
    gate's seats for one chunk at most; a chunk PostgreSQL picks as a deadlock victim is redone a scan at a
    time. The two parts concern different seats, so the order between them changes no answer."""
    _check_gate(actor, gate)
    if len(items) > MAX_BATCH:
        raise ValidationError({"scans": _("每批最多 %(n)d 条扫码记录") % {"n": MAX_BATCH}})
    known = {s.uuid: s for s in Scan.objects.select_related("registration__person")
             .filter(uuid__in=[i.uuid for i in items])}
    todo, seen = [], set()
    for i in sorted((i for i in items if i.uuid not in known), key=lambda i: i.scanned_at or timezone.now()):
        if i.uuid not in seen:  # the same scan twice in one batch: the first counts
            seen.add(i.uuid)
            todo.append(i)
    ids = set()
    for i in todo:
        peeked = ticket.peek(i.code)
        if peeked:
            ids.add(peeked[0])
    regs = Registration.objects.select_related("session", "person").in_bulk(ids) if ids else {}
    now = timezone.now()
    recorded, rest = _sync_at_once(actor, gate, todo, now, regs) if connection.vendor == "postgresql" else ({}, todo)
    for start in range(0, len(rest), SYNC_CHUNK):
        chunk = rest[start:start + SYNC_CHUNK]
        try:
            with transaction.atomic():
                done = {i.uuid: _record(actor, gate, i, now, regs) for i in chunk}
        except OperationalError:
            done = {i.uuid: _record(actor, gate, i, now, regs) for i in chunk}
        recorded.update(done)
    if todo:
        new = list(recorded.values())
        audit(actor=actor, verb="activities.scans_sync", obj=gate, node_path=gate.event.node.path,
              new={"scans": len(new), "admitted": sum(s.result == ScanResult.ADMITTED for s in new),
                   "flagged": sum(s.flagged for s in new), "repeated": sum(i.uuid in known for i in items)})
    return [known.get(i.uuid) or recorded[i.uuid] for i in items]


# --- manual and after-the-fact check-in ----------------------------------------------------------------

@transaction.atomic
def checkin_manual(*, actor, gate: Gate, registration: Registration) -> Scan:
    """A gate's staff found the seat by name (a worker without a phone): the seat's rules as for a scan,
    without the ticket's time window (staff see the person)."""
    _check_gate(actor, gate)
    now = timezone.now()
    reg = Registration.objects.select_related("session").get(pk=registration.pk)
    entry_no = None
    try:
        if not gate.is_active:
            raise _Refused(ScanReason.GATE_CLOSED)
        if reg.session.event_id != gate.event_id:
            raise _Refused(ScanReason.WRONG_EVENT)
        if gate.session_id and reg.session_id != gate.session_id:
            raise _Refused(ScanReason.WRONG_SESSION)
        _seat_ok(reg)
        with transaction.atomic(), connection.cursor() as cur:
            entry_no = _admit(cur, gate, reg, now, CheckInMethod.MANUAL)
        result, reason = ScanResult.ADMITTED, ""
    except _Refused as r:
        result, reason = ScanResult.REFUSED, r.reason
    scan = Scan.objects.create(uuid=uuidlib.uuid4(), gate=gate, event_id=gate.event_id, registration=reg,
                               method=CheckInMethod.MANUAL, result=result, reason=reason, entry_no=entry_no,
                               scanned_at=now, actor=actor)
    audit(actor=actor, verb="activities.checkin_manual", obj=reg, node_path=gate.event.node.path,
          new={"gate": gate.pk, "result": result, "reason": reason})
    return scan


@dataclass
class BulkOutcome:
    checked_in: list[Registration]
    already: list[Registration]


@transaction.atomic
def checkin_bulk(*, actor, session: EventSession, registrations: list[Registration], at: dt.datetime | None = None,
                 source: str = "list") -> BulkOutcome:
    """After the event, from the paper list (ticked on screen or uploaded): every seat given is checked in
    at `at` (default: the session's start), or nothing is — a seat of another session or not admissible
    refuses the whole list, naming it. Seats already checked in are left as they are."""
    _check_event(actor, session.event)
    at = at or session.starts_at
    if at < session.starts_at - TICKET_EARLY or at > session.ends_at + TICKET_LATE:
        raise ValidationError({"at": _("签到时间须在场次时间内")})
    regs = list(Registration.objects.select_related("person").select_for_update(of=("self",))
                .filter(pk__in=[r.pk for r in registrations]).order_by("pk"))
    errors = []
    for reg in regs:
        if reg.session_id != session.pk:
            errors.append(_("%(name)s 不是本场次的报名") % {"name": reg.person.name})
        elif not admissible(reg):
            errors.append(_("%(name)s 的报名状态为“%(status)s”，不能签到")
                          % {"name": reg.person.name, "status": reg.get_status_display()})
    if errors:
        raise ValidationError({"registrations": errors})
    done = set(CheckIn.objects.filter(registration__in=regs).values_list("registration_id", flat=True))
    new = [r for r in regs if r.pk not in done]
    CheckIn.objects.bulk_create([CheckIn(registration=r, session=session, method=CheckInMethod.BULK, first_in_at=at,
                                         last_in_at=at, inside=False, entries=1) for r in new])
    Scan.objects.bulk_create([Scan(uuid=uuidlib.uuid4(), event_id=session.event_id, registration=r,
                                   method=CheckInMethod.BULK, result=ScanResult.ADMITTED, entry_no=1, scanned_at=at,
                                   actor=actor) for r in new])
    Registration.objects.filter(pk__in=[r.pk for r in new], checked_in_at__isnull=True).update(checked_in_at=at)
    audit(actor=actor, verb="activities.checkin_bulk", obj=session, node_path=session.event.node.path,
          new={"source": source, "at": at.isoformat(), "checked_in": [r.pk for r in new],
               "already": sorted(done)})
    return BulkOutcome(checked_in=new, already=[r for r in regs if r.pk in done])


# The paper list as a sheet: a seat per row, by its number, or by name and the ID number's last four.
# The English UI names the English headers, so both are read.
SHEET_ID = ("报名编号", "编号", "registrationnumber")
SHEET_NAME = ("姓名", "name")
SHEET_TAIL = ("身份证后四位", "身份证号后四位", "证件号后四位", "idlastfour")


def bulk_sheet_read(*, session: EventSession, data: bytes) -> list[Registration]:
    """The seats a paper-list sheet names (each row: 报名编号, or 姓名 and 身份证后四位). Every problem is
    named by its row; any problem refuses the sheet."""
    from huigong.core import banksheet

    rows, head = banksheet.first_sheet_rows(data)

    def col(names):
        return next((head.index(n) for n in names if n in head), None)

    c_id, c_name, c_tail = col(SHEET_ID), col(SHEET_NAME), col(SHEET_TAIL)
    if c_id is None and (c_name is None or c_tail is None):
        raise ValidationError({"upload": _("表头须含“报名编号”，或“姓名”和“身份证后四位”")})
    seats = list(Registration.objects.select_related("person").filter(session=session))
    by_id = {r.pk: r for r in seats}
    by_name_tail: dict[tuple[str, str], list[Registration]] = {}
    for r in seats:
        if r.seq == 0:
            by_name_tail.setdefault((r.person.name, r.person.id_number_mask[-4:].upper()), []).append(r)
    out, errors, seen = [], [], set()
    for n, row in enumerate(rows[1:], start=2):
        row = list(row) + [""] * (len(head) - len(row))
        rid = banksheet.cell(row[c_id]) if c_id is not None else ""
        name = banksheet.cell(row[c_name]) if c_name is not None else ""
        tail = banksheet.cell(row[c_tail]).upper() if c_tail is not None else ""
        if not (rid or name or tail):
            continue
        if rid:
            reg = by_id.get(int(rid)) if rid.isdigit() else None
            if reg is None:
                errors.append(_("第 %(row)d 行：报名编号 %(id)s 不是本场次的报名") % {"row": n, "id": rid})
                continue
        else:
            found = [r for r in by_name_tail.get((name, tail), []) if r.status not in ENDED]
            if len(found) != 1:
                errors.append(_("第 %(row)d 行：找不到姓名为 %(name)s、身份证后四位为 %(tail)s 的报名") % {
                    "row": n, "name": name or "—", "tail": tail or "—"} if not found else
                    _("第 %(row)d 行：%(name)s（…%(tail)s）有多条报名，请填写报名编号") % {"row": n, "name": name, "tail": tail})
                continue
            reg = found[0]
        if reg.pk in seen:
            errors.append(_("第 %(row)d 行：与前面的行重复") % {"row": n})
            continue
        seen.add(reg.pk)
        out.append(reg)
    if errors:
        raise ValidationError({"upload": errors})
    if not out:
        raise ValidationError({"upload": _("表格中没有可签到的行")})
    return out


# --- review and automatic check-out -------------------------------------------------------------------

@transaction.atomic
def scan_review(*, actor, scan: Scan, note: str) -> Scan:
    """Staff looked into a flagged scan (e.g. the same ticket at two offline gates) and say what they found."""
    _check_event(actor, scan.event)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请填写核查说明")})
    updated = Scan.objects.filter(pk=scan.pk, flagged=True, reviewed_at__isnull=True).update(
        reviewed_by=actor, reviewed_at=timezone.now(), review_note=note[:200])
    if not updated:
        raise ValidationError({"note": _("该记录已核查过或无需核查")})
    audit(actor=actor, verb="activities.scan_review", obj=scan, node_path=scan.event.node.path, new={"note": note[:200]})
    scan.refresh_from_db()
    return scan


def auto_checkout(now: dt.datetime | None = None) -> int:
    """The periodic job: seats still inside whose last gate checks out automatically at a time of day that
    has passed (today, local time, after they came in) are let out at that time. Idempotent."""
    now = now or timezone.localtime()
    total = 0
    for gate in Gate.objects.filter(auto_checkout_at__isnull=False, is_active=True):
        cutoff = timezone.make_aware(dt.datetime.combine(timezone.localtime(now).date(), gate.auto_checkout_at))
        if cutoff > now:
            cutoff -= dt.timedelta(days=1)  # yesterday's time, for those still inside since before it
        total += CheckIn.objects.filter(last_gate=gate, inside=True, last_in_at__lt=cutoff).update(
            inside=False, last_out_at=cutoff, auto_checked_out=True)
    return total
