"""Roster import end to end (runs on SQLite and on PostgreSQL): all rows or none, upserts by ID
number, the registry and in-file duplicate rules, the error report, statuses, audit, scope."""

import datetime as dt
import random

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from python_calamine import CalamineWorkbook

from huigong.core import idnumber
from huigong.core.crypto import blind_index
from huigong.core.models import AuditEvent
from huigong.members.models import ImportStatus, Membership, MembershipStatus, Person, RosterImport
from huigong.members.roster import roster_import_run, roster_import_start, services
from huigong.members.roster.testing import person_row, roster_csv, roster_xlsx, upload
from huigong.members.services import membership_withdraw


def _start(cast, rows, *, actor=None, union=None, name="r.xlsx", content=None, **kw):
    content = content if content is not None else roster_xlsx(rows)
    return roster_import_start(actor=actor or cast.city_admin, union=union or cast.tech,
                               upload=upload(name, content), **kw)


def _rows(n, seed=1, **overrides):
    rng = random.Random(seed)
    return [person_row(rng, **overrides) for _ in range(n)]


def _person(number):
    return Person.objects.get(id_number_hash=blind_index(number, "id"))


def _report_rows(imp):
    with imp.error_report.open("rb") as fh:
        sheet = CalamineWorkbook.from_filelike(fh).get_sheet_by_name("错误明细")
        return sheet.to_python()


def test_a_valid_roster_loads_people_and_memberships(cast):
    rows = _rows(4)
    rows[0]["入会日期"] = "2023/5/6"
    imp = _start(cast, rows, enterprise=cast.enterprise)
    assert imp.status == ImportStatus.DONE, imp.errors_preview
    assert (imp.total_rows, imp.processed_rows, imp.created_count, imp.updated_count, imp.error_count) == \
        (4, 4, 4, 0, 0)
    p = _person(rows[0]["身份证号"])
    assert (p.name, p.phone, p.bank_account, p.employer_id) == \
        (rows[0]["姓名"], rows[0]["手机号"], rows[0]["银行账号"], cast.enterprise.pk)
    assert (p.job_title, p.employee_no, p.address, p.contract_start) == \
        ("工程师", rows[0]["工号"], rows[0]["现住址"], dt.date(2023, 1, 1))
    m = p.memberships.get()
    assert (m.union_id, m.status, m.source, m.joined_on) == \
        (cast.tech.pk, MembershipStatus.ACTIVE, "import", dt.date(2023, 5, 6))
    assert m.card_no == f"{cast.tech.region_code}{p.pk:010d}"
    assert imp.progress_percent == 100 and imp.is_finished


def test_one_bad_row_means_nothing_is_written(cast):
    people, memberships = Person.objects.count(), Membership.objects.count()
    rows = _rows(5)
    rows[3]["手机号"] = "123"
    imp = _start(cast, rows)
    assert imp.status == ImportStatus.REJECTED
    assert (Person.objects.count(), Membership.objects.count()) == (people, memberships)
    assert imp.error_count == 1 and imp.created_count == 0
    assert imp.errors_preview == [[5, "手机号（F列）", "***", imp.errors_preview[0][3]]]
    assert "手机号格式不正确" in imp.errors_preview[0][3]
    report = _report_rows(imp)
    assert report[0] == ["行号", "列", "值", "原因"]
    assert report[1][:3] == [5.0, "手机号（F列）", "***"] and "手机号格式不正确" in report[1][3]


def test_error_report_masks_id_numbers_and_lists_every_error(cast):
    rows = _rows(3)
    wrong = rows[0]["身份证号"][:17] + ("0" if rows[0]["身份证号"][17] != "0" else "1")
    rows[0]["身份证号"] = wrong
    rows[0]["性别"] = rows[0]["出生日期"] = ""
    rows[2]["用工形式"] = "临时工"
    imp = _start(cast, rows)
    report = _report_rows(imp)
    assert [r[0] for r in report[1:]] == [2.0, 4.0]
    assert report[1][2] == idnumber.mask(wrong) and wrong not in str(report)
    assert "用工形式" in report[2][1]


def test_upsert_updates_by_id_number_and_keeps_what_a_blank_cell_does_not_say(cast):
    member = cast.member.person  # 李小红, active in cast.tech
    number, phone = member.id_number, member.phone
    row = person_row(random.Random(3), 身份证号=number, 姓名="李晓红", 手机号="", 岗位="主管",
                     性别="男" if member.gender == "M" else "女", 出生日期=member.birth_date.isoformat())
    fresh = _rows(1, seed=4)
    imp = _start(cast, [row, *fresh])
    assert imp.status == ImportStatus.DONE, imp.errors_preview
    assert (imp.created_count, imp.updated_count) == (1, 1)
    member.refresh_from_db()
    assert (member.name, member.name_pinyin, member.job_title, member.phone) == ("李晓红", "lixiaohong", "主管", phone)
    assert member.memberships.filter(status=MembershipStatus.ACTIVE).count() == 1  # no second membership
    assert Person.objects.filter(id_number_hash=blind_index(number, "id")).count() == 1


def test_a_former_member_rejoins_through_the_import(cast):
    person = cast.member.person
    membership_withdraw(actor=cast.city_admin, person=person, reason="离职")
    row = person_row(random.Random(3), 身份证号=person.id_number, 性别="男" if person.gender == "M" else "女",
                     出生日期=person.birth_date.isoformat())
    imp = _start(cast, [row], union=cast.riders)
    assert imp.status == ImportStatus.DONE and (imp.created_count, imp.updated_count) == (0, 1)
    assert list(person.memberships.order_by("id").values_list("union_id", "status")) == \
        [(cast.tech.pk, MembershipStatus.WITHDRAWN), (cast.riders.pk, MembershipStatus.ACTIVE)]


def test_someone_active_in_another_union_must_be_transferred_not_imported(cast):
    rider = cast.rider.person  # active in the riders' union
    row = person_row(random.Random(3), 身份证号=rider.id_number, 性别="男" if rider.gender == "M" else "女",
                     出生日期=rider.birth_date.isoformat())
    before = Person.objects.count()
    imp = _start(cast, [*_rows(2), row])
    assert imp.status == ImportStatus.REJECTED and Person.objects.count() == before
    (err,) = imp.errors_preview
    assert err[0] == 4 and err[1].startswith("身份证号") and err[2] == rider.id_number_mask
    assert "会员关系转接" in err[3] and "西湖区骑手联合工会" in err[3]


def test_registry_conflict_outside_scope_does_not_name_the_other_union(cast):
    other = cast.qd_member.person
    row = person_row(random.Random(3), 身份证号=other.id_number, 性别="男" if other.gender == "M" else "女",
                     出生日期=other.birth_date.isoformat())
    imp = _start(cast, [row])
    assert imp.status == ImportStatus.REJECTED
    assert "其他工会" in imp.errors_preview[0][3] and "青岛" not in imp.errors_preview[0][3]


def test_the_same_id_twice_in_a_file_names_both_rows(cast):
    rows = _rows(3)
    rows[2]["身份证号"] = rows[0]["身份证号"]
    rows[2]["性别"], rows[2]["出生日期"] = rows[0]["性别"], rows[0]["出生日期"]
    imp = _start(cast, rows)
    assert imp.status == ImportStatus.REJECTED
    assert sorted((e[0], e[3][:9]) for e in imp.errors_preview) == [(2, "身份证号在文件中重"), (4, "身份证号在文件中重")]
    assert "第4行" in imp.errors_preview[0][3] and "第2行" in imp.errors_preview[1][3]


def test_audit_one_event_per_import_not_per_row(cast):
    before = AuditEvent.objects.filter(verb="person.create").count()
    imp = _start(cast, _rows(3))
    create = AuditEvent.objects.get(verb="roster_import.create", object_id=str(imp.pk))
    apply = AuditEvent.objects.get(verb="roster_import.apply", object_id=str(imp.pk))
    assert create.actor == cast.city_admin and create.node_path == cast.tech.path
    assert apply.new["created"] == 3 and apply.new["memberships"] == 3 and apply.new["rows"] == 3
    assert AuditEvent.objects.filter(verb="person.create").count() == before


def test_rejection_is_audited(cast):
    rows = _rows(2)
    rows[0]["学历"] = "幼儿园"
    imp = _start(cast, rows)
    event = AuditEvent.objects.get(verb="roster_import.reject", object_id=str(imp.pk))
    assert event.new["errors"] == 1


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_utf8_and_gb18030(cast, encoding):
    rows = _rows(3, 学历="研究生", 民族="维吾尔族")
    imp = _start(cast, rows, name="roster.CSV", content=roster_csv(rows, encoding=encoding))
    assert imp.status == ImportStatus.DONE, imp.errors_preview
    assert _person(rows[1]["身份证号"]).ethnicity == "维吾尔族"


def test_csv_formula_cells_are_refused(cast):
    rows = _rows(2)
    rows[1]["姓名"] = "=cmd|' /C calc'!A0"
    imp = _start(cast, rows, name="r.csv", content=roster_csv(rows))
    assert imp.status == ImportStatus.REJECTED and "公式" in imp.errors_preview[0][3]
    # The report neutralises the value: a spreadsheet must not evaluate it.
    assert _report_rows(imp)[1][2].startswith("'=")


def test_status_moves_through_validating_and_writing(cast, monkeypatch):
    seen = []
    original = services._Progress._write

    def spy(self, fields):
        seen.append(dict(fields))
        original(self, fields)

    monkeypatch.setattr(services._Progress, "_write", spy)
    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    monkeypatch.setattr(services, "PROGRESS_INTERVAL", 0)
    imp = _start(cast, _rows(5))
    assert imp.status == ImportStatus.DONE
    processed = [f["processed_rows"] for f in seen if "processed_rows" in f]
    assert processed == sorted(processed) and processed[0] == 2 and processed[-1] == 5
    assert {"status": ImportStatus.WRITING} in seen
    assert seen.index({"status": ImportStatus.WRITING}) > seen.index(next(f for f in seen if "processed_rows" in f))


def test_big_files_go_to_the_background_task(cast, settings, django_capture_on_commit_callbacks):
    settings.ROSTER_SYNC_MAX_ROWS = 3
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        imp = _start(cast, _rows(6))
    assert imp.status == ImportStatus.PENDING and len(callbacks) == 1
    assert imp.total_rows == 6  # estimated from the sheet's dimension, for the progress bar
    callbacks[0]()
    imp.refresh_from_db()
    assert imp.status == ImportStatus.DONE and imp.created_count == 6


def test_the_task_runs_an_import_once(cast):
    imp = _start(cast, _rows(2))
    assert imp.status == ImportStatus.DONE
    roster_import_run(imp.pk)  # a redelivered task finds it done and leaves it alone
    imp.refresh_from_db()
    assert imp.status == ImportStatus.DONE and Person.objects.filter(memberships__source="import").count() == 2


def test_an_unexpected_failure_is_recorded_and_writes_nothing(cast, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "_finish_done", boom)
    before = Person.objects.count()
    imp = _start(cast, _rows(3))
    assert imp.status == ImportStatus.FAILED and "disk on fire" in imp.message and "未写入任何数据" in imp.message
    assert Person.objects.count() == before
    assert AuditEvent.objects.filter(verb="roster_import.fail", object_id=str(imp.pk)).exists()


def test_import_needs_the_capability_and_scope(cast):
    content = roster_xlsx(_rows(1))
    with pytest.raises(PermissionDenied):
        roster_import_start(actor=cast.viewer, union=cast.tech, upload=upload("r.xlsx", content))
    with pytest.raises(PermissionDenied):
        roster_import_start(actor=cast.outsider, union=cast.tech, upload=upload("r.xlsx", content))
    with pytest.raises(PermissionDenied):
        roster_import_start(actor=cast.city_admin, union=cast.tech, enterprise=cast.qd_enterprise,
                            upload=upload("r.xlsx", content))
    with pytest.raises(ValidationError) as e:
        roster_import_start(actor=cast.city_admin, union=cast.xihu, upload=upload("r.xlsx", content))
    assert "union" in e.value.message_dict
    assert RosterImport.objects.count() == 0


def test_a_district_staffer_imports_into_a_union_below(cast):
    imp = _start(cast, _rows(2), actor=cast.district_staff, union=cast.riders)
    assert imp.status == ImportStatus.DONE and imp.created_by == cast.district_staff


def test_a_large_roster_in_small_chunks_is_still_all_or_none(cast, monkeypatch):
    monkeypatch.setattr(services, "CHUNK_ROWS", 3)
    rows = _rows(10)
    rows[9]["入会日期"] = "昨天"
    before = Person.objects.count(), Membership.objects.count()
    imp = _start(cast, rows)
    assert imp.status == ImportStatus.REJECTED
    assert (Person.objects.count(), Membership.objects.count()) == before
    good = _start(cast, _rows(10, seed=7))
    assert good.status == ImportStatus.DONE and good.created_count == 10


def test_front_line_column_yes_no_blank_keeps_and_a_bad_cell_is_named(cast):
    """一线职工 (events filter their audience by it): 是/否; a blank cell records nothing and, on an update,
    keeps what was recorded; anything else fails the whole roster, naming the row."""
    rows = _rows(3, seed=7)
    rows[0]["一线职工"], rows[1]["一线职工"], rows[2]["一线职工"] = "是", "否", ""
    imp = _start(cast, rows)
    assert imp.status == ImportStatus.DONE, imp.errors_preview
    assert [_person(r["身份证号"]).front_line for r in rows] == [True, False, None]
    rows[0]["一线职工"], rows[1]["一线职工"] = "", "Y"
    imp = _start(cast, rows[:2])
    assert imp.status == ImportStatus.DONE, imp.errors_preview
    assert [_person(r["身份证号"]).front_line for r in rows[:2]] == [True, True]  # blank kept, Y taken
    bad = _rows(2, seed=8)
    bad[1]["一线职工"] = "也许"
    imp = _start(cast, bad)
    assert imp.status == ImportStatus.REJECTED and imp.error_count == 1
    ((row_no, column, _value, reason),) = imp.errors_preview
    assert row_no == 3 and column.startswith("一线职工") and "应填“是”或“否”" in reason
    assert not Person.objects.filter(id_number_hash=blind_index(bad[0]["身份证号"], "id")).exists()
