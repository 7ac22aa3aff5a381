"""core.middleware.CSPMiddleware builds the settings' policy once per process: its headers must be
exactly django-csp's own middleware's, for every kind of response (plain, with a nonce, with a view's
csp_update/csp_replace/csp_exempt, report-only, a changed setting)."""

from __future__ import annotations

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, SELF
from csp.decorators import csp_exempt, csp_replace, csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as StockCSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from huigong.core.middleware import CSPMiddleware


def _views():
    def plain(request):
        return HttpResponse("x")

    def with_nonce(request):
        return HttpResponse(str(request.csp_nonce))

    @csp_update({"img-src": ["https://tiles.example"]})
    def updated(request):
        return HttpResponse("x")

    @csp_replace({"script-src": [SELF, "https://cdn.example"]})
    def replaced(request):
        return HttpResponse("x")

    @csp_exempt()
    def exempt(request):
        return HttpResponse("x")

    return {"plain": plain, "with_nonce": with_nonce, "updated": updated, "replaced": replaced, "exempt": exempt}


def _headers(middleware_class, view, path="/api/v1/x"):
    request = RequestFactory().get(path)
    response = middleware_class(view)(request)
    return {h: response.get(h) for h in (HEADER, HEADER_REPORT_ONLY)}, request


@pytest.mark.parametrize("name", list(_views()))
def test_the_same_headers_as_django_csp(name):
    view = _views()[name]
    ours, request = _headers(CSPMiddleware, view)
    stock, _ = _headers(StockCSPMiddleware, view)
    if name == "with_nonce":  # a fresh nonce per response: the same policy around it
        assert ours[HEADER] != stock[HEADER] and "'nonce-" in ours[HEADER]
        nonce = request._csp_nonce
        assert ours[HEADER].replace(nonce, "N") == stock[HEADER].replace(stock[HEADER].split("'nonce-")[1].split("'")[0], "N")
    else:
        assert ours == stock, name
    if name == "exempt":
        assert ours[HEADER] is None
    else:
        assert ours[HEADER]


def test_each_response_gets_its_own_nonce_and_a_late_one_raises():
    view = _views()["with_nonce"]
    (first, req1), (second, req2) = _headers(CSPMiddleware, view), _headers(CSPMiddleware, view)
    assert req1._csp_nonce != req2._csp_nonce and req1._csp_nonce in first[HEADER] and req2._csp_nonce in second[HEADER]
    _, plain_request = _headers(CSPMiddleware, _views()["plain"])
    with pytest.raises(CSPNonceError):
        str(plain_request.csp_nonce)  # asked for after the header was written: never silently unsent


def test_a_changed_setting_changes_the_header():
    view = _views()["plain"]
    before, _ = _headers(CSPMiddleware, view)
    policy = {"DIRECTIVES": {"default-src": [SELF], "img-src": [SELF, "https://maps.example"]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy, CONTENT_SECURITY_POLICY_REPORT_ONLY=policy):
        during, _ = _headers(CSPMiddleware, view)
        stock, _ = _headers(StockCSPMiddleware, view)
    after, _ = _headers(CSPMiddleware, view)
    assert during == stock and "https://maps.example" in during[HEADER] and during[HEADER_REPORT_ONLY]
    assert before == after and "maps.example" not in after[HEADER] and after[HEADER_REPORT_ONLY] is None


def test_excluded_prefixes_are_honoured():
    policy = {"EXCLUDE_URL_PREFIXES": ["/api/"], "DIRECTIVES": {"default-src": [SELF]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        api, _ = _headers(CSPMiddleware, _views()["plain"], "/api/v1/x")
        page, _ = _headers(CSPMiddleware, _views()["plain"], "/members/")
    assert api[HEADER] is None and page[HEADER] == "default-src 'self'"


def test_the_project_runs_this_middleware(settings):
    assert "huigong.core.middleware.CSPMiddleware" in settings.MIDDLEWARE
    assert "csp.middleware.CSPMiddleware" not in settings.MIDDLEWARE
