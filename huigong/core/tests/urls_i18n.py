"""A URLconf with i18n_patterns, for the locale middleware's test (the project has none)."""

from django.conf.urls.i18n import i18n_patterns
from django.http import HttpResponse
from django.urls import path

urlpatterns = i18n_patterns(path("x/", lambda request: HttpResponse("x")))
