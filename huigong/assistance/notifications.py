"""Assistance's notification events (collected by core.notify) and the message of an aid decision."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from huigong.core.notify.channels import register_event
from huigong.core.notify.services import notify

register_event("aid.decided", _("帮扶申请结果"))


def aid_decided(app) -> None:
    """Tells the household's member the final word on an aid application (approved at the last step,
    returned or not approved); intermediate steps are the unions' business. Call it in the decision's
    transaction."""
    from huigong.core.money import format_yuan

    from .models import ApplicationStatus

    person = app.file.head  # the household's head, the member who applied
    if app.status not in (ApplicationStatus.APPROVED, ApplicationStatus.RETURNED,
                                            ApplicationStatus.REJECTED):
        return
    title = {ApplicationStatus.APPROVED: f"帮扶申请已批准：{app.programme.name}",
             ApplicationStatus.RETURNED: f"帮扶申请已退回补充：{app.programme.name}",
             ApplicationStatus.REJECTED: f"帮扶申请未通过：{app.programme.name}"}[app.status]
    body = (f"核定金额 {format_yuan(app.amount_approved_fen)} 元。" if app.status == ApplicationStatus.APPROVED
            else "请联系所在工会了解原因。")
    notify(event="aid.decided", key=f"aid:{app.pk}:{app.round}:{app.status}", person=person, title=title,
           body=body, node_path=app.node_path)
