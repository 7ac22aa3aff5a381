"""The console pages drive the services: create a round, run it to the draw and the notice, record an
objection, enrol, record a term, pay; the report and the roster export; a bad form names its field."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from huigong.education import clock
from huigong.education.models import (
    Application,
    ApplicationStatus,
    EduNotice,
    Enrolment,
    Programme,
    TrancheStatus,
)
from huigong.education.testing import World, applicant, make_programme, submit


@pytest.fixture
def w(cast):
    return World(cast)


def test_create_a_round_from_the_page(client, w):
    client.force_login(w.c.city_admin)
    r = client.post(reverse("education:programme_create"), {
        "title": "2027年求学圆梦", "year": 2027, "opens_on": "2027-05-01", "closes_on": "2027-04-01", "total": 10,
        "allocation": "lottery", "quota_formula": "none", "levels": ["district", "city"], "subsidy_kind": "fixed",
        "tranche_yuan": "1000", "tranche_plan": "enrolment,term:2,graduation"})
    assert r.status_code == 200 and "申报截止日期不能早于开始日期" in r.content.decode()
    r = client.post(reverse("education:programme_create"), {
        "title": "2027年求学圆梦", "year": 2027, "opens_on": "2027-03-01", "closes_on": "2027-04-01", "total": 10,
        "allocation": "lottery", "quota_formula": "none", "levels": ["district", "city"], "subsidy_kind": "fixed",
        "tranche_yuan": "1000", "tranche_plan": "enrolment,term:2,graduation", "member_months": 12,
        "once_per_level": "on"})
    p = Programme.objects.get(title="2027年求学圆梦")
    assert r.status_code == 302 and p.rules == {"member_months": 12, "once_per_level": True}
    assert [t["trigger"] for t in p.tranches] == ["enrolment", "term", "graduation"] and p.tranches[0]["fen"] == 100000


def test_run_a_round_through_the_pages(client, w):
    p = make_programme(w.c.city_admin, w.c.hangzhou, total=1)
    a1, a2 = (submit(p, applicant(w.c.city_admin, w.c.tech)) for _ in range(2))
    client.force_login(w.xihu_admin)
    for a in (a1, a2):
        assert client.post(reverse("education:application_decide", args=[a.pk]), {"decision": "approved"}).status_code == 302
    client.force_login(w.c.leader)
    assert "待我审核" in client.get(reverse("education:queue")).content.decode()
    for a in (a1, a2):
        client.post(reverse("education:application_decide", args=[a.pk]), {"decision": "approved"})
    client.force_login(w.c.city_admin)
    client.post(reverse("education:programme_action", args=[p.pk, "close"]))
    client.post(reverse("education:programme_action", args=[p.pk, "draw"]), {"seed": "20261201"})
    p.refresh_from_db()
    assert p.status == "drawn" and p.draw_seed == "20261201"
    client.post(reverse("education:programme_action", args=[p.pk, "notice"]))
    notice = EduNotice.objects.get(programme=p)
    won = Application.objects.get(programme=p, status=ApplicationStatus.NOTICE)
    body = client.get(reverse("education:notice_detail", args=[notice.pk])).content.decode()
    assert won.person.name not in body  # masked on the notice
    client.post(reverse("education:notice_action", args=[notice.pk, "objection"]), {"content": "反映其非一线职工",
                                                                                    "application": won.pk})
    obj = notice.objections.get()
    client.post(reverse("education:notice_action", args=[notice.pk, "resolve"]),
                {"objection": obj.pk, "upheld": "0", "resolution": "经核实不成立"})
    with clock.travel(notice.ends_on):
        client.post(reverse("education:notice_action", args=[notice.pk, "end"]))
    won.refresh_from_db()
    assert won.status == ApplicationStatus.CONFIRMED
    r = client.post(reverse("education:enrolment_confirm", args=[won.pk]), {
        "enrolled_on": timezone.localdate().isoformat(), "confirmed_by": "institution", "student_no": "S1"})
    e = Enrolment.objects.get(application=won)
    assert r["Location"] == reverse("education:enrolment_detail", args=[e.pk])
    client.post(reverse("education:enrolment_action", args=[e.pk, "term"]), {"term": 2, "passed": "1"})
    assert won.tranches.get(trigger="term").status == TrancheStatus.DUE
    # Report and roster.
    body = client.get(reverse("education:report", args=[p.pk]) + "?by=institution").content.decode()
    assert p.majors.first().institution.name in body
    r = client.get(reverse("education:enrolments", args=[p.pk]) + "?format=xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(r.content)).get_sheet_by_index(0).to_python()
    assert rows[1][0] == won.person.name and rows[1][1] == won.person.id_number_mask
    # Payment by finance.
    client.force_login(w.c.finance)
    r = client.post(reverse("education:batch_create", args=[p.pk]))
    assert r.status_code == 302 and "/education/batches/" in r["Location"]
    assert won.tranches.filter(status=TrancheStatus.PAYING).count() == 2


def test_viewer_cannot_write(client, w):
    p = make_programme(w.c.city_admin, w.c.hangzhou)
    client.force_login(w.c.viewer)
    assert client.post(reverse("education:programme_action", args=[p.pk, "close"])).status_code == 403
    assert Programme.objects.get(pk=p.pk).status == "open"


def test_rules_editor_previews_saves_and_locks(client, w):
    """The editor: the page and its htmx preview count the members of the round's subtree who pass each
    rule; a bad value is named and nothing is saved; saved rules are the round's; once open, locked."""
    p = make_programme(w.c.city_admin, w.c.hangzhou, open_now=False, rules={})
    young = applicant(w.c.city_admin, w.c.tech, joined_on=timezone.localdate())
    url = reverse("education:programme_rules", args=[p.pk])
    client.force_login(w.c.city_admin)
    r = client.get(url)
    assert r.status_code == 200 and 'data-testid="rules-preview"' in r.content.decode()
    members = r.context["preview"]["members"]
    assert members >= 1 and r.context["preview"]["all"] == members
    r = client.get(url, {"preview": "1", "member_months": "6", "once_per_level": "on"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "<html" not in r.content.decode()
    rows = {x["code"]: x["passing"] for x in r.context["preview"]["rules"]}
    assert rows["once_per_level"] == members and rows["member_months"] <= members - 1  # the new member fails
    assert r.context["preview"]["all"] == rows["member_months"]
    r = client.post(url, {"min_age": "40", "max_age": "30"})
    assert r.status_code == 400 and "年龄上限不能小于年龄下限" in r.content.decode()
    p.refresh_from_db()
    assert p.rules == {}
    r = client.post(url, {"member_months": "6", "priorities": ["model_worker"]})
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.rules == {"member_months": 6} and p.priorities == ["model_worker"]
    from huigong.education import services

    services.programme_open(actor=w.c.city_admin, programme=p)
    r = client.get(url)
    assert r.status_code == 200 and 'data-testid="rules-form"' not in r.content.decode()
    r = client.post(url, {"member_months": "1"})
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.rules == {"member_months": 6}
    assert young.pk


def test_points_form_records_a_merit_score_and_names_a_bad_value(client, w):
    p = make_programme(w.c.city_admin, w.c.hangzhou, ranking="merit")
    a = submit(p, applicant(w.c.city_admin, w.c.tech))
    client.force_login(w.c.city_admin)
    url = reverse("education:application_points", args=[a.pk])
    r = client.post(url, {"points": "-5"}, follow=True)
    assert "成绩/积分" in r.content.decode()
    a.refresh_from_db()
    assert a.merit_points is None
    client.post(url, {"points": "88", "note": "入学考试"})
    a.refresh_from_db()
    assert a.merit_points == 88
    r = client.get(reverse("education:application_detail", args=[a.pk]))
    assert 'data-testid="merit-points">88<' in r.content.decode()
