"""The research programme's notification events (collected by core.notify)."""

from django.utils.translation import gettext_lazy as _

from huigong.core.notify.channels import register_event
from huigong.core.notify.models import Channel

register_event("research.decided", _("调研课题立项结果"), defaults=(Channel.PORTAL,))
register_event("research.midterm", _("调研课题中期检查"), defaults=(Channel.PORTAL,))
register_event("research.report", _("调研报告验收"), defaults=(Channel.PORTAL,))
