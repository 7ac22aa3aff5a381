from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "huigong.members"
    label = "members"
    verbose_name = "会员"

    def ready(self) -> None:
        from huigong.core import periodic
        from huigong.members.roster.services import roster_files_purge, roster_imports_fail_stale

        periodic.register("members.roster_imports_fail_stale", 300, roster_imports_fail_stale)
        periodic.register("members.roster_files_purge", 3600, roster_files_purge)
