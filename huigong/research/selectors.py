"""Scoped reads of the research programme. A programme is visible to staff of its union's subtree and
of the unions above it; a project to staff whose subtree holds its union (its team's union, the unions
above it, the programme's); anything else is OutOfScope (a 404, like an unknown id)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from huigong.core.scope import OutOfScope, require, staff_of

from .models import (
    Award,
    FieldworkLog,
    Programme,
    Project,
    ProjectStatus,
    Recommendation,
    Report,
    ReportStatus,
    TrancheBatch,
    TranchePayment,
)

VIEW = "view"


def _path(actor) -> str:
    return staff_of(actor).node.path


def _programme_q(path: str) -> Q:
    # Inside the actor's subtree, or above the actor (a district team applies to the city's programme):
    # the programme's path is a prefix of the actor's.
    prefixes = [path[:i] for i in range(4, len(path) + 1, 4)]
    return Q(node_path__startswith=path) | Q(node_path__in=prefixes)


def programme_list_for_actor(actor) -> QuerySet[Programme]:
    require(actor, VIEW)
    return (Programme.objects.filter(_programme_q(_path(actor))).select_related("node")
            .annotate(topic_count=Count("topics", distinct=True)).order_by("-year", "brand"))


def programme_get_for_actor(actor, pk: int) -> Programme:
    require(actor, VIEW)
    p = Programme.objects.select_related("node").filter(pk=pk).first()
    if p is None:
        raise Http404
    if not Programme.objects.filter(_programme_q(_path(actor)), pk=pk).exists():
        raise OutOfScope
    return p


def project_list_for_actor(actor, *, programme: Programme | None = None, status: str = "") -> QuerySet[Project]:
    require(actor, VIEW)
    qs = Project.objects.filter(node_path__startswith=_path(actor)).select_related("programme", "topic", "node")
    if programme is not None:
        qs = qs.filter(programme=programme)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("programme_id", "topic__seq", "id")


def project_get_for_actor(actor, pk: int) -> Project:
    require(actor, VIEW)
    qs = Project.objects.select_related("programme", "programme__node", "topic", "node", "applied_by")
    p = qs.filter(pk=pk).first()
    if p is None:
        raise Http404
    if not p.node_path.startswith(_path(actor)):
        raise OutOfScope
    return p


def report_get_for_actor(actor, pk: int) -> Report:
    require(actor, VIEW)
    r = Report.objects.select_related("project", "project__programme").filter(pk=pk).first()
    if r is None:
        raise Http404
    if not r.project.node_path.startswith(_path(actor)):
        raise OutOfScope
    return r


def batch_get_for_actor(actor, pk: int) -> TrancheBatch:
    require(actor, VIEW)
    b = TrancheBatch.objects.select_related("programme").filter(pk=pk).first()
    if b is None:
        raise Http404
    if not b.node_path.startswith(_path(actor)):
        raise OutOfScope
    return b


def payment_get_for_actor(actor, pk: int) -> TranchePayment:
    require(actor, VIEW)
    p = TranchePayment.objects.select_related("tranche", "tranche__project", "batch").filter(pk=pk).first()
    if p is None:
        raise Http404
    if not p.batch.node_path.startswith(_path(actor)):
        raise OutOfScope
    return p


def fieldwork_list_for_actor(actor, project: Project) -> QuerySet[FieldworkLog]:
    project_get_for_actor(actor, project.pk)
    return project.fieldwork.all()


def programme_figures(programme_ids) -> dict:
    """The brand's figures over the given programmes: topics in the guide, projects approved, reports
    accepted, recommendations and fieldwork, and the orders taken on ride-alongs."""
    ids = list(programme_ids)
    projects = Project.objects.filter(programme_id__in=ids)
    fw = FieldworkLog.objects.filter(project__programme_id__in=ids).aggregate(
        logs=Count("id"), people=Sum("people"), orders=Sum("orders"))
    return {
        "topics": Programme.objects.filter(pk__in=ids).aggregate(n=Count("topics"))["n"] or 0,
        "projects": projects.exclude(status__in=(ProjectStatus.DRAFT, ProjectStatus.SUBMITTED, ProjectStatus.RETURNED,
                                                 ProjectStatus.REJECTED)).count(),
        "reports": Report.objects.filter(project__programme_id__in=ids, status=ReportStatus.ACCEPTED).count(),
        "recommendations": Recommendation.objects.filter(report__project__programme_id__in=ids,
                                                         report__status=ReportStatus.ACCEPTED).count(),
        "awards": Award.objects.filter(project__programme_id__in=ids).count(),
        "fieldwork": fw["logs"] or 0, "people": fw["people"] or 0, "orders": fw["orders"] or 0,
    }
