"""Console: the delivery status of notifications sent for decisions in the staff member's subtree."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from . import channels, selectors
from .models import Channel, Status

PAGE_SIZE = 50


class NotificationFilterForm(forms.Form):
    person = forms.IntegerField(label=_("会员编号"), required=False, min_value=1)
    status = forms.ChoiceField(label=_("状态"), required=False)
    channel = forms.ChoiceField(label=_("渠道"), required=False)
    event = forms.ChoiceField(label=_("事件"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("全部")), *Status.choices]
        self.fields["channel"].choices = [("", _("全部")), *Channel.choices]
        self.fields["event"].choices = [("", _("全部"))] + [
            (e.code, e.label) for e in sorted(channels.EVENTS.values(), key=lambda e: e.code)]


@require_GET
@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    form = NotificationFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.notifications_for_actor(
        request.user, person_id=filters.get("person"), status=filters.get("status", ""),
        channel=filters.get("channel", ""), event=filters.get("event", ""))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    labels = {e.code: e.label for e in channels.EVENTS.values()}
    for row in page.object_list:
        row.event_label = labels.get(row.event, row.event)
    return render(request, "notify/list.html", {"form": form, "page_obj": page,
                                                "filtered": bool(filters and any(filters.values()))})


@require_GET
@login_required
def notification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    row = selectors.notification_get_for_actor(request.user, pk)
    label = channels.EVENTS[row.event].label if row.event in channels.EVENTS else row.event
    return render(request, "notify/detail.html", {"n": row, "event_label": label})
