"""Django middleware doing less per request where this project never uses what it prepares."""

import http.client
from dataclasses import astuple

from csp import middleware as csp_middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.core.signals import setting_changed
from django.contrib.messages.middleware import MessageMiddleware
from django.middleware import locale
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers

# Where the JSON API is mounted (huigong/urls.py).
API_PATH_PREFIX = "/api/"


class PageMessageMiddleware(MessageMiddleware):
    """Django's messages, for pages only. The API answers in JSON and never queues a message, yet
    Django's middleware builds the cookie-and-session message store for every request (a few percent
    of an API call's CPU in a rush of claims). An API request gets no store: a message queued there
    would fail loudly (MessageFailure) rather than wait for a page nobody is going to load."""

    def process_request(self, request):
        if not request.path_info.startswith(API_PATH_PREFIX):
            super().process_request(request)


class LocaleMiddleware(locale.LocaleMiddleware):
    """Django's, minus its two look-ups per request for a language prefix in the path when the URLconf
    has no i18n_patterns (ours has none: the language comes from the cookie the language switch sets, or
    from Accept-Language). Only i18n_patterns can use a path prefix, so for such a URLconf Django's
    middleware computes the same answer; for one with i18n_patterns this defers to it unchanged."""

    def _path_prefixes_used(self, request) -> bool:
        return is_language_prefix_patterns_used(getattr(request, "urlconf", settings.ROOT_URLCONF))[0]

    def process_request(self, request):
        if self._path_prefixes_used(request):
            return super().process_request(request)
        translation.activate(translation.get_language_from_request(request, check_path=False))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        if self._path_prefixes_used(request):
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class NoStoreMiddleware:
    """Nothing a signed-in person sees, no API answer and no download may be kept by a browser's or a
    proxy's cache: pages carry personal data (a shared office computer's back button, a proxy in the
    union's network), the API's JSON too, and exports are whole rosters. So every such response gets
    Django's never-cache headers (`Cache-Control: no-store, …`). Anonymous pages (sign-in, the public
    notice) and static files (served by WhiteNoise before this runs, long-cached by hashed name)
    keep their own headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        path = request.path_info
        if path.startswith(settings.STATIC_URL):
            return response
        user = getattr(request, "user", None)
        if (
            path.startswith(API_PATH_PREFIX)
            or (user is not None and user.is_authenticated)
            or response.get("Content-Disposition", "").startswith("attachment")
        ):
            add_never_cache_headers(response)
        return response


# The two policies as the settings give them (no nonce, no per-view change), built once per process.
_settings_policies: dict[bool, str] = {}


def _forget_policies(*, setting: str, **kwargs) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _settings_policies.clear()


setting_changed.connect(_forget_policies, dispatch_uid="huigong.core.middleware.csp")


def _policy(parts, report_only: bool) -> str:
    if parts.config is None and parts.update is None and parts.replace is None and parts.nonce is None:
        policy = _settings_policies.get(report_only)
        if policy is None:
            policy = _settings_policies[report_only] = build_policy(report_only=report_only)
        return policy
    return build_policy(*astuple(parts), report_only=report_only)


class CSPMiddleware(csp_middleware.CSPMiddleware):
    """django-csp's middleware (same headers, same exemptions, same nonce handling), except that the
    policy a response gets from the settings alone (no nonce used, no csp_update/replace on the view,
    i.e. every API answer and redirect) is built once per process instead of on every response: building
    it walked the whole configuration twice per request (~60 µs, 6 % of a claim's CPU). A response with
    its own nonce or a view's changes is built as django-csp builds it. Tests
    (core/tests/test_middleware_csp.py) compare the headers with django-csp's own middleware."""

    def process_response(self, request, response):
        if response.status_code in (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND) and settings.DEBUG:
            return response
        for header, report_only, exempt, setting in (
            (HEADER, False, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (HEADER_REPORT_ONLY, True, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            policy = _policy(self.get_policy_parts(request=request, response=response, report_only=report_only),
                             report_only)
            if policy and header not in response and getattr(response, exempt, False) is False:
                prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES", None) or ()
                if not request.path_info.startswith(tuple(prefixes)):
                    response[header] = policy
        if getattr(request, "_csp_nonce", None) is None:
            # As django-csp: a nonce asked for after the header is written raises instead of going unsent.
            request.csp_nonce = csp_middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response
