from django.db import models
from django.utils.translation import gettext_lazy as _


class HardshipLevel(models.TextChoices):
    DEEP = "deep", _("深度困难")
    RELATIVE = "relative", _("相对困难")
    SUDDEN = "sudden", _("意外致困")


class HardshipCause(models.TextChoices):
    """致困原因. The first six are also the screening sweep's household flags."""

    ILLNESS = "illness", _("大病")
    DISABILITY = "disability", _("残疾")
    SCHOOLING = "schooling", _("子女就学")
    DISASTER = "disaster", _("自然灾害")
    JOB_LOSS = "job_loss", _("失业")
    WORK_INJURY = "work_injury", _("工伤")
    LOW_INCOME = "low_income", _("收入低")
    OTHER = "other", _("其他")


# Causes that make hardship "sudden" (意外致困) when they push the household below the line.
SUDDEN_CAUSES = (HardshipCause.ILLNESS, HardshipCause.DISASTER, HardshipCause.JOB_LOSS, HardshipCause.WORK_INJURY)


class CloseReason(models.TextChoices):
    """Why a file leaves the register (解困脱困 and the other ways out)."""

    RECOVERED = "recovered", _("解困脱困")
    INCOME_UP = "income_up", _("家庭收入提高")
    LEFT_UNION = "left_union", _("调离/退会")
    DECEASED = "deceased", _("户主去世")
    MERGED = "merged", _("并入其他档案")
    OTHER = "other", _("其他")
