"""Every page of the console and the portal under the real Content-Security-Policy in a real browser
(Debian chromium via Playwright): the header is on, carries no 'unsafe-inline', and no page makes the
browser refuse anything (a `securitypolicyviolation` event or a CSP message in the console fails the
test). The world is the demo's (small), so lists, details, charts and forms have rows to show. The
crawl follows the links each page shows, one page per URL shape (/members/<n>/ once), GET only."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push([e.effectiveDirective, e.blockedURI, e.sourceFile + ":" + e.lineNumber, e.sample].join(" | "));
});
"""
# Downloads, sign-out and pages outside the HTML surface are not crawled.
SKIP = re.compile(r"logout|\.xlsx|\.csv|\.pdf|format=pdf|/export|/download|/i18n/|^/admin/|^/api/|/media/|/file/")


def _shape(path: str) -> str:
    return re.sub(r"/\d+(?=/|$)", "/<n>", path)


def _cookie(live_server, client):
    from django.conf import settings

    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": live_server.url}


def _crawl(browser, live_server, cookie, start: list[str], *, within: str, limit: int, viewport):
    ctx = browser.new_context(viewport=viewport, locale="zh-CN")
    ctx.add_cookies([cookie])
    ctx.add_init_script(WATCH)
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{page.url}: {m.text}")
            if "Content Security Policy" in m.text or "Content-Security-Policy" in m.text else None)
    hosts: set[str] = set()
    page.on("request", lambda req: hosts.add(urlsplit(req.url).netloc))
    queue, seen, visited, problems = list(start), set(), [], []
    while queue and len(visited) < limit:
        path = queue.pop(0)
        if _shape(path.split("?")[0]) in seen:
            continue
        seen.add(_shape(path.split("?")[0]))
        response = page.goto(live_server.url + path, wait_until="load")
        # A link a role may see but not follow answers 403 (that page is checked too); never a 500.
        assert response is not None and response.status < 500, (path, response and response.status)
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue  # an uploaded image or PDF shown inline (served with its own, stricter policy)
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, (path, policy)
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, (path, policy)
        page.wait_for_timeout(150)  # deferred scripts, htmx's first requests, charts
        problems += [f"{path}: {v}" for v in page.evaluate("window.__csp || []")]
        visited.append(path)
        for href in page.eval_on_selector_all("a[href]", "els => els.map(a => a.getAttribute('href'))"):
            target = urlsplit(href)
            if target.netloc or not target.path.startswith(within) or SKIP.search(href):
                continue
            url = target.path + (f"?{target.query}" if target.query else "")
            if _shape(target.path) not in seen:
                queue.append(url)
    ctx.close()
    return visited, problems + console, hosts


def _world():
    from huigong.demo.build import build
    from huigong.insights.rollups import rollups_refresh

    build(members=60)
    rollups_refresh()


def _console_pages(live_server, browser):
    from django.contrib.auth import get_user_model
    from django.test import Client

    found = {}
    for username, limit in (("hangzhou_admin", 70), ("hangzhou_leader", 25)):
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        visited, problems, hosts = _crawl(
            browser, live_server, _cookie(live_server, client), ["/", "/insights/", "/accounts/profile/"],
            within="/", limit=limit, viewport={"width": 1366, "height": 900})
        found[username] = visited
        assert not problems, "\n".join(problems)
        assert hosts == {urlsplit(live_server.url).netloc}, hosts
    # The crawl reached the console's main areas (not only the home page).
    shapes = {_shape(p.split("?")[0]) for paths in found.values() for p in paths}
    for area in ("/org/", "/members/", "/assistance/", "/benefits/", "/insights/"):
        assert any(s.startswith(area) for s in shapes), (area, sorted(shapes))
    assert len(shapes) >= 40, sorted(shapes)


def _dashboard_tooltips_and_the_api_docs(live_server, browser):
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username="hangzhou_leader"))
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    ctx.add_cookies([_cookie(live_server, client)])
    ctx.add_init_script(WATCH)
    page = ctx.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{live_server.url}/insights/")
    page.wait_for_selector("#chart-trend svg", timeout=10_000)
    for chart in ("#chart-trend", "#chart-mix", "#chart-children", "#chart-tree"):
        if page.locator(chart).count():
            box = page.locator(chart).bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_timeout(300)
    violations = page.evaluate("window.__csp")
    assert not violations and not console, violations + console

    page.goto(f"{live_server.url}/api/v1/docs")
    # Areas start collapsed (docExpansion "none", see huigong/api/docs.py): open the first one, then an operation.
    page.wait_for_selector(".opblock-tag", timeout=20_000)
    page.locator(".opblock-tag").first.click()
    page.wait_for_selector(".opblock", timeout=20_000)
    page.locator(".opblock-summary").first.click()  # an operation opens (React redraws the page)
    page.wait_for_timeout(300)
    violations = page.evaluate("window.__csp")
    assert not violations and not console, violations + console
    ctx.close()


def _portal_pages(live_server, browser):
    from django.test import Client

    from huigong.portal.demo import DEMO_RIDER_PHONE
    from huigong.portal.models import WorkerAccount
    from huigong.portal.services import phone_hash
    from huigong.portal.testing import sign_in

    client = Client()
    sign_in(client, WorkerAccount.objects.get(phone_hash=phone_hash(DEMO_RIDER_PHONE)))
    visited, problems, hosts = _crawl(
        browser, live_server, _cookie(live_server, client), ["/portal/", "/portal/services/", "/portal/me/"],
        within="/portal/", limit=40, viewport={"width": 390, "height": 844})
    assert not problems, "\n".join(problems)
    assert hosts == {urlsplit(live_server.url).netloc}, hosts
    shapes = {_shape(p.split("?")[0]) for p in visited}
    for area in ("/portal/benefits/", "/portal/assistance/", "/portal/me/", "/portal/join/"):
        assert any(s.startswith(area) for s in shapes), (area, sorted(shapes))

    # Signed out: the sign-in and sign-up pages too.
    anonymous, problems, _ = _crawl(
        browser, live_server, {"name": "x", "value": "y", "url": live_server.url},
        ["/portal/login/", "/portal/signup/", "/accounts/login/"], within="/-none-", limit=3,
        viewport={"width": 390, "height": 844})
    assert len(anonymous) == 3 and not problems, problems


def test_console_dashboard_docs_and_portal_run_under_the_policy_without_a_violation(live_server, browser):
    """One demo world for the three crawls (building it, and flushing it after a live-server test, cost more
    than the crawls): the console as an admin and a leader, the dashboard's tooltips and the API docs, the
    portal as a worker and signed out."""
    _world()
    _console_pages(live_server, browser)
    _dashboard_tooltips_and_the_api_docs(live_server, browser)
    _portal_pages(live_server, browser)
