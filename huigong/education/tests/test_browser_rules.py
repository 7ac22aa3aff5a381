"""The eligibility editor in a browser: the preview follows the form as it changes (htmx), saving keeps the
rules; and the published draw of a round with priorities shows the tiers and each entrant's precedence.
Screenshots (1366 and 390 wide) go to HUIGONG_SCREENSHOT_DIR/education (else a temporary folder)."""

import pytest
from django.conf import settings
from django.test import Client

from huigong.education.testing import World, applicant, make_programme
from huigong.honours.testing import make_honour

from .test_browser_portal import _shots


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rules_editor_previews_live_and_the_draw_page_shows_tiers(live_server, browser, cast):
    w = World(cast)
    shots, base = _shots(), live_server.url
    p = make_programme(cast.city_admin, cast.hangzhou, open_now=False, rules={}, title="2027年求学圆梦")
    for _ in range(3):
        applicant(cast.city_admin, cast.tech)
    c = Client()
    c.force_login(cast.city_admin)
    for width, height in ((1366, 900), (390, 844)):
        ctx = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        ctx.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": c.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": base}])
        page = ctx.new_page()
        page.goto(f"{base}/education/programmes/{p.pk}/rules/")
        preview = page.get_by_test_id("rules-preview")
        assert "未设置附加条件" in preview.inner_text()
        page.fill("#id_member_months", "6")
        page.wait_for_selector('[data-rule="member_months"]')
        page.check("#id_once_per_level")
        page.wait_for_selector('[data-rule="once_per_level"]')
        page.screenshot(path=str(shots / f"rules-editor-{width}.png"), full_page=True)
        ctx.close()
    page = browser.new_page(locale="zh-CN")  # the words below are the Chinese UI's
    ctx = page.context
    ctx.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": c.cookies[settings.SESSION_COOKIE_NAME].value,
                      "url": base}])
    page.goto(f"{base}/education/programmes/{p.pk}/rules/")
    page.fill("#id_member_months", "6")
    page.check("#id_priorities_0")
    page.click("text=保存申报条件")
    page.wait_for_selector("text=申报条件已保存")
    p.refresh_from_db()
    assert p.rules == {"member_months": 6} and p.priorities
    page.close()

    # A drawn round with a model worker: the public page names the tiers and the precedence column.
    q = make_programme(cast.city_admin, cast.hangzhou, total=1, priorities=["model_worker"], title="2026年求学圆梦")
    people = [applicant(cast.city_admin, cast.tech) for _ in range(3)]
    make_honour(cast, people[1])
    w.drawn(q, people, seed="2026-10-01 福彩3D 123")
    for width, height in ((1366, 900), (390, 844)):
        page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
        page.goto(f"{base}/portal/education/draws/{q.pk}/")
        assert "复核通过" in page.get_by_test_id("draw-verdict").inner_text()
        assert page.get_by_test_id("priorities").inner_text().startswith("劳动模范")
        assert "排序值" in page.get_by_test_id("draw-order").inner_text()
        page.screenshot(path=str(shots / f"draw-priorities-{width}.png"), full_page=True)
        page.close()
