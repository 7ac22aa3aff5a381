"""The visit form's member picker in a real browser (Debian chromium via Playwright): nothing is chosen at
first, typing filters (by the ID tail shown in the labels, and by pinyin through the server's search), the
keyboard chooses, and the chosen member is the one recorded. Without JavaScript the plain select still works.
Screenshots at laptop and phone size go to $HUIGONG_SCREENSHOT_DIR (default: a fresh temporary directory)."""

from __future__ import annotations

import datetime as dt
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
    path = Path(root) / "pickers" if root else Path(tempfile.mkdtemp(prefix="huigong-picker-shots-"))
    path.mkdir(parents=True, exist_ok=True)
    print(f"\npicker screenshots: {path}")
    return path


@pytest.fixture
def world():
    from huigong.assistance.tests.files_support import sweep
    from huigong.assistance.tests.test_pickers import id_with_tail
    from huigong.testing import Cast, make_enterprise, make_member

    cast = Cast().build()
    cast.sweep = sweep(cast)
    cast.assignment = cast.sweep.assignments.get(node=cast.tech)
    cast.logistics = logistics = make_enterprise(cast.tech, "杭州某物流有限公司")
    cast.zw1 = make_member(cast.city_admin, cast.tech, "张伟", id_number=id_with_tail("1237"),
                           employer=cast.enterprise)
    cast.zw2 = make_member(cast.city_admin, cast.tech, "张伟", id_number=id_with_tail("041X"), employer=logistics)
    for i, name in enumerate(["陈静", "刘洋", "杨帆", "黄磊", "赵敏", "吴昊", "周婷", "徐强", "孙悦", "马超"]):
        make_member(cast.city_admin, cast.tech, name, employer=cast.enterprise if i % 2 else logistics)
    return cast


def _context(browser, live_server, user, **kw):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    ctx = browser.new_context(locale="zh-CN", **kw)
    ctx.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                      "url": live_server.url}])
    return ctx


def _fill_the_rest(page):
    page.fill("input[name=household_size]", "3")
    page.fill("input[name=monthly_income_yuan]", "1200")


def test_typing_filters_the_member_picker_and_the_choice_is_recorded(live_server, browser, world, shots):
    from playwright.sync_api import expect

    from huigong.assistance.models import SweepVisit

    url = f"{live_server.url}/assistance/sweeps/assignments/{world.assignment.pk}/visit/"
    page = _context(browser, live_server, world.tech_staff, viewport=LAPTOP).new_page()
    page.set_default_timeout(15_000)
    hosts: set[str] = set()
    page.on("request", lambda req: hosts.add(urlsplit(req.url).netloc))
    page.goto(url)
    page.wait_for_selector("select[name=person].tomselected", state="attached")
    # Nothing chosen: the control shows the placeholder, the select submits "".
    assert page.eval_on_selector("select[name=person]", "s => s.value") == ""
    assert page.locator("select[name=person] + .ts-wrapper .ts-control .item").count() == 0

    control = page.locator("select[name=person] + .ts-wrapper .ts-control input")
    dropdown = page.locator("select[name=person] + .ts-wrapper .ts-dropdown")
    options = dropdown.locator(".option")
    # Pinyin is matched by the server's search (the labels hold no pinyin): both 张伟 come back, told apart.
    control.focus()
    page.keyboard.type("zhangwei")
    expect(options).to_have_count(2)
    expect(dropdown.locator(".option", has_text="…1237")).to_have_count(1)
    for _ in "zhangwei":
        page.keyboard.press("Backspace")

    # Keyboard only: type the ID tail shown in lists, Enter chooses the one match.
    page.keyboard.type("041X")
    expect(options).to_have_count(1)  # 13 members, one of them ends in 041X
    expect(options.first).to_have_text(f"张伟 · …041X · {world.logistics.name}")
    page.screenshot(path=str(shots / "visit-picker-laptop.png"), full_page=True)
    page.keyboard.press("Enter")
    assert page.eval_on_selector("select[name=person]", "s => s.value") == str(world.zw2.person_id)
    expect(page.locator("select[name=person] + .ts-wrapper .ts-control .item")).to_have_text(
        f"张伟 · …041X · {world.logistics.name}")

    _fill_the_rest(page)
    page.click("button:has-text('保存并录入下一户')")
    page.wait_for_load_state()
    page.screenshot(path=str(shots / "visit-after-submit-laptop.png"), full_page=True)
    expect(page.locator("body")).to_contain_text("已录入 张伟 的走访")
    assert list(SweepVisit.objects.values_list("person_id", flat=True)) == [world.zw2.person_id]
    assert hosts == {urlsplit(live_server.url).netloc}  # tom-select is served by the app, no CDN

    phone = _context(browser, live_server, world.tech_staff, viewport=PHONE, device_scale_factor=2,
                     is_mobile=True, has_touch=True).new_page()
    phone.goto(url)
    phone.wait_for_selector("select[name=person].tomselected", state="attached")
    phone.locator("select[name=person] + .ts-wrapper .ts-control").click()
    phone.keyboard.type("张")
    # the one 张伟 not yet visited
    expect(phone.locator("select[name=person] + .ts-wrapper .ts-dropdown .option")).to_have_count(1)
    phone.screenshot(path=str(shots / "visit-picker-phone.png"), full_page=True)


def test_without_javascript_the_plain_select_still_submits(live_server, browser, world):
    from huigong.assistance.models import SweepVisit

    url = f"{live_server.url}/assistance/sweeps/assignments/{world.assignment.pk}/visit/"
    page = _context(browser, live_server, world.tech_staff, viewport=LAPTOP, java_script_enabled=False).new_page()
    page.goto(url)
    assert page.locator(".ts-wrapper").count() == 0
    assert page.eval_on_selector("select[name=person]", "s => s.value") == ""
    page.select_option("select[name=person]", str(world.zw1.person_id))
    _fill_the_rest(page)
    page.fill("input[name=visited_on]", dt.date.today().isoformat())
    page.click("button:has-text('保存并录入下一户')")
    page.wait_for_load_state()
    assert list(SweepVisit.objects.values_list("person_id", flat=True)) == [world.zw1.person_id]


def test_union_pickers_search_the_tree_and_tell_twins_apart(live_server, browser, shots):
    from django.urls import reverse
    from playwright.sync_api import expect

    from huigong.orgs.models import NodeLevel
    from huigong.testing import Cast, make_node

    cast = Cast().build()
    gongshu = make_node(cast.hangzhou, "拱墅区总工会", NodeLevel.DISTRICT)
    make_node(cast.xihu, "建筑工会", NodeLevel.GRASSROOTS)
    twin_b = make_node(gongshu, "建筑工会", NodeLevel.GRASSROOTS)
    page = _context(browser, live_server, cast.city_admin, viewport=LAPTOP).new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server.url + reverse("orgs:enterprise_create"))
    page.wait_for_selector("select[name=union].tomselected", state="attached")
    assert not page.locator("select[name=union]").locator("xpath=..").locator(".picker-search").is_visible()
    page.locator("select[name=union] + .ts-wrapper .ts-control input").focus()
    page.keyboard.type("建筑")
    options = page.locator("select[name=union] + .ts-wrapper .ts-dropdown .option")
    expect(options).to_have_count(2)
    expect(options.filter(has_text="· 拱墅区总工会")).to_have_count(1)
    expect(options.filter(has_text="· 西湖区总工会")).to_have_count(1)
    page.screenshot(path=str(shots / "union-picker-laptop.png"), full_page=True)
    options.filter(has_text="· 拱墅区总工会").click()
    assert page.eval_on_selector("select[name=union]", "s => s.value") == str(twin_b.pk)
    assert errors == []

    phone = _context(browser, live_server, cast.city_admin, viewport=PHONE, device_scale_factor=2,
                     is_mobile=True, has_touch=True).new_page()
    phone.goto(live_server.url + reverse("members:list"))
    phone.wait_for_selector("select[data-picker].tomselected", state="attached")
    phone.screenshot(path=str(shots / "members-filters-phone.png"), full_page=True)
    page.goto(live_server.url + reverse("members:list"))
    page.wait_for_selector("select[data-picker].tomselected", state="attached")
    page.screenshot(path=str(shots / "members-filters-laptop.png"), full_page=True)
