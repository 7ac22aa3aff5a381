"""Reads of screening rules, sweeps, coverage and candidates, scoped to the actor's subtree."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.db.models.functions import Substr
from django.http import Http404

from huigong.accounts.models import Cap
from huigong.core.crypto import mask_name
from huigong.core.scope import OutOfScope, ensure_path_in_scope, path_in_scope, require, root_path
from huigong.members.models import Membership, MembershipStatus
from huigong.orgs.models import UnionNode

from ..models import (
    FileMember,
    HelpRequest,
    HelpRequestStatus,
    ScreeningRule,
    Sweep,
    SweepAssignment,
    SweepVisit,
)


def rule_list_for_actor(actor) -> QuerySet[ScreeningRule]:
    """Rules set in the actor's subtree and on its ancestors (which apply to it), nearest first."""
    require(actor, Cap.VIEW)
    path = root_path(actor)
    ancestors = [path[:i] for i in range(4, len(path), 4)]
    from django.db.models import Q

    return (ScreeningRule.objects.filter(Q(node_path__startswith=path) | Q(node_path__in=ancestors))
            .select_related("node").order_by("node_path", "-effective_from"))


def rule_get_for_actor(actor, pk, *, for_write: bool = False) -> ScreeningRule:
    require(actor, Cap.ASSIST if for_write else Cap.VIEW)
    try:
        rule = ScreeningRule.objects.select_related("node").get(pk=int(pk))
    except (ScreeningRule.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    ensure_path_in_scope(actor, rule.node_path)
    return rule


def sweep_list_for_actor(actor, *, status: str = "") -> QuerySet[Sweep]:
    """Sweeps opened in the actor's subtree, or above it when they cover the actor's node."""
    require(actor, Cap.VIEW)
    path = root_path(actor)
    ancestors = [path[:i] for i in range(4, len(path), 4)]
    from django.db.models import Q

    qs = Sweep.objects.filter(Q(node_path__startswith=path) | Q(node_path__in=ancestors)).select_related("node")
    if status:
        qs = qs.filter(status=status)
    # Totals of the actor's part: a grassroots union sees its own figures in a city-wide sweep.
    mine = Q(assignments__node_path__startswith=path)
    return qs.annotate(total=Sum("assignments__member_total", filter=mine),
                       visited=Sum("assignments__visited_count", filter=mine))


def sweep_get_for_actor(actor, pk, *, for_write: bool = False) -> Sweep:
    """A sweep the actor may see: opened in their subtree, or above it (then they see their part)."""
    require(actor, Cap.ASSIST if for_write else Cap.VIEW)
    try:
        sweep = Sweep.objects.select_related("node").get(pk=int(pk))
    except (Sweep.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    mine = root_path(actor)
    if not (sweep.node_path.startswith(mine) or mine.startswith(sweep.node_path)):
        raise OutOfScope
    return sweep


def sweep_scope_path(actor, sweep: Sweep) -> str:
    """The part of a sweep the actor sees: the sweep's subtree, cut down to the actor's."""
    mine = root_path(actor)
    return mine if mine.startswith(sweep.node_path) else sweep.node_path


@dataclass
class CoverageRow:
    node: UnionNode | None
    path: str
    total: int
    visited: int
    is_self: bool = False

    @property
    def percent(self) -> int:
        return min(100, int(self.visited * 100 / self.total)) if self.total else (100 if self.visited else 0)


def sweep_coverage(actor, sweep: Sweep, *, node: UnionNode | None = None) -> tuple[CoverageRow, list[CoverageRow]]:
    """Visited / total for `node` (default: the part of the sweep the actor sees) and for each of its
    children, rolled up over their subtrees by one grouped query over the assignments."""
    base = sweep_scope_path(actor, sweep)
    if node is not None:
        ensure_path_in_scope(actor, node.path)
        if not node.path.startswith(base):
            raise PermissionDenied
    else:
        node = UnionNode.objects.get(path=base)
    child_len = len(node.path) + UnionNode.steplen
    rows = (SweepAssignment.objects.filter(sweep=sweep, node_path__startswith=node.path)
            .annotate(prefix=Substr("node_path", 1, child_len)).values("prefix")
            .annotate(total=Sum("member_total"), visited=Sum("visited_count")).order_by("prefix"))
    by_prefix = {r["prefix"]: r for r in rows}
    nodes = {n.path: n for n in UnionNode.objects.filter(path__in=list(by_prefix))}
    children, own = [], None
    for prefix, r in by_prefix.items():
        row = CoverageRow(nodes.get(prefix), prefix, r["total"] or 0, r["visited"] or 0, prefix == node.path)
        if row.is_self:
            own = row
        else:
            children.append(row)
    total = sum(r.total for r in children) + (own.total if own else 0)
    visited = sum(r.visited for r in children) + (own.visited if own else 0)
    if own is not None:
        children.insert(0, own)
    return CoverageRow(node, node.path, total, visited, True), children


def candidate_list(actor, sweep: Sweep, *, level: str = "", node: UnionNode | None = None
                   ) -> QuerySet[SweepVisit]:
    """Flagged visits in the actor's part of the sweep, with `has_file` (a live file holds the member)."""
    path = sweep_scope_path(actor, sweep)
    if node is not None:
        ensure_path_in_scope(actor, node.path)
        path = node.path
    qs = (SweepVisit.objects.filter(sweep=sweep, node_path__startswith=path).exclude(flagged_level="")
          .select_related("person", "node").defer("details", "person__id_number", "person__phone",
                                                  "person__bank_account"))
    if level:
        qs = qs.filter(flagged_level=level)
    live = FileMember.objects.filter(is_live=True, id_number_hash=OuterRef("person__id_number_hash"))
    return qs.annotate(has_file=Exists(live)).order_by("per_capita_fen", "id")


def display_name(actor, name: str) -> str:
    """Full names for roles with full personal data, 张*三 otherwise."""
    staff = require(actor, Cap.VIEW)
    return name if staff.can(Cap.PII_FULL) else mask_name(name)


def visit_queue(actor, assignment: SweepAssignment) -> QuerySet[Membership]:
    """Active members of the assignment's union not yet visited in the sweep (the quick-entry list)."""
    ensure_path_in_scope(actor, assignment.node_path)
    visited = SweepVisit.objects.filter(sweep_id=assignment.sweep_id, person_id=OuterRef("person_id"))
    return (Membership.objects.filter(union_id=assignment.node_id, status=MembershipStatus.ACTIVE)
            .exclude(Exists(visited)).select_related("person", "person__employer", "person__platform", "union")
            .defer("person__id_number", "person__phone", "person__bank_account").order_by("person__name", "id"))


def assignment_get_for_actor(actor, pk) -> SweepAssignment:
    require(actor, Cap.ASSIST)
    try:
        a = SweepAssignment.objects.select_related("sweep", "node").get(pk=int(pk))
    except (SweepAssignment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    ensure_path_in_scope(actor, a.node_path)
    return a


def assignments_for_actor(actor, sweep: Sweep) -> QuerySet[SweepAssignment]:
    path = sweep_scope_path(actor, sweep)
    return SweepAssignment.objects.filter(sweep=sweep, node_path__startswith=path).select_related("node")


def help_requests_for_actor(actor, *, status: str = HelpRequestStatus.NEW) -> QuerySet[HelpRequest]:
    require(actor, Cap.VIEW)
    qs = HelpRequest.objects.filter(node_path__startswith=root_path(actor)).select_related("person", "node")
    if status:
        qs = qs.filter(status=status)
    return qs.defer("situation", "person__id_number", "person__phone", "person__bank_account")


def help_request_get_for_actor(actor, pk, *, for_write: bool = False) -> HelpRequest:
    require(actor, Cap.ASSIST if for_write else Cap.VIEW)
    try:
        hr = HelpRequest.objects.select_related("person", "node").get(pk=int(pk))
    except (HelpRequest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not path_in_scope(actor, hr.node_path):
        raise OutOfScope
    return hr
