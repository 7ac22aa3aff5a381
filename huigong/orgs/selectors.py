from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from huigong.core.scope import ensure_path_in_scope, root_path, staff_of

from .models import Enterprise, ServiceSite, UnionNode


def node_list_for_actor(actor) -> QuerySet[UnionNode]:
    return UnionNode.objects.filter(path__startswith=root_path(actor))


def node_get_for_actor(actor, node_id: int, *, for_write: bool = False) -> UnionNode:
    staff_of(actor)
    qs = UnionNode.objects.all()
    if for_write:
        qs = qs.select_for_update()
    try:
        node = qs.get(pk=node_id)
    except (UnionNode.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    ensure_path_in_scope(actor, node.path)
    return node


def node_children(node: UnionNode) -> QuerySet[UnionNode]:
    return UnionNode.objects.filter(path__startswith=node.path, depth=node.depth + 1).order_by("path")


def node_ancestors(node: UnionNode) -> list[UnionNode]:
    paths = [node.path[: i * node.steplen] for i in range(1, node.depth)]
    return list(UnionNode.objects.filter(path__in=paths).order_by("depth"))


def member_counts_by_path(root: UnionNode) -> dict[str, int]:
    """Active members per node of root's subtree, each node's count including its descendants.
    One grouped query, rolled up by path prefix in memory (the tree is small, members are not)."""
    from huigong.members.models import Membership, MembershipStatus

    direct = (
        Membership.objects.filter(status=MembershipStatus.ACTIVE, union__path__startswith=root.path)
        .values_list("union__path")
        .annotate(n=Count("id"))
    )
    rolled: dict[str, int] = defaultdict(int)
    step = UnionNode.steplen
    for path, n in direct:
        for end in range(len(root.path), len(path) + 1, step):
            rolled[path[:end]] += n
    return rolled


def enterprise_list_for_actor(actor, *, q: str = "", kind: str = "", node: UnionNode | None = None
                              ) -> QuerySet[Enterprise]:
    prefix = node.path if node is not None else root_path(actor)
    qs = Enterprise.objects.filter(union__path__startswith=prefix).select_related("union")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(uscc__iexact=q.strip()))
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def enterprise_get_for_actor(actor, enterprise_id: int, *, for_write: bool = False) -> Enterprise:
    staff_of(actor)
    qs = Enterprise.objects.select_related("union")
    if for_write:
        qs = qs.select_for_update(of=("self",))
    try:
        ent = qs.get(pk=enterprise_id)
    except (Enterprise.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    ensure_path_in_scope(actor, ent.union.path)
    return ent


def site_list_for_actor(actor, *, kind: str = "") -> QuerySet[ServiceSite]:
    qs = ServiceSite.objects.filter(union__path__startswith=root_path(actor)).select_related("union")
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def site_get_for_actor(actor, site_id: int) -> ServiceSite:
    staff_of(actor)
    try:
        site = ServiceSite.objects.select_related("union").get(pk=site_id)
    except (ServiceSite.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    ensure_path_in_scope(actor, site.union.path)
    return site
