import os
import sys

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _

from .contrib import Capability, Contributions


class AuditedAdminConfig(admin_apps.AdminConfig):
    """Replaces "django.contrib.admin" in INSTALLED_APPS: the admin site audits every write
    (huigong.core.admin_site)."""

    default = False  # CoreConfig stays this module's default
    default_site = "huigong.core.admin_site.AuditedAdminSite"


class CoreConfig(AppConfig):
    name = "huigong.core"
    layer = "kernel"  # huigong.core.layers: imports go down only
    label = "core"
    verbose_name = "核心"
    # The kernel's audit reads (core/selectors.py) check this capability; the console app shows them.
    contributions = Contributions(
        capabilities=(Capability("audit_view", _("查看审计"), ("admin", "leader")),),
    )

    def ready(self) -> None:
        from django.conf import settings
        from django.core import checks

        from .checks import app_role_owns_no_table

        checks.register(app_role_owns_no_table, checks.Tags.security, deploy=True)

        from huigong.core import periodic

        # Every app's declared jobs (contributions.periodic); ready() runs once all app configs exist.
        periodic.register_contributed()

        # The embedded shape has no Celery beat: the serving process keeps the clock (see core/periodic.py).
        # Under the autoreloader only the child (RUN_MAIN) serves; the watcher process must not tick too.
        serving = "runserver" in sys.argv and (os.environ.get("RUN_MAIN") == "true" or "--noreload" in sys.argv)
        if settings.HUIGONG_TASK_MODE == "thread" and serving:
            periodic.start_thread()
