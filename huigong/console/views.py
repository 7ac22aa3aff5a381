"""The console's own pages: the node's home and the read-only audit browser (events and access log)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from huigong.accounts.models import Cap
from huigong.core import selectors as audit_selectors
from huigong.core.scope import require
from huigong.core.widgets import DateInput
from huigong.orgs.selectors import member_counts_by_path, node_children

from . import selectors
from .audit_display import decorate

PAGE_SIZE = 50
CHILDREN_LIMIT = 200


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    staff = require(request.user, Cap.VIEW)
    node = staff.node
    counts = member_counts_by_path(node)
    # Bounded: a node with thousands of children (a city's grassroots unions) shows the largest first.
    children = list(node_children(node)[:CHILDREN_LIMIT])
    for child in children:
        child.member_count = counts.get(child.path, 0)
    children.sort(key=lambda c: (-c.member_count, c.path))
    can_audit = staff.can(Cap.AUDIT_VIEW)
    events = list(audit_selectors.audit_list_for_actor(request.user)[:8]) if can_audit else None
    if events:
        decorate(events)
    return render(request, "console/home.html", {
        "node": node,
        "figures": selectors.home_figures(request.user),
        "children": children,
        "children_truncated": node.numchild > len(children),
        "imports": selectors.recent_imports_for_actor(request.user),
        "events": events,
    })


class AuditFilterForm(forms.Form):
    verb = forms.CharField(label=_("动作"), required=False, max_length=64,
                           widget=forms.TextInput(attrs={"placeholder": _("如 person 或 person.update")}))
    object_type = forms.ChoiceField(label=_("对象类型"), required=False)
    actor = forms.CharField(label=_("操作人"), required=False, max_length=150,
                            widget=forms.TextInput(attrs={"placeholder": _("用户名")}))
    since = forms.DateField(label=_("开始日期"), required=False, widget=DateInput())
    until = forms.DateField(label=_("结束日期"), required=False, widget=DateInput())
    q = forms.CharField(label=_("对象"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"placeholder": _("对象名称或ID")}))

    def __init__(self, *args, object_types: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [("", _("全部"))] + [(t, t) for t in object_types]


class AccessFilterForm(forms.Form):
    actor = forms.CharField(label=_("查看人"), required=False, max_length=150,
                            widget=forms.TextInput(attrs={"placeholder": _("用户名")}))
    object_id = forms.CharField(label=_("对象ID"), required=False, max_length=64)
    since = forms.DateField(label=_("开始日期"), required=False, widget=DateInput())
    until = forms.DateField(label=_("结束日期"), required=False, widget=DateInput())


@require_GET
@login_required
def audit(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.AUDIT_VIEW)
    form = AuditFilterForm(request.GET or None, object_types=audit_selectors.audit_object_types_for_actor(request.user))
    filters = form.cleaned_data if form.is_valid() else {}
    qs = audit_selectors.audit_list_for_actor(
        request.user, verb=filters.get("verb", ""), object_type=filters.get("object_type", ""),
        actor_name=filters.get("actor", ""), since=filters.get("since"), until=filters.get("until"),
        q=filters.get("q", ""),
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    decorate(page.object_list)
    return render(request, "console/audit.html", {"form": form, "page_obj": page, "tab": "events",
                                               "filtered": bool(filters and any(filters.values()))})


@require_GET
@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.AUDIT_VIEW)
    form = AccessFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = audit_selectors.access_log_list_for_actor(
        request.user, actor_name=filters.get("actor", ""), object_id=filters.get("object_id", ""),
        since=filters.get("since"), until=filters.get("until"),
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "console/access_log.html", {"form": form, "page_obj": page, "tab": "access",
                                                    "filtered": bool(filters and any(filters.values()))})
