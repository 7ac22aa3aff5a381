from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "huigong.orgs"
    label = "orgs"
    verbose_name = "组织"
    audit_object_urls = {"orgs.unionnode": "orgs:node_detail", "orgs.enterprise": "orgs:enterprise_detail",
                         "orgs.servicesite": "benefits:site_detail"}

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
