"""Django middleware doing less per request where this project never uses what it prepares."""

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
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
