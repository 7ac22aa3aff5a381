from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The staff console's own pages (a node's home, the audit browser and the access log): a surface
    above the domains, so that the kernel (huigong.core) serves no page and imports no app."""

    name = "huigong.console"
    label = "console"
    verbose_name = "控制台"
