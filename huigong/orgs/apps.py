from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "huigong.orgs"
    label = "orgs"
    verbose_name = "组织"
    audit_object_urls = {"orgs.unionnode": "orgs:node_detail", "orgs.enterprise": "orgs:enterprise_detail",
                         "orgs.servicesite": "benefits:site_detail"}
