from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "huigong.core.approvals"
    label = "approvals"
    verbose_name = "审批链"
