from django.apps import AppConfig

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

APP = "tests.contrib_app"


class ContribDemoConfig(AppConfig):
    name = APP
    label = "contribdemo"
    default = True
    layer = "domain"  # huigong.core.layers: it may import the kernel, the spine and the tree, no other domain
    contributions = Contributions(
        console_urls=(UrlInclude("contrib-demo/", f"{APP}.urls"),),
        portal_urls=(UrlInclude("contrib-demo/", f"{APP}.urls_portal"),),
        api_routers=(ApiRouter("/contrib-demo", f"{APP}.api.router", ("contrib-demo",), "示例活动"),),
        # In the section 活动与教育 (the events app's), first: before 职工活动 (82).
        nav=(NavEntry(81, "示例活动", "contribdemo:home", "flag", ("contribdemo:",), cap="contrib_demo_run",
                      group="活动与教育"),),
        tiles=(Tile(55, "示例活动报名", "contribdemo_portal:home", "flag", "blue", "报名参加", "惠工福利"),),
        capabilities=(Capability("contrib_demo_run", "组织示例活动", ("admin", "leader")),),
        record_sections=(RecordSection("示例活动", f"{APP}.selectors.entries_for_person", "contribdemo_portal:home"),),
        demo_builder=DemoBuilder(35, f"{APP}.demo.build"),
        kpis=(KpiModule(f"{APP}.kpis", 60, {"contribdemo": "示例活动"}),),
        periodic=(PeriodicJob("contribdemo.tick", 60, f"{APP}.jobs.tick"),),
        api_matrix=(f"{APP}.api_matrix",),
        page_matrix=(f"{APP}.page_matrix",),
    )


class NoRowsConfig(AppConfig):
    """The same app, its routes declared but none of its matrix rows."""

    name = APP
    label = "contribdemo"
    default = False
    contributions = Contributions(
        console_urls=ContribDemoConfig.contributions.console_urls,
        api_routers=ContribDemoConfig.contributions.api_routers,
    )
