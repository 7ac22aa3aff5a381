"""The gate page reopened without network (a real browser, Debian chromium): staff load the gate online
(its service worker caches the page, gate.js, the decoder and the stylesheets; the page keeps the masked
roster), the network goes, the page is reloaded and still scans with a keyboard wedge, naming the masked
person and counting what waits; back online the queue syncs once. Screenshots go to
HUIGONG_SCREENSHOT_DIR/checkin (else a temporary folder)."""

import os
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from huigong.activities import checkin_services as svc
from huigong.activities.models import Registration
from huigong.activities.models_checkin import CheckIn, Scan
from huigong.core.models import AccessLog
from huigong.testing import make_member

from .checkin_world import gate, make_event, seat

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.slow]


def _shots() -> Path:
    root = os.environ.get("HUIGONG_SCREENSHOT_DIR")
    path = Path(root) / "checkin" if root else Path(tempfile.mkdtemp(prefix="huigong-checkin-"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _code(reg):
    return svc.ticket_code(Registration.objects.select_related("session").get(pk=reg.pk))


def test_gate_reloaded_offline_keeps_scanning_names_the_masked_person_and_syncs(live_server, browser, cast):
    shots, base = _shots(), live_server.url
    event = make_event(cast.city_admin, cast.xihu, "大国工匠进西湖")
    session = event.sessions.get()
    third = seat(session, make_member(cast.city_admin, cast.tech, "周到场", employer=cast.enterprise))
    g = gate(cast.city_admin, event, "北门")

    staff = Client()
    staff.force_login(cast.district_staff)
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                              locale="zh-CN", service_workers="allow")
    ctx.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": base,
                      "value": staff.cookies[settings.SESSION_COOKIE_NAME].value}])
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/activities/gate/{g.pk}/")
    page.wait_for_selector("#gate[data-gate-ready][data-gate-roster='1'][data-gate-cached]", timeout=20_000)
    assert AccessLog.objects.filter(object_type="activities.gate_roster", object_id=str(g.pk)).count() == 1

    # No network; the staff member reloads the page (or reopens the tab): the service worker serves it.
    ctx.set_offline(True)
    page.reload()
    page.wait_for_selector("#gate[data-gate-ready]", timeout=15_000)
    assert "离线" in page.inner_text("[data-gate-net]")
    page.locator("[data-testid=code]").press_sequentially(_code(third).lower(), delay=1)  # a keyboard wedge
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=result][data-result=admitted]", timeout=10_000)
    text = page.inner_text("[data-testid=result]")
    assert "离线" in text and "周*场" in text and "周到场" not in text
    page.wait_for_selector("[data-testid=pending]:has-text('待同步 1 条')")
    assert not CheckIn.objects.filter(registration=third).exists()
    page.screenshot(path=str(shots / "07-gate-reloaded-offline.png"), full_page=True)

    # Reloaded again, still offline: the queue is still there.
    page.reload()
    page.wait_for_selector("#gate[data-gate-ready]", timeout=15_000)
    page.wait_for_selector("[data-testid=pending]:has-text('待同步 1 条')")

    ctx.set_offline(False)
    page.wait_for_selector("[data-testid=pending]:has-text('待同步 0 条')", timeout=20_000)
    assert CheckIn.objects.get(registration=third).first_gate_id == g.pk
    assert Scan.objects.filter(offline=True, registration=third).count() == 1
    page.screenshot(path=str(shots / "08-gate-reloaded-synced.png"), full_page=True)

    def roster_keys():
        return [i["name"] for o in ctx.storage_state()["origins"] for i in o["localStorage"]
                if i["name"].endswith(":roster")]

    assert roster_keys() == [f"hg-gate-{g.pk}-{cast.district_staff.pk}:roster"]
    # Signing out from the gate page: the roster and the worker's caches go with the session.
    page.click("form.logout-form button[type=submit]")
    page.wait_for_url("**/login/**", timeout=15_000)
    assert roster_keys() == []
    assert not errors, errors
    ctx.close()
