from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huigong.core.contrib import (
    ApiRouter,
    Capability,
    Contributions,
    KpiModule,
    NavEntry,
    PeriodicJob,
    UrlInclude,
)


class MembersConfig(AppConfig):
    name = "huigong.members"
    layer = "spine"  # huigong.core.layers: imports go down only
    label = "members"
    verbose_name = "会员"
    # The audit log links an event's object to its page (console.audit_display).
    audit_object_urls = {"members.person": "members:detail", "members.rosterimport": "members:import_detail"}
    contributions = Contributions(
        console_urls=(UrlInclude("members/", "huigong.members.urls"),),
        api_routers=(
            ApiRouter("/members", "huigong.members.api.members_router", ("members",), pgettext_lazy("API area", "会员")),
            ApiRouter("/memberships", "huigong.members.api.memberships_router", ("memberships",),
                      pgettext_lazy("API area", "会籍")),
            ApiRouter("/imports", "huigong.members.api.imports_router", ("imports",), pgettext_lazy("API area", "名册导入")),
        ),
        nav=(
            NavEntry(30, _("会员"), "members:list", "users", ("members:",), exclude=("members:import", "members:export"), group=_("组织与会员")),
            NavEntry(100, _("名册导入"), "members:import_list", "upload", ("members:import",), cap="import", group=_("组织与会员")),
            NavEntry(110, _("我的导出"), "members:export_list", "download", ("members:export_",), cap="export",
                     badge="huigong.members.roster.export_jobs.member_exports_ready_count", group=_("组织与会员")),
        ),
        capabilities=(
            Capability("member_write", _("维护会员"), ("admin", "staff")),
            Capability("pii_full", _("查看完整敏感信息"), ("admin", "staff", "finance")),
            Capability("import", _("导入名册"), ("admin", "staff")),
            Capability("export", _("导出名册"), ("admin", "staff", "finance", "leader")),
        ),
        kpis=(KpiModule("huigong.members.kpis", 10, {"members": _("会员")}),),
        periodic=(
            PeriodicJob("members.roster_imports_fail_stale", 300, "huigong.members.roster.services.roster_imports_fail_stale"),
            PeriodicJob("members.roster_files_purge", 3600, "huigong.members.roster.services.roster_files_purge"),
            PeriodicJob("members.member_exports_fail_stale", 300,
                        "huigong.members.roster.export_jobs.member_exports_fail_stale"),
            PeriodicJob("members.member_exports_purge", 3600, "huigong.members.roster.export_jobs.member_exports_purge"),
        ),
        api_matrix=("huigong.members.tests.api_matrix",),
        page_matrix=("huigong.members.tests.page_matrix", "huigong.members.tests.test_roster_views"),
    )

    def ready(self) -> None:
        from huigong.core.crypto import register_rotation_hook
        from huigong.members.tailindex import id_tails_rotation_hook

        # The ID tail index derives from the ID number under the blind-index key.
        register_rotation_hook("members.id_tails", id_tails_rotation_hook)
