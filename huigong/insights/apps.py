from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huigong.core.contrib import ApiRouter, Contributions, DemoBuilder, NavEntry, PeriodicJob, UrlInclude


class InsightsConfig(AppConfig):
    name = "huigong.insights"
    layer = "surface"  # huigong.core.layers: imports go down only
    label = "insights"
    verbose_name = "数据洞察"
    # The KPI catalogue itself is collected from every app's `kpis` declaration (insights/kpis.py).
    contributions = Contributions(
        console_urls=(UrlInclude("insights/", "huigong.insights.urls"),),
        api_routers=(ApiRouter("/kpis", "huigong.insights.api.router", ("kpis",), pgettext_lazy("API area", "数据指标")),),
        nav=(NavEntry(92, _("数据看板"), "insights:dashboard", "chart", ("insights:",), group=_("分析")),),
        demo_builder=DemoBuilder(40, "huigong.insights.demo.build"),
        periodic=(
            # Every two minutes at most: the dashboard states how fresh its numbers are.
            PeriodicJob("insights.rollups_refresh", 120, "huigong.insights.views.rollups_refresh_and_warm"),
            PeriodicJob("insights.reports_reclaim", 300, "huigong.insights.services.reports_reclaim"),
        ),
        api_matrix=("huigong.insights.tests.api_matrix",),
        page_matrix=("huigong.insights.tests.page_matrix",),
    )

    def ready(self) -> None:
        from django.test.signals import setting_changed

        setting_changed.connect(_apps_changed, dispatch_uid="huigong.insights.catalogue")


def _apps_changed(setting, **kwargs):
    # The catalogue is every installed app's KPIs (a test may install one).
    if setting == "INSTALLED_APPS":
        from huigong.insights import kpis

        kpis.rebuild()
