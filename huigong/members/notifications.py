"""Members' notification events (collected by core.notify) and the messages of transfer decisions."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from huigong.core.notify.channels import register_event
from huigong.core.notify.services import notify

register_event("transfer.decided", _("会员关系转接"))


def transfer_done(transfer, *, requested_by_member: bool = False) -> None:
    """The member's membership moved. A move the member asked for online is told by the join decision."""
    if requested_by_member:
        return
    old, new = transfer.from_membership.union, transfer.to_membership.union
    notify(event="transfer.decided", key=f"transfer:{transfer.pk}:done", person=transfer.person,
           title=f"会员关系已转接：{new.name}", body=f"您的会员关系已由{old.name}转入{new.name}，会员卡号不变。",
           node_path=old.path)


def transfer_refused(req) -> None:
    notify(event="transfer.decided", key=f"transfer-request:{req.pk}:refused", person=req.person,
           title="会员关系转接未获同意", body=f"{req.from_union.name}未同意转出。原因：{req.decision_note}",
           node_path=req.from_union.path)
