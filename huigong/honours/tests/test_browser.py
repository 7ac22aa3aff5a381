"""In a real browser: the nomination meter turning green as the list is corrected (htmx, no reload) and
the list going up; a worker on her phone submitting a suggestion and following it to adoption, every
decision with its reason. Screenshots go to HUIGONG_SCREENSHOT_DIR/honours (else a temporary folder)."""

import os
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from huigong.honours import services
from huigong.honours.models import Attribute, Innovation, ListStatus
from huigong.honours.testing import make_campaign, worker, xihu_admin
from huigong.members.models import Gender

pytestmark = pytest.mark.django_db(transaction=True)


def _shots() -> Path:
    root = os.environ.get("HUIGONG_SCREENSHOT_DIR")
    path = Path(root) / "honours" if root else Path(tempfile.mkdtemp(prefix="huigong-honours-"))
    path.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {path}")
    return path


def _context(browser, base, user=None, account=None, **kw):
    from huigong.portal.testing import sign_in

    c = Client()
    if account is not None:
        sign_in(c, account)
    else:
        c.force_login(user)
    ctx = browser.new_context(locale="zh-CN", **kw)
    ctx.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": c.cookies[settings.SESSION_COOKIE_NAME].value,
                      "url": base}])
    return ctx


def test_nomination_meter_turns_green_and_the_list_goes_up(live_server, browser, cast):
    shots, base = _shots(), live_server.url
    xihu_admin(cast)
    campaign = make_campaign(cast)
    nl = services.list_open(actor=cast.district_staff, campaign=campaign, node=cast.xihu)
    people = [worker(cast, n) for n in ("张建国", "刘志强", "陈海涛")] + [worker(cast, "周丽娟", Gender.FEMALE)]
    for i, p in enumerate(people):
        services.nominee_add(actor=cast.district_staff, nomination_list=nl, person=p,
                             attributes=[Attribute.INDUSTRIAL] if i == 0 else [], deeds="扎根一线二十年")
    page = _context(browser, base, cast.district_staff, viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{base}/honours/lists/{nl.pk}/")
    meter = page.locator("[data-testid=meter]")
    assert "产业工人须不低于 35%：4 人中至少 2 人，现有 1 人" in meter.inner_text()
    assert page.locator("[data-testid=submit-list]").is_disabled()
    page.screenshot(path=str(shots / "01-meter-blocked.png"), full_page=True)
    second = nl.nominees.get(person=people[1])
    page.locator(f"[data-testid=nominee-{second.pk}] input[value=industrial]").check()
    page.wait_for_selector("[data-testid=meter].is-ok")
    assert "符合要求" in page.locator("[data-testid=meter]").inner_text()
    assert page.locator("[data-testid=submit-list]").is_enabled()  # the button came back with the meter
    page.screenshot(path=str(shots / "02-meter-fixed.png"), full_page=True)
    page.click("[data-testid=submit-list]")
    page.wait_for_selector("text=名单已报送")
    nl.refresh_from_db()
    assert nl.status == ListStatus.IN_APPROVAL
    page.screenshot(path=str(shots / "03-list-submitted.png"), full_page=True)


def test_a_worker_follows_her_suggestion_on_her_phone(live_server, browser, cast):
    from huigong.portal.testing import make_worker_account

    shots, base = _shots(), live_server.url
    account = make_worker_account(person=cast.member.person)
    ctx = _context(browser, base, account=account, viewport={"width": 390, "height": 844}, device_scale_factor=2,
                   is_mobile=True, has_touch=True)
    page = ctx.new_page()
    page.goto(f"{base}/portal/honours/innovations/")
    page.click("text=提交创新成果或合理化建议")
    page.select_option("#kind", "suggestion")
    page.fill("#title", "夜班巷道加装感应照明")
    page.fill("#summary", "夜班巷道照明不足，交接班时容易磕碰，建议加装感应灯。")
    page.screenshot(path=str(shots / "04-portal-submit.png"), full_page=True)
    page.click("button:has-text('提交')")
    page.wait_for_selector("[data-testid=timeline]")
    inv = Innovation.objects.get(title="夜班巷道加装感应照明")
    assert "工会已收到" in page.inner_text("[data-testid=timeline]")
    page.screenshot(path=str(shots / "05-portal-submitted.png"), full_page=True)
    services.innovation_review(actor=cast.city_admin, innovation=inv, decision="return",
                               reason="请补充需要加装的巷道位置和现有照度")
    page.reload()
    assert "请补充需要加装的巷道位置和现有照度" in page.inner_text("[data-testid=timeline]")
    page.screenshot(path=str(shots / "06-portal-returned-with-reason.png"), full_page=True)
    page.fill("#metric", "巷道照度")
    page.fill("#unit", "lx")
    page.fill("#baseline", "15")
    page.fill("#after", "60")
    page.fill("#method", "照度计实测，试点巷道")
    page.click("button:has-text('登记效益')")
    page.wait_for_selector("text=巷道照度")
    page.click("button:has-text('已补充，重新提交')")
    page.wait_for_selector("text=已重新提交")
    services.innovation_review(actor=cast.city_admin, innovation=inv, decision="accept", reason="材料齐全，进入评审")
    services.innovation_review(actor=cast.city_admin, innovation=inv, decision="adopt",
                               reason="已在三号井试点加装，下月全矿推广")
    page.reload()
    text = page.inner_text("[data-testid=timeline]")
    assert "已在三号井试点加装，下月全矿推广" in text and page.inner_text("[data-testid=status]") == "已采纳"
    page.screenshot(path=str(shots / "07-portal-adopted.png"), full_page=True)
