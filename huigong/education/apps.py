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
    RecordSection,
    Tile,
    UrlInclude,
)


class EducationConfig(AppConfig):
    name = "huigong.education"
    layer = "domain"  # huigong.core.layers: imports go down only
    label = "education"
    verbose_name = "求学圆梦"
    audit_object_urls = {"education.programme": "education:programme_detail",
                         "education.application": "education:application_detail",
                         "education.enrolment": "education:enrolment_detail",
                         "education.edunotice": "education:notice_detail",
                         "education.subsidybatch": "education:batch_detail"}
    contributions = Contributions(
        console_urls=(UrlInclude("education/", "huigong.education.urls"),),
        portal_urls=(UrlInclude("education/", "huigong.education.urls_portal"),),
        api_routers=(ApiRouter("/education", "huigong.education.api.router", ("education",),
                               pgettext_lazy("API area", "求学圆梦")),),
        nav=(NavEntry(84, _("求学圆梦"), "education:home", "building", ("education:",), group=_("活动与教育")),),
        tiles=(Tile(55, _("求学圆梦"), "education_portal:home", "building", "blue", _("学历提升·补贴分期发放"),
                    _("惠工福利")),),
        capabilities=(
            Capability("education", _("求学圆梦"), ("admin", "staff")),
            Capability("approve", _("审批"), ("admin", "leader")),
            Capability("money", _("资金发放"), ("finance",)),
        ),
        record_sections=(
            RecordSection(_("求学圆梦"), "huigong.education.selectors.applications_for_person", "education_portal:home"),
        ),
        demo_builder=DemoBuilder(36, "huigong.education.demo.build"),
        kpis=(KpiModule("huigong.education.kpis", 50, {"education": _("求学圆梦")}),),
        periodic=(PeriodicJob("education.leavers_stop", 3600, "huigong.education.services.leavers_stop"),),
        api_matrix=("huigong.education.tests.api_matrix",),
        page_matrix=("huigong.education.tests.page_matrix", "huigong.education.tests.page_matrix_portal"),
    )

    def ready(self) -> None:
        from huigong.core.capacity import services as cap
        from huigong.core.disbursement.flow import register

        from . import places, services
        from .services import notices  # noqa: F401  (registers the 公示 scheme)
        from .services.payments import SUBSIDY

        cap.register(places.PLACES, changed=services.applications.place_changed)
        register(SUBSIDY)  # tranches pay through the kernel's disbursement service
