"""Dashboard, export and report pages: roles, scope (the outsider is refused), contents."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pytest
from django.test import Client

from huigong.insights.models import Report, ReportStatus
from huigong.insights.rollups import rollups_refresh


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def rolled(kpi_world):
    rollups_refresh()
    return kpi_world


@pytest.mark.parametrize("role", ["city_admin", "viewer", "finance", "leader", "district_staff"])
def test_dashboard_for_each_role(rolled, role):
    w = rolled
    r = client_for(getattr(w, role)).get("/insights/", {"period": "2025-Q1"})
    assert r.status_code == 200
    text = r.content.decode()
    assert "在会会员" in text and "2025年第1季度" in text
    assert "青岛" not in text  # nothing from the other subtree, not even in the node picker


def test_dashboard_figures_and_drilldown(rolled):
    w = rolled
    r = client_for(w.leader).get("/insights/", {"node": w.xihu.pk, "period": "2025-03"})
    assert r.status_code == 200
    data = r.context["data"]
    names = [c["name"] for c in data["children"]]
    assert names == ["西湖区骑手联合工会", "杭州某科技公司工会"]
    cards = {c["name"]: c for c in data["cards"]}
    # 西湖 at the end of March 2025: cast's two (joined 2024-03) + 科技 dispatch + riders ×3; 成员0 withdrew,
    # 成员2 moved to 拱墅.
    assert cards["members.active"]["value"] == 6
    assert cards["members.active"]["previous"] == 6
    assert cards["members.new"]["value"] == 1 and cards["members.new"]["previous"] == 2
    assert data["as_of"]


def test_outsider_cannot_open_a_hangzhou_dashboard(rolled):
    w = rolled
    c = client_for(w.outsider)
    assert c.get("/insights/", {"node": w.xihu.pk}).status_code == 404
    assert c.get("/insights/export.xlsx", {"node": w.xihu.pk}).status_code == 404
    assert c.post(f"/insights/reports/new/?node={w.xihu.pk}").status_code == 404
    # Their own subtree works and shows only Qingdao.
    r = c.get("/insights/")
    assert r.status_code == 200 and "西湖" not in r.content.decode()


def test_lower_staff_cannot_look_up_the_tree(rolled):
    w = rolled
    assert client_for(w.tech_staff).get("/insights/", {"node": w.hangzhou.pk}).status_code == 404


def test_bad_period_and_node_are_explained(rolled):
    w = rolled
    r = client_for(w.leader).get("/insights/", {"period": "2025-13"})
    assert r.status_code == 200
    assert "期间格式" in r.content.decode()
    assert client_for(w.leader).get("/insights/", {"node": "x1"}).status_code == 200
    assert client_for(w.leader).get("/insights/", {"node": "999999"}).status_code == 404
    r = client_for(w.leader).get("/insights/", {"from": "2025-06", "to": "2025-01"})
    assert "早于开始月份" in r.content.decode()


def test_xlsx_export(rolled):
    from python_calamine import CalamineWorkbook

    w = rolled
    assert client_for(w.viewer).get("/insights/export.xlsx").status_code == 403  # viewer has no export
    r = client_for(w.leader).get("/insights/export.xlsx", {"node": w.hangzhou.pk, "period": "2025-Q1"})
    assert r.status_code == 200
    from urllib.parse import unquote

    # A file name a union worker recognises in her downloads: the union, the period and the day.
    name = unquote(r["Content-Disposition"].split("filename*=utf-8''")[-1])
    assert name.startswith("工作数据-杭州市总工会-2025年第1季度-") and name.endswith(".xlsx")
    book = CalamineWorkbook.from_filelike(io.BytesIO(r.content))
    rows = book.get_sheet_by_index(0).to_python()
    by_code = {row[2]: row for row in rows[3:]}
    assert by_code["members.new"][4] == 7  # Q1 2025 joins in 杭州 (not counting the transfer)
    kids = book.get_sheet_by_index(1).to_python()
    assert [k[0] for k in kids[1:]] == ["西湖区总工会", "拱墅区总工会"]


def test_pdf_report_in_the_background(rolled, settings, django_capture_on_commit_callbacks):
    import pypdfium2 as pdfium

    from huigong.core.pdf import cjk_font_installed

    if not cjk_font_installed():
        pytest.skip("no CJK font (apt-get install fonts-noto-cjk)")
    w = rolled
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="hg-insights-media-")
    c = client_for(w.leader)
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"/insights/reports/new/?node={w.hangzhou.pk}&period=2025-Q1")
    assert r.status_code == 302
    report = Report.objects.get()
    assert report.status == ReportStatus.DONE, report.message
    page = c.get(f"/insights/reports/{report.pk}/")
    assert "下载 PDF" in page.content.decode()
    pdf = c.get(f"/insights/reports/{report.pk}/download/")
    assert pdf.status_code == 200
    body = b"".join(pdf.streaming_content)
    doc = pdfium.PdfDocument(body)
    text = doc[0].get_textpage().get_text_range()
    for words in ("杭州市总工会", "工作数据报告", "主要指标", "在会会员", "新入会会员"):
        assert words in text
    out = Path(os.environ.get("HG_REVIEW_DIR", tempfile.gettempdir())) / "insights-report-page1.png"
    doc[0].render(scale=1.5).to_pil().save(out)
    print(f"report page 1 rendered for review: {out}")
    # Scope: the outsider cannot see or download it.
    o = client_for(w.outsider)
    assert o.get(f"/insights/reports/{report.pk}/").status_code == 404
    assert o.get(f"/insights/reports/{report.pk}/download/").status_code == 404
    assert "杭州" not in o.get("/insights/reports/").content.decode()


def test_refresh_needs_admin(rolled):
    w = rolled
    assert client_for(w.leader).post("/insights/refresh/").status_code == 403
    r = client_for(w.city_admin).post("/insights/refresh/", {"next": "/insights/?period=2025-01"})
    assert r.status_code == 302 and r["Location"] == "/insights/?period=2025-01"


def test_the_data_part_is_rendered_once_per_rollup_generation(rolled):
    """A second view of the same dashboard reads no rollup row (the rendered part comes from the cache);
    a refresh starts a new generation and the page shows the new figures."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from huigong.members.models import Membership, MembershipStatus

    w = rolled
    c = client_for(w.leader)
    args = {"node": w.xihu.pk, "period": "2025-03"}
    first = c.get("/insights/", args)
    assert first.status_code == 200 and first.context["data"]["cards"][0]["name"] == "members.active"
    with CaptureQueriesContext(connection) as q:
        again = c.get("/insights/", args)
    assert again.status_code == 200
    assert not [x for x in q.captured_queries if "insights_kpirollup" in x["sql"]]
    marker = 'id="dash-data"'
    assert marker in again.content.decode()
    body = lambda r: r.content.decode().split('<div class="stats kpi-cards">')[1].split(marker)[0]  # noqa: E731
    assert body(again) == body(first)
    # Someone in 西湖 withdraws in March 2025: after the refresh the page counts one member fewer.
    m = Membership.objects.filter(union__path__startswith=w.xihu.path, status=MembershipStatus.ACTIVE,
                                  joined_on__lte="2025-03-01").first()
    Membership.objects.filter(pk=m.pk).update(status=MembershipStatus.WITHDRAWN, ended_on="2025-03-10")
    rollups_refresh()
    after = c.get("/insights/", args)
    cards = {x["name"]: x for x in after.context["data"]["cards"]}
    assert cards["members.active"]["value"] == 5


def test_a_refresh_tick_warms_the_top_levels_default_pages(kpi_world):
    """After the periodic refresh, the default page of a node with subtree rows (a city) answers from the
    cache: the first look after a refresh reads no rollup row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from huigong.core import periodic
    from huigong.insights.rollups import tree_depth

    w = kpi_world
    assert w.hangzhou.depth <= tree_depth()
    periodic.JOBS["insights.rollups_refresh"].last_run = 0.0  # the job is due
    assert periodic.tick()["insights.rollups_refresh"] == "ok"
    c = client_for(w.leader)
    with CaptureQueriesContext(connection) as q:
        r = c.get("/insights/", {"node": w.hangzhou.pk})
    assert r.status_code == 200 and "kpi-cards" in r.content.decode()
    assert not [x for x in q.captured_queries if "insights_kpirollup" in x["sql"]]
    # A page that was not warmed (a grassroots union, below the levels with subtree rows) is computed
    # on demand.
    assert w.tech.depth > tree_depth()
    with CaptureQueriesContext(connection) as q:
        assert c.get("/insights/", {"node": w.tech.pk}).status_code == 200
    assert [x for x in q.captured_queries if "insights_kpirollup" in x["sql"]]


def test_a_percentage_is_not_followed_by_a_second_percent_sign(rolled):
    import re

    body = client_for(rolled.city_admin).get("/insights/", {"period": "2025-Q1"}).content.decode()
    assert re.search(r"\d%", body)  # some percentage is shown
    assert not re.search(r"%\s*(<[^>]*>\s*)*%", body)
