from importlib.util import find_spec

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

APP = "huigong.activities"


def _has(module: str) -> bool:
    try:
        return find_spec(f"{APP}.{module}") is not None
    except ModuleNotFoundError:
        return False


class ActivitiesConfig(AppConfig):
    name = APP
    layer = "domain"  # huigong.core.layers: imports go down only
    label = "activities"
    verbose_name = "职工活动"
    audit_object_urls = {"activities.event": "activities:event_detail"}

    def contributions(self) -> Contributions:
        console = [UrlInclude("activities/", f"{APP}.urls")]
        portal = [UrlInclude("activities/", f"{APP}.urls_portal")]
        routers = [ApiRouter("/events", f"{APP}.api.events_router", ("events",), pgettext_lazy("API area", "职工活动")),
                   ApiRouter("/event-registrations", f"{APP}.api.registrations_router", ("event-registrations",),
                             pgettext_lazy("API area", "活动报名")),
                   ApiRouter("/contests", f"{APP}.api.contests_router", ("contests",),
                             pgettext_lazy("API area", "知识竞赛"))]
        nav = [NavEntry(82, _("职工活动"), "activities:home", "users", ("activities:",), group=_("活动与教育"))]
        api_matrix = [f"{APP}.tests.api_matrix"]
        page_matrix = [f"{APP}.tests.page_matrix", f"{APP}.tests.test_portal_pages"]
        periodic = [PeriodicJob("activities.release_shares", 300, f"{APP}.services.shares_release_due")]
        # Check-in (signed tickets, gates, offline sync) lives in the *checkin modules of this app; wired when present.
        if _has("urls_checkin"):
            console.insert(0, UrlInclude("activities/gate/", f"{APP}.urls_checkin"))
            nav.append(NavEntry(83, _("活动签到"), "activities_gate:home", "shield", ("activities_gate:",), cap="event_checkin", group=_("活动与教育")))
        if _has("urls_portal_checkin"):
            portal.insert(0, UrlInclude("activities/gate/", f"{APP}.urls_portal_checkin"))
        if _has("api_checkin"):
            routers.append(ApiRouter("/event-checkin", f"{APP}.api_checkin.router", ("event-checkin",),
                                     pgettext_lazy("API area", "活动签到")))
        if _has("tests.api_matrix_checkin"):
            api_matrix.append(f"{APP}.tests.api_matrix_checkin")
        if _has("tests.page_matrix_checkin"):
            page_matrix.append(f"{APP}.tests.page_matrix_checkin")
        if _has("tests.page_matrix_checkin_portal"):
            page_matrix.append(f"{APP}.tests.page_matrix_checkin_portal")
        if _has("checkin_jobs"):
            from .checkin_jobs import JOBS

            periodic.extend(PeriodicJob(*job) for job in JOBS)
        return Contributions(
            console_urls=tuple(console),
            portal_urls=tuple(portal),
            api_routers=tuple(routers),
            nav=tuple(nav),
            tiles=(Tile(55, _("活动报名"), "activities_portal:events", "list", "blue", _("讲座·演出·竞赛·联谊"),
                        _("惠工福利"), "member"),),
            capabilities=(
                Capability("events", _("职工活动"), ("admin", "staff")),
                Capability("events_view", _("查看职工活动"), ("admin", "staff", "viewer", "leader")),
                Capability("event_checkin", _("活动签到"), ("admin", "staff")),
            ),
            record_sections=(RecordSection(_("活动报名"), f"{APP}.selectors.registrations_for_person",
                                           "activities_portal:mine"),),
            demo_builder=DemoBuilder(38, f"{APP}.demo.build"),  # before insights (40), which rolls up every app's rows
            kpis=(KpiModule(f"{APP}.kpis", 60, {"activities": _("职工活动")}),),
            periodic=tuple(periodic),
            api_matrix=tuple(api_matrix),
            page_matrix=tuple(page_matrix),
        )

    def ready(self):
        from . import services

        # Sessions run on the kernel's capacity engine: it tells this app what it decides alone.
        services.register_capacity_hooks()
