"""Scoped reads of tracked items: an item is seen by staff whose subtree holds its tracking union."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from huigong.core import scope

from .models import LIVE, ItemLink, TrackedItem

VIEW = "view"  # the capability every staff role holds (accounts.Cap.VIEW), named by value


def items_for_actor(actor, *, kind: str = "", status: str = "", overdue: bool | None = None,
                    node_path: str = "", q: str = "", owner: str = "", owner_enterprise_id: int | None = None,
                    due_from: dt.date | None = None, due_to: dt.date | None = None,
                    today: dt.date | None = None) -> QuerySet:
    """The actor's subtree's items, filtered: `owner` matches the owner's name (part of it), `due_from` and
    `due_to` bound the due date (inclusive; items without one are left out when either is given)."""
    scope.require(actor, VIEW)
    root = scope.root_path(actor)
    if node_path and node_path.startswith(root):
        root = node_path
    qs = TrackedItem.objects.filter(node__path__startswith=root).select_related("node", "owner_enterprise")
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if overdue is not None:
        today = today or timezone.localdate()
        cond = Q(status__in=LIVE, due_date__lt=today)
        qs = qs.filter(cond) if overdue else qs.exclude(cond)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(owner_name__icontains=q))
    if owner:
        qs = qs.filter(owner_name__icontains=owner)
    if owner_enterprise_id is not None:
        qs = qs.filter(owner_enterprise_id=owner_enterprise_id)
    if due_from is not None:
        qs = qs.filter(due_date__gte=due_from)
    if due_to is not None:
        qs = qs.filter(due_date__lte=due_to)
    return qs


def item_get_for_actor(actor, pk) -> TrackedItem:
    scope.require(actor, VIEW)
    item = TrackedItem.objects.select_related("node", "owner_enterprise").filter(pk=pk).first()
    if item is None:
        raise Http404
    scope.ensure_path_in_scope(actor, item.node.path)
    return item


def links_of(item: TrackedItem, actor=None) -> list[dict]:
    """Both directions, each as {link, other, outgoing}; items outside the actor's subtree are left out."""
    root = scope.root_path(actor) if actor is not None else ""
    out = []
    for link in (ItemLink.objects.filter(Q(src=item) | Q(dst=item))
                 .select_related("src__node", "dst__node").order_by("created_at", "id")):
        outgoing = link.src_id == item.pk
        other = link.dst if outgoing else link.src
        if root and not other.node.path.startswith(root):
            continue
        out.append({"link": link, "other": other, "outgoing": outgoing})
    return out


def links_by_item(item_ids, actor) -> dict[int, list[dict]]:
    """The tracker's links of several items at once, for a domain's page (a check-up's findings that led to
    research, a report's recommendations that came from a finding): {item id: [{relation, relation_label,
    other, other_kind_label, url, outgoing}]}, the other item's source page as `url` (its own page in its
    domain, or the tracker's). Items outside the actor's subtree are left out. Read only: a link moves nothing."""
    from django.urls import reverse

    from . import kinds

    ids = [int(i) for i in item_ids if i]
    if not ids:
        return {}
    root = scope.root_path(actor)
    out: dict[int, list[dict]] = {}
    rows = (ItemLink.objects.filter(Q(src_id__in=ids) | Q(dst_id__in=ids))
            .select_related("src__node", "dst__node").order_by("created_at", "id"))
    for link in rows:
        for mine, other, outgoing in ((link.src, link.dst, True), (link.dst, link.src, False)):
            if mine.pk not in ids or not other.node.path.startswith(root):
                continue
            kind = kinds.KINDS.get(other.kind)
            url = kind.source_url(other) if kind and kind.source_url else ""
            out.setdefault(mine.pk, []).append({
                "relation": link.relation, "relation_label": link.get_relation_display(), "other": other,
                "other_kind_label": kinds.label_of(other.kind), "outgoing": outgoing,
                "url": url or reverse("outcomes:detail", args=[other.pk])})
    return out
