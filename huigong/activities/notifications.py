"""Events' notification events (collected by core.notify): decisions about a worker's seat (a draw, a
promotion, an offer to claim, an expiry, a cancellation, the union's approval), invitations and cancelled
events. A first-come registration is not messaged: the worker is on the page that tells her."""

from django.utils.translation import gettext_lazy as _

from huigong.core.notify.channels import register_event
from huigong.core.notify.models import Channel

register_event("event.registration", _("活动报名结果与候补递补"))
register_event("event.invited", _("活动邀请"), defaults=(Channel.PORTAL,))
register_event("event.cancelled", _("活动取消"))
