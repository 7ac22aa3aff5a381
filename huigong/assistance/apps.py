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
    PersonFacet,
    RecordSection,
    Tile,
    UrlInclude,
)


class AssistanceConfig(AppConfig):
    name = "huigong.assistance"
    layer = "domain"  # huigong.core.layers: imports go down only
    label = "assistance"
    verbose_name = "困难职工帮扶"
    audit_object_urls = {
        "assistance.hardshipfile": "assistance:file_detail", "assistance.aidapplication": "assistance:application_detail",
        "assistance.aidprogramme": "assistance:programme_detail", "assistance.notice": "assistance:notice_detail",
        "assistance.payoutbatch": "assistance:batch_detail", "assistance.sweep": "assistance:sweep_detail",
    }
    contributions = Contributions(
        console_urls=(UrlInclude("assistance/", "huigong.assistance.urls"),),
        portal_urls=(UrlInclude("assistance/", "huigong.assistance.urls_portal"),),
        api_routers=(
            ApiRouter("/screening-rules", "huigong.assistance.api_files.rules_router", ("screening",), pgettext_lazy("API area", "困难排查")),
            ApiRouter("/sweeps", "huigong.assistance.api_files.sweeps_router", ("screening",), pgettext_lazy("API area", "困难排查")),
            ApiRouter("/hardship-files", "huigong.assistance.api_files.files_router", ("hardship-files",), pgettext_lazy("API area", "困难职工档案")),
            ApiRouter("/aid-programmes", "huigong.assistance.api_flow.programmes_router", ("aid",), pgettext_lazy("API area", "帮扶项目与申请")),
            ApiRouter("/aid-applications", "huigong.assistance.api_flow.applications_router", ("aid",), pgettext_lazy("API area", "帮扶项目与申请")),
            ApiRouter("/notices", "huigong.assistance.api_flow.notices_router", ("aid-notices",), pgettext_lazy("API area", "帮扶公示")),
            ApiRouter("/payout-batches", "huigong.assistance.api_flow.batches_router", ("aid-payouts",), pgettext_lazy("API area", "帮扶发放")),
            ApiRouter("/payouts", "huigong.assistance.api_flow.payouts_router", ("aid-payouts",), pgettext_lazy("API area", "帮扶发放")),
            ApiRouter("/ledger", "huigong.assistance.api_flow.ledger_router", ("aid-ledger",), pgettext_lazy("API area", "帮扶台账")),
        ),
        nav=(NavEntry(70, _("困难帮扶"), "assistance:home", "heart", ("assistance:",), group=_("帮扶与福利")),),
        tiles=(Tile(60, _("困难帮扶"), "assistance_portal:home", "heart", "purple", _("生活·大病·助学"), _("关爱帮扶")),),
        capabilities=(
            Capability("assist", _("帮扶业务"), ("admin", "staff")),
            Capability("approve", _("审批"), ("admin", "leader")),
            Capability("money", _("资金发放"), ("finance",)),
        ),
        record_sections=(
            RecordSection(_("困难帮扶"), "huigong.assistance.selectors.applications_for_person", "assistance_portal:home"),
        ),
        facets=(PersonFacet("hardship_file", _("在档困难职工"), "huigong.assistance.facets.hardship_head_ids",
                            "huigong.assistance.facets.hardship_file_links"),),
        demo_builder=DemoBuilder(30, "huigong.assistance.demo.build"),
        kpis=(KpiModule("huigong.assistance.kpis", 30, {"assist": _("困难职工帮扶")}),),
        api_matrix=("huigong.assistance.tests.api_matrix_files", "huigong.assistance.tests.api_matrix_flow"),
        page_matrix=("huigong.assistance.tests.page_matrix",),
    )

    def ready(self) -> None:
        # The aid 公示 scheme registers with the kernel's notice service, whose periodic job "notices.end"
        # ends the notices whose period is over (also: python manage.py assistance_tick).
        from .services import notices  # noqa: F401
        from huigong.core.disbursement.flow import register

        from .services.payouts import AID

        register(AID)  # aid payouts pay through the kernel's disbursement service
