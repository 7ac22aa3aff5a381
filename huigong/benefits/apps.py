from django.apps import AppConfig


class BenefitsConfig(AppConfig):
    name = "huigong.benefits"
    label = "benefits"
    verbose_name = "惠工服务"
