from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "huigong.orgs"
    label = "orgs"
    verbose_name = "组织"
