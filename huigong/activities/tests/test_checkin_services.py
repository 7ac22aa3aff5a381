"""Check-in: every transition of a seat at a gate and every refusal, the ticket's signature and window,
idempotent sync, offline conflicts, manual, bulk and sheet check-in, review, automatic check-out."""

from __future__ import annotations

import copy
import datetime as dt
import io
import uuid

import pytest
import xlsxwriter
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from huigong.activities import checkin_services as svc
from huigong.activities import checkin_ticket as ticket
from huigong.activities.models import Registration
from huigong.activities.models_checkin import CheckIn, Scan
from huigong.core.models import AuditEvent
from huigong.core.scope import OutOfScope

from .checkin_world import gate, make_event, scan_in, seat


@pytest.fixture(scope="module")
def _world(module_world):
    def build():
        from huigong.testing import Cast, make_member

        w = Cast().build()
        w.event = make_event(w.city_admin, w.xihu)
        w.session = w.event.sessions.get()
        w.other_event = make_event(w.city_admin, w.xihu, "西湖读书会")
        w.reg = seat(w.session, w.member)
        w.rider_reg = seat(w.session, w.rider)
        w.companion = seat(w.session, w.member, seq=1, lead=w.reg, companion_name="李小明")
        w.extra = make_member(w.city_admin, w.tech, "周到场", employer=w.enterprise)
        return w

    return module_world(build)


@pytest.fixture
def w(_world, db):
    return copy.deepcopy(_world)


def code(reg):
    return svc.ticket_code(Registration.objects.select_related("session").get(pk=reg.pk))


def record(w, g, reg_or_code, **kw):
    c = reg_or_code if isinstance(reg_or_code, str) else code(reg_or_code)
    return svc.scan_record(actor=w.district_staff, gate=g, item=scan_in(c, **kw))


# --- the ticket ---------------------------------------------------------------------------------------

def test_ticket_round_trip_is_compact_and_alphanumeric(w):
    c = code(w.reg)
    assert len(c) == ticket.TEXT_LENGTH == 54 and c.isalnum() and c.isupper()
    t = ticket.read(c.lower())  # a scanner typing in lower case
    assert (t.registration_id, t.session_id, t.nonce) == (w.reg.pk, w.session.pk, ticket.nonce_of(w.reg.ticket))
    import segno

    assert segno.make(c, error="m").version <= 3


def test_a_changed_byte_or_another_sessions_key_fails_the_signature(w):
    c = code(w.reg)
    flipped = c[:20] + ("A" if c[20] != "A" else "B") + c[21:]
    with pytest.raises(ticket.TicketError) as e:
        ticket.read(flipped)
    assert e.value.reason in ("bad_signature", "malformed")
    # The same body signed with another session's key is refused.
    t = ticket.read(c)
    forged = ticket.issue(registration_id=t.registration_id, session_id=w.session.pk + 1, nonce=t.nonce,
                          valid_from=t.valid_from, valid_until=t.valid_until)
    import base64

    raw = bytearray(base64.b32decode(forged[4:] + "=" * (-len(forged[4:]) % 8)))
    raw[5:9] = w.session.pk.to_bytes(4, "big")  # claims our session, MAC made with another session's key
    with pytest.raises(ticket.TicketError) as e:
        ticket.read("HGT1" + base64.b32encode(bytes(raw)).decode().rstrip("="))
    assert e.value.reason == "bad_signature"
    for junk in ("", "HELLO", "HGT1" + "A" * 50, "https://example.org/x"):
        with pytest.raises(ticket.TicketError) as e:
            ticket.read(junk)
        assert e.value.reason == "malformed"


def test_tickets_survive_a_secret_key_rotation(w, settings):
    c = code(w.reg)
    old = settings.SECRET_KEY
    with override_settings(SECRET_KEY="a-new-secret-key-for-rotation-0123456789abcdef", SECRET_KEY_FALLBACKS=[old]):
        assert ticket.read(c).registration_id == w.reg.pk
    with (override_settings(SECRET_KEY="a-new-secret-key-for-rotation-0123456789abcdef", SECRET_KEY_FALLBACKS=[]),
          pytest.raises(ticket.TicketError)):
        ticket.read(c)


# --- entry, re-entry, exit ----------------------------------------------------------------------------

def test_first_scan_admits_and_stamps_the_seat(w):
    g = gate(w.city_admin, w.event)
    s = record(w, g, w.reg)
    assert (s.result, s.entry_no, s.registration_id) == ("admitted", 1, w.reg.pk)
    ci = CheckIn.objects.get(registration=w.reg)
    assert ci.inside and ci.entries == 1 and ci.first_gate_id == g.pk and ci.method == "scan"
    assert Registration.objects.get(pk=w.reg.pk).checked_in_at == ci.first_in_at


def test_second_entry_is_refused_as_already_inside(w):
    g = gate(w.city_admin, w.event)
    record(w, g, w.reg)
    s = record(w, g, w.reg)
    assert (s.result, s.reason, s.entry_no) == ("refused", "already_inside", None)
    assert CheckIn.objects.get(registration=w.reg).entries == 1


def test_exit_then_entry_needs_a_reentry_gate(w):
    strict = gate(w.city_admin, w.event, "南门", scans_exits=True)
    loose = gate(w.city_admin, w.event, "东门", scans_exits=True, allows_reentry=True)
    record(w, strict, w.reg)
    out = record(w, strict, w.reg, kind="exit")
    assert out.result == "exited" and not CheckIn.objects.get(registration=w.reg).inside
    again = record(w, strict, w.reg)
    assert (again.result, again.reason) == ("refused", "no_reentry")
    back = record(w, loose, w.reg)
    assert (back.result, back.entry_no) == ("admitted", 2)
    ci = CheckIn.objects.get(registration=w.reg)
    assert ci.inside and ci.entries == 2 and ci.last_gate_id == loose.pk


def test_exit_refusals(w):
    no_exits = gate(w.city_admin, w.event, "西门")
    exits = gate(w.city_admin, w.event, "南门", scans_exits=True)
    assert record(w, no_exits, w.reg, kind="exit").reason == "no_exits"
    assert record(w, exits, w.reg, kind="exit").reason == "not_inside"
    record(w, exits, w.reg)
    record(w, exits, w.reg, kind="exit")
    assert record(w, exits, w.reg, kind="exit").reason == "not_inside"


@pytest.mark.parametrize(("status", "approval", "reason"), [
    ("waiting", "", "not_confirmed"), ("offered", "", "not_confirmed"), ("granted", "pending", "not_confirmed"),
    ("cancelled", "", "cancelled"), ("no_show", "", "cancelled"), ("granted", "rejected", "cancelled")])
def test_seats_that_cannot_be_admitted(w, status, approval, reason):
    g = gate(w.city_admin, w.event)
    Registration.objects.filter(pk=w.rider_reg.pk).update(status=status, approval=approval)
    s = record(w, g, w.rider_reg)
    assert (s.result, s.reason) == ("refused", reason)
    assert not CheckIn.objects.filter(registration=w.rider_reg).exists()


def test_code_refusals_are_logged_with_reasons(w):
    g = gate(w.city_admin, w.event)
    assert record(w, g, "NOT-A-TICKET").reason == "malformed"
    c = code(w.reg)
    assert record(w, g, c[:30] + ("Q" if c[30] != "Q" else "R") + c[31:]).reason in ("bad_signature", "malformed")
    other = gate(w.city_admin, w.other_event, "读书会入口")
    assert record(w, other, w.reg).reason == "wrong_event"
    # A new ticket UUID voids the old code.
    Registration.objects.filter(pk=w.reg.pk).update(ticket=uuid.uuid4())
    assert record(w, g, c).reason == "revoked"
    # An unknown seat with a genuine signature (a key that leaked from a gate): refused.
    t = ticket.read(c)
    forged = ticket.issue(registration_id=999999, session_id=w.session.pk, nonce=t.nonce, valid_from=t.valid_from,
                          valid_until=t.valid_until)
    assert record(w, g, forged).reason == "unknown"
    failed = Scan.objects.filter(gate__event=w.event, result="refused")
    assert failed.count() == 4 and all(s.code_tail for s in failed)


def test_session_restricted_gate_and_time_window(w):
    day2 = make_event(w.city_admin, w.xihu, "两日工匠讲座", sessions=2)
    s1, s2 = day2.sessions.all()
    r1, r2 = seat(s1, w.rider), seat(s2, w.rider)
    g = gate(w.city_admin, day2, "第一天入口", session=s1)
    assert record(w, g, r2).reason == "wrong_session"
    assert record(w, g, r1).result == "admitted"
    g_all = gate(w.city_admin, day2, "总入口")
    assert record(w, g_all, r2).reason == "not_yet_valid"  # day 2 has not begun
    late = s1.ends_at + svc.TICKET_LATE + dt.timedelta(minutes=1)
    assert record(w, g_all, r1, at=late, offline=True, local="refused", local_reason="expired").reason == "expired"


def test_a_closed_gate_refuses(w):
    g = gate(w.city_admin, w.event)
    svc.gate_update(actor=w.city_admin, gate=g, name=g.name, session=None, allows_reentry=False, scans_exits=False,
                    auto_checkout_at=None, is_active=False)
    assert record(w, g, w.reg).reason == "gate_closed"


def test_companion_seat_is_its_own_ticket(w):
    g = gate(w.city_admin, w.event)
    assert record(w, g, w.reg).result == "admitted"
    assert record(w, g, w.companion).result == "admitted"
    assert CheckIn.objects.filter(registration__lead=w.reg).count() == 1


# --- idempotence and offline ---------------------------------------------------------------------------

def test_a_scan_uploaded_twice_counts_once(w):
    g = gate(w.city_admin, w.event)
    item = scan_in(code(w.reg))
    first = svc.scan_record(actor=w.district_staff, gate=g, item=item)
    again = svc.scan_record(actor=w.district_staff, gate=g, item=item)
    batch = svc.scans_sync(actor=w.district_staff, gate=g, items=[item, item])
    assert first.pk == again.pk == batch[0].pk == batch[1].pk and first.result == "admitted"
    assert Scan.objects.filter(uuid=item.uuid).count() == 1 and CheckIn.objects.get(registration=w.reg).entries == 1


def test_offline_batch_syncs_in_scan_order_and_resync_changes_nothing(w):
    g = gate(w.city_admin, w.event, scans_exits=True, allows_reentry=True)
    t0 = timezone.now() - dt.timedelta(minutes=20)
    items = [scan_in(code(w.reg), at=t0 + dt.timedelta(minutes=2), offline=True, local="exited", kind="exit"),
             scan_in(code(w.reg), at=t0, offline=True, local="admitted"),
             scan_in(code(w.rider_reg), at=t0 + dt.timedelta(minutes=1), offline=True, local="admitted")]
    out = svc.scans_sync(actor=w.district_staff, gate=g, items=items)
    assert [s.result for s in out] == ["exited", "admitted", "admitted"]
    assert [s.scanned_at for s in out] == [i.scanned_at for i in items]  # the gate's times, not the upload's
    before = (Scan.objects.count(), list(CheckIn.objects.values_list("registration_id", "inside", "entries").order_by("pk")),
              AuditEvent.objects.filter(verb="activities.scans_sync").count())
    again = svc.scans_sync(actor=w.district_staff, gate=g, items=items)
    assert [s.pk for s in again] == [s.pk for s in out]
    after = (Scan.objects.count(), list(CheckIn.objects.values_list("registration_id", "inside", "entries").order_by("pk")),
             AuditEvent.objects.filter(verb="activities.scans_sync").count())
    assert before == after


def test_same_ticket_at_two_offline_gates_is_flagged_not_admitted_twice(w):
    north, south = gate(w.city_admin, w.event, "北门"), gate(w.city_admin, w.event, "南门")
    t0 = timezone.now() - dt.timedelta(minutes=10)
    a = svc.scans_sync(actor=w.district_staff, gate=north,
                       items=[scan_in(code(w.reg), at=t0, offline=True, local="admitted")])[0]
    b = svc.scans_sync(actor=w.district_staff, gate=south,
                       items=[scan_in(code(w.reg), at=t0 + dt.timedelta(minutes=1), offline=True, local="admitted")])[0]
    assert a.result == "admitted" and (b.result, b.reason, b.flagged) == ("conflict", "offline_duplicate", True)
    assert Scan.objects.get(pk=a.pk).flagged  # the admission it collides with is flagged too
    assert CheckIn.objects.get(registration=w.reg).entries == 1
    assert Scan.objects.filter(registration=w.reg, result="admitted").count() == 1


def test_offline_admission_of_a_cancelled_seat_is_flagged(w):
    g = gate(w.city_admin, w.event)
    Registration.objects.filter(pk=w.rider_reg.pk).update(status="cancelled")
    s = svc.scans_sync(actor=w.district_staff, gate=g, items=[scan_in(code(w.rider_reg), offline=True, local="admitted")])[0]
    assert (s.result, s.reason, s.flagged) == ("refused", "cancelled", True)


def test_an_offline_refusal_is_not_turned_into_an_admission(w):
    g = gate(w.city_admin, w.event)
    s = svc.scans_sync(actor=w.district_staff, gate=g, items=[
        scan_in(code(w.reg), offline=True, local="refused", local_reason="already_inside")])[0]
    assert (s.result, s.reason, s.flagged) == ("refused", "already_inside", False)
    assert not CheckIn.objects.filter(registration=w.reg).exists()


def test_a_scan_time_in_the_future_is_taken_as_now(w):
    g = gate(w.city_admin, w.event)
    s = svc.scans_sync(actor=w.district_staff, gate=g, items=[
        scan_in(code(w.reg), at=timezone.now() + dt.timedelta(days=2), offline=True, local="admitted")])[0]
    assert s.result == "admitted" and s.scanned_at <= timezone.now()


def test_batches_are_bounded(w):
    g = gate(w.city_admin, w.event)
    with pytest.raises(ValidationError):
        svc.scans_sync(actor=w.district_staff, gate=g, items=[scan_in("X") for _ in range(svc.MAX_BATCH + 1)])


# --- who may ------------------------------------------------------------------------------------------

def test_outsider_and_roles_without_the_capability_are_refused(w):
    g = gate(w.city_admin, w.event)
    with pytest.raises(OutOfScope):
        svc.scan_record(actor=w.outsider, gate=g, item=scan_in(code(w.reg)))
    for user in (w.viewer, w.finance, w.leader):
        with pytest.raises(PermissionDenied):
            svc.scan_record(actor=user, gate=g, item=scan_in(code(w.reg)))
    with pytest.raises(OutOfScope):
        svc.gate_create(actor=w.outsider, event=w.event, name="越界")
    assert not Scan.objects.exists()


def test_gate_rules_are_validated_and_audited(w):
    g = gate(w.city_admin, w.event)
    with pytest.raises(ValidationError) as e:
        gate(w.city_admin, w.event, "北门")
    assert "name" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        gate(w.city_admin, w.event, "侧门", session=w.other_event.sessions.get())
    assert "session" in e.value.message_dict
    svc.gate_update(actor=w.city_admin, gate=g, name="北门", session=None, allows_reentry=True, scans_exits=True,
                    auto_checkout_at=dt.time(21, 0), is_active=True)
    ev = AuditEvent.objects.filter(verb="activities.gate_update").get()
    assert ev.new == {"allows_reentry": True, "scans_exits": True, "auto_checkout_at": "21:00:00"}


# --- manual, bulk, sheet, review, auto check-out --------------------------------------------------------

def test_manual_check_in_follows_the_seat_rules(w):
    g = gate(w.city_admin, w.event)
    s = svc.checkin_manual(actor=w.district_staff, gate=g, registration=w.reg)
    assert (s.result, s.method) == ("admitted", "manual")
    again = svc.checkin_manual(actor=w.district_staff, gate=g, registration=w.reg)
    assert (again.result, again.reason) == ("refused", "already_inside")
    Registration.objects.filter(pk=w.rider_reg.pk).update(status="waiting")
    assert svc.checkin_manual(actor=w.district_staff, gate=g, registration=w.rider_reg).reason == "not_confirmed"
    assert AuditEvent.objects.filter(verb="activities.checkin_manual").count() == 3


def test_bulk_from_the_ticked_list_is_all_or_nothing(w):
    record(w, gate(w.city_admin, w.event), w.reg)
    Registration.objects.filter(pk=w.companion.pk).update(status="cancelled")
    with pytest.raises(ValidationError) as e:
        svc.checkin_bulk(actor=w.district_staff, session=w.session,
                         registrations=[w.rider_reg, Registration.objects.get(pk=w.companion.pk)])
    assert "李小红" in str(e.value.message_dict) and not CheckIn.objects.filter(registration=w.rider_reg).exists()
    out = svc.checkin_bulk(actor=w.district_staff, session=w.session, registrations=[w.rider_reg, w.reg])
    assert [r.pk for r in out.checked_in] == [w.rider_reg.pk] and [r.pk for r in out.already] == [w.reg.pk]
    ci = CheckIn.objects.get(registration=w.rider_reg)
    assert (ci.method, ci.first_in_at, ci.inside) == ("bulk", w.session.starts_at, False)
    assert Scan.objects.get(registration=w.rider_reg).method == "bulk"
    with pytest.raises(ValidationError):
        svc.checkin_bulk(actor=w.district_staff, session=w.session, registrations=[w.rider_reg],
                         at=w.session.starts_at - dt.timedelta(days=3))


def _sheet(rows):
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet()
    for i, r in enumerate(rows):
        ws.write_row(i, 0, r)
    wb.close()
    return out.getvalue()


def test_paper_list_sheet_by_number_or_name_and_id_tail(w):
    member = w.reg.person
    tail = member.id_number_mask[-4:]
    regs = svc.bulk_sheet_read(session=w.session, data=_sheet([
        ["报名编号", "姓名", "身份证后四位"], [w.rider_reg.pk, "", ""], ["", member.name, tail]]))
    assert [r.pk for r in regs] == [w.rider_reg.pk, w.reg.pk]
    with pytest.raises(ValidationError) as e:
        svc.bulk_sheet_read(session=w.session, data=_sheet([
            ["报名编号", "姓名", "身份证后四位"], [w.rider_reg.pk, "", ""], [w.rider_reg.pk, "", ""], [99999, "", ""],
            ["", "查无此人", "1234"]]))
    text = " ".join(e.value.messages)
    assert "第 3 行" in text and "第 4 行" in text and "第 5 行" in text
    english = svc.bulk_sheet_read(session=w.session, data=_sheet([["Registration number"], [w.rider_reg.pk]]))
    assert [r.pk for r in english] == [w.rider_reg.pk]
    with pytest.raises(ValidationError):
        svc.bulk_sheet_read(session=w.session, data=_sheet([["名字"], ["张三"]]))
    with pytest.raises(ValidationError):
        svc.bulk_sheet_read(session=w.session, data=b"not a zip")


def test_flagged_scans_are_reviewed_once(w):
    g = gate(w.city_admin, w.event)
    record(w, g, w.reg)
    flagged = svc.scans_sync(actor=w.district_staff, gate=g, items=[scan_in(code(w.reg), offline=True, local="admitted")])[0]
    with pytest.raises(ValidationError):
        svc.scan_review(actor=w.city_admin, scan=flagged, note=" ")
    done = svc.scan_review(actor=w.city_admin, scan=flagged, note="同一人，核实为重复扫码")
    assert done.reviewed_by_id == w.city_admin.pk
    with pytest.raises(ValidationError):
        svc.scan_review(actor=w.city_admin, scan=flagged, note="再次")


def test_auto_checkout_lets_everyone_out_at_the_gate_time(w):
    g = gate(w.city_admin, w.event, auto_checkout_at=dt.time(23, 59))
    record(w, g, w.reg)
    now = timezone.localtime()
    assert svc.auto_checkout(now) == 0 or now.time() >= dt.time(23, 59)
    tomorrow = now + dt.timedelta(days=1)
    assert svc.auto_checkout(tomorrow.replace(hour=23, minute=59, second=30)) == 1
    ci = CheckIn.objects.get(registration=w.reg)
    assert not ci.inside and ci.auto_checked_out and timezone.localtime(ci.last_out_at).time() == dt.time(23, 59)
    assert svc.auto_checkout(tomorrow.replace(hour=23, minute=59, second=40)) == 0  # idempotent
