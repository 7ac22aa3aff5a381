from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "huigong.core.notices"
    label = "notices"
    verbose_name = "公示"

    def ready(self) -> None:
        from huigong.core import periodic

        from .services import notices_tick_all

        # 公示 whose period is over end by themselves, for every domain that registered a scheme
        # (also: python manage.py tick --all, and assistance_tick for the aid notices).
        periodic.register("notices.end", 600, notices_tick_all)
