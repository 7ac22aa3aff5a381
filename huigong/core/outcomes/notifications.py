from django.utils.translation import gettext_lazy as _

from huigong.core.notify.channels import register_event
from huigong.core.notify.models import Channel

register_event("outcome.due_soon", _("跟踪事项到期提醒"), defaults=(Channel.PORTAL,))
register_event("outcome.overdue", _("跟踪事项逾期督办"), defaults=(Channel.PORTAL,))
register_event("outcome.reopened", _("跟踪事项成效未达标"), defaults=(Channel.PORTAL,))
