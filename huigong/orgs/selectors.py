from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from huigong.core.db import for_update
from huigong.core.scope import ensure_path_in_scope, root_path, staff_of

from .models import Enterprise, ServiceSite, UnionNode


def node_list_for_actor(actor) -> QuerySet[UnionNode]:
    return UnionNode.objects.filter(path__startswith=root_path(actor))


def node_get_for_actor(actor, node_id: int, *, for_write: bool = False) -> UnionNode:
    staff_of(actor)
    qs = UnionNode.objects.all()
    if for_write:
        qs = for_update(qs)
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


def enterprise_list_for_actor(actor, *, q: str = "", kind: str = "", node: UnionNode | None = None,
                              industry: str = "") -> QuerySet[Enterprise]:
    prefix = root_path(actor)
    if node is not None:
        ensure_path_in_scope(actor, node.path)
        prefix = node.path
    qs = Enterprise.objects.filter(union__path__startswith=prefix).select_related("union")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(uscc__iexact=q.strip()))
    if kind:
        qs = qs.filter(kind=kind)
    if industry:
        qs = qs.filter(industry=industry)
    return qs


def enterprise_get_for_actor(actor, enterprise_id: int, *, for_write: bool = False) -> Enterprise:
    staff_of(actor)
    qs = Enterprise.objects.select_related("union")
    if for_write:
        qs = for_update(qs, of=("self",))
    try:
        ent = qs.get(pk=enterprise_id)
    except (Enterprise.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    ensure_path_in_scope(actor, ent.union.path)
    return ent


def site_list_for_actor(actor, *, kind: str = "", node: UnionNode | None = None) -> QuerySet[ServiceSite]:
    prefix = root_path(actor)
    if node is not None:
        ensure_path_in_scope(actor, node.path)
        prefix = node.path
    qs = ServiceSite.objects.filter(union__path__startswith=prefix).select_related("union")
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


# --- Console page selectors -------------------------------------------------------------------------

PICKER_LIMIT = 100


def _node_search(actor, q: str = "", *, members_only: bool = False, anywhere: bool = False):
    from huigong.accounts.models import Cap
    from huigong.core.scope import require

    from .models import MEMBERSHIP_LEVELS

    if anywhere:
        require(actor, Cap.MEMBER_WRITE)
        qs = UnionNode.objects.all()
    else:
        qs = node_list_for_actor(actor)
    if members_only:
        qs = qs.filter(level__in=list(MEMBERSHIP_LEVELS))
    q = q.strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__istartswith=q))
    return qs.order_by("path")


def node_search_for_actor(actor, q: str = "", *, members_only: bool = False, anywhere: bool = False,
                          limit: int = 20) -> list[UnionNode]:
    """Nodes matching a name or code fragment, for pickers. `anywhere` searches the whole tree (a
    membership transfer may go to any union) and so needs the member-write capability."""
    return list(_node_search(actor, q, members_only=members_only, anywhere=anywhere)[:limit])


def node_picker_choices(actor, *, members_only: bool = False, selected: UnionNode | None = None,
                        limit: int = PICKER_LIMIT, pairs: bool = False) -> tuple[list, bool]:
    """The first nodes of the actor's subtree in tree order (plus the selected one): what a picker shows
    before anyone types a search, and whether there are more (then the picker offers a search box).
    With `pairs`, (id, name) tuples instead of nodes: what a page that only lists options needs."""
    qs = _node_search(actor, members_only=members_only)
    nodes = list(qs.values_list("pk", "name")[:limit + 1] if pairs else qs[:limit + 1])
    more = len(nodes) > limit
    nodes = nodes[:limit]
    if selected is not None and all((n[0] if pairs else n.pk) != selected.pk for n in nodes):
        nodes.insert(0, (selected.pk, selected.name) if pairs else selected)
    return nodes, more


def node_subtree_size(node: UnionNode) -> int:
    return UnionNode.objects.filter(path__startswith=node.path).count()


def node_facts(node: UnionNode) -> dict[str, int]:
    """Counts shown on a node's page: its own staff, and enterprises, platforms and sites of its subtree."""
    from huigong.accounts.models import StaffProfile

    ents = Enterprise.objects.filter(union__path__startswith=node.path).aggregate(
        enterprises=Count("id"), platforms=Count("id", filter=Q(kind="platform")))
    return {
        "staff": StaffProfile.objects.filter(node=node).count(),
        "enterprises": ents["enterprises"],
        "platforms": ents["platforms"],
        "sites": ServiceSite.objects.filter(union__path__startswith=node.path).count(),
        "nodes": node_subtree_size(node) - 1,
    }


def enterprise_industries_for_actor(actor) -> list[str]:
    return list(
        Enterprise.objects.filter(union__path__startswith=root_path(actor)).exclude(industry="")
        .order_by("industry").values_list("industry", flat=True).distinct()
    )


def enterprise_picker_choices(actor, *, kind: str = "", q: str = "", selected: Enterprise | None = None,
                              limit: int = PICKER_LIMIT) -> tuple[list[Enterprise], bool]:
    """Enterprises of the actor's subtree by name (plus the selected one), and whether there are more."""
    qs = Enterprise.objects.filter(union__path__startswith=root_path(actor))
    if kind:
        qs = qs.filter(kind=kind)
    q = q.strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(uscc__istartswith=q))
    items = list(qs.order_by("name")[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    if selected is not None and all(e.pk != selected.pk for e in items):
        items.insert(0, selected)
    return items, more


def enterprise_member_counts(enterprise: Enterprise) -> dict[str, int]:
    """Active members employed by the enterprise, and those working through it as a platform."""
    from huigong.members.models import Membership, MembershipStatus

    return Membership.objects.filter(
        Q(person__employer=enterprise) | Q(person__platform=enterprise), status=MembershipStatus.ACTIVE
    ).aggregate(
        employees=Count("id", filter=Q(person__employer=enterprise)),
        platform_workers=Count("id", filter=Q(person__platform=enterprise)),
    )


def node_names_by_path(paths: set[str]) -> dict[str, str]:
    return dict(UnionNode.objects.filter(path__in=paths).values_list("path", "name"))
