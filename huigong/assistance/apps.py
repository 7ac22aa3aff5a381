from django.apps import AppConfig


class AssistanceConfig(AppConfig):
    name = "huigong.assistance"
    label = "assistance"
    verbose_name = "困难职工帮扶"
