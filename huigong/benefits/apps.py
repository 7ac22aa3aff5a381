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
    RecordSection,
    Tile,
    UrlInclude,
)


class BenefitsConfig(AppConfig):
    name = "huigong.benefits"
    layer = "domain"  # huigong.core.layers: imports go down only
    label = "benefits"
    verbose_name = "惠工服务"
    audit_object_urls = {"benefits.benefitprogramme": "benefits:programme_detail",
                         "benefits.reimbursement": "benefits:reimbursement_detail",
                         "benefits.paymentbatch": "benefits:batch_detail"}
    contributions = Contributions(
        console_urls=(UrlInclude("benefits/", "huigong.benefits.urls"),),
        portal_urls=(UrlInclude("benefits/", "huigong.benefits.urls_portal"),),
        api_routers=(
            ApiRouter("/benefit-programmes", "huigong.benefits.api.programmes_router", ("benefit-programmes",), pgettext_lazy("API area", "普惠服务项目")),
            ApiRouter("/benefit-claims", "huigong.benefits.api.claims_router", ("benefit-claims",), pgettext_lazy("API area", "普惠申领")),
            ApiRouter("/reimbursements", "huigong.benefits.api.reimbursements_router", ("reimbursements",), pgettext_lazy("API area", "先办后补")),
            ApiRouter("/reimbursement-payments", "huigong.benefits.api.payments_router", ("reimbursement-payments",), pgettext_lazy("API area", "补贴发放")),
            ApiRouter("/visits", "huigong.benefits.api.visits_router", ("visits",), pgettext_lazy("API area", "阵地服务记录")),
            ApiRouter("/site-usage", "huigong.benefits.api.usage_router", ("site-usage",), pgettext_lazy("API area", "阵地使用统计")),
        ),
        nav=(NavEntry(80, _("惠工服务"), "benefits:home", "gift", ("benefits:",), group=_("帮扶与福利")),),
        tiles=(
            Tile(30, _("体检福利"), "benefits_portal:programmes", "gift", "orange", _("免费体检·福利名额"), _("惠工福利")),
            Tile(40, _("先办后补"), "benefits_portal:reimbursements", "receipt", "green", _("上传票据申领补贴"),
                 _("惠工福利")),
            Tile(50, _("服务阵地"), "benefits_portal:sites", "pin", "blue", _("职工之家·爱心驿站"), _("惠工福利")),
        ),
        capabilities=(
            Capability("benefit", _("惠工服务"), ("admin", "staff")),
            Capability("money", _("资金发放"), ("finance",)),
        ),
        record_sections=(
            RecordSection(_("福利申领"), "huigong.benefits.selectors.claims_for_person", "benefits_portal:claims"),
            RecordSection(_("先办后补"), "huigong.benefits.selectors.reimbursements_for_person",
                          "benefits_portal:reimbursements"),
        ),
        demo_builder=DemoBuilder(20, "huigong.benefits.demo.build"),
        kpis=(KpiModule("huigong.benefits.kpis", 40, {"benefits": _("普惠服务")}),),
        api_matrix=("huigong.benefits.tests.api_matrix",),
        page_matrix=("huigong.benefits.tests.page_matrix",),
    )

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from huigong.core.disbursement.flow import register

        from . import services
        from .models import BenefitProgramme, ProgrammeQuota

        # Quota claims run on the kernel's capacity engine: it tells this app what it decides alone.
        services.register_capacity_hooks()

        # A saved programme or sub-quota is read afresh by this process's next claim.
        for signal in (post_save, post_delete):
            for model in (BenefitProgramme, ProgrammeQuota):
                signal.connect(services.forget_saved_programme, sender=model, dispatch_uid=f"claim-programme-{model.__name__}")
        register(services.REIMBURSEMENT)  # reimbursements pay through the kernel's disbursement service
