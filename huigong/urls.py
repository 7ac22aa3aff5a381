from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from huigong.api.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("huigong.accounts.urls")),
    path("org/", include("huigong.orgs.urls")),
    path("members/", include("huigong.members.urls")),
    path("api/v1/", api.urls),
    path("", include("huigong.core.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
