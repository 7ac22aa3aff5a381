from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "huigong.accounts"
    label = "accounts"
    verbose_name = "账号"
