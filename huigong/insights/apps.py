from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "huigong.insights"
    label = "insights"
    verbose_name = "数据洞察"

    def ready(self) -> None:
        from huigong.core import periodic
        from huigong.insights.views import rollups_refresh_and_warm

        # Every two minutes at most: the dashboard states how fresh its numbers are.
        periodic.register("insights.rollups_refresh", 120, rollups_refresh_and_warm)

        from huigong.insights.services import reports_reclaim

        periodic.register("insights.reports_reclaim", 300, reports_reclaim)
