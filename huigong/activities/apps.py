from django.apps import AppConfig

from huigong.core.contrib import Contributions


class ActivitiesConfig(AppConfig):
    name = "huigong.activities"
    label = "activities"
    verbose_name = "职工活动"
    contributions = Contributions()
