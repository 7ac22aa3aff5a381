"""The OpenAPI document and the docs page: every operation requires auth, nothing loads from a CDN."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db


def _operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield method.upper(), path, op


def test_openapi_document_is_served(db):
    r = Client().get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["info"]["title"] == "Huigong 惠工 API"
    assert doc["info"]["version"] == "1"
    paths = set(doc["paths"])
    for expected in (
        "/api/v1/unions",
        "/api/v1/unions/{union_id}/move",
        "/api/v1/members/{person_id}/reveal",
        "/api/v1/memberships",
        "/api/v1/enterprises",
        "/api/v1/sites",
        "/api/v1/audit",
    ):
        assert expected in paths


def test_every_operation_declares_token_and_session_auth(db):
    doc = Client().get("/api/v1/openapi.json").json()
    schemes = doc["components"]["securitySchemes"]
    bearer = [name for name, s in schemes.items() if s.get("type") == "http" and s.get("scheme") == "bearer"]
    cookie = [name for name, s in schemes.items() if s.get("type") == "apiKey" and s.get("in") == "cookie"]
    assert bearer and cookie
    ops = list(_operations(doc))
    assert len(ops) >= 20
    for method, path, op in ops:
        declared = {name for requirement in op.get("security", []) for name in requirement}
        assert declared == {bearer[0], cookie[0]}, (
            f"{method} {path} does not require auth: {op.get('security')}"
        )


def test_every_operation_refuses_anonymous_calls(db):
    """Not just declared: call each operation without credentials and expect 401."""
    doc = Client().get("/api/v1/openapi.json").json()
    client = Client()
    for method, path, _ in _operations(doc):
        url = re.sub(r"\{[^}]+\}", "1", path)
        r = (
            getattr(client, method.lower())(url, {}, content_type="application/json")
            if method != "GET"
            else client.get(url)
        )
        assert r.status_code == 401, f"{method} {path} answered {r.status_code} to an anonymous call"


def test_422_errors_are_documented_with_field_and_message(db):
    doc = Client().get("/api/v1/openapi.json").json()
    op = doc["paths"]["/api/v1/members"]["post"]
    assert set(op["responses"]) >= {"201", "401", "403", "422"}
    ref = op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    item = doc["components"]["schemas"][ref]["properties"]["detail"]["items"]["$ref"].rsplit("/", 1)[-1]
    assert set(doc["components"]["schemas"][item]["properties"]) == {"field", "message"}


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("src", "href"):
            if attrs.get(key):
                self.refs.append(attrs[key])
        if tag == "script":
            self._in_script = attrs.get("type") != "application/json" and not attrs.get("src")

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def test_docs_page_loads_only_local_files(db):
    r = Client().get("/api/v1/docs")
    assert r.status_code == 200
    html = r.content.decode()
    # No external host anywhere in the page, not only in src/href.
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE), re.findall(
        r"https?://\S+", html
    )
    parser = _Refs()
    parser.feed(html)
    assert parser.inline_scripts == 0
    assert any(ref.endswith("swagger-ui-bundle.js") for ref in parser.refs)
    for ref in parser.refs:
        assert not urlsplit(ref).netloc, ref
        assert ref.startswith(settings.STATIC_URL), ref
        found = finders.find(ref[len(settings.STATIC_URL) :])
        assert found, (
            f"{ref} is not a static file the app can serve: run `npm ci` and "
            "`python scripts/vendor_static.py`"
        )
    csp = r["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp
    # The settings block tells Swagger UI where the document is and to skip the online validator.
    assert '"url": "/api/v1/openapi.json"' in html
    assert '"validatorUrl": null' in html
