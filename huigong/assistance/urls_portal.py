"""Worker-facing pages of this app, mounted under /portal/assistance/ (namespace assistance_portal)."""

from django.urls import path

from .views import portal

app_name = "assistance_portal"
urlpatterns: list = [
    path("", portal.home, name="home"),
    path("help/", portal.help_request, name="help"),
    path("apply/<int:programme_id>/", portal.apply, name="apply"),
    path("applications/<int:pk>/", portal.application, name="application"),
]
