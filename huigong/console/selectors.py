"""Reads for the console's home page, scoped to the actor's subtree."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone

from huigong.core.scope import staff_of
from huigong.members.models import NEW_EMPLOYMENT_FORMS, Membership, MembershipStatus, RosterImport
from huigong.orgs.models import Enterprise, EnterpriseKind, ServiceSite, UnionNode


def home_figures(actor) -> dict:
    """Headline figures of the actor's subtree: a fixed handful of aggregate queries, whatever the subtree's size."""
    node: UnionNode = staff_of(actor).node
    prefix = node.path
    month_start = timezone.localdate().replace(day=1)
    members = Membership.objects.filter(union__path__startswith=prefix, status=MembershipStatus.ACTIVE).aggregate(
        total=Count("id"),
        new_this_month=Count("id", filter=Q(joined_on__gte=month_start)),
        new_forms=Count("id", filter=Q(person__employment_form__in=list(NEW_EMPLOYMENT_FORMS))),
    )
    units = Enterprise.objects.filter(union__path__startswith=prefix).aggregate(
        enterprises=Count("id", filter=~Q(kind=EnterpriseKind.PLATFORM)),
        platforms=Count("id", filter=Q(kind=EnterpriseKind.PLATFORM)),
    )
    sites = ServiceSite.objects.filter(union__path__startswith=prefix, is_active=True).count()
    nodes = UnionNode.objects.filter(path__startswith=prefix).count() - 1
    total = members["total"]
    return {
        "members": total,
        "new_this_month": members["new_this_month"],
        "new_forms": members["new_forms"],
        "new_forms_share": (members["new_forms"] * 100.0 / total) if total else 0.0,
        "enterprises": units["enterprises"],
        "platforms": units["platforms"],
        "sites": sites,
        "nodes": nodes,
        "month_start": month_start,
    }


def recent_imports_for_actor(actor, limit: int = 5) -> list:
    prefix = staff_of(actor).node.path
    return list(RosterImport.objects.filter(union__path__startswith=prefix)
                .select_related("union", "enterprise").order_by("-created_at")[:limit])
