from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "huigong.core.notify"
    label = "notify"
    verbose_name = "通知"

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        from huigong.core import periodic

        from . import channels, services

        channels.register_builtin()
        # Each app that notifies declares its events (and, for the portal, its channel) in
        # <app>/notifications.py; the kernel collects them here without importing any app by name.
        autodiscover_modules("notifications")
        periodic.register("notify.deliver", 60, services.deliver_due)
