"""The interactive docs page, served with the app's own copy of Swagger UI.

django-ninja's default page loads Swagger UI from a CDN when "ninja" is not an installed app;
union networks are often closed, so the page here references only files under STATIC_URL
(vendored from npm's swagger-ui-dist by scripts/vendor_static.py)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import DocsBase


class LocalSwagger(DocsBase):
    template = "api/docs.html"
    default_settings: ClassVar[dict[str, Any]] = {
        "layout": "BaseLayout",
        "deepLinking": True,
        # The areas collapsed, each a heading with its description: 31 areas fit an overview, and a deep link
        # (#/<area>/<operation>) opens one. Expanded ("list", the default), Swagger UI >= 5.3x virtualises the
        # operation list once tags + operations reach 150 (swagger-ui-dist 5.35: hard-coded, no option) and draws
        # only the rows near the viewport, so a reader (or a test) saw just the first two areas until scrolling.
        "docExpansion": "none",
        "persistAuthorization": False,
        # The default validator badge calls validator.swagger.io; nothing may leave the network.
        "validatorUrl": None,
    }

    def __init__(self, settings: dict[str, Any] | None = None):
        self.settings = {**self.default_settings, **(settings or {})}

    def render_page(self, request: HttpRequest, api, **kwargs: Any) -> HttpResponse:
        swagger_settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        context = {"swagger_settings": json.dumps(swagger_settings), "api": api}
        # The site-wide Content-Security-Policy (settings.CONTENT_SECURITY_POLICY) covers this page
        # too: it loads nothing but our own files and runs no inline script.
        return render(request, self.template, context)
