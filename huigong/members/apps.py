from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "huigong.members"
    label = "members"
    verbose_name = "会员"
    # The audit log links an event's object to its page (console.audit_display).
    audit_object_urls = {"members.person": "members:detail", "members.rosterimport": "members:import_detail"}

    def ready(self) -> None:
        from huigong.core import periodic
        from huigong.core.crypto import register_rotation_hook
        from huigong.members.roster.export_jobs import member_exports_fail_stale, member_exports_purge
        from huigong.members.roster.services import roster_files_purge, roster_imports_fail_stale
        from huigong.members.tailindex import id_tails_rotation_hook

        periodic.register("members.roster_imports_fail_stale", 300, roster_imports_fail_stale)
        periodic.register("members.roster_files_purge", 3600, roster_files_purge)
        periodic.register("members.member_exports_fail_stale", 300, member_exports_fail_stale)
        periodic.register("members.member_exports_purge", 3600, member_exports_purge)
        # The ID tail index derives from the ID number under the blind-index key.
        register_rotation_hook("members.id_tails", id_tails_rotation_hook)
