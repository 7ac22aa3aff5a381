from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from huigong.api.api import api
from huigong.benefits.api_fast import with_claim_door
from huigong.core import contrib


def _hot_first(urls, *prefixes: str):
    """The API's URL patterns with those under `prefixes` moved to the front (their own order kept).
    Django tries patterns in order, and a worker's claim sat behind ninety others: at a rush for
    places that matching cost more than the claim's SQL. Safe to reorder because no API route starts
    with a converter, so a path can only match patterns of its own prefix."""
    patterns, app_name, namespace = urls
    hot = [p for p in patterns if str(p.pattern).startswith(prefixes)]
    return [*hot, *(p for p in patterns if p not in hot)], app_name, namespace


def _mounted(includes, root: str) -> list:
    """The declared includes, the longest prefix first: a shorter prefix ("portal/") must not catch a
    longer one's paths ("portal/benefits/…") whatever the order of INSTALLED_APPS."""
    ordered = sorted(includes, key=lambda i: -len(i.prefix))
    return [path(root + i.prefix, include(i.urlconf)) for i in ordered]


def app_urlpatterns() -> list:
    """Each installed app's console pages and worker-facing pages (under /portal/), as it declares them
    (contributions.console_urls / portal_urls, core/contrib.py)."""
    return [*_mounted(contrib.collect("console_urls"), ""), *_mounted(contrib.collect("portal_urls"), "portal/")]


urlpatterns = [
    # First: the API's paths never clash with the pages below, and a claim rush hits it hardest.
    path("api/v1/", _hot_first(with_claim_door(api), "benefit-claims")),
    # One sign-in door (lockout, TOTP): the admin's own login page would skip the TOTP step.
    path("admin/login/", RedirectView.as_view(pattern_name="accounts:login", query_string=True)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    *app_urlpatterns(),
]
# MEDIA_ROOT is never served: uploaded rosters and error reports hold personal data and are
# only handed out by views that check the actor's scope.
