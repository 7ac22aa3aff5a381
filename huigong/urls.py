from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from huigong.api.api import api

urlpatterns = [
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
    # Worker-facing pages of other apps live under /portal/ too, each app owning its own file.
    path("portal/benefits/", include("huigong.benefits.urls_portal")),
    path("portal/assistance/", include("huigong.assistance.urls_portal")),
    path("portal/", include("huigong.portal.urls")),
    path("api/v1/", api.urls),
    path("", include("huigong.core.urls")),
]
# MEDIA_ROOT is never served: uploaded rosters and error reports hold personal data and are
# only handed out by views that check the actor's scope.
