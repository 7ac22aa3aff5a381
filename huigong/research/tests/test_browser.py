"""The research pages in a real browser (Debian chromium via Playwright): the brand's page (新音台) with its
figures, a team's project page with its team, fieldwork (the rider cadre's 642 orders), tranches, report
and tracked recommendations, and a fieldwork entry recorded on a phone. axe-core finds no critical or serious
violation on them. Screenshots go to $HUIGONG_SCREENSHOT_DIR/research (default: a fresh temporary directory)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe.min.js"


@pytest.fixture
def shots():
    root = os.environ.get("HUIGONG_SCREENSHOT_DIR")
    path = Path(root) / "research" if root else Path(tempfile.mkdtemp(prefix="huigong-research-shots-"))
    path.mkdir(parents=True, exist_ok=True)
    print(f"\nresearch screenshots: {path}")
    return path


@pytest.fixture
def world():
    from huigong.core.outcomes import services as outcomes
    from huigong.research import services
    from huigong.research.testing import make_programme, reported_project
    from huigong.testing import Cast

    c = Cast().build()
    c.programme = make_programme(c, topics=3)
    c.project, report = reported_project(c, c.programme, seed=7)  # with the rider cadre's 642 orders
    services.report_decide(actor=c.city_admin, report=report, accept=True)
    item = report.recommendations.order_by("seq").last().item
    outcomes.evidence_add(actor=c.city_admin, item=item, kind="policy", title="骑手健康证先办后补",
                          doc_number="杭工发〔2025〕12号", issuer="杭州市总工会", of_effect=True)
    outcomes.item_submit(actor=c.city_admin, item=item)
    outcomes.item_verify(actor=c.leader, item=item, effective=True)
    c.project.refresh_from_db()
    services.award_give(actor=c.city_admin, project=c.project, level="first", title="优秀调研成果",
                        awarded_on=c.programme.created_at.date())
    return c


def _context(browser, live_server, user, **kw):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    ctx = browser.new_context(locale="zh-CN", **kw)
    ctx.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                      "url": live_server.url}])
    return ctx


def _axe(page) -> list[str]:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run scripts/vendor_static.py")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']}: {v['help']}" for v in result["violations"] if v["impact"] in ("critical", "serious")]


def test_brand_page_and_a_teams_project(live_server, browser, world, shots):
    from playwright.sync_api import expect

    ctx = _context(browser, live_server, world.leader, viewport=LAPTOP, bypass_csp=True)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/research/")
    expect(page.locator(".rs-hero h2")).to_contain_text("新音台")
    figures = page.locator(".rs-figure")
    expect(figures.nth(0)).to_contain_text("3")  # topics
    expect(figures.nth(2)).to_contain_text("1")  # reports accepted
    expect(figures.nth(3)).to_contain_text("1")  # adopted
    expect(page.locator(".rs-big").first).to_have_text("642")
    page.screenshot(path=str(shots / "brand-laptop.png"), full_page=True)
    assert not _axe(page), _axe(page)
    page.get_by_role("link", name="低空经济 · 骑手调研先锋队").first.click()
    expect(page.locator("h1")).to_contain_text("骑手调研先锋队")
    expect(page.get_by_text("跑单 642 单", exact=False)).to_be_visible()
    expect(page.get_by_text("已采纳落实")).to_be_visible()
    expect(page.get_by_text("**** **** 4321", exact=False)).to_be_visible()
    page.screenshot(path=str(shots / "project-laptop.png"), full_page=True)
    assert not _axe(page), _axe(page)
    # The showcase: the finished report and the adopted policy, on a laptop and on a phone.
    page.goto(f"{live_server.url}/research/showcase/")
    expect(page.get_by_text("杭工发〔2025〕12号")).to_be_visible()
    expect(page.get_by_text("《关于骑手配送时效的调研报告》")).to_be_visible()
    page.screenshot(path=str(shots / "showcase-laptop.png"), full_page=True)
    assert not _axe(page), _axe(page)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(shots / "showcase-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    assert not errors, errors
    ctx.close()


def test_a_cadre_records_fieldwork_on_a_phone(live_server, browser, world, shots):
    from playwright.sync_api import expect

    from huigong.research.models import FieldworkLog
    from huigong.research.testing import approved_project

    p = approved_project(world, world.programme, topic=world.programme.topics.all()[1])
    ctx = _context(browser, live_server, world.district_staff, viewport=PHONE, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    errors: list[str] = []  # the page runs under the real CSP here: any violation is a console error
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/research/projects/{p.pk}/")
    page.select_option("select[name=kind]", "ride_along")
    page.fill("input[name=place]", "文三路商圈")
    page.fill("input[name=cadre]", "周队长")
    page.fill("input[name=people]", "12")
    page.fill("input[name=orders]", "37")
    page.fill("input[name=hours]", "8")
    page.get_by_role("button", name="记录调研日志").click()
    page.screenshot(path=str(shots / "fieldwork-phone.png"), full_page=True)
    expect(page.get_by_text("已记录调研日志")).to_be_visible()
    assert FieldworkLog.objects.get(project=p).orders == 37
    # A refusal on the phone: orders on an interview are named, nothing is written.
    page.select_option("select[name=kind]", "interview")
    page.fill("input[name=place]", "站点")
    page.fill("input[name=cadre]", "吴队员")
    page.fill("input[name=orders]", "5")
    page.get_by_role("button", name="记录调研日志").click()
    expect(page.get_by_text("只有沉浸式体验（跟岗/跑单）可以记录完成单数")).to_be_visible()
    assert FieldworkLog.objects.filter(project=p).count() == 1
    assert not errors, errors
    ctx.close()


def test_guide_and_batch_pages_are_accessible(live_server, browser, world, shots):
    from playwright.sync_api import expect

    from huigong.research import payments

    batch, _ = payments.batch_create(actor=world.finance, programme=world.programme)
    for user, url, name in ((world.city_admin, f"/research/programmes/{world.programme.pk}/", "guide"),
                            (world.finance, f"/research/batches/{batch.pk}/", "batch")):
        ctx = _context(browser, live_server, user, viewport=LAPTOP, bypass_csp=True)
        page = ctx.new_page()
        page.goto(live_server.url + url)
        expect(page.locator("h1")).to_be_visible()
        page.screenshot(path=str(shots / f"{name}-laptop.png"), full_page=True)
        assert not _axe(page), (name, _axe(page))
        ctx.close()
