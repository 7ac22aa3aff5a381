"""Two (and ten) gates scanning one ticket at once, on PostgreSQL with real threads each on its own
connection: the seat is admitted once; every other scan is refused (online) or flagged (offline); the
same scan uploaded by many tabs at once is recorded once."""

import datetime as dt
from collections import Counter

import pytest
from django.db import transaction
from django.utils import timezone

from huigong.activities import checkin_services as svc
from huigong.activities.models import Registration
from huigong.activities.models_checkin import CheckIn, Scan
from huigong.testing import run_in_threads

from .checkin_world import gate, make_event, scan_in, seat


def _code(reg):
    return svc.ticket_code(Registration.objects.select_related("session").get(pk=reg.pk))

pytestmark = pytest.mark.django_db(transaction=True)


def _world(cast):
    event = make_event(cast.city_admin, cast.xihu)
    session = event.sessions.get()
    regs = [seat(session, m) for m in (cast.member, cast.rider)]
    codes = [svc.ticket_code(Registration.objects.select_related("session").get(pk=r.pk)) for r in regs]
    actor = cast.district_staff
    actor.staff.node  # noqa: B018  (warm the cached profile before the threads share it)
    return event, regs, codes, actor


def _gate(cast, event, name, **kw):
    g = gate(cast.city_admin, event, name, **kw)
    g.event.node  # noqa: B018
    return g


def test_gates_scanning_one_ticket_admit_it_once_and_a_scan_counts_once(on_postgres, cast):
    event, (reg, reg2), (code, code2), actor = _world(cast)
    gates = [_gate(cast, event, f"门{i}") for i in range(10)]
    # 200 scans of one ticket, 20 per gate, interleaved over 16 connections.
    results = run_in_threads(lambda g: svc.scan_record(actor=actor, gate=g, item=scan_in(code)).result,
                             [gates[i % 10] for i in range(200)])
    assert Counter(r for _, r in results) == {"admitted": 1, "refused": 199}
    assert CheckIn.objects.get(registration=reg).entries == 1
    assert Scan.objects.filter(registration=reg, result="admitted").count() == 1
    assert set(Scan.objects.filter(registration=reg, result="refused").values_list("reason", flat=True)) == {
        "already_inside"}
    # One scan (one UUID) uploaded by 30 tabs at once: recorded once, admitted once.
    item = scan_in(code2)
    results = run_in_threads(lambda _: svc.scans_sync(actor=actor, gate=gates[0], items=[item])[0].pk, range(30))
    assert len({pk for _, pk in results}) == 1
    assert Scan.objects.filter(registration=reg2).count() == 1 and CheckIn.objects.get(registration=reg2).entries == 1


def test_offline_gates_syncing_at_once_are_flagged_and_reentry_counts_stay_exact(on_postgres, cast):
    event, (reg, reg2), (code, code2), actor = _world(cast)
    north, south = _gate(cast, event, "北门"), _gate(cast, event, "南门")
    batches = [(g, [scan_in(code, offline=True, local="admitted")]) for _ in range(10) for g in (north, south)]
    results = run_in_threads(lambda b: svc.scans_sync(actor=actor, gate=b[0], items=b[1])[0].result, batches)
    assert Counter(r for _, r in results) == {"admitted": 1, "conflict": 19}
    assert Scan.objects.filter(registration=reg, result="admitted").count() == 1
    assert Scan.objects.filter(registration=reg, flagged=True).count() == 20  # every duplicate, and the admission
    assert CheckIn.objects.get(registration=reg).entries == 1
    # A re-entry gate with exits and entries of one ticket racing: every admission numbered once.
    g = _gate(cast, event, "东门", scans_exits=True, allows_reentry=True)
    results = run_in_threads(lambda k: svc.scan_record(actor=actor, gate=g, item=scan_in(code2, kind=k)).result,
                             ["entry", "exit"] * 100)
    admitted = sum(1 for _, r in results if r == "admitted")
    exited = sum(1 for _, r in results if r == "exited")
    ci = CheckIn.objects.get(registration=reg2)
    assert admitted >= 1 and ci.entries == admitted and admitted - exited == (1 if ci.inside else 0)
    assert sorted(Scan.objects.filter(registration=reg2, result="admitted").values_list("entry_no", flat=True)) == list(
        range(1, admitted + 1))


def test_an_online_admission_in_one_statement_writes_what_the_transaction_wrote(on_postgres, cast):
    """The first admission of a seat online: one statement, outside a transaction (_admit_at_once)."""
    event = make_event(cast.city_admin, cast.xihu)
    session = event.sessions.get()
    g = gate(cast.city_admin, event, "北门")
    a, b = seat(session, cast.member), seat(session, cast.rider)
    actor = cast.district_staff
    at = timezone.now() - dt.timedelta(minutes=5)
    item = scan_in(_code(a), at=at)
    fast = svc.scan_record(actor=actor, gate=g, item=item)  # outside a transaction: the one statement
    with transaction.atomic():  # inside one: the scan-at-a-time path
        slow = svc.scan_record(actor=actor, gate=g, item=scan_in(_code(b), at=at))

    def row(scan, reg):
        s = Scan.objects.values().get(pk=scan.pk)
        c = CheckIn.objects.values().get(registration=reg)
        stamp = Registration.objects.get(pk=reg.pk).checked_in_at
        return ({k: v for k, v in s.items() if k not in ("id", "uuid", "registration_id", "code_tail", "received_at")},
                {k: v for k, v in c.items() if k not in ("id", "registration_id")}, stamp)

    assert row(fast, a) == row(slow, b)
    assert (fast.result, fast.entry_no, fast.flagged, fast.scanned_at) == (slow.result, slow.entry_no, False, at)
    assert fast.registration.person.name == cast.member.person.name
    assert Scan.objects.get(pk=fast.pk).received_at == fast.received_at
    # The same scan again answers the recorded one; the seat's next scan is refused; nothing else written.
    assert svc.scan_record(actor=actor, gate=g, item=item).pk == fast.pk
    again = svc.scan_record(actor=actor, gate=g, item=scan_in(_code(a)))
    assert (again.result, again.reason) == ("refused", "already_inside")
    assert Scan.objects.filter(registration=a).count() == 2 and CheckIn.objects.get(registration=a).entries == 1
