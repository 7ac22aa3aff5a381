"""Screenshots of the contest console pages at 1366 and 390 px (Debian chromium): the list, a new contest,
its bank with questions, a round, the contest with its rounds. Screenshots go to
HUIGONG_SCREENSHOT_DIR/contests (else a temporary folder)."""

import datetime as dt
import os
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from huigong.activities import services_contest as sc

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.slow]


def test_contest_pages_screenshots(live_server, browser, cast):
    root = os.environ.get("HUIGONG_SCREENSHOT_DIR")
    shots = Path(root) / "contests" if root else Path(tempfile.mkdtemp(prefix="huigong-contests-"))
    shots.mkdir(parents=True, exist_ok=True)
    bank = sc.bank_create(actor=cast.city_admin, node=cast.xihu, title="安全生产题库")
    for i in range(3):
        sc.question_add(actor=cast.city_admin, bank=bank, text=f"第{i + 1}题：遇到火灾应拨打哪个电话？",
                        choices=["119", "110", "120"], answer=0, topic="消防")
    contest = sc.contest_create(actor=cast.city_admin, node=cast.xihu, bank=bank, title="西湖区第十届安全知识竞赛")
    now = timezone.now()
    sc.round_add(actor=cast.city_admin, contest=contest, title="", opens_at=now, closes_at=now + dt.timedelta(days=1),
                 time_limit_seconds=300, question_count=3, phase="before")
    staff = Client()
    staff.force_login(cast.district_staff)
    base = live_server.url
    for width in (1366, 390):
        ctx = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
        ctx.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": base,
                          "value": staff.cookies[settings.SESSION_COOKIE_NAME].value}])
        page = ctx.new_page()
        for name, path in (("list", "/activities/contests/"), ("new", "/activities/contests/new/"),
                           ("bank", f"/activities/contests/{contest.pk}/bank/"),
                           ("round", f"/activities/contests/{contest.pk}/rounds/"),
                           ("detail", f"/activities/contests/{contest.pk}/")):
            r = page.goto(base + path)
            assert r.status == 200, path
            page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
        assert page.locator("[data-testid=contest-open]").count() == 1
        ctx.close()
    print(f"\nscreenshots: {shots}")
