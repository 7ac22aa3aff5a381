from django.apps import AppConfig


class CapacityConfig(AppConfig):
    name = "huigong.core.capacity"
    label = "capacity"
    verbose_name = "名额与候补"

    def ready(self) -> None:
        from huigong.core import periodic

        from . import services

        # Offers whose claim window passed go to the next in line (every minute; idempotent).
        periodic.register("capacity.expire_offers", 60, services.offers_expire_due)
