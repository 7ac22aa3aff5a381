from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "huigong.insights"
    label = "insights"
    verbose_name = "数据洞察"
