"""Former members pulled across subtrees (issue 14, item 5). A person who left a union of another
subtree is registered again, by the console or by a roster import:
(a) the new union records its own contact, bank and job data and never receives what the old
    union collected;
(b) replacing the shared record leaves an event at the old union's node and at the new one;
(c) telling a union that a number is an active member of another subtree's union is an audited
    access that says no more than a transfer request needs.
The import tests run on SQLite (ORM path) and on PostgreSQL (COPY fast path) with the same
assertions: both paths must give the same rows and the same events."""

import random

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from python_calamine import CalamineWorkbook

from huigong.core.models import AccessLog, AuditEvent
from huigong.core.selectors import access_log_list_for_actor, audit_list_for_actor
from huigong.members import selectors, services
from huigong.members.models import EmploymentForm, ImportStatus, Membership, MembershipStatus, Person
from huigong.members.roster import roster_import_start
from huigong.members.roster.testing import person_row, roster_xlsx, upload

OLD_PHONE, OLD_BANK = "13700001111", "6222020200998877665"


@pytest.fixture
def former(cast):
    """赵青岛, registered by a Qingdao union with phone, bank account and job, then withdrawn."""
    person = cast.qd_member.person
    services.person_update(actor=cast.outsider, person=person, phone=OLD_PHONE, bank_account=OLD_BANK,
                           bank_name="青岛银行", job_title="焊工", ethnicity="回族")
    services.membership_withdraw(actor=cast.outsider, person=person, reason="离职")
    person.refresh_from_db()
    return person


def _import(cast, rows, *, actor=None, union=None):
    return roster_import_start(actor=actor or cast.city_admin, union=union or cast.tech,
                               upload=upload("r.xlsx", roster_xlsx(rows)))


def _row_for(person, **overrides):
    return person_row(random.Random(7), 身份证号=person.id_number, 性别="男" if person.gender == "M" else "女",
                      出生日期=person.birth_date.isoformat(), **overrides)


def _bare_row(person, name="赵新"):
    """Only what a union must know: name, ID number, gender, birth date, employment form."""
    return _row_for(person, 姓名=name, 手机号="", 银行账号="", 开户行="", 岗位="", 民族="", 学历="", 政治面貌="",
                    工号="", 现住址="", 劳动合同起始日期="", 劳动合同终止日期="")


def _report_rows(imp):
    with imp.error_report.open("rb") as fh:
        return CalamineWorkbook.from_filelike(fh).get_sheet_by_name("错误明细").to_python()


# --- (a) the new union does not receive what the old one collected ------------------------------------

def test_console_reregistration_does_not_hand_over_the_old_unions_phone_and_bank(cast, former):
    m = services.member_register(actor=cast.city_admin, union=cast.tech, name="赵新", id_number=former.id_number)
    person = Person.objects.get(pk=m.person_id)
    assert person.pk == former.pk  # one real-name person, found by the ID number's blind index
    assert (person.phone or "", person.phone_mask, person.bank_account or "", person.bank_account_mask) == \
        ("", "", "", "")
    assert (person.bank_name, person.job_title, person.ethnicity, person.employer_id) == ("", "", "", None)
    assert person.name == "赵新" and person.record_path == cast.tech.path
    shown, _m = selectors.person_get_for_actor(cast.city_admin, person.pk)
    assert (shown.phone_mask, shown.bank_account_mask) == ("", "")
    values = selectors.person_reveal(cast.city_admin, person, ["phone", "bank_account"], purpose="核对")
    assert values == {"phone": "", "bank_account": ""}


def test_console_reregistration_keeps_what_the_new_union_supplies(client, cast, former):
    client.force_login(cast.city_admin)
    r = client.post(reverse("members:create"), {
        "union": cast.tech.pk, "name": "赵新", "id_number": former.id_number, "phone": "139 0000 2222",
        "employment_form": EmploymentForm.CONTRACT, "joined_on": "2025-06-01"})
    assert r.status_code == 302
    former.refresh_from_db()
    assert (former.phone, former.phone_mask, former.bank_account or "") == ("13900002222", "139****2222", "")
    page = client.get(reverse("members:detail", args=[former.pk])).content.decode()
    assert "137****1111" not in page and "青岛银行" not in page and "焊工" not in page


def test_import_reregistration_does_not_hand_over_the_old_unions_phone_and_bank(cast, former):
    imp = _import(cast, [_bare_row(former)])
    assert imp.status == ImportStatus.DONE, imp.errors_preview
    person = Person.objects.get(pk=former.pk)
    assert (person.phone or "", person.phone_mask, person.bank_account or "", person.bank_account_mask) == \
        ("", "", "", "")
    assert (person.bank_name, person.job_title, person.ethnicity, person.employer_id) == ("", "", "", None)
    assert (person.name, person.record_path) == ("赵新", cast.tech.path)
    assert person.memberships.get(status=MembershipStatus.ACTIVE).union_id == cast.tech.pk


def test_import_reregistration_records_the_rosters_own_values(cast, former):
    row = _row_for(former, 姓名="赵新", 手机号="13900003333", 银行账号="6222000011112222333")
    imp = _import(cast, [row])
    assert imp.status == ImportStatus.DONE, imp.errors_preview
    person = Person.objects.get(pk=former.pk)
    assert (person.phone, person.bank_account, person.bank_name, person.job_title) == \
        ("13900003333", "6222000011112222333", row["开户行"], row["岗位"])


def test_import_inside_the_recording_subtree_still_keeps_what_a_blank_cell_does_not_say(cast):
    person = cast.member.person  # recorded by the tech union, inside the city admin's subtree
    services.membership_withdraw(actor=cast.city_admin, person=person, reason="离职")
    phone = person.phone
    imp = _import(cast, [_bare_row(person, name=person.name)], union=cast.riders)
    assert imp.status == ImportStatus.DONE, imp.errors_preview
    person.refresh_from_db()
    assert person.phone == phone and person.record_path == cast.riders.path
    assert not AuditEvent.objects.filter(verb__startswith="person.reregister").exists()


def test_values_recorded_in_another_subtree_are_not_shown_by_the_selectors(cast):
    person = cast.member.person
    Person.objects.filter(pk=person.pk).update(record_path=cast.qd_ent.path)
    shown, _m = selectors.person_get_for_actor(cast.city_admin, person.pk)
    assert (shown.phone_mask, shown.job_title) == ("", "")
    values = selectors.person_reveal(cast.city_admin, person, ["id_number", "phone"], purpose="核对")
    assert values == {"id_number": person.id_number, "phone": ""}


def test_a_transfer_hands_the_record_over_with_the_member(cast):
    person = cast.member.person
    services.membership_transfer(actor=cast.city_admin, person=person, to_union=cast.riders, reason="调动")
    person.refresh_from_db()
    assert person.record_path == cast.riders.path
    shown, _m = selectors.person_get_for_actor(cast.city_admin, person.pk)
    assert shown.phone_mask == person.phone_mask != ""


def test_the_old_union_cannot_open_the_new_unions_record(cast, former):
    services.member_register(actor=cast.city_admin, union=cast.tech, name="赵新", id_number=former.id_number,
                             phone="13900004444")
    with pytest.raises((PermissionDenied, Http404)):
        selectors.person_get_for_actor(cast.outsider, former.pk)
    with pytest.raises((PermissionDenied, Http404)):
        selectors.person_reveal(cast.outsider, former, ["phone"], purpose="核对")
    assert list(selectors.member_list_for_actor(cast.outsider, q="13900004444")) == []


# --- (b) events on both sides --------------------------------------------------------------------------

def _assert_events_on_both_sides(cast, former, *, new_name):
    old_side = audit_list_for_actor(cast.outsider, verb="person.reregister_elsewhere",
                                    object_id=str(former.pk)).get()
    assert old_side.node_path == cast.qd_ent.path and old_side.object_repr == former.name
    assert old_side.old["phone_mask"] == former.phone_mask and old_side.old["bank_account_mask"] == \
        former.bank_account_mask
    assert {"name", "phone_mask", "bank_account_mask", "bank_name", "job_title"} <= set(old_side.new["fields"])
    assert new_name not in str(old_side.new)  # the old side learns what changed, not the new values
    new_side = audit_list_for_actor(cast.city_admin, verb="person.reregister", object_id=str(former.pk)).get()
    assert new_side.node_path == cast.tech.path and new_side.new["name"] == new_name
    assert former.phone_mask not in str(new_side.new) and "青岛银行" not in str(new_side.new)
    assert new_side.old is None
    # Neither side sees the other's event.
    assert not audit_list_for_actor(cast.city_admin, verb="person.reregister_elsewhere").exists()
    assert not audit_list_for_actor(cast.outsider, verb="person.reregister").exists()


def test_console_reregistration_leaves_an_event_in_both_subtrees(cast, former):
    services.member_register(actor=cast.city_admin, union=cast.tech, name="赵新", id_number=former.id_number)
    _assert_events_on_both_sides(cast, former, new_name="赵新")


def test_import_reregistration_leaves_an_event_in_both_subtrees(cast, former):
    imp = _import(cast, [*[person_row(random.Random(i)) for i in range(3)], _bare_row(former)])
    assert imp.status == ImportStatus.DONE, imp.errors_preview
    _assert_events_on_both_sides(cast, former, new_name="赵新")
    assert AuditEvent.objects.filter(verb="roster_import.apply").get().new["replaced_elsewhere"] == 1


def test_a_rejected_import_leaves_no_reregistration_event_and_changes_nothing(cast, former):
    imp = _import(cast, [_bare_row(former), person_row(random.Random(2), 手机号="123")])
    assert imp.status == ImportStatus.REJECTED
    person = Person.objects.get(pk=former.pk)
    assert (person.phone, person.name, person.record_path) == (OLD_PHONE, former.name, cast.qd_ent.path)
    assert not AuditEvent.objects.filter(verb__startswith="person.reregister").exists()


# --- (c) "active member elsewhere" is an audited, minimal disclosure -----------------------------------

def test_console_refusal_for_an_active_member_elsewhere_is_an_audited_access(cast):
    other = cast.qd_member.person
    with pytest.raises(ValidationError) as e:
        services.member_register(actor=cast.city_admin, union=cast.tech, name="随便", id_number=other.id_number)
    msg = e.value.message_dict["id_number"][0]
    assert "转接" in msg and "青岛" not in msg and other.name not in msg and other.phone_mask not in msg
    row = access_log_list_for_actor(cast.outsider, object_id=str(other.pk)).get()
    assert (row.actor_label, row.fields, row.node_path) == ("city_admin", "membership_status", cast.qd_ent.path)
    assert not access_log_list_for_actor(cast.city_admin).exists()  # the owning side sees it, not the asker's


def test_console_refusal_through_the_page_keeps_its_access_row(client, cast):
    other = cast.qd_member.person
    client.force_login(cast.city_admin)
    r = client.post(reverse("members:create"), {
        "union": cast.tech.pk, "name": "随便", "id_number": other.id_number,
        "employment_form": EmploymentForm.CONTRACT, "joined_on": "2025-06-01"})
    assert r.status_code == 200 and "转接" in r.content.decode()
    assert AccessLog.objects.filter(object_id=str(other.pk), node_path=cast.qd_ent.path).count() == 1


def test_console_refusal_inside_the_subtree_is_no_access_to_another_union(cast):
    rider = cast.rider.person  # active in the riders' union, inside the city admin's subtree
    with pytest.raises(ValidationError):
        services.member_register(actor=cast.city_admin, union=cast.tech, name="王骑手", id_number=rider.id_number)
    assert not AccessLog.objects.exists()


def test_import_conflict_with_another_subtree_is_an_audited_minimal_access(cast):
    other = cast.qd_member.person
    rows = [person_row(random.Random(1)), _row_for(other, 姓名="随便"), person_row(random.Random(2), 手机号="123")]
    imp = _import(cast, rows)
    assert imp.status == ImportStatus.REJECTED
    row = access_log_list_for_actor(cast.outsider, object_id=str(other.pk)).get()
    assert (row.actor_label, row.fields, row.node_path) == ("city_admin", "membership_status", cast.qd_ent.path)
    assert str(imp.pk) in row.purpose
    assert AccessLog.objects.count() == 1
    (conflict,) = [e for e in imp.errors_preview if "转接" in e[3]]
    assert conflict[0] == 3 and conflict[2] == other.id_number_mask
    for text in (str(imp.errors_preview), str(_report_rows(imp))):
        assert "青岛" not in text and other.name not in text and other.phone_mask not in text


def test_import_conflict_inside_the_subtree_is_no_access_to_another_union(cast):
    rider = cast.rider.person
    imp = _import(cast, [_row_for(rider)])
    assert imp.status == ImportStatus.REJECTED and "西湖区骑手联合工会" in imp.errors_preview[0][3]
    assert not AccessLog.objects.exists()


def test_outsider_cannot_import_or_register_into_the_union(cast, former):
    with pytest.raises(PermissionDenied):
        _import(cast, [_bare_row(former)], actor=cast.outsider)
    with pytest.raises(PermissionDenied):
        services.member_register(actor=cast.outsider, union=cast.tech, name="赵新", id_number=former.id_number)
    assert not Membership.objects.filter(person=former, status=MembershipStatus.ACTIVE).exists()
    assert not AccessLog.objects.exists()


# --- the fast path gives what the normal path gives ----------------------------------------------------

def _world(numbers):
    from huigong.members.roster.writers import PERSON_COLUMNS

    people = {p.id_number: p for p in Person.objects.all() if p.id_number in numbers}
    rows = {n: (tuple(getattr(p, c) or None for c in PERSON_COLUMNS), p.record_path,
                sorted(p.memberships.values_list("union_id", "status", "joined_on", "source")))
            for n, p in people.items()}
    events = sorted((e.verb, e.node_path, e.object_repr, str(e.old), str(e.new))
                    for e in AuditEvent.objects.filter(verb__startswith="person.reregister"))
    return rows, events


def test_the_copy_fast_path_and_the_orm_path_write_the_same_rows_and_events(on_postgres, cast, former,
                                                                          monkeypatch):
    from django.db import transaction

    from huigong.members.roster import services as roster_services

    inside = cast.member.person
    services.membership_withdraw(actor=cast.city_admin, person=inside, reason="离职")
    rows = [*[person_row(random.Random(i)) for i in range(4)], _bare_row(former), _bare_row(inside, "李小红")]
    numbers = {r["身份证号"] for r in rows}
    results = []
    for runner in (roster_services._run_orm, roster_services._run_postgres):
        sid = transaction.savepoint()
        with monkeypatch.context() as m:
            m.setattr(roster_services, "_run_postgres", runner)
            imp = _import(cast, rows, union=cast.riders)
        assert imp.status == ImportStatus.DONE, imp.errors_preview
        results.append(_world(numbers))
        transaction.savepoint_rollback(sid)
    assert results[0] == results[1]
    assert len(results[0][0]) == 6 and len(results[0][1]) == 2


# --- the old union does not receive what the new one records either -----------------------------------

def test_the_old_unions_lists_and_exports_do_not_show_the_new_unions_values(client, cast, former):
    from huigong.members.roster.export import members_export_xlsx

    services.member_register(actor=cast.city_admin, union=cast.tech, name="赵新", id_number=former.id_number,
                             phone="13900005555", bank_account="6222000011115555777", job_title="新岗位",
                             employer=cast.enterprise)
    rows = list(selectors.member_list_for_actor(cast.outsider, status=""))
    (row,) = [m for m in rows if m.person_id == former.pk]
    assert row.status == MembershipStatus.WITHDRAWN and row.record_visible is False
    client.force_login(cast.outsider)
    page = client.get(reverse("members:list"), {"status": "withdrawn"}).content.decode()
    assert former.id_number_mask in page and "139****5555" not in page and "杭州某科技有限公司" not in page
    api = client.get("/api/v1/members", {"status": "withdrawn"}).json()
    (item,) = [i for i in api["items"] if i["person_id"] == former.pk]
    assert (item["phone_mask"], item["employer"]) == ("", None)
    export = members_export_xlsx(actor=cast.outsider, status="", full_pii=True)
    with export.file:
        sheet = CalamineWorkbook.from_filelike(export.file).get_sheet_by_index(0).to_python()
    text = str(sheet)
    assert former.id_number in text
    for value in ("13900005555", "6222000011115555777", "新岗位", "杭州某科技有限公司"):
        assert value not in text
    # The new union's own export still has them, decrypted.
    own = members_export_xlsx(actor=cast.city_admin, full_pii=True)
    with own.file:
        own_text = str(CalamineWorkbook.from_filelike(own.file).get_sheet_by_index(0).to_python())
    assert "13900005555" in own_text and "6222000011115555777" in own_text and "新岗位" in own_text
    # Nor does the new phone find the person for the old union.
    assert list(selectors.member_list_for_actor(cast.outsider, q="13900005555", status="")) == []
    assert [m.person_id for m in selectors.member_list_for_actor(cast.city_admin, q="13900005555")] == [former.pk]
