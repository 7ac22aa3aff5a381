from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from huigong.core.contrib import Contributions, NavEntry, PeriodicJob, UrlInclude


class OutcomesConfig(AppConfig):
    name = "huigong.core.outcomes"
    label = "outcomes"
    verbose_name = "成果跟踪"
    default_auto_field = "django.db.models.BigAutoField"
    audit_object_urls = {"outcomes.trackeditem": "outcomes:detail"}
    contributions = Contributions(
        console_urls=(UrlInclude("outcomes/", "huigong.core.outcomes.urls"),),
        nav=(NavEntry(105, _("成果跟踪"), "outcomes:list", "chart", ("outcomes:",), group=_("分析")),),
        periodic=(PeriodicJob("outcomes.remind", 3600, "huigong.core.outcomes.services.remind_and_escalate"),),
        page_matrix=("huigong.core.outcomes.tests.page_matrix",),
    )
