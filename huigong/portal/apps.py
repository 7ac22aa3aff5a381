from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "huigong.portal"
    label = "portal"
    verbose_name = "惠工e家"
