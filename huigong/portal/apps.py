from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "huigong.portal"
    label = "portal"
    verbose_name = "惠工e家"

    def ready(self):
        from huigong.core import periodic
        from huigong.core.crypto import register_rotation_hook

        from .services import portal_purge, worker_usernames_recompute

        periodic.register("portal.purge", 3600, portal_purge)
        register_rotation_hook("portal.worker_usernames", worker_usernames_recompute)
