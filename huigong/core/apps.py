from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "huigong.core"
    label = "core"
    verbose_name = "核心"
