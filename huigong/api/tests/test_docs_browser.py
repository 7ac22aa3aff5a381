"""The interactive docs in a real browser (Debian chromium via Playwright): Swagger UI renders from
the app's own files, nothing is requested from another host, and a signed-in session can call a
read and a write from the page (the write carries the CSRF token)."""

import json
from urllib.parse import urlsplit

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


def test_docs_render_locally_and_calls_work_from_the_page(live_server, browser):
    from huigong.orgs.models import UnionNode
    from huigong.testing import Cast

    cast = Cast().build()
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    ctx.add_cookies([_session_cookie(live_server, cast.city_admin)])
    page = ctx.new_page()
    hosts: set[str] = set()
    errors: list[str] = []
    page.on("request", lambda req: hosts.add(urlsplit(req.url).netloc))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    document = ctx.request.get(f"{live_server.url}/api/v1/openapi.json").json()
    tags = {tag for operations in document["paths"].values() for op in operations.values() for tag in op["tags"]}
    assert len(tags) > 20  # big enough that Swagger UI would virtualise an expanded list (>= 150 rows)
    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".opblock-tag", timeout=20_000)
    # Every area of the document is drawn, as a collapsed heading (docExpansion "none", huigong/api/docs.py).
    drawn = {heading.get_attribute("data-tag") for heading in page.locator(".opblock-tag").all()}
    assert drawn == tags, (sorted(tags - drawn), sorted(drawn - tags))
    assert errors == []
    assert "Huigong 惠工 API" in page.locator(".info .title").inner_text()
    assert hosts == {urlsplit(live_server.url).netloc}, hosts

    # A read with the session (open its area first).
    page.locator('.opblock-tag[data-tag="unions"]').click()
    get_unions = page.locator("#operations-unions-huigong_orgs_api_union_list")
    get_unions.locator(".opblock-summary").click()
    get_unions.locator("button.try-out__btn").click()
    get_unions.locator("button.execute").click()
    get_unions.locator(".live-responses-table tbody .response-col_status").first.wait_for(timeout=10_000)
    assert (
        get_unions.locator(".live-responses-table tbody .response-col_status").first.inner_text().strip()
        == "200"
    )

    # A write with the session: Swagger UI must send X-CSRFToken, or the API answers 403.
    post_unions = page.locator("#operations-unions-huigong_orgs_api_union_create")
    post_unions.locator(".opblock-summary").click()
    post_unions.locator("button.try-out__btn").click()
    body = {"parent_id": cast.xihu.pk, "code": "BROWSER-1", "name": "浏览器街道工会", "level": "township"}
    post_unions.locator("textarea.body-param__text").fill(json.dumps(body, ensure_ascii=False))
    post_unions.locator("button.execute").click()
    status = post_unions.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for(timeout=10_000)
    assert status.inner_text().strip() == "201"
    assert UnionNode.objects.filter(code="BROWSER-1", name="浏览器街道工会").exists()
    assert hosts == {urlsplit(live_server.url).netloc}, hosts
    ctx.close()
