"""The check-ups' notification events (collected by core.notify): instruments' reply deadlines."""

from django.utils.translation import gettext_lazy as _

from huigong.core.notify.channels import register_event
from huigong.core.notify.models import Channel

register_event("checkups.reply_due_soon", _("体检文书回复即将到期"), defaults=(Channel.PORTAL,))
register_event("checkups.reply_overdue", _("体检文书回复逾期督办"), defaults=(Channel.PORTAL,))
