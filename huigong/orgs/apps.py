from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huigong.core.contrib import ApiRouter, Capability, Contributions, KpiModule, NavEntry, UrlInclude


class OrgsConfig(AppConfig):
    name = "huigong.orgs"
    layer = "tree"  # huigong.core.layers: imports go down only
    label = "orgs"
    verbose_name = "组织"
    audit_object_urls = {"orgs.unionnode": "orgs:node_detail", "orgs.enterprise": "orgs:enterprise_detail",
                         "orgs.servicesite": "benefits:site_detail"}
    contributions = Contributions(
        console_urls=(UrlInclude("org/", "huigong.orgs.urls"),),
        api_routers=(
            ApiRouter("/unions", "huigong.orgs.api.unions_router", ("unions",), pgettext_lazy("API area", "工会组织")),
            ApiRouter("/enterprises", "huigong.orgs.api.enterprises_router", ("enterprises",), pgettext_lazy("API area", "单位")),
            ApiRouter("/sites", "huigong.orgs.api.sites_router", ("sites",), pgettext_lazy("API area", "服务阵地")),
        ),
        nav=(
            NavEntry(20, _("组织架构"), "orgs:tree", "tree", ("orgs:tree", "orgs:node"), group=_("组织与会员")),
            NavEntry(40, _("单位"), "orgs:enterprise_list", "building", ("orgs:enterprise",), group=_("组织与会员")),
            NavEntry(50, _("服务阵地"), "orgs:site_list", "pin", ("orgs:site",), group=_("组织与会员")),
        ),
        capabilities=(Capability("org_write", _("维护组织与单位"), ("admin",)),),
        kpis=(KpiModule("huigong.orgs.kpis", 20, {"orgs": _("组织与阵地")}),),
        api_matrix=("huigong.orgs.tests.api_matrix",),
        page_matrix=("huigong.orgs.tests.page_matrix",),
    )

    def ready(self) -> None:
        from huigong.core.approvals import services as approvals

        from .models import MEMBERSHIP_LEVELS, NodeLevel, UnionNode

        def nodes_at(paths):
            return {n.path: n for n in UnionNode.objects.filter(path__in=list(paths))}

        def origin_serves(origin, level):
            # A union that holds memberships is the grassroots of its own members (a 联合工会 of riders).
            return level == NodeLevel.GRASSROOTS and origin.level in MEMBERSHIP_LEVELS

        # The kernel's approval chains walk this tree (it imports no app above it).
        approvals.register_tree(nodes_at=nodes_at, steplen=UnionNode.steplen, origin_serves=origin_serves)
