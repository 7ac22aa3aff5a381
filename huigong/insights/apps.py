from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "huigong.insights"
    label = "insights"
    verbose_name = "数据洞察"

    def ready(self) -> None:
        from huigong.core import periodic
        from huigong.insights.rollups import rollups_refresh_if_changed

        # Every two minutes at most: the dashboard states how fresh its numbers are.
        periodic.register("insights.rollups_refresh", 120, rollups_refresh_if_changed)

        from huigong.insights.services import reports_reclaim

        periodic.register("insights.reports_reclaim", 300, reports_reclaim)
