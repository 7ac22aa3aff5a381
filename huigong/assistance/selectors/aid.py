"""Reads of programmes, applications, approval queues and notices, scoped to the actor's subtree."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, QuerySet, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from huigong.accounts.models import Cap
from huigong.core.scope import OutOfScope, ensure_path_in_scope, path_in_scope, require, root_path, staff_of
from huigong.orgs.models import UnionNode

from ..models import (
    AidApplication,
    AidProgramme,
    ApplicationStatus,
    ApprovalDecision,
    ApprovalStep,
    Notice,
    ProgrammeBudget,
)
from ..services import approval
from ..services.aid import ancestor_paths


def programmes_for_actor(actor, *, year: int | None = None, status: str = "") -> QuerySet[AidProgramme]:
    """Programmes owned inside the actor's subtree and those of its ancestors that cover it."""
    require(actor, Cap.VIEW)
    root = root_path(actor)
    qs = AidProgramme.objects.filter(Q(node_path__startswith=root) | Q(node_path__in=ancestor_paths(root)))
    if year:
        qs = qs.filter(year=year)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("node").order_by("-year", "node_path", "kind", "pk")


def programme_get_for_actor(actor, pk, *, for_write: bool = False) -> AidProgramme:
    require(actor, Cap.ASSIST if for_write else Cap.VIEW)
    try:
        prog = AidProgramme.objects.select_related("node").get(pk=pk)
    except (AidProgramme.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    root = root_path(actor)
    visible = prog.node_path.startswith(root) or root.startswith(prog.node_path)
    if not visible:
        raise OutOfScope
    if for_write and not path_in_scope(actor, prog.node_path):
        # a programme set above the actor: seen, so refusing it reveals nothing
        raise PermissionDenied(_("当前角色无此权限"))
    return prog


def budgets_for_actor(actor, programme: AidProgramme) -> list[ProgrammeBudget]:
    """The programme's budgets the actor may see: in its subtree or on its own branch above it."""
    root = root_path(actor)
    return [b for b in programme.budgets.select_related("node").order_by("node_path")
            if b.node_path.startswith(root) or root.startswith(b.node_path)]


def applications_for_actor(actor, *, status: str = "", programme_id=None, node_path: str = "",
                           q: str = "") -> QuerySet[AidApplication]:
    require(actor, Cap.VIEW)
    prefix = root_path(actor)
    if node_path:
        ensure_path_in_scope(actor, node_path)
        prefix = node_path
    qs = (AidApplication.objects.filter(node_path__startswith=prefix)
          .select_related("programme", "file", "file__head", "node"))
    if status:
        qs = qs.filter(status=status)
    if programme_id:
        qs = qs.filter(programme_id=programme_id)
    if q:
        qs = qs.filter(Q(file__file_no__icontains=q) | Q(file__head__name__contains=q))
    return qs.order_by("-updated_at", "-pk")


def application_get_for_actor(actor, pk) -> AidApplication:
    staff_of(actor)
    try:
        app = (AidApplication.objects.select_related("programme", "programme__node", "file", "file__head", "node",
                                                     "budget", "budget__node").get(pk=pk))
    except (AidApplication.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    ensure_path_in_scope(actor, app.node_path)
    require(actor, Cap.VIEW)
    return app


@dataclass
class QueueRow:
    """One line of 待我审批: the application, the union the actor acts for (代为审批) or None when the
    step is its own union's, and why the actor may not decide it ("" when they may)."""
    app: AidApplication
    acting_for: UnionNode | None
    blocked: str


def approval_queue_rows(actor) -> list[QueueRow]:
    """待我审批: submitted applications whose pending step is at the actor's own union, and those whose
    pending step below has nobody able to act and is flagged to the actor's union (approval_chain).
    Applications the actor may not decide (their own, or a second step of the same round) are listed
    with the reason, not as actionable."""
    staff = require(actor, Cap.APPROVE)
    pending = (ApprovalStep.objects.filter(node__path__startswith=staff.node.path, decision=ApprovalDecision.PENDING,
                                           application__status=ApplicationStatus.SUBMITTED,
                                           round=F("application__round"), seq=F("application__current_step"))
               .select_related("application", "application__programme", "application__file",
                               "application__file__head", "application__node")
               .order_by("application__submitted_at", "application_id"))
    apps = [s.application for s in pending]
    chains = approval.approval_chains(apps)
    rows = []
    for app in apps:
        chain = chains[app.pk]
        place = chain.queue_place(staff.node_id)  # its own union's step, or one it acts for (代为审批)
        if place is None:
            continue
        _mine, acting_for = place
        rows.append(QueueRow(app, acting_for, "" if chain.current.may_act(actor.pk) else chain.blocked_reason(actor.pk)))
    return rows


def approval_queue(actor) -> QuerySet[AidApplication]:
    """The applications of 待我审批 the actor may decide now (approval_queue_rows without the blocked)."""
    ids = [r.app.pk for r in approval_queue_rows(actor) if not r.blocked]
    return (AidApplication.objects.filter(pk__in=ids)
            .select_related("programme", "file", "file__head", "node").order_by("submitted_at", "pk"))


def steps_of(app: AidApplication) -> list[ApprovalStep]:
    return list(app.steps.select_related("node", "decided_by", "acting_node").order_by("round", "seq"))


def applications_for_person(person) -> QuerySet[AidApplication]:
    """A worker's own applications (the portal): every application on files the person heads."""
    return (AidApplication.objects.filter(file__head=person).select_related("programme", "file")
            .order_by("-created_at"))


def notices_for_actor(actor, *, status: str = "") -> QuerySet[Notice]:
    require(actor, Cap.VIEW)
    qs = Notice.objects.filter(node_path__startswith=root_path(actor)).select_related("node")
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(n=Count("entries"), total=Sum("entries__amount_fen")).order_by("-starts_on", "-pk")


def notice_get_for_actor(actor, pk) -> Notice:
    staff_of(actor)
    try:
        notice = Notice.objects.select_related("node").get(pk=pk)
    except (Notice.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    ensure_path_in_scope(actor, notice.node_path)
    require(actor, Cap.VIEW)
    return notice


def notice_rows(notice: Notice) -> list:
    """The frozen, masked rows of a notice (the only data the public page and PDF show)."""
    from ..services.notices import notice_rows as rows

    return rows(notice)


def approved_unpublished(actor, node_path: str = "") -> QuerySet[AidApplication]:
    return applications_for_actor(actor, status=ApplicationStatus.APPROVED, node_path=node_path)


def counts_for_actor(actor) -> dict:
    """Figures for the assistance overview page: applications by status, my queue, open notices."""
    staff = staff_of(actor)
    root = root_path(actor)
    by_status = dict(AidApplication.objects.filter(node_path__startswith=root).values_list("status")
                     .annotate(n=Count("pk")).values_list("status", "n"))
    return {
        "applications": by_status,
        "queue": approval_queue(actor).count() if staff.can(Cap.APPROVE) else 0,
        "notices_open": Notice.objects.filter(node_path__startswith=root, status="published").count(),
        "awaiting_payment": by_status.get(ApplicationStatus.NOTICE_ENDED, 0),
    }
