"""Review findings on the files side (docs: /work/team/reviews/assistance.md, [files] items): incomes and
verification notes encrypted at rest and masked for roles without full personal data (6), closing a file
with money in flight (10), ninja's Status instead of the deprecated tuple (16), the help request prefill
logs its read (20), the household member form takes income and health note (21)."""

import datetime as dt
import warnings

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from huigong.api.tests.conftest import ApiClient, make_token
from huigong.assistance.forms_files import HouseholdMemberForm
from huigong.assistance.models import (
    ApplicationStatus,
    FileMember,
    FileReview,
    FileStatus,
    HardshipFile,
    HelpRequest,
)
from huigong.assistance.services import files as svc
from huigong.assistance.services import screening
from huigong.core.models import AccessLog, AuditEvent
from huigong.testing import new_id_number

from .files_support import DIBAO, deep_file, rule, sweep
from .flowkit import Flow

INCOME = 150_000  # 1,500.00 yuan for 3 people: below the 低保 line of 800 a person
INCOME_SHOWN = "1,500.00"
RIGID = 23_456
RIGID_SHOWN = "234.56"
NOTE = "入户核实：配偶尿毒症透析"


def api(user):
    return ApiClient(make_token(user))


def raw(table: str, column: str, pk: int):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.fixture
def opened(cast):
    rule(cast)
    f = deep_file(cast, head=cast.rider.person, members=[], monthly_income_fen=INCOME, rigid_expense_fen=RIGID)
    return svc.hardship_file_open(actor=cast.city_admin, file=f, verified_on=dt.date.today(), verification_note=NOTE)


# --- 6: encrypted at rest ------------------------------------------------------------------------------------

def test_file_review_and_help_request_figures_are_ciphertext_in_the_database(cast, opened):
    for column, plain in (("monthly_income_fen", INCOME), ("rigid_expense_fen", RIGID), ("verification_note", NOTE)):
        value = raw("assistance_hardshipfile", column, opened.pk)
        assert value is not None and str(plain) not in str(value), column
    review = svc.file_review_record(actor=cast.city_admin, file=opened, year=2026, outcome="keep",
                                    monthly_income_fen=171_717)
    assert "171717" not in str(raw("assistance_filereview", "monthly_income_fen", review.pk))
    hr = svc.help_request_create(person=cast.member.person, user=None, situation="配偶患病，家中无固定收入来源。",
                                 causes=["illness"], household_size=2, monthly_income_fen=98_765)
    assert "98765" not in str(raw("assistance_helprequest", "monthly_income_fen", hr.pk))
    # ...and read back as the numbers (the review's income became the file's).
    opened.refresh_from_db()
    assert (opened.monthly_income_fen, opened.rigid_expense_fen, opened.verification_note) == (171_717, RIGID, NOTE)
    assert FileReview.objects.get(pk=review.pk).monthly_income_fen == 171_717
    assert HelpRequest.objects.get(pk=hr.pk).monthly_income_fen == 98_765


def test_a_zero_income_reads_back_as_zero_and_a_missing_review_income_as_none(cast):
    rule(cast)
    f = deep_file(cast, members=[], monthly_income_fen=0, household_size=1)
    assert raw("assistance_hardshipfile", "monthly_income_fen", f.pk) is not None  # 0 is encrypted, not NULL
    f = HardshipFile.objects.get(pk=f.pk)
    assert (f.monthly_income_fen, f.rigid_expense_fen) == (0, 0)
    f = svc.hardship_file_open(actor=cast.city_admin, file=f, verified_on=dt.date.today(), verification_note="属实")
    review = svc.file_review_record(actor=cast.city_admin, file=f, year=2026, outcome="keep")
    assert FileReview.objects.get(pk=review.pk).monthly_income_fen is None


def test_audit_events_name_changed_figures_without_their_values(cast, opened):
    svc.hardship_file_update(actor=cast.city_admin, file=opened, monthly_income_fen=INCOME + 1111)
    events = AuditEvent.objects.filter(object_type="assistance.hardshipfile", object_id=str(opened.pk))
    text = " ".join(f"{e.old} {e.new}" for e in events)
    assert str(INCOME) not in text and str(INCOME + 1111) not in text and str(RIGID) not in text
    update = events.get(verb="hardship_file.update")
    assert update.new["figures_changed"] == ["monthly_income_fen"]


# --- 6: masked for roles without full personal data, logged when shown ------------------------------------------

def test_viewer_sees_the_band_not_the_figures_on_the_file_page(client, cast, opened):
    client.force_login(cast.viewer)
    before = AccessLog.objects.count()
    page = client.get(reverse("assistance:file_detail", args=[opened.pk])).content.decode()
    assert INCOME_SHOWN not in page and RIGID_SHOWN not in page and NOTE not in page
    assert "人均收入低于低保线" in page
    assert AccessLog.objects.count() == before  # nothing was shown in full


def test_admin_sees_the_figures_and_the_read_is_logged(client, cast, opened):
    client.force_login(cast.city_admin)
    page = client.get(reverse("assistance:file_detail", args=[opened.pk])).content.decode()
    assert INCOME_SHOWN in page and RIGID_SHOWN in page and NOTE in page
    log = AccessLog.objects.filter(object_type="assistance.hardshipfile", object_id=str(opened.pk),
                                   fields__contains="monthly_income_fen")
    assert log.filter(actor=cast.city_admin).exists()


def test_leader_cannot_open_the_edit_form_that_shows_the_figures(client, cast, opened):
    client.force_login(cast.leader)
    assert client.get(reverse("assistance:file_edit", args=[opened.pk])).status_code == 403


def test_viewer_sees_no_visit_incomes_among_sweep_candidates(client, cast):
    rule(cast)
    sw = sweep(cast)
    screening.sweep_visit_record(actor=cast.city_admin, sweep=sw, person=cast.member.person, household_size=3,
                                 monthly_income_fen=123_456)
    screening.sweep_rules_apply(actor=cast.city_admin, sweep=sw)
    client.force_login(cast.viewer)
    page = client.get(reverse("assistance:sweep_detail", args=[sw.pk])).content.decode()
    assert "1,234.56" not in page and "***" in page
    [item] = api(cast.viewer).get(f"sweeps/{sw.pk}/candidates").json()["items"]
    assert (item["monthly_income_fen"], item["rigid_expense_fen"], item["per_capita_fen"]) == (None, None, None)
    client.force_login(cast.city_admin)
    assert "1,234.56" in client.get(reverse("assistance:sweep_detail", args=[sw.pk])).content.decode()
    [item] = api(cast.city_admin).get(f"sweeps/{sw.pk}/candidates").json()["items"]
    assert item["monthly_income_fen"] == 123_456
    assert AccessLog.objects.filter(object_type="assistance.sweep", object_id=str(sw.pk), actor=cast.city_admin,
                                    row_count=1).count() == 2  # the page and the API call


def test_api_masks_file_figures_for_viewer_and_logs_them_for_admin(cast, opened):
    for path in (f"hardship-files/{opened.pk}", "hardship-files"):
        body = api(cast.viewer).get(path).json()
        item = body if "id" in body else body["items"][0]
        assert (item["monthly_income_fen"], item["rigid_expense_fen"]) == (None, None), path
        assert item["income_band"] == "人均收入低于低保线"
    before = AccessLog.objects.filter(actor=cast.city_admin).count()
    item = api(cast.city_admin).get(f"hardship-files/{opened.pk}").json()
    assert (item["monthly_income_fen"], item["rigid_expense_fen"]) == (INCOME, RIGID)
    assert api(cast.city_admin).get("hardship-files").json()["items"][0]["monthly_income_fen"] == INCOME
    assert AccessLog.objects.filter(actor=cast.city_admin).count() == before + 2


def test_viewer_sees_help_request_income_as_a_band(client, cast):
    rule(cast)
    svc.help_request_create(person=cast.member.person, user=None, situation="配偶患病，家中无固定收入来源。",
                            causes=["illness"], household_size=2, monthly_income_fen=98_765)
    client.force_login(cast.viewer)
    page = client.get(reverse("assistance:help_requests")).content.decode()
    assert "987.65" not in page and "人均收入低于低保线" in page
    client.force_login(cast.city_admin)
    assert "987.65" in client.get(reverse("assistance:help_requests")).content.decode()
    assert AccessLog.objects.filter(object_type="assistance.helprequest", actor=cast.city_admin).exists()


# --- 10: closing a file with money in flight ----------------------------------------------------------------------

def test_closing_is_refused_while_an_approved_application_waits_for_payment(cast):
    flow = Flow(cast, levels=("grassroots",))
    f = flow.new_file()
    app = flow.approve_all(flow.apply(file=f))
    assert app.status == ApplicationStatus.APPROVED
    with pytest.raises(ValidationError) as e:
        svc.hardship_file_close(actor=cast.city_admin, file=f, reason="recovered")
    assert flow.prog.name in str(e.value) and "已批准" in str(e.value)
    f.refresh_from_db()
    assert f.status == FileStatus.OPEN and FileMember.objects.filter(file=f, is_live=True).exists()


def test_closing_after_notice_ended_is_refused_too(cast):
    flow = Flow(cast, levels=("grassroots",))
    [app] = flow.ready_to_pay()
    app.refresh_from_db()
    assert app.status == ApplicationStatus.NOTICE_ENDED
    with pytest.raises(ValidationError):
        svc.hardship_file_close(actor=cast.city_admin, file=app.file, reason="recovered")
    assert HardshipFile.objects.get(pk=app.file_id).status == FileStatus.OPEN


@pytest.mark.parametrize("submit", [False, True])
def test_closing_withdraws_draft_and_submitted_applications(cast, submit):
    flow = Flow(cast, levels=("grassroots",))
    f = flow.new_file()
    app = flow.apply(file=f, submit=submit)
    svc.hardship_file_close(actor=cast.city_admin, file=f, reason="recovered")
    app.refresh_from_db()
    assert app.status == ApplicationStatus.WITHDRAWN
    event = AuditEvent.objects.get(object_type="assistance.hardshipfile", object_id=str(f.pk),
                                   verb="hardship_file.close")
    assert event.new["withdrawn_applications"] == [app.pk]


def test_close_page_shows_the_refusal(client, cast):
    flow = Flow(cast, levels=("grassroots",))
    f = flow.new_file()
    flow.approve_all(flow.apply(file=f))
    client.force_login(cast.city_admin)
    r = client.post(reverse("assistance:file_close", args=[f.pk]),
                    {"reason": "recovered", "note": "", "closed_on": dt.date.today().isoformat()})
    assert r.status_code == 200 and flow.prog.name in r.content.decode()
    assert HardshipFile.objects.get(pk=f.pk).status == FileStatus.OPEN


# --- 16: Status(201, body), not the deprecated tuple ----------------------------------------------------------------

def test_files_api_writes_raise_no_deprecation_warning(cast):
    admin = api(cast.city_admin)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = admin.post("screening-rules", {"union_id": cast.hangzhou.pk, "dibao_fen": DIBAO,
                                           "effective_from": "2020-01-01"})
        assert r.status_code == 201
        rule_id = r.json()["id"]
        deadline = (dt.date.today() + dt.timedelta(days=20)).isoformat()
        assert admin.post("sweeps", {"union_id": cast.hangzhou.pk, "title": "摸底", "year": 2025,
                                     "deadline": deadline}).status_code == 201
        r = admin.post("hardship-files", {"head_person_id": cast.member.person_id, "causes": ["illness"],
                                          "household_size": 2, "monthly_income_fen": 1000, "level": "deep"})
        assert r.status_code == 201, r.content
        r = admin.post(f"hardship-files/{r.json()['id']}/members",
                       {"name": "李大山", "relation": "配偶", "id_number": new_id_number()})
        assert r.status_code == 201, r.content
        other = admin.post("screening-rules", {"union_id": cast.xihu.pk, "dibao_fen": DIBAO,
                                               "effective_from": "2021-01-01"}).json()["id"]
        assert admin.delete(f"screening-rules/{other}").status_code == 204
    assert rule_id
    assert not [w for w in caught if "tuple" in str(w.message).lower()]


# --- 20: the help request prefill logs its read ---------------------------------------------------------------------

def test_filing_from_a_help_request_logs_the_read_of_its_situation(client, cast):
    rule(cast)
    hr = svc.help_request_create(person=cast.member.person, user=None, situation="配偶患病，家中无固定收入来源。",
                                 causes=["illness"], household_size=2, monthly_income_fen=98_765)
    client.force_login(cast.city_admin)
    r = client.get(reverse("assistance:file_create") + f"?help={hr.pk}")
    assert r.status_code == 200 and "配偶患病" in r.content.decode()
    log = AccessLog.objects.get(object_type="assistance.helprequest", object_id=str(hr.pk))
    assert "situation" in log.fields and log.actor == cast.city_admin


# --- 21: the household member form takes income and health note -----------------------------------------------------

def test_household_member_form_records_income_and_health_note(client, cast, opened):
    client.force_login(cast.city_admin)
    r = client.post(reverse("assistance:file_member_add", args=[opened.pk]),
                    {"name": "李小山", "relation": "子女", "id_number": new_id_number(), "monthly_income_yuan": "321.50",
                     "health_note": "先天性心脏病"})
    assert r.status_code == 302
    m = FileMember.objects.get(file=opened, name="李小山")
    assert (m.monthly_income_fen, m.health_note) == (32_150, "先天性心脏病")


def test_health_note_is_offered_only_with_full_personal_data(cast):
    assert "health_note" in HouseholdMemberForm(actor=cast.city_admin).fields
    assert "health_note" not in HouseholdMemberForm(actor=cast.viewer).fields
    assert "monthly_income_yuan" in HouseholdMemberForm(actor=cast.viewer).fields


def test_household_member_form_refuses_a_bad_income(client, cast, opened):
    client.force_login(cast.city_admin)
    client.post(reverse("assistance:file_member_add", args=[opened.pk]),
                {"name": "李小山", "relation": "子女", "id_number": new_id_number(), "monthly_income_yuan": "-5"})
    assert not FileMember.objects.filter(file=opened, name="李小山").exists()
