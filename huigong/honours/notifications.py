"""Honours' notification events (collected by core.notify)."""

from django.utils.translation import gettext_lazy as _

from huigong.core.notify.channels import register_event
from huigong.core.notify.models import Channel

register_event("honour.awarded", _("荣誉称号授予"))
register_event("honour.revoked", _("荣誉称号撤销"))
register_event("honour.entitlement", _("劳模待遇提醒"), defaults=(Channel.PORTAL,))
register_event("honour.allowance_paid", _("荣誉津贴发放"))
register_event("innovation.reviewed", _("创新成果处理意见"))
register_event("innovation.awarded", _("创新成果获奖"))
