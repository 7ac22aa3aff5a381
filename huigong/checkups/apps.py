from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huigong.core.contrib import (
    ApiRouter,
    Capability,
    Contributions,
    DemoBuilder,
    KpiModule,
    NavEntry,
    PeriodicJob,
    UrlInclude,
)


class CheckupsConfig(AppConfig):
    name = "huigong.checkups"
    layer = "domain"  # huigong.core.layers: imports go down only
    label = "checkups"
    verbose_name = "企业体检"
    audit_object_urls = {"checkups.campaign": "checkups:campaign", "checkups.examination": "checkups:exam"}
    contributions = Contributions(
        console_urls=(UrlInclude("checkups/", "huigong.checkups.urls"),),
        api_routers=(ApiRouter("/checkups", "huigong.checkups.api.router", ("checkups",),
                               pgettext_lazy("API area", "企业体检")),),
        nav=(NavEntry(87, _("企业体检"), "checkups:home", "shield", ("checkups:",), group=_("体检与调研")),),
        capabilities=(Capability("checkup", _("企业体检"), ("admin", "staff")),),
        demo_builder=DemoBuilder(36, "huigong.checkups.demo.build"),
        kpis=(KpiModule("huigong.checkups.kpis", 60, {"checkups": _("企业体检")}),),
        # Reply deadlines of 提示函, 意见书 and 建议书: due soon, overdue, escalated one level up (idempotent).
        periodic=(PeriodicJob("checkups.reply_reminders", 3600, "huigong.checkups.services.instrument_reminders"),
                  # The campaign reports' running tallies: each campaign's rows replaced by their sums.
                  PeriodicJob("checkups.tally_compact", 3600, "huigong.checkups.tally.compact")),
        api_matrix=("huigong.checkups.tests.api_matrix",),
        page_matrix=("huigong.checkups.tests.page_matrix",),
    )

    def ready(self):
        from . import services

        services.register_kind()  # findings are tracked items of the kernel's outcome tracker
