from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "huigong.api"
    label = "api"
    verbose_name = "API"
