from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "huigong.members"
    label = "members"
    verbose_name = "会员"
