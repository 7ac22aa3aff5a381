"""The worker's notification settings: which events reach her by SMS (and WeChat, where configured);
the portal inbox always receives everything."""

from __future__ import annotations

from django.contrib import messages as flash
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from huigong.core.notify import services as notify_services

from .auth import current_account, worker_required


def recipient_for(account) -> str:
    """Notifications address the member record once the account is linked to one, the account before."""
    if account.person_id:
        return notify_services.recipient_key(person=account.person)
    return notify_services.recipient_key(user=account.user)


@worker_required
@require_http_methods(["GET", "POST"])
def notify_settings(request):
    account = current_account(request)
    recipient = recipient_for(account)
    rows = notify_services.preferences_for(recipient)
    if request.method == "POST":
        choices = {(row["event"], sw["channel"]): request.POST.get(f"{row['event']}:{sw['channel']}") == "on"
                   for row in rows for sw in row["switches"]}
        notify_services.preferences_set(actor=account.user, recipient=recipient, choices=choices)
        flash.success(request, _("通知设置已保存"))
        return redirect("portal:notify_settings")
    return render(request, "portal/notify_settings.html", {"rows": rows, "phone_mask": account.phone_mask,
                                                           "tab": "me"})
