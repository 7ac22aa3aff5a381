import os
import sys

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AuditedAdminConfig(admin_apps.AdminConfig):
    """Replaces "django.contrib.admin" in INSTALLED_APPS: the admin site audits every write
    (huigong.core.admin_site)."""

    default = False  # CoreConfig stays this module's default
    default_site = "huigong.core.admin_site.AuditedAdminSite"


class CoreConfig(AppConfig):
    name = "huigong.core"
    label = "core"
    verbose_name = "核心"

    def ready(self) -> None:
        from django.conf import settings
        from django.core import checks

        from .checks import app_role_owns_no_table

        checks.register(app_role_owns_no_table, checks.Tags.security, deploy=True)

        # The embedded shape has no Celery beat: the serving process keeps the clock (see core/periodic.py).
        # Under the autoreloader only the child (RUN_MAIN) serves; the watcher process must not tick too.
        serving = "runserver" in sys.argv and (os.environ.get("RUN_MAIN") == "true" or "--noreload" in sys.argv)
        if settings.HUIGONG_TASK_MODE == "thread" and serving:
            from huigong.core import periodic

            periodic.start_thread()
