"""Worker-facing pages of this app, mounted under /portal/assistance/ (namespace assistance_portal)."""

from django.urls import path  # noqa: F401

app_name = "assistance_portal"
urlpatterns: list = []
