from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "huigong.portal"
    label = "portal"
    verbose_name = "惠工e家"

    def ready(self):
        from huigong.core import periodic
        from huigong.core.crypto import register_rotation_hook

        from .join import join_transfers_tick
        from .link import links_expire
        from .services import portal_purge, worker_usernames_recompute

        periodic.register("portal.purge", 3600, portal_purge)
        # 会员关系转接请求: reminders before, expiry at the deadline (both sides told); 我已是会员 requests.
        periodic.register("portal.transfer_requests", 3600, join_transfers_tick)
        periodic.register("portal.links_expire", 3600, links_expire)
        register_rotation_hook("portal.worker_usernames", worker_usernames_recompute)
