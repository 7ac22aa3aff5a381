"""The check-up in a real browser (Debian chromium via Playwright): the visit recorded on a phone (one card
per checklist item, tap a result, a note, a photo from the camera input), and the campaign report at laptop
size. Screenshots go to $HUIGONG_SCREENSHOT_DIR/checkups (default: a fresh temporary directory)."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def shots():
    root = os.environ.get("HUIGONG_SCREENSHOT_DIR")
    path = Path(root) / "checkups" if root else Path(tempfile.mkdtemp(prefix="huigong-checkups-shots-"))
    path.mkdir(parents=True, exist_ok=True)
    print(f"\ncheck-up screenshots: {path}")
    return path


@pytest.fixture
def world():
    from huigong.testing import Cast

    return Cast().build()


def _context(browser, live_server, user, **kw):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    ctx = browser.new_context(locale="zh-CN", **kw)
    ctx.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                      "url": live_server.url}])
    return ctx


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 40, 40)).save(buf, "JPEG")
    return buf.getvalue()


def test_visit_on_a_phone(live_server, browser, world, shots):
    from huigong.checkups.models import Examination, Finding, Response
    from huigong.checkups.services import checklist
    from huigong.checkups.testing import enrolled

    c, exam = enrolled(world.city_admin, world.xihu, world.enterprise)
    items = checklist(c)
    page = _context(browser, live_server, world.district_staff, viewport=PHONE, is_mobile=True,
                    has_touch=True).new_page()
    page.set_default_timeout(15_000)
    hosts: set[str] = set()
    page.on("request", lambda req: hosts.add(urlsplit(req.url).netloc))
    page.goto(f"{live_server.url}/checkups/exams/{exam.pk}/visit/")
    # The page fits the phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    page.fill("input[name=team]", "张律师、王干事")
    for it in items:
        answer = "no" if it.seq in (1, 8) else "yes"
        page.locator(f"input[name=answer_{it.pk}][value={answer}]").check()
    page.fill(f"textarea[name=note_{items[0].pk}]", "3 名新员工入职两个月仍未签合同")
    page.set_input_files(f"input[name=photo_{items[0].pk}]",
                         files=[{"name": "site.jpg", "mimeType": "image/jpeg", "buffer": _png()}])
    page.locator(f"input[name=answer_{items[0].pk}]").first.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "visit-phone.png"), full_page=False)
    page.get_by_role("button", name="提交体检记录").click()
    page.wait_for_load_state()
    errors = page.locator(".message-error, .error").all_inner_texts()
    assert not errors, errors
    page.wait_for_url(f"**/checkups/exams/{exam.pk}/")
    page.screenshot(path=str(shots / "exam-after-visit-phone.png"), full_page=True)
    assert "3 名新员工入职两个月仍未签合同" in page.content()
    assert Examination.objects.get(pk=exam.pk).status == "visited"
    assert Finding.objects.filter(examination=exam).count() == 2
    assert Response.objects.filter(examination=exam, stage="visit").exclude(photo="").count() == 1
    assert hosts == {urlsplit(live_server.url).netloc}  # everything served by the app


def test_campaign_report(live_server, browser, world, shots):
    from django.utils import timezone

    from huigong.checkups import services
    from huigong.checkups.models import InstrumentKind
    from huigong.checkups.testing import visited
    from huigong.core.outcomes import services as outcomes

    c, exam, findings = visited(world.city_admin, world.xihu, world.enterprise, days_ago=45)
    services.campaign_enroll(actor=world.city_admin, campaign=c, enterprises=[world.platform])
    inst = services.instrument_issue(actor=world.city_admin, exam=exam, kind=InstrumentKind.OPINION,
                                     findings=findings, render=False)
    services.instrument_reply(actor=world.city_admin, instrument=inst, replied_on=timezone.localdate(), accepted=True)
    outcomes.evidence_add(actor=world.tech_staff, item=findings[0].item, kind="note", text="已补签", of_effect=True)
    outcomes.item_submit(actor=world.tech_staff, item=findings[0].item)
    services.return_visit_record(actor=world.district_staff, exam=exam, visited_on=timezone.localdate(), note="回访",
                                 verdicts={findings[0].pk: ("effective", "")})
    page = _context(browser, live_server, world.leader, viewport=LAPTOP).new_page()
    page.goto(f"{live_server.url}/checkups/campaigns/{c.pk}/report/")
    text = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    assert "体检工作报告" in text and "劳动合同" in text
    # The bars are sized by class (no style attribute under the CSP): 1 of the contract findings closed.
    widths = page.eval_on_selector_all(".ck-bar span", "els => els.map(e => e.getBoundingClientRect().width)")
    assert any(w > 0 for w in widths)
    page.screenshot(path=str(shots / "campaign-report.png"), full_page=True)
