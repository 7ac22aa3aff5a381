from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from huigong.core.contrib import Contributions, NavEntry, UrlInclude


class ConsoleConfig(AppConfig):
    """The staff console's own pages (a node's home, the audit browser and the access log): a surface
    above the domains, so that the kernel (huigong.core) serves no page and imports no app."""

    name = "huigong.console"
    layer = "surface"  # huigong.core.layers: imports go down only
    label = "console"
    verbose_name = "控制台"
    contributions = Contributions(
        # The root: mounted last of the console includes (the longest prefix goes first).
        console_urls=(UrlInclude("", "huigong.console.urls"),),
        nav=(
            NavEntry(10, _("首页"), "console:home", "home", ("console:home",)),
            NavEntry(120, _("审计日志"), "console:audit", "shield", ("console:audit",), cap="audit_view", group=_("系统")),
        ),
        page_matrix=("huigong.console.tests.page_matrix",),
    )
