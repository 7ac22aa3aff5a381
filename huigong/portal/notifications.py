"""The portal's part of the notifications outbox (collected by core.notify): the portal inbox as a channel,
workers' contacts (an account's phone, else the member record's), and the portal's events."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from huigong.core.notify import channels
from huigong.core.notify.models import Channel


class PortalChannel:
    """A portal Message, written inside the decision's transaction (no retries needed: same database)."""

    code = Channel.PORTAL
    in_transaction = True

    def enabled(self) -> bool:
        return True

    def address(self, contact) -> str:
        return "inbox" if contact.inbox else ""  # a marker: nothing is stored for this channel

    def mask(self, address: str) -> str:
        return ""

    def deliver(self, notification) -> str:
        from .models import Message, WorkerAccount

        account = WorkerAccount.objects.filter(user_id=notification.user_id).first() if notification.user_id else None
        if notification.person_id is None and account is None:
            raise channels.PermanentError("no portal account")
        msg = Message.objects.create(person_id=notification.person_id, account=account, title=notification.title,
                                     body=notification.body, link=notification.link)
        return str(msg.pk)


def worker_contact(*, person=None, user=None):
    """The account's phone (the worker proved it by SMS) before the member record's."""
    from .models import WorkerAccount

    account = None
    if user is not None:
        account = WorkerAccount.objects.filter(user=user).only("phone").first()
    if account is None and person is not None:
        account = WorkerAccount.objects.filter(person=person).only("phone").order_by("pk").first()
    if account is not None:
        return channels.Contact(phone=account.phone or "", inbox=True)
    if person is not None:
        return channels.Contact(phone=getattr(person, "phone", "") or "", inbox=True)
    return None


channels.register_channel(PortalChannel())
channels.register_contact_resolver(worker_contact)
channels.register_event("join.decided", _("入会申请结果"))
channels.register_event("link.decided", _("会员身份绑定结果"), defaults=(Channel.PORTAL,))
