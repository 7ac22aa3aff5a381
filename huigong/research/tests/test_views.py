"""The research pages end to end: a team applies, is approved, works, reports; the programme's union
checks and accepts; finance pays; every refusal is a message in the user's language and writes nothing."""

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from huigong.core.models import AccessLog, AuditEvent
from huigong.research.models import Project, ProjectStatus, Report, TranchePayment
from huigong.research.testing import approved_project, fresh_text, make_project, reported_project, ride


def _msgs(r) -> str:
    return " ".join(str(m) for m in get_messages(r.wsgi_request))


def test_brand_page_shows_the_figures(client, w):
    reported_project(w, w.programme, seed=201, accept=True)  # with the rider cadre's 642 orders
    client.force_login(w.leader)
    page = client.get(reverse("research:home")).content.decode()
    assert "新音台" in page and "642" in page and "资政报告" in page and "建议被采纳" in page


def test_a_team_applies_through_the_pages(client, w):
    client.force_login(w.district_staff)
    topic = w.programme.topics.first()
    r = client.post(reverse("research:project_create", args=[w.programme.pk]), {
        "topic": topic.pk, "node": w.xihu.pk, "team_name": "网约车调研队", "plan": "跟车体验", "requested_yuan": "800",
        "payee_name": "西湖区总工会", "bank_name": "杭州银行", "bank_account": "6222 0200 0000 9876"})
    p = Project.objects.get(team_name="网约车调研队")
    assert r.status_code == 302 and p.requested_fen == 80_000 and p.bank_account_mask.endswith("9876")
    # Submitting a team that breaks the rules: the page says what is missing and nothing moves.
    r = client.post(reverse("research:project_submit", args=[p.pk]))
    assert "调研队须有一名队长" in _msgs(r)
    p.refresh_from_db()
    assert p.status == ProjectStatus.DRAFT
    year = w.programme.year
    for name, role, age, front in (("甲", "leader", 28, True), ("乙", "member", 30, True), ("丙", "member", 45, False),
                                   ("丁", "mentor", 50, False)):
        client.post(reverse("research:project_team", args=[p.pk]), {"name": name, "role": role,
                                                                    "birth_year": year - age,
                                                                    **({"front_line": "on"} if front else {})})
    detail = client.get(reverse("research:project_detail", args=[p.pk])).content.decode()
    assert "提交立项审批" in detail and "6222" not in detail  # the account is masked on the page
    client.post(reverse("research:project_submit", args=[p.pk]))
    p.refresh_from_db()
    assert p.status == ProjectStatus.SUBMITTED


def test_the_city_decides_checks_and_accepts_through_the_pages(client, w):
    p = services_submit(w)
    client.force_login(w.city_admin)
    client.post(reverse("research:project_decide", args=[p.pk]), {"decision": "approved", "amount_yuan": "900"})
    p.refresh_from_db()
    assert p.status == ProjectStatus.FIELDWORK and p.approved_fen == 90_000
    client.force_login(w.district_staff)
    client.post(reverse("research:fieldwork_add", args=[p.pk]), {
        "kind": "ride_along", "occurred_on": timezone.localdate().isoformat(), "place": "文三路", "cadre": "周队长",
        "people": 10, "orders": 38, "hours": "6"})
    assert p.fieldwork.get().orders == 38
    client.force_login(w.city_admin)
    client.post(reverse("research:midterm", args=[p.pk]), {"verdict": "pass"})
    client.force_login(w.district_staff)
    r = client.post(reverse("research:report_upload", args=[p.pk]), {
        "title": "网约车司机调研报告", "recommendations": "市交通运输局：设立司机之家",
        "file": SimpleUploadedFile("r.txt", fresh_text(301).encode())})
    assert "等待验收" in _msgs(r)
    report = Report.objects.get(project=p)
    client.force_login(w.city_admin)
    client.post(reverse("research:report_decide", args=[report.pk]), {"accept": "1"})
    p.refresh_from_db()
    assert p.status == ProjectStatus.COMPLETED
    assert report.recommendations.get().item.owner_name == "市交通运输局"
    page = client.get(reverse("research:project_detail", args=[p.pk])).content.decode()
    assert reverse("outcomes:detail", args=[report.recommendations.get().item_id]) in page


def services_submit(w):
    from huigong.research import services

    return services.project_submit(actor=w.district_staff, project=make_project(w, w.programme))


def test_a_short_report_is_refused_with_its_length(client, w):
    from huigong.research import services

    p = approved_project(w, w.programme)
    ride(w, p)
    services.midterm_check(actor=w.city_admin, project=p, verdict="pass")
    client.force_login(w.district_staff)
    events = AuditEvent.objects.count()
    r = client.post(reverse("research:report_upload", args=[p.pk]), {
        "title": "短", "recommendations": "市总工会：建议", "file": SimpleUploadedFile("r.txt", "太短了".encode())})
    assert "报告字数 3" in _msgs(r)
    assert not Report.objects.filter(project=p).exists() and AuditEvent.objects.count() == events


def test_report_download_is_decrypted_and_logged(client, w):
    _p, r = reported_project(w, w.programme, seed=401)
    client.force_login(w.viewer)
    resp = client.get(reverse("research:report_file", args=[r.pk]))
    assert resp.status_code == 200 and b"".join(resp.streaming_content).decode() == fresh_text(401)
    assert AccessLog.objects.filter(object_type="research.report", object_id=str(r.pk)).exists()


def test_finance_pays_through_the_pages(client, w):
    approved_project(w, w.programme)
    client.force_login(w.finance)
    r = client.post(reverse("research:batch_create", args=[w.programme.pk]))
    pay = TranchePayment.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("research:batch_detail", args=[pay.batch_id])
    page = client.get(r["Location"]).content.decode()
    assert "4321" in page and "6222020000004321" not in page
    sheet = client.post(reverse("research:batch_sheet", args=[pay.batch_id]))
    assert sheet.status_code == 200 and sheet["Content-Type"].startswith("application/vnd.openxmlformats")
    client.post(reverse("research:payment_paid", args=[pay.pk]), {"bank_reference": "B-9"})
    pay.refresh_from_db()
    assert pay.status == "paid"


@pytest.mark.parametrize("name", ["research:project_submit", "research:fieldwork_add", "research:midterm",
                                  "research:report_upload", "research:project_decide"])
def test_outsider_writes_nothing(client, w, name):
    p = approved_project(w, w.programme)
    client.force_login(w.outsider)
    events = AuditEvent.objects.count()
    r = client.post(reverse(name, args=[p.pk]), {"verdict": "pass", "decision": "approved", "kind": "visit"})
    assert r.status_code in (403, 404) and AuditEvent.objects.count() == events


def test_a_completed_project_takes_no_more_fieldwork_even_from_a_stale_page(w):
    from django.core.exceptions import ValidationError

    p, _r = reported_project(w, w.programme, seed=202, accept=True)  # p is the object as it was before
    with pytest.raises(ValidationError):
        ride(w, p, orders=5)
