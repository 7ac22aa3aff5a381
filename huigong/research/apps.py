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
    UrlInclude,
)


class ResearchConfig(AppConfig):
    name = "huigong.research"
    layer = "domain"  # huigong.core.layers: imports go down only
    label = "research"
    verbose_name = "调研"
    audit_object_urls = {"research.programme": "research:programme_detail",
                         "research.project": "research:project_detail",
                         "research.tranchebatch": "research:batch_detail"}
    contributions = Contributions(
        console_urls=(UrlInclude("research/", "huigong.research.urls"),),
        api_routers=(ApiRouter("/research", "huigong.research.api.router", ("research",),
                               pgettext_lazy("API area", "调研课题")),),
        nav=(NavEntry(88, _("调研课题"), "research:home", "search", ("research:",), group=_("体检与调研")),),
        capabilities=(
            Capability("research", _("调研课题"), ("admin", "staff")),
            Capability("approve", _("审批"), ("admin", "leader")),
            Capability("money", _("资金发放"), ("finance",)),
        ),
        # Before insights (40), whose builder rolls every KPI up; after the contribution test app (35).
        demo_builder=DemoBuilder(36, "huigong.research.demo.build"),
        # Before the contribution test app (60), which asserts it is last in the catalogue.
        kpis=(KpiModule("huigong.research.kpis", 55, {"research": _("调研成果")}),),
        api_matrix=("huigong.research.tests.api_matrix",),
        page_matrix=("huigong.research.tests.page_matrix",),
    )

    def ready(self):
        from huigong.core.disbursement.flow import register

        from . import outcomes
        from .payments import TRANCHES

        register(TRANCHES)  # tranches pay through the kernel's disbursement service
        outcomes.register()  # recommendations are the outcome tracker's items
