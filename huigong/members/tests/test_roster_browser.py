"""The import page in a real browser (Debian chromium via Playwright): upload a roster through the
form, watch the htmx-polled progress reach the end, see the counts; a bad roster shows its errors."""

import os
import random
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _page(browser, live_server, user):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    ctx.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                      "url": live_server.url}])
    return ctx.new_page()


def test_upload_and_watch_the_background_import(live_server, browser, settings, tmp_path):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the in-memory SQLite test database cannot take the import thread's "
                    "writes while the live server's thread reads (shared-cache table locks)")
    from huigong.members.models import Person
    from huigong.members.roster.testing import person_row, roster_xlsx
    from huigong.testing import Cast

    cast = Cast().build()
    settings.HUIGONG_TASK_MODE = "thread"  # more rows than ROSTER_SYNC_MAX_ROWS: the page polls
    rng = random.Random(3)
    path = tmp_path / "名册.xlsx"
    path.write_bytes(roster_xlsx([person_row(rng) for _ in range(120)]))

    page = _page(browser, live_server, cast.district_staff)
    hosts: set[str] = set()
    page.on("request", lambda req: hosts.add(urlsplit(req.url).netloc))
    page.goto(f"{live_server.url}/members/imports/")
    page.select_option("select[name=union]", str(cast.tech.pk))
    page.set_input_files("input[name=file]", str(path))
    page.click("form[enctype] button[type=submit]")
    page.wait_for_url("**/members/imports/*/")
    page.wait_for_selector("#import-progress .badge-ok", timeout=30_000)
    text = page.locator("#import-progress").inner_text()
    assert "已完成" in text and "120 / 120" in text
    assert Person.objects.filter(memberships__union=cast.tech, memberships__source="import").count() == 120
    assert hosts == {urlsplit(live_server.url).netloc}
    if os.environ.get("ROSTER_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["ROSTER_SCREENSHOTS"], "import-done.png"), full_page=True)


def test_the_progress_card_polls_until_the_import_ends(live_server, browser):
    from huigong.members.models import ImportStatus, RosterImport
    from huigong.members.roster import roster_import_start
    from huigong.members.roster.testing import person_row, roster_xlsx, upload
    from huigong.testing import Cast

    cast = Cast().build()
    imp = roster_import_start(actor=cast.city_admin, union=cast.tech,
                              upload=upload("r.xlsx", roster_xlsx([person_row(random.Random(1))])))
    RosterImport.objects.filter(pk=imp.pk).update(status=ImportStatus.VALIDATING, processed_rows=30,
                                                  total_rows=120)
    page = _page(browser, live_server, cast.city_admin)
    page.goto(f"{live_server.url}/members/imports/{imp.pk}/")
    assert "30 / 120" in page.locator("#import-progress").inner_text()
    bar = page.locator("#import-progress .progress span")
    assert bar.get_attribute("class") == "pct-25"  # a class, not style="": the page's CSP refuses those
    assert bar.evaluate("el => Math.round(100 * el.offsetWidth / el.parentElement.clientWidth)") == 25
    with page.expect_request(lambda r: "/progress/" in r.url, timeout=5_000):
        pass  # htmx polls every second
    RosterImport.objects.filter(pk=imp.pk).update(status=ImportStatus.DONE, processed_rows=120)
    page.wait_for_selector("#import-progress .badge-ok", timeout=10_000)
    assert "120 / 120" in page.locator("#import-progress").inner_text()


def test_a_rejected_roster_shows_its_errors(live_server, browser, tmp_path):
    from huigong.members.roster.testing import person_row, roster_xlsx
    from huigong.testing import Cast

    cast = Cast().build()
    rows = [person_row(random.Random(i)) for i in range(3)]
    rows[1]["用工形式"] = "临时工"
    path = tmp_path / "bad.xlsx"
    path.write_bytes(roster_xlsx(rows))
    page = _page(browser, live_server, cast.city_admin)
    page.goto(f"{live_server.url}/members/imports/")
    page.select_option("select[name=union]", str(cast.tech.pk))
    page.set_input_files("input[name=file]", str(path))
    page.click("form[enctype] button[type=submit]")
    page.wait_for_url("**/members/imports/*/")
    assert "校验未通过" in page.locator("#import-progress").inner_text()
    cells = page.locator("table.table tbody tr").first.locator("td").all_inner_texts()
    assert cells[0] == "3" and cells[1].startswith("用工形式") and "用工形式填写不正确" in cells[3]
    assert page.locator("a", has_text="下载错误报告").count() == 1
    if os.environ.get("ROSTER_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["ROSTER_SCREENSHOTS"], "import-rejected.png"), full_page=True)
