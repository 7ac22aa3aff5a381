"""The check-up pages through the test client: a campaign made, enrolled, self-assessed, visited, an
instrument issued and answered, the return visit; refusals shown where they happen."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from huigong.checkups.models import Campaign, ChecklistTemplate, ExamStatus, Finding, Instrument
from huigong.checkups.services import checklist
from huigong.checkups.testing import enrolled, visited

pytestmark = pytest.mark.django_db


def test_template_seed_and_campaign_through_the_pages(client, w):
    client.force_login(w.district_staff)
    r = client.post(reverse("checkups:template_seed"), {"kind": "legal"})
    t = ChecklistTemplate.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("checkups:template", args=[t.pk])
    item = t.items.get(seq=1)
    client.post(reverse("checkups:template_item", args=[item.pk]),
                {"category": item.category, "text": item.text, "legal_basis": item.legal_basis, "weight": "12",
                 "severity": item.severity})
    item.refresh_from_db()
    assert item.weight == 12
    today = timezone.localdate()
    data = {"title": "西湖区法治体检", "kind": "both", "year": today.year, "templates": [t.pk],
            "starts_on": today, "ends_on": today + dt.timedelta(days=30), "reply_days": 15, "rectify_days": 30,
            "return_visit_days": 60}
    r = client.post(reverse("checkups:campaign_new"), data)
    assert r.status_code == 200 and "综合体检须法治和安全清单各一份" in r.content.decode()
    r = client.post(reverse("checkups:campaign_new"), {**data, "kind": "legal"})
    c = Campaign.objects.get()
    assert r["Location"] == reverse("checkups:campaign", args=[c.pk])
    client.post(reverse("checkups:campaign_enroll", args=[c.pk]))
    assert set(c.examinations.values_list("enterprise_id", flat=True)) == {w.enterprise.pk, w.platform.pk}
    page = client.get(reverse("checkups:campaign", args=[c.pk])).content.decode()
    assert "杭州某科技有限公司" in page and "某外卖平台" in page


def test_self_assessment_by_the_enterprise_union(client, w):
    c, exam = enrolled(w.city_admin, w.xihu, w.enterprise)
    items = checklist(c)
    client.force_login(w.tech_staff)
    r = client.post(reverse("checkups:self_assess", args=[exam.pk]), {f"answer_{items[0].pk}": "yes"})
    assert r.status_code == 400 and "请选择检查结果" in r.content.decode()
    r = client.post(reverse("checkups:self_assess", args=[exam.pk]), {f"answer_{it.pk}": "yes" for it in items})
    exam.refresh_from_db()
    assert r.status_code == 302 and exam.status == ExamStatus.SELF_ASSESSED and exam.self_score == 100
    # The enterprise union sees its own examination on the home page, not the campaign's other firms.
    home = client.get(reverse("checkups:home")).content.decode()
    assert "杭州某科技有限公司" in home


def test_instrument_reply_and_return_visit_pages(client, w):
    _c, exam, findings = visited(w.city_admin, w.xihu, w.enterprise)
    client.force_login(w.district_staff)
    r = client.post(reverse("checkups:instrument_issue", args=[exam.pk]),
                    {"kind": "reminder", "findings": [f.pk for f in findings[:2]]})
    assert r.status_code == 302
    inst = Instrument.objects.get()
    assert set(Finding.objects.filter(instrument=inst).values_list("pk", flat=True)) == {f.pk for f in findings[:2]}
    r = client.post(reverse("checkups:instrument_reply", args=[inst.pk]),
                    {"replied_on": timezone.localdate(), "accepted": "0", "text": ""}, follow=True)
    assert "不采纳时请记录其理由" in r.content.decode()
    client.post(reverse("checkups:instrument_reply", args=[inst.pk]),
                {"replied_on": timezone.localdate(), "accepted": "1", "text": "同意整改"})
    inst.refresh_from_db()
    assert inst.accepted is True
    r = client.post(reverse("checkups:return_visit", args=[exam.pk]), {"visited_on": timezone.localdate(), "note": ""})
    assert r.status_code == 400
    r = client.post(reverse("checkups:return_visit", args=[exam.pk]),
                    {"visited_on": timezone.localdate(), "note": "企业正在整改", f"verdict_{findings[0].pk}": ""})
    exam.refresh_from_db()
    assert r.status_code == 302 and exam.status == ExamStatus.RETURN_VISITED
    page = client.get(reverse("checkups:exam", args=[exam.pk])).content.decode()
    assert inst.number in page and "企业正在整改" in page


def test_report_page_and_api(client, w):
    c, _exam, _findings = visited(w.city_admin, w.xihu, w.enterprise)
    client.force_login(w.leader)
    page = client.get(reverse("checkups:report", args=[c.pk])).content.decode()
    assert "体检工作报告" in page and "劳动合同" in page
    client.force_login(w.outsider)
    assert client.get(reverse("checkups:report", args=[c.pk])).status_code == 404
