from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huigong.core.contrib import (
    ApiRouter,
    Contributions,
    DemoBuilder,
    KpiModule,
    NavEntry,
    PeriodicJob,
    Tile,
    UrlInclude,
)


class PortalConfig(AppConfig):
    name = "huigong.portal"
    layer = "portal"  # huigong.core.layers: imports go down only
    label = "portal"
    verbose_name = "惠工e家"
    contributions = Contributions(
        # The worker portal's own pages; other apps mount theirs beside them (portal/benefits/…).
        portal_urls=(UrlInclude("", "huigong.portal.urls"),),
        api_routers=(ApiRouter("/join-applications", "huigong.portal.api.join_router", ("join-applications",),
                               pgettext_lazy("API area", "网上入会")),),
        nav=(NavEntry(90, _("入会申请"), "portal:staff_join_list", "user-plus", ("portal:staff_",), group=_("组织与会员")),),
        tiles=(
            Tile(10, _("网上入会"), "portal:join_start", "user-plus", "red", _("几分钟办好"), _("会员服务"), "applicant"),
            Tile(20, _("会员卡"), "portal:me", "id-card", "red", _("电子会员卡"), _("会员服务"), "member"),
            Tile(70, _("我的消息"), "portal:messages", "bell", "teal", _("审核结果通知"), _("我的")),
            Tile(80, _("我的申请"), "portal:me", "list", "teal", _("进度随时查"), _("我的")),
        ),
        demo_builder=DemoBuilder(10, "huigong.portal.demo.build"),
        kpis=(KpiModule("huigong.portal.kpis", 50, {"join": _("入会")}, group_order=25),),
        periodic=(
            PeriodicJob("portal.purge", 3600, "huigong.portal.services.portal_purge"),
            # 会员关系转接请求: reminders before, expiry at the deadline (both sides told); 我已是会员 requests.
            PeriodicJob("portal.transfer_requests", 3600, "huigong.portal.join.join_transfers_tick"),
            PeriodicJob("portal.links_expire", 3600, "huigong.portal.link.links_expire"),
        ),
        api_matrix=("huigong.portal.tests.api_matrix",),
        page_matrix=("huigong.portal.tests.page_matrix",),
    )

    def ready(self):
        from huigong.core.crypto import register_rotation_hook

        from .services import worker_usernames_recompute

        register_rotation_hook("portal.worker_usernames", worker_usernames_recompute)
