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
    PersonFacet,
    RecordSection,
    Tile,
    UrlInclude,
)


class HonoursConfig(AppConfig):
    name = "huigong.honours"
    layer = "domain"  # huigong.core.layers: imports go down only
    label = "honours"
    verbose_name = "劳模工匠与职工创新"
    audit_object_urls = {"honours.honour": "honours:honour_detail",
                         "honours.campaign": "honours:campaign_detail",
                         "honours.nominationlist": "honours:list_detail",
                         "honours.revocationcase": "honours:revocation_detail",
                         "honours.innovation": "honours:innovation_detail"}
    contributions = Contributions(
        console_urls=(UrlInclude("honours/", "huigong.honours.urls"),),
        portal_urls=(UrlInclude("honours/", "huigong.honours.urls_portal"),),
        api_routers=(
            ApiRouter("/honours", "huigong.honours.api.honours_router", ("honours",),
                      pgettext_lazy("API area", "劳模工匠荣誉")),
            ApiRouter("/honour-campaigns", "huigong.honours.api.campaigns_router", ("honour-campaigns",),
                      pgettext_lazy("API area", "评选推荐")),
            ApiRouter("/innovations", "huigong.honours.api.innovations_router", ("innovations",),
                      pgettext_lazy("API area", "职工创新成果")),
            ApiRouter("/honour-revocations", "huigong.honours.api.revocations_router", ("honour-revocations",),
                      pgettext_lazy("API area", "撤销称号")),
            ApiRouter("/honour-entitlements", "huigong.honours.api.entitlements_router", ("honour-entitlements",),
                      pgettext_lazy("API area", "劳模待遇")),
            ApiRouter("/honour-payments", "huigong.honours.api.payments_router", ("honour-payments",),
                      pgettext_lazy("API area", "津贴与奖金发放")),
        ),
        nav=(NavEntry(86, _("劳模工匠"), "honours:home", "shield", ("honours:",), group=_("荣誉与创新")),),
        tiles=(Tile(64, _("职工创新"), "honours_portal:innovations", "box", "orange", _("提交建议·查看进展"),
                    _("建功立业"), only="member"),
               Tile(66, _("劳模之家"), "honours_portal:mine", "shield", "red", _("我的荣誉与待遇"), _("建功立业"),
                    only="member")),
        capabilities=(
            Capability("honour", _("劳模工匠业务"), ("admin", "staff")),
            Capability("honour_decide", _("评选与撤销审批"), ("admin",)),
            Capability("money", _("资金发放"), ("finance",)),
        ),
        record_sections=(
            RecordSection(_("职工创新"), "huigong.honours.selectors.innovations_for_person",
                          "honours_portal:innovations"),
        ),
        facets=(PersonFacet("model_worker", _("劳动模范（先进工作者）"), "huigong.honours.facets.model_worker_ids"),),
        demo_builder=DemoBuilder(38, "huigong.honours.demo.build"),
        kpis=(KpiModule("huigong.honours.kpis", 50, {"honours": _("劳模工匠与职工创新")}),),
        periodic=(PeriodicJob("honours.remind", 3600, "huigong.honours.services.entitlements_remind_due"),),
        api_matrix=("huigong.honours.tests.api_matrix",),
        page_matrix=("huigong.honours.tests.page_matrix", "huigong.honours.tests.page_matrix_portal"),
    )

    def ready(self):
        from huigong.core.disbursement.flow import register
        from huigong.core.notices.services import register_scheme

        from .services import payments, vetting

        register(payments.ALLOWANCE)
        register(payments.PRIZE)
        register_scheme(vetting.SCHEME)
