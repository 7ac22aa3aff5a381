from django.apps import AppConfig
from django.utils.translation import pgettext_lazy

from huigong.core.contrib import ApiRouter, Contributions


class ApiConfig(AppConfig):
    name = "huigong.api"
    layer = "tree"  # the toolkit every app's router uses (auth, schemas, errors), on accounts
    # The assembly mounts every router; the API's own routes (audit, docs) are a surface.
    module_layers = {"api": "assembly", "audit": "surface", "docs": "surface", "outcomes": "surface"}
    label = "api"
    verbose_name = "API"
    # The kernel's audit log and outcome tracker, through the API surface (api/audit.py, api/outcomes.py):
    # the kernel imports no surface.
    contributions = Contributions(
        api_routers=(ApiRouter("/audit", "huigong.api.audit.router", ("audit",), pgettext_lazy("API area", "审计")),
                     ApiRouter("/outcomes", "huigong.api.outcomes.router", ("outcomes",),
                               pgettext_lazy("API area", "成果跟踪")),),
        api_matrix=("huigong.api.tests.api_matrix",),
    )
