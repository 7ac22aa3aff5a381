from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from huigong.api.api import api
from huigong.benefits.api_fast import with_claim_door


def _hot_first(urls, *prefixes: str):
    """The API's URL patterns with those under `prefixes` moved to the front (their own order kept).
    Django tries patterns in order, and a worker's claim sat behind ninety others: at a rush for
    places that matching cost more than the claim's SQL. Safe to reorder because no API route starts
    with a converter, so a path can only match patterns of its own prefix."""
    patterns, app_name, namespace = urls
    hot = [p for p in patterns if str(p.pattern).startswith(prefixes)]
    return [*hot, *(p for p in patterns if p not in hot)], app_name, namespace


urlpatterns = [
    # First: the API's paths never clash with the pages below, and a claim rush hits it hardest.
    path("api/v1/", _hot_first(with_claim_door(api.urls), "benefit-claims")),
    # One sign-in door (lockout, TOTP): the admin's own login page would skip the TOTP step.
    path("admin/login/", RedirectView.as_view(pattern_name="accounts:login", query_string=True)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("huigong.accounts.urls")),
    path("org/", include("huigong.orgs.urls")),
    path("members/", include("huigong.members.urls")),
    path("assistance/", include("huigong.assistance.urls")),
    path("benefits/", include("huigong.benefits.urls")),
    path("insights/", include("huigong.insights.urls")),
    path("notifications/", include("huigong.core.notify.urls")),
    # Worker-facing pages of other apps live under /portal/ too, each app owning its own file.
    path("portal/benefits/", include("huigong.benefits.urls_portal")),
    path("portal/assistance/", include("huigong.assistance.urls_portal")),
    path("portal/", include("huigong.portal.urls")),
    path("", include("huigong.core.urls")),
]
# MEDIA_ROOT is never served: uploaded rosters and error reports hold personal data and are
# only handed out by views that check the actor's scope.
