"""Hardship files: create, duplicates, levels, household, evidence, open, review, close."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from huigong.assistance.models import (
    CloseReason,
    FileMember,
    FileReview,
    FileStatus,
    HardshipCause,
    HardshipFile,
    HardshipLevel,
    ReviewOutcome,
)
from huigong.assistance.selectors import files as sel
from huigong.assistance.services import files as svc
from huigong.assistance.services import screening
from huigong.core.models import AccessLog, AuditEvent
from huigong.testing import new_id_number

from .files_support import DIBAO, deep_file, member, rule


def png_upload(name="photo.png"):
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


@pytest.fixture
def ruled(cast, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    rule(cast)
    return cast


def test_create_numbers_the_file_adds_the_head_and_encrypts_the_household(ruled):
    cast = ruled
    spouse_id = new_id_number()
    f = deep_file(cast, members=[{"name": "李大山", "relation": "配偶", "id_number": spouse_id,
                                  "monthly_income_fen": 120000, "health_note": "尿毒症"}],
                  bank_account="6222021234567890123")
    year = dt.date.today().year
    assert f.file_no == f"330106-{year}-0001" and f.status == FileStatus.DRAFT
    assert (f.proposed_level, f.level, f.level_reason) == ("deep", "deep", "")
    assert f.bank_account_mask == "**** **** 0123" and f.payee_name == "李小红"
    rows = list(FileMember.objects.filter(file=f).order_by("id"))
    assert [(m.relation, m.is_live) for m in rows] == [("本人", True), ("配偶", True)]
    assert rows[1].id_number_mask == spouse_id[:6] + "********" + spouse_id[-4:]
    from django.db import connection
    with connection.cursor() as cur:
        cur.execute("SELECT id_number, health_note FROM assistance_filemember WHERE id = %s", [rows[1].pk])
        raw = cur.fetchone()
    assert spouse_id not in str(raw) and "尿毒症" not in str(raw)
    assert deep_file(cast, head=member(cast), members=[]).file_no.endswith("-0002")
    assert AuditEvent.objects.filter(verb="hardship_file.create", object_id=str(f.pk)).exists()


def test_duplicate_by_any_household_member_is_refused_naming_the_file(ruled):
    cast = ruled
    spouse_id = new_id_number()
    first = deep_file(cast, members=[{"name": "李大山", "relation": "配偶", "id_number": spouse_id}])
    other = member(cast, cast.riders, "孙二")
    with pytest.raises(ValidationError) as e:
        deep_file(cast, head=other, members=[{"name": "李大山", "relation": "配偶", "id_number": spouse_id}])
    msg = e.value.message_dict["members"][0]
    assert first.file_no in msg and "李*红" in msg and "杭州某科技公司工会" in msg and "已有档案" in msg
    with pytest.raises(ValidationError):  # the head again, alone
        deep_file(cast, members=[])
    assert HardshipFile.objects.count() == 1
    # once closed, the household may be filed again
    svc.hardship_file_close(actor=cast.city_admin, file=first, reason=CloseReason.RECOVERED)
    again = deep_file(cast, head=other, members=[{"name": "李大山", "relation": "配偶", "id_number": spouse_id}])
    assert again.status == FileStatus.DRAFT


def test_wrong_level_needs_a_reason_and_keeps_it(ruled):
    cast = ruled
    rich = {"household_size": 1, "monthly_income_fen": 10 * DIBAO}
    with pytest.raises(ValidationError) as e:
        deep_file(cast, members=[], **rich)
    assert "level_reason" in e.value.message_dict and "不符合任何困难标准" in e.value.message_dict["level_reason"][0]
    assert HardshipFile.objects.count() == 0
    f = deep_file(cast, members=[], level_reason="户主刚确诊重病，收入将中断", **rich)
    assert (f.proposed_level, f.level, f.level_reason) == ("", "deep", "户主刚确诊重病，收入将中断")
    with pytest.raises(ValidationError) as e:
        deep_file(cast, head=member(cast), members=[], level="relative")  # figures give deep
    assert "深度困难" in e.value.message_dict["level_reason"][0]


def test_sudden_cause_and_expenses_propose_sudden(ruled):
    cast = ruled
    f = deep_file(cast, members=[], level=HardshipLevel.SUDDEN, causes=[HardshipCause.WORK_INJURY],
                  household_size=1, monthly_income_fen=DIBAO + 100, rigid_expense_fen=500)
    assert f.proposed_level == HardshipLevel.SUDDEN


def test_bad_input_names_fields_and_rows_and_writes_nothing(ruled):
    cast = ruled
    with pytest.raises(ValidationError) as e:
        deep_file(cast, members=[{"name": "甲", "relation": "配偶", "id_number": "110105194912310021"},
                                 {"name": "", "relation": "子女", "id_number": new_id_number()},
                                 {"name": "丙", "relation": "外星人", "id_number": new_id_number()}])
    msgs = e.value.message_dict["members"]
    assert len(msgs) == 3 and "第2位" in msgs[0] and "校验位" in msgs[0] and "第3位" in msgs[1]
    with pytest.raises(ValidationError) as e:
        deep_file(cast, members=[], causes=["bogus"])
    assert "causes" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        deep_file(cast, household_size=1)  # two members listed
    assert "household_size" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        deep_file(cast, members=[], bank_account="12ab")
    assert "bank_account" in e.value.message_dict
    assert HardshipFile.objects.count() == FileMember.objects.count() == 0


def test_scope_and_roles(ruled):
    cast = ruled
    with pytest.raises(ValidationError):  # head outside the actor's subtree
        deep_file(cast, head=cast.qd_member.person, members=[])
    for actor in (cast.viewer, cast.leader, cast.finance):
        with pytest.raises(PermissionDenied):
            deep_file(cast, actor=actor, members=[])
    f = deep_file(cast, members=[])
    with pytest.raises(PermissionDenied):
        sel.file_get_for_actor(cast.outsider, f.pk)
    with pytest.raises(PermissionDenied):
        svc.hardship_file_close(actor=cast.outsider, file=f, reason=CloseReason.RECOVERED)
    assert sel.file_get_for_actor(cast.viewer, f.pk) == f
    with pytest.raises(PermissionDenied):
        sel.file_get_for_actor(cast.viewer, f.pk, for_write=True)


def test_open_needs_verification_then_review_once_a_year(ruled):
    cast = ruled
    f = deep_file(cast, members=[])
    with pytest.raises(ValidationError) as e:
        svc.hardship_file_open(actor=cast.city_admin, file=f, verified_on=dt.date.today() + dt.timedelta(days=1),
                               verification_note=" ")
    assert set(e.value.message_dict) == {"verified_on", "verification_note"}
    with pytest.raises(ValidationError):  # a draft is not reviewed
        svc.file_review_record(actor=cast.city_admin, file=f, year=2026, outcome=ReviewOutcome.KEEP)
    f = svc.hardship_file_open(actor=cast.city_admin, file=f, verified_on=dt.date.today(),
                               verification_note="入户核实，情况属实")
    assert f.status == FileStatus.OPEN and f.next_review_due == dt.date.today() + dt.timedelta(days=365)
    with pytest.raises(ValidationError):
        svc.hardship_file_open(actor=cast.city_admin, file=f, verified_on=dt.date.today(), verification_note="x")
    with pytest.raises(ValidationError) as e:
        svc.file_review_record(actor=cast.city_admin, file=f, year=2026, outcome=ReviewOutcome.CHANGE_LEVEL,
                               new_level=HardshipLevel.DEEP)
    assert set(e.value.message_dict) == {"new_level", "note"}
    svc.file_review_record(actor=cast.city_admin, file=f, year=2026, outcome=ReviewOutcome.CHANGE_LEVEL,
                           new_level=HardshipLevel.RELATIVE, note="配偶再就业", monthly_income_fen=200000)
    f.refresh_from_db()
    assert (f.level, f.level_reason, f.monthly_income_fen) == ("relative", "配偶再就业", 200000)
    with pytest.raises(ValidationError) as e:
        svc.file_review_record(actor=cast.city_admin, file=f, year=2026, outcome=ReviewOutcome.KEEP)
    assert "2026" in e.value.message_dict["year"][0]
    assert FileReview.objects.filter(file=f).count() == 1


def test_review_that_closes_and_close_free_the_household(ruled):
    cast = ruled
    f = deep_file(cast, members=[])
    f = svc.hardship_file_open(actor=cast.city_admin, file=f, verified_on=dt.date.today(), verification_note="属实")
    with pytest.raises(ValidationError):
        svc.file_review_record(actor=cast.city_admin, file=f, year=2026, outcome=ReviewOutcome.CLOSE)
    svc.file_review_record(actor=cast.city_admin, file=f, year=2026, outcome=ReviewOutcome.CLOSE,
                           close_reason=CloseReason.INCOME_UP, note="收入提高")
    f.refresh_from_db()
    assert (f.status, f.close_reason, f.next_review_due) == (FileStatus.CLOSED, "income_up", None)
    assert not FileMember.objects.filter(file=f, is_live=True).exists()
    with pytest.raises(ValidationError):
        svc.hardship_file_close(actor=cast.city_admin, file=f, reason=CloseReason.RECOVERED)
    with pytest.raises(ValidationError) as e:
        svc.hardship_file_close(actor=cast.city_admin, file=deep_file(cast, members=[]), reason=CloseReason.OTHER)
    assert "note" in e.value.message_dict
    verbs = list(AuditEvent.objects.filter(object_id=str(f.pk), object_type="assistance.hardshipfile")
                 .values_list("verb", flat=True).order_by("id"))
    assert verbs == ["hardship_file.create", "hardship_file.open", "hardship_file.review", "hardship_file.close"]


def test_due_for_review_lists_open_files_inside_the_window(ruled):
    cast = ruled
    f = svc.hardship_file_open(actor=cast.city_admin, file=deep_file(cast, members=[]), verified_on=dt.date.today(),
                               verification_note="属实")
    assert list(sel.files_due_for_review(cast.city_admin)) == []
    HardshipFile.objects.filter(pk=f.pk).update(next_review_due=dt.date.today() + dt.timedelta(days=3))
    assert list(sel.files_due_for_review(cast.city_admin)) == [f]
    assert list(sel.files_due_for_review(cast.outsider)) == []


def test_household_members_add_and_remove(ruled):
    cast = ruled
    f = deep_file(cast, members=[], household_size=2)
    kid = svc.file_member_add(actor=cast.city_admin, file=f, name="李小小", relation="子女", id_number=new_id_number(),
                              is_student=True)
    with pytest.raises(ValidationError):
        svc.file_member_add(actor=cast.city_admin, file=f, name="又一个", relation="本人", id_number=new_id_number())
    other = deep_file(cast, head=member(cast), members=[])
    with pytest.raises(ValidationError) as e:  # already in another live file
        svc.file_member_add(actor=cast.city_admin, file=other, name="李小小", relation="子女",
                            id_number=FileMember.objects.only("id_number").get(pk=kid.pk).id_number)
    assert f.file_no in e.value.message_dict["members"][0]
    head = FileMember.objects.get(file=f, relation="本人")
    with pytest.raises(ValidationError):
        svc.file_member_remove(actor=cast.city_admin, member=head)
    svc.file_member_remove(actor=cast.city_admin, member=kid)
    assert FileMember.objects.filter(file=f).count() == 1


def test_update_recomputes_the_proposal_and_checks_the_level(ruled):
    cast = ruled
    f = deep_file(cast, members=[])
    with pytest.raises(ValidationError):
        svc.hardship_file_update(actor=cast.city_admin, file=f, monthly_income_fen=100 * DIBAO)
    f = svc.hardship_file_update(actor=cast.city_admin, file=f, monthly_income_fen=100 * DIBAO,
                                 level_reason="临时收入，不可持续", causes=["illness", "schooling"])
    assert (f.proposed_level, f.level) == ("", "deep")
    assert sorted(f.causes.values_list("cause", flat=True)) == ["illness", "schooling"]
    with pytest.raises(ValidationError):
        svc.hardship_file_update(actor=cast.city_admin, file=f, file_no="X")


def test_evidence_checked_by_content_and_download_is_logged(ruled):
    cast = ruled
    f = deep_file(cast, members=[])
    with pytest.raises(ValidationError) as e:
        svc.evidence_add(actor=cast.city_admin, file=f, kind="medical",
                         upload=SimpleUploadedFile("fake.png", b"MZ\x90\x00 not an image", content_type="image/png"))
    assert "证明材料" in str(e.value)
    ev = svc.evidence_add(actor=cast.city_admin, file=f, kind="medical", upload=png_upload("../../病历.png"))
    assert (ev.content_type, ev.original_name) == ("image/png", "病历.png")
    assert "病历" not in ev.upload.name and ".." not in ev.upload.name
    got = sel.evidence_get_for_actor(cast.district_staff, f, ev.pk, purpose="test")
    assert got == ev and AccessLog.objects.filter(object_type="assistance.fileevidence").count() == 1
    for actor in (cast.outsider, cast.leader):
        with pytest.raises(PermissionDenied):
            sel.evidence_get_for_actor(actor, f, ev.pk, purpose="test")


def test_reveal_needs_pii_and_logs(ruled):
    cast = ruled
    f = deep_file(cast, members=[], bank_account="6222021234567890123")
    head = FileMember.objects.get(file=f)
    assert sel.file_reveal(cast.city_admin, f, "bank_account", purpose="t") == "6222021234567890123"
    assert sel.file_reveal(cast.city_admin, f, "id_number", member_id=head.pk, purpose="t") == \
        cast.member.person.id_number
    assert AccessLog.objects.filter(object_type__startswith="assistance.").count() == 2
    with pytest.raises(PermissionDenied):
        sel.file_reveal(cast.viewer, f, "bank_account", purpose="t")
    with pytest.raises(PermissionDenied):
        sel.file_reveal(cast.outsider, f, "bank_account", purpose="t")


def test_file_from_a_candidate_visit(ruled):
    cast = ruled
    from .files_support import sweep

    sw = sweep(cast)
    v = screening.sweep_visit_record(actor=cast.city_admin, sweep=sw, person=cast.member.person, household_size=1,
                                     monthly_income_fen=100)
    f = deep_file(cast, members=[], source_visit=v, household_size=1, monthly_income_fen=100)
    assert f.source_visit == v
    with pytest.raises(ValidationError):
        deep_file(cast, head=member(cast), members=[], source_visit=v)
