from django.apps import AppConfig


class AssistanceConfig(AppConfig):
    name = "huigong.assistance"
    label = "assistance"
    verbose_name = "困难职工帮扶"
    audit_object_urls = {
        "assistance.hardshipfile": "assistance:file_detail", "assistance.aidapplication": "assistance:application_detail",
        "assistance.aidprogramme": "assistance:programme_detail", "assistance.notice": "assistance:notice_detail",
        "assistance.payoutbatch": "assistance:batch_detail", "assistance.sweep": "assistance:sweep_detail",
    }

    def ready(self) -> None:
        from huigong.core import periodic
        from huigong.core.disbursement.flow import register

        from .services.payouts import AID
        from .services.notices import notices_tick

        # 公示 whose period is over end by themselves (also: python manage.py assistance_tick).
        periodic.register("assistance.notices_end", 600, notices_tick)
        register(AID)  # aid payouts pay through the kernel's disbursement service
