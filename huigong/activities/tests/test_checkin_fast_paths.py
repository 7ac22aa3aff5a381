"""The check-in's fast paths answer and write exactly what the scan-at-a-time path does.

- An offline queue is mostly recorded at once (checkin_services._sync_at_once: refusals, and the first
  admissions of seats read once, in one statement). A property test sends random queues (valid, expired,
  forged and cancelled codes, entries and exits, online and offline verdicts, repeated UUIDs, seats
  already inside, a plain gate and one with re-entry and exits) through it and through the
  scan-at-a-time path alone, from the same state, and requires the same answers, the same scan rows,
  the same attendance rows, check-in times and audit record.
- An online scan that admits writes its attendance row, the seat's time and its scan row in one
  statement (_admit_at_once, outside a transaction): test_checkin_race_pg.py compares its rows with
  those _record writes.
"""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from huigong.activities import checkin_services as svc
from huigong.activities import checkin_ticket as ticket
from huigong.activities.models import Registration
from huigong.activities.models_checkin import CheckIn, Scan
from huigong.core.models import AuditEvent

from .checkin_world import gate, make_event, scan_in, seat


@pytest.fixture(scope="module")
def _world(module_world):
    def build():
        from huigong.testing import Cast, make_member

        w = Cast().build()
        w.event = make_event(w.city_admin, w.xihu)
        w.session = w.event.sessions.get()
        w.plain = gate(w.city_admin, w.event, "北门")
        w.open = gate(w.city_admin, w.event, "南门", allows_reentry=True, scans_exits=True)
        w.reg = seat(w.session, w.member)
        w.rider_reg = seat(w.session, w.rider)
        w.companion = seat(w.session, w.member, seq=1, lead=w.reg, companion_name="李小明")
        w.gone = seat(w.session, make_member(w.city_admin, w.tech, "周取消", employer=w.enterprise), status="cancelled")
        return w

    return module_world(build)


@pytest.fixture
def w(_world, db):
    return copy.deepcopy(_world)


def _code(reg):
    return svc.ticket_code(Registration.objects.select_related("session").get(pk=reg.pk))


def _codes(w):
    now = timezone.now()
    expired = ticket.issue(registration_id=w.reg.pk, session_id=w.session.pk, nonce=ticket.nonce_of(w.reg.ticket),
                           valid_from=now - dt.timedelta(hours=6), valid_until=now - dt.timedelta(hours=5))
    forged = _code(w.rider_reg)[:-3] + "AAA"
    return [_code(w.reg), _code(w.rider_reg), _code(w.companion), _code(w.gone), expired, forged, "HGT1NOTACODE"]


def _state(w, out):
    answers = [(s.uuid, s.result, s.reason, s.entry_no, s.flagged, s.registration_id, s.scanned_at) for s in out]
    scans = sorted(Scan.objects.filter(event=w.event).values_list(
        "uuid", "gate_id", "registration_id", "kind", "method", "result", "reason", "entry_no", "code_tail",
        "scanned_at", "offline", "local_result", "flagged", "actor_id"))
    checkins = sorted(CheckIn.objects.filter(session=w.session).values_list(
        "registration_id", "first_gate_id", "last_gate_id", "method", "first_in_at", "last_in_at", "last_out_at",
        "inside", "entries"))
    stamps = sorted(Registration.objects.filter(session=w.session).values_list("id", "checked_in_at"))
    audit = list(AuditEvent.objects.filter(verb="activities.scans_sync").values_list("new", flat=True))
    return answers, scans, checkins, stamps, audit


def _run(w, gate_, items, inside, *, at_once: bool):
    """The queue through scans_sync from the same start (seats in `inside` admitted online first), inside a
    savepoint rolled back afterwards; the answers and every row it wrote."""
    saved = svc._sync_at_once
    with transaction.atomic():
        if not at_once:
            svc._sync_at_once = lambda actor, gate, todo, now, regs: ({}, todo)
        try:
            for item in inside:
                svc.scan_record(actor=w.district_staff, gate=w.plain, item=item)
            out = svc.scans_sync(actor=w.district_staff, gate=gate_, items=items)
            state = _state(w, out)
        finally:
            svc._sync_at_once = saved
        transaction.set_rollback(True)
    return state


ITEM = st.tuples(st.integers(0, 6), st.sampled_from(["entry", "entry", "exit"]), st.booleans(),
                 st.sampled_from(["admitted", "refused", "exited"]), st.integers(0, 3))


@settings(max_examples=30, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=st.lists(ITEM, min_size=1, max_size=9), open_gate=st.booleans(),
       inside=st.sets(st.integers(0, 2), max_size=2))
def test_a_queue_recorded_at_once_is_what_the_scan_at_a_time_path_records(w, spec, open_gate, inside):
    codes = _codes(w)
    start = timezone.now() - dt.timedelta(minutes=20)
    items = []
    for i, (c, kind, offline, local, again) in enumerate(spec):
        if again == 0 and items:  # the same scan (UUID) twice in one queue
            items.append(items[-1])
            continue
        items.append(scan_in(codes[c], kind=kind, offline=offline, local=local if offline else "",
                             local_reason="expired" if local == "refused" else "", at=start + dt.timedelta(seconds=i)))
    first = [scan_in(codes[i], at=start - dt.timedelta(minutes=1)) for i in sorted(inside)]  # seats inside already
    g = w.open if open_gate else w.plain
    fast = _run(w, g, items, first, at_once=True)
    slow = _run(w, g, items, first, at_once=False)
    assert fast == slow


def test_a_whole_queue_of_first_admissions_takes_a_handful_of_statements(w, django_assert_max_num_queries):
    from huigong.testing import make_member

    seats = [seat(w.session, make_member(w.city_admin, w.tech, f"批量{i}", employer=w.enterprise)) for i in range(40)]
    items = [scan_in(_code(r), offline=True, local="admitted") for r in seats]
    with django_assert_max_num_queries(12):  # not one (or several) per scan
        out = svc.scans_sync(actor=w.district_staff, gate=w.plain, items=items)
    assert [s.result for s in out] == ["admitted"] * 40 and all(s.entry_no == 1 for s in out)
    assert CheckIn.objects.filter(registration__in=seats).count() == 40
    assert not Registration.objects.filter(pk__in=[r.pk for r in seats], checked_in_at__isnull=True).exists()
    again = svc.scans_sync(actor=w.district_staff, gate=w.plain, items=items)
    assert [(s.pk, s.result) for s in again] == [(s.pk, s.result) for s in out]
    assert Scan.objects.filter(registration__in=seats).count() == 40
