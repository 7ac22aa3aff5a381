"""Issue 17 on a phone: a worker finds an event, registers with a companion, a second worker lands on
the waitlist with her position, the first leaves and the second claims the offered place and sees her
ticket slot. Screenshots go to HUIGONG_SCREENSHOT_DIR/activities-registration (else a temporary folder)."""

import os
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from huigong.activities import services
from huigong.activities.models import Registration
from huigong.activities.testing import make_event, member, session_of
from huigong.portal.testing import make_worker_account, sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _shots() -> Path:
    root = os.environ.get("HUIGONG_SCREENSHOT_DIR")
    path = Path(root) / "activities-registration" if root else Path(tempfile.mkdtemp(prefix="huigong-events-"))
    path.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {path}")
    return path


def _phone(browser, base, person):
    c = Client()
    sign_in(c, make_worker_account(person=person))
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="zh-CN")
    ctx.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": c.cookies[settings.SESSION_COOKIE_NAME].value,
                      "url": base}])
    return ctx.new_page()


def test_register_waitlist_and_claim_on_a_phone(live_server, browser, cast):
    shots, base = _shots(), live_server.url
    e = make_event(cast.city_admin, cast.xihu, total=2, offer_seconds=3600, max_companions=1,
                   title="大国工匠进西湖", description="全国技术能手现场讲授数控加工诀窍。")
    s = session_of(e)
    page = _phone(browser, base, cast.member.person)
    page.goto(f"{base}/portal/activities/")
    page.click(f"[data-testid=event-{e.pk}]")
    page.fill(f"#c{s.pk}_1", "小明")
    page.screenshot(path=str(shots / "01-event.png"), full_page=True)
    page.click(f"[data-testid=session-{s.pk}] button:has-text('立即报名')")
    page.wait_for_selector("[data-testid=registration-result]")
    assert "报名成功" in page.content() and "小明" in page.content()
    page.screenshot(path=str(shots / "02-registered-with-companion.png"), full_page=True)

    other = member(cast.city_admin, cast.tech, "钱多多")
    page2 = _phone(browser, base, other)
    page2.goto(f"{base}/portal/activities/{e.pk}/")
    page2.click(f"[data-testid=session-{s.pk}] button:has-text('登记候补')")
    page2.wait_for_selector("[data-testid=waitlist-position]")
    assert "候补第 1 位" in page2.inner_text("[data-testid=waitlist-position]")
    page2.screenshot(path=str(shots / "03-waitlisted.png"), full_page=True)

    page.click("[data-testid=cancel]")
    page.wait_for_selector("[data-testid=registration-result]")
    assert Registration.objects.filter(person=cast.member.person, status="cancelled").count() == 2
    page2.reload()
    page2.wait_for_selector("text=候补名额待您确认")
    page2.screenshot(path=str(shots / "04-offer.png"), full_page=True)
    page2.click("button:has-text('确认参加')")
    page2.wait_for_selector("[data-testid=ticket]")
    page2.screenshot(path=str(shots / "05-granted-ticket.png"), full_page=True)
    assert Registration.objects.get(person=other).status == "granted"
    assert services.SEATS  # the seats moved through the capacity engine
