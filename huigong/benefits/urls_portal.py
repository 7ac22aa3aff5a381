"""Worker-facing pages of this app, mounted under /portal/benefits/ (namespace benefits_portal)."""

from django.urls import path  # noqa: F401

app_name = "benefits_portal"
urlpatterns: list = []
