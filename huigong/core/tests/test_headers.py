"""Response headers: a nonce-based Content-Security-Policy on every page (and no template that needs an
inline script, style or event handler), Cache-Control: no-store on everything signed in, on the API
and on downloads, while static files stay cacheable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, RequestFactory

from huigong.portal.testing import make_worker_account, sign_in

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _policy(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy", "")
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


# --- Content-Security-Policy --------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/members/", "/insights/", "/api/v1/docs", "/accounts/profile/"])
def test_console_pages_carry_a_strict_policy(cast, path):
    client = Client()
    client.force_login(cast.city_admin)
    r = client.get(path)
    assert r.status_code == 200
    policy = _policy(r)
    assert policy["default-src"] == ["'self'"]
    for directive in ("script-src", "style-src"):
        assert policy[directive][0] == "'self'", policy
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(policy[directive]), policy
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"] and policy["form-action"] == ["'self'"]


def test_portal_and_sign_in_pages_carry_the_policy(cast):
    assert "script-src 'self'" in Client().get("/accounts/login/")["Content-Security-Policy"]
    assert "script-src 'self'" in Client().get("/portal/login/")["Content-Security-Policy"]
    client = Client()
    sign_in(client, make_worker_account("13900000077"))
    r = client.get("/portal/")
    assert r.status_code == 200 and "style-src 'self'" in r["Content-Security-Policy"]


def test_a_nonce_used_by_a_page_is_in_that_responses_policy(rf):
    """Pages need no inline code today; should one ever need it, `{{ request.csp_nonce }}` is the way,
    and each response gets its own nonce in the header."""
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse
    from django.template import engines

    template = engines["django"].from_string('<script nonce="{{ request.csp_nonce }}">1</script>')
    nonces = []
    for _ in range(2):
        request = rf.get("/")
        middleware = CSPMiddleware(lambda req: HttpResponse(template.render({}, req)))
        response = middleware(request)
        nonce = re.search(r'nonce="([^"]+)"', response.content.decode())[1]
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def _served_templates() -> list[Path]:
    """Every template a browser gets; the PDF templates are rendered by WeasyPrint, never served."""
    out = []
    for path in sorted(ROOT.glob("**/templates/**/*.html")):
        rel = path.relative_to(ROOT).as_posix()
        if "/pdf/" in rel or rel.endswith("_pdf.html"):
            continue
        out.append(path)
    return out


def test_no_served_template_needs_inline_script_style_or_handlers():
    """The policy forbids them: a page that used one would silently lose its styling or behaviour."""
    offences = []
    for path in _served_templates():
        text = path.read_text()
        for m in re.finditer(r"<script\b([^>]*)>", text):
            attrs = m.group(1)
            if "src=" not in attrs and 'type="application/json"' not in attrs and "nonce=" not in attrs:
                offences.append(f"{path}: inline <script>")
        for pattern, what in ((r"<style\b(?![^>]*nonce=)", "<style> block"), (r"\sstyle=", "style attribute"),
                              (r"\son[a-z]+=", "inline event handler"), (r"javascript:", "javascript: URL")):
            if re.search(pattern, text, re.IGNORECASE):
                offences.append(f"{path}: {what}")
    assert len(_served_templates()) > 100
    assert not offences, "\n".join(offences)


def test_python_code_renders_no_inline_style_or_script():
    offences = []
    for path in sorted(ROOT.glob("**/*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if "/tests/" in rel or "/migrations/" in rel or rel.startswith("settings/"):
            continue
        text = path.read_text()
        if re.search(r"""style=\\?["']|<script>|\son(click|change|submit|load)=""", text):
            offences.append(rel)
    assert not offences, offences


# --- Cache-Control: no-store ---------------------------------------------------------------------

def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_signed_in_pages_are_not_stored(cast):
    client = Client()
    client.force_login(cast.city_admin)
    for path in ("/", "/members/", f"/members/{cast.member.person_id}/", "/org/", "/accounts/profile/"):
        r = client.get(path)
        assert r.status_code in (200, 404), (path, r.status_code)
        if r.status_code == 200:
            assert _no_store(r), (path, r.get("Cache-Control"))
    r = client.get("/members/")
    assert "private" in r["Cache-Control"]


def test_exports_and_api_answers_are_not_stored(cast):
    from huigong.api.tests.conftest import ApiClient, make_token

    client = Client()
    client.force_login(cast.city_admin)
    r = client.get("/members/export.xlsx")
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    assert _no_store(r)
    api = ApiClient(make_token(cast.city_admin))
    r = api.get("members")
    assert r.status_code == 200 and _no_store(r)
    assert _no_store(Client().get("/api/v1/members"))  # even the 401


def test_worker_pages_are_not_stored(cast):
    client = Client()
    sign_in(client, make_worker_account("13900000078"))
    r = client.get("/portal/me/")
    assert r.status_code == 200 and _no_store(r)


def test_static_files_and_anonymous_pages_keep_their_caching(cast):
    from django.http import HttpResponse

    from huigong.core.middleware import NoStoreMiddleware

    def static(request):
        response = HttpResponse("body{}", content_type="text/css")
        response["Cache-Control"] = "max-age=315360000, public, immutable"
        return response

    request = RequestFactory().get(f"{settings.STATIC_URL}css/console.css")
    request.user = cast.city_admin  # even for a signed-in visitor
    response = NoStoreMiddleware(static)(request)
    assert response["Cache-Control"] == "max-age=315360000, public, immutable"
    r = Client().get("/portal/privacy/")  # a public page: nothing personal, cacheable as before
    assert r.status_code == 200 and not _no_store(r)
