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
        # The aid 公示 scheme registers with the kernel's notice service, whose periodic job "notices.end"
        # ends the notices whose period is over (also: python manage.py assistance_tick).
        from .services import notices  # noqa: F401
