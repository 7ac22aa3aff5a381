"""Check-in in a real browser (Debian chromium): a worker's registration shows her signed QR; staff scan
it at a gate page on a phone by typing it as a keyboard-wedge scanner does, then a photo of another ticket
through the vendored @zxing/browser decoder; the gate goes offline, keeps admitting and refusing with
"N pending", and syncs when the network is back, once. Screenshots go to
HUIGONG_SCREENSHOT_DIR/checkin (else a temporary folder)."""

import os
import tempfile
from pathlib import Path

import pytest
import segno
from django.conf import settings
from django.test import Client

from huigong.activities import checkin_services as svc
from huigong.activities.models import Registration
from huigong.activities.models_checkin import CheckIn, Scan
from huigong.portal.testing import make_worker_account, sign_in
from huigong.testing import make_member

from .checkin_world import gate, make_event, seat

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.slow]


def _shots() -> Path:
    root = os.environ.get("HUIGONG_SCREENSHOT_DIR")
    path = Path(root) / "checkin" if root else Path(tempfile.mkdtemp(prefix="huigong-checkin-"))
    path.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {path}")
    return path


def _context(browser, base, client):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="zh-CN")
    ctx.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                      "url": base}])
    return ctx


def _code(reg):
    return svc.ticket_code(Registration.objects.select_related("session").get(pk=reg.pk))


def _result(page, expected: str, timeout=10_000):
    page.wait_for_selector(f"[data-testid=result][data-result={expected}]", timeout=timeout)
    return page.inner_text("[data-testid=result]")


def test_worker_shows_qr_staff_scan_it_and_the_offline_gate_syncs(live_server, browser, cast):
    shots, base = _shots(), live_server.url
    event = make_event(cast.city_admin, cast.xihu, "大国工匠进西湖")
    session = event.sessions.get()
    mine = seat(session, cast.member)
    rider = seat(session, cast.rider)
    third = seat(session, make_member(cast.city_admin, cast.tech, "周到场", employer=cast.enterprise))
    g = gate(cast.city_admin, event, "北门")

    # The worker's registration page shows the signed QR beside her member card.
    worker = Client()
    sign_in(worker, make_worker_account(person=cast.member.person))
    wctx = _context(browser, base, worker)
    wpage = wctx.new_page()
    wpage.goto(f"{base}/portal/activities/mine/{mine.pk}/")
    wpage.wait_for_selector("[data-testid=checkin-ticket] svg")
    wpage.screenshot(path=str(shots / "01-worker-registration-qr.png"), full_page=True)
    wpage.goto(f"{base}/portal/activities/gate/tickets/{mine.pk}/")
    code = wpage.inner_text("[data-testid=ticket-code]").strip()
    assert code == _code(mine)
    wpage.screenshot(path=str(shots / "02-worker-ticket-full-screen.png"), full_page=True)

    # Staff at the gate on a phone: a keyboard-wedge scanner types the code and presses Enter.
    staff = Client()
    staff.force_login(cast.district_staff)
    ctx = _context(browser, base, staff)
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/activities/gate/{g.pk}/")
    page.wait_for_selector("#gate[data-gate-ready]")
    page.locator("[data-testid=code]").press_sequentially(code.lower(), delay=2)  # a scanner in lower case
    page.keyboard.press("Enter")
    assert "李小红" in _result(page, "admitted")
    page.screenshot(path=str(shots / "03-gate-admitted.png"), full_page=True)
    page.locator("[data-testid=code]").fill(code)
    page.keyboard.press("Enter")
    assert "已在场内" in _result(page, "refused")
    page.screenshot(path=str(shots / "04-gate-refused-twice.png"), full_page=True)

    # A photo of the rider's ticket (as a phone camera gives it), decoded in the page by @zxing/browser.
    png = shots / "rider-ticket.png"
    segno.make(_code(rider), error="m").save(str(png), scale=8, border=4)
    page.set_input_files("[data-testid=photo]", str(png))
    assert "王骑手" in _result(page, "admitted")

    # The network goes: the gate keeps deciding, locally, and counts what waits for the server.
    ctx.set_offline(True)
    page.locator("[data-testid=code]").fill(_code(third))
    page.keyboard.press("Enter")
    text = _result(page, "admitted")
    assert "离线" in text
    page.locator("[data-testid=code]").fill(_code(third))
    page.keyboard.press("Enter")
    assert "已在场内" in _result(page, "refused")  # the gate remembers whom it let in offline
    forged = code[:-6] + ("AAAAAA" if not code.endswith("AAAAAA") else "BBBBBB")
    page.locator("[data-testid=code]").fill(forged)
    page.keyboard.press("Enter")
    # (selectors, not wait_for_function: the CSP forbids the eval it uses)
    page.wait_for_selector("[data-testid=pending]:has-text('待同步 3 条')")
    assert not CheckIn.objects.filter(registration=third).exists()
    page.screenshot(path=str(shots / "05-gate-offline-pending.png"), full_page=True)

    # Back online: the queue syncs, once.
    ctx.set_offline(False)
    page.wait_for_selector("[data-testid=pending]:has-text('待同步 0 条')", timeout=20_000)
    assert CheckIn.objects.get(registration=third).first_gate_id == g.pk
    offline = Scan.objects.filter(offline=True).order_by("scanned_at")
    assert [(s.result, s.reason) for s in offline] == [("admitted", ""), ("refused", "already_inside"),
                                                       ("refused", "bad_signature")]
    page.screenshot(path=str(shots / "06-gate-synced.png"), full_page=True)
    page.reload()
    page.wait_for_selector("#gate[data-gate-ready]")
    page.wait_for_timeout(1500)
    assert Scan.objects.count() == 6 and "待同步 0 条" in page.inner_text("[data-testid=pending]")
    assert not errors, errors
