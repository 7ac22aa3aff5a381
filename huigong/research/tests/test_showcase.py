"""The showcase page (finished reports, adopted policies) and the project's 调研成果报告 PDF (rendered to PNG
and saved under $HG_SHOTS for a person to look at; its text layer checked here)."""

from __future__ import annotations

import copy
import os
import tempfile

import pytest
from django.urls import reverse
from django.utils import timezone

from huigong.core.pdf import cjk_font_installed


@pytest.fixture(scope="module")
def _done(module_world):
    """新音台 with one finished project (642 orders ridden) whose second recommendation was adopted as a policy,
    and a Qingdao programme's finished project the Hangzhou side must never see."""
    def build():
        from huigong.core.outcomes import services as outcomes
        from huigong.research.testing import make_programme, reported_project
        from huigong.testing import Cast

        c = Cast().build()
        c.programme = make_programme(c)
        c.project, r = reported_project(c, c.programme, seed=71, accept=True)
        item = r.recommendations.get(seq=2).item
        outcomes.evidence_add(actor=c.city_admin, item=item, kind="policy", title="健康证先办后补实施办法",
                              doc_number="杭工发〔2026〕12号", issuer="杭州市总工会", issued_on=timezone.localdate(),
                              of_effect=True)
        outcomes.item_submit(actor=c.city_admin, item=item)
        outcomes.item_verify(actor=c.leader, item=item, effective=True)
        return c

    return module_world(build)


@pytest.fixture
def w(_done, db):
    return copy.deepcopy(_done)


def test_showcase_lists_finished_reports_and_adopted_policies(w, client):
    client.force_login(w.district_staff)
    r = client.get(reverse("research:showcase"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "《关于骑手配送时效的调研报告》" in html and "642" in html
    assert "杭工发〔2026〕12号" in html and "推行健康证先办后补" in html
    assert "在老旧小区设置外卖取餐点" not in html  # not adopted (yet): not a policy
    # The district's staff see their team's adopted recommendation but not the tracker's page (the city's).
    assert reverse("outcomes:detail", args=[w.project.reports.get().recommendations.get(seq=2).item_id]) not in html
    client.force_login(w.city_admin)
    html = client.get(reverse("research:showcase")).content.decode()
    assert reverse("outcomes:detail", args=[w.project.reports.get().recommendations.get(seq=2).item_id]) in html


def test_showcase_shows_nothing_of_another_subtree(w, client):
    client.force_login(w.outsider)
    html = client.get(reverse("research:showcase")).content.decode()
    assert "骑手配送时效" not in html and "杭工发" not in html
    assert client.get(reverse("research:project_pdf", args=[w.project.pk])).status_code in (403, 404)


@pytest.mark.skipif(not cjk_font_installed(), reason="no CJK font (apt-get install fonts-noto-cjk)")
def test_project_report_pdf(w, client):
    pypdfium2 = pytest.importorskip("pypdfium2")
    client.force_login(w.district_staff)
    r = client.get(reverse("research:project_pdf", args=[w.project.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    doc = pypdfium2.PdfDocument(r.content)
    image = doc[0].render(scale=1.5).to_pil()
    out = os.path.join(os.environ.get("HG_SHOTS", tempfile.gettempdir()), "research-project-report.png")
    image.save(out)
    dark = sum(1 for p in image.convert("L").tobytes() if p < 128)
    assert dark > 2000, dark  # Chinese drawn with a real font, not a blank page
    text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    for expected in ("调研成果报告", "西湖区", "642", "关于骑手配送时效的调研报告", "杭工发〔2026〕12号", "已采纳落实"):
        assert expected in text.replace("\r", "").replace("\n", ""), expected


def test_a_finding_that_led_to_a_recommendation_shows_on_both_pages(w, client):
    """The tracker's link, shown on the check-up's examination page and on the research project's page,
    each pointing at the other's page; neither item moves."""
    from huigong.checkups.testing import visited
    from huigong.core.outcomes import services as outcomes
    from huigong.core.outcomes.models import TrackedItem

    _c, exam, findings = visited(w.city_admin, w.xihu, w.enterprise)
    finding = findings[0]
    rec = w.project.reports.get().recommendations.get(seq=1)
    before = {i.pk: (i.status, i.progress, i.due_date) for i in TrackedItem.objects.filter(pk__in=[finding.item_id, rec.item_id])}
    outcomes.link_create(actor=w.city_admin, src=finding.item, dst=rec.item, relation="led_to", note="骑手取餐难")
    after = {i.pk: (i.status, i.progress, i.due_date) for i in TrackedItem.objects.filter(pk__in=[finding.item_id, rec.item_id])}
    assert after == before
    client.force_login(w.city_admin)
    html = client.get(reverse("checkups:exam", args=[exam.pk])).content.decode()
    assert "引出 → 调研建议" in html and reverse("research:project_detail", args=[w.project.pk]) in html
    html = client.get(reverse("research:project_detail", args=[w.project.pk])).content.decode()
    assert "← 引出 体检发现问题" in html and reverse("checkups:exam", args=[exam.pk]) in html
    # 西湖区's staff see the finding (their subtree) but the city's recommendation is not theirs to follow:
    client.force_login(w.tech_staff)
    html = client.get(reverse("checkups:exam", args=[exam.pk])).content.decode()
    assert "调研建议" not in html
