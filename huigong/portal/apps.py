from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "huigong.portal"
    label = "portal"
    verbose_name = "惠工e家"

    def ready(self):
        from huigong.core import periodic

        from .services import portal_purge

        periodic.register("portal.purge", 3600, portal_purge)
