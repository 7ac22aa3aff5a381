from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from huigong.core.contrib import Contributions, NavEntry, UrlInclude


class NotifyConfig(AppConfig):
    name = "huigong.core.notify"
    label = "notify"
    verbose_name = "通知"
    contributions = Contributions(
        console_urls=(UrlInclude("notifications/", "huigong.core.notify.urls"),),
        nav=(NavEntry(115, _("通知发送记录"), "notify:list", "bell", ("notify:",), group=_("系统")),),
        page_matrix=("huigong.core.notify.tests.page_matrix",),
    )

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        from huigong.core import periodic

        from . import channels, services

        channels.register_builtin()
        # Each app that notifies declares its events (and, for the portal, its channel) in
        # <app>/notifications.py; the kernel collects them here without importing any app by name.
        autodiscover_modules("notifications")
        periodic.register("notify.deliver", 60, services.deliver_due)
