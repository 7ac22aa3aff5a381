"""The dashboard in a real browser (Debian chromium via Playwright): the charts draw from local files,
nothing is fetched from another host, and clicking a child union's bar opens that union's dashboard."""

from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _session_cookie(live_server, user):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


@pytest.mark.parametrize("viewport", [(1366, 900), (390, 844)], ids=["laptop", "phone"])
def test_charts_render_and_a_bar_drills_down(live_server, browser, viewport):
    import datetime as dt

    from huigong.insights.rollups import rollups_refresh
    from huigong.testing import Cast, make_member

    cast = Cast().build()
    for i in range(3):
        make_member(
            cast.city_admin,
            cast.riders,
            f"骑手{i}",
            employment_form="rider",
            joined_on=dt.date(2025, 5, i + 1),
        )
    rollups_refresh()
    ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    ctx.add_cookies([_session_cookie(live_server, cast.leader)])
    page = ctx.new_page()
    hosts: set[str] = set()
    page.on("request", lambda req: hosts.add(urlsplit(req.url).netloc))
    page.goto(f"{live_server.url}/insights/?node={cast.xihu.pk}&period=2025")
    for chart in ("chart-trend", "chart-mix", "chart-children", "chart-tree"):
        page.wait_for_selector(f"#{chart} svg", timeout=10_000)
    assert hosts == {urlsplit(live_server.url).netloc}, hosts
    assert "西湖区骑手联" in page.inner_text("#chart-children")  # truncated on a phone
    # The children's bars: the riders' union (4 members) is the longest bar; click it.
    bars = page.locator("#chart-children svg path[fill='#2457a6']")
    assert bars.count() >= 2
    widest = max(range(bars.count()), key=lambda i: bars.nth(i).bounding_box()["width"])
    bars.nth(widest).click()
    page.wait_for_url("**/insights/?*node=*")
    assert parse_qs(urlsplit(page.url).query)["node"] == [str(cast.riders.pk)]
    assert "西湖区骑手联合工会" in page.inner_text(".page-title")
    ctx.close()
