"""Reads of the honours app. Staff reads are scoped to the actor's subtree (campaigns also from below:
a district sees the city's campaign it nominates to); worker reads to the worker's own Person."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from huigong.core.scope import OutOfScope, root_path, staff_of
from huigong.members.models import Membership, MembershipStatus, Person
from huigong.orgs.models import UnionNode

from .models import (
    AllowanceBatch,
    AllowancePayment,
    Campaign,
    Entitlement,
    EntitlementStatus,
    HolderKind,
    Honour,
    HonourNotice,
    HonourStatus,
    Innovation,
    InnovationStatus,
    JudgingRound,
    NominationList,
    Nominee,
    PrizeBatch,
    PrizePayment,
    Reconciliation,
    RevocationCase,
)
from .services.common import ancestor_paths


def _get(model, pk, qs=None):
    try:
        return (qs if qs is not None else model.objects).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _inside(actor, path: str) -> None:
    if not path.startswith(root_path(actor)):
        raise OutOfScope


# --- register -------------------------------------------------------------------------------------------


def honour_list_for_actor(actor, *, q: str = "", title_type: str = "", level: str = "", status: str = "",
                          year: int | None = None, holder_kind: str = "") -> QuerySet[Honour]:
    qs = Honour.objects.filter(node_path__startswith=root_path(actor)).select_related("union", "person", "enterprise")
    if holder_kind:
        qs = qs.filter(holder_kind=holder_kind)
    if q:
        qs = qs.filter(Q(holder_name__icontains=q) | Q(certificate_no__icontains=q)
                       | Q(person__name_pinyin__startswith=q.lower()) | Q(person__name_initials=q.lower()))
    if title_type:
        qs = qs.filter(title_type=title_type)
    if level:
        qs = qs.filter(level=level)
    if status:
        qs = qs.filter(status=status)
    if year:
        qs = qs.filter(year=year)
    return qs


def honour_get_for_actor(actor, pk) -> Honour:
    staff_of(actor)
    h = _get(Honour, pk, Honour.objects.select_related("union", "person", "enterprise"))
    _inside(actor, h.node_path)
    return h


def honour_counts(actor) -> dict:
    rows = (Honour.objects.filter(node_path__startswith=root_path(actor)).values("title_type", "level", "status")
            .annotate(n=Count("pk")))
    out: dict = {}
    for r in rows:
        out.setdefault((r["title_type"], r["level"]), {}).setdefault(r["status"], 0)
        out[(r["title_type"], r["level"])][r["status"]] += r["n"]
    return out


def honours_for_person(person: Person) -> QuerySet[Honour]:
    return Honour.objects.filter(person=person).order_by("-year")


def reconciliation_get_for_actor(actor, pk) -> Reconciliation:
    staff_of(actor)
    r = _get(Reconciliation, pk, Reconciliation.objects.select_related("node"))
    _inside(actor, r.node_path)
    return r


# --- campaigns ------------------------------------------------------------------------------------------


def campaign_list_for_actor(actor) -> QuerySet[Campaign]:
    root = root_path(actor)
    return (Campaign.objects.select_related("node")
            .filter(Q(node_path__startswith=root) | Q(node_path__in=ancestor_paths(root) + [root])))


def campaign_get_for_actor(actor, pk) -> Campaign:
    staff_of(actor)
    c = _get(Campaign, pk, Campaign.objects.select_related("node"))
    root = root_path(actor)
    if not (c.node_path.startswith(root) or root.startswith(c.node_path)):
        raise OutOfScope
    return c


def campaign_lists_for_actor(actor, campaign: Campaign) -> QuerySet[NominationList]:
    """A campaign's lists the actor may see: all of them for the organiser, its own subtree's below."""
    root = root_path(actor)
    qs = NominationList.objects.filter(campaign=campaign).select_related("node").annotate(n=Count("nominees"))
    if not campaign.node_path.startswith(root):
        qs = qs.filter(node_path__startswith=root)
    return qs


def list_get_for_actor(actor, pk) -> NominationList:
    """A list is seen by its own subtree and by the unions above it up to the campaign's (who decide it)."""
    staff_of(actor)
    nl = _get(NominationList, pk, NominationList.objects.select_related("campaign", "node", "campaign__node"))
    root = root_path(actor)
    if not (nl.node_path.startswith(root) or (root.startswith(nl.campaign.node_path) and nl.node_path.startswith(root))
            or nl.campaign.node_path.startswith(root)):
        raise OutOfScope
    return nl


def nominee_get_for_actor(actor, pk) -> Nominee:
    staff_of(actor)
    n = _get(Nominee, pk, Nominee.objects.select_related("campaign", "nomination_list", "person"))
    root = root_path(actor)
    if not (n.node_path.startswith(root) or n.campaign.node_path.startswith(root)):
        raise OutOfScope
    return n


def notice_get_for_actor(actor, pk) -> HonourNotice:
    staff_of(actor)
    n = _get(HonourNotice, pk, HonourNotice.objects.select_related("campaign", "node"))
    root = root_path(actor)
    if not (n.node_path.startswith(root) or root.startswith(n.node_path)):  # a 公示 is public below its union
        raise OutOfScope
    return n


def first_prizes_for_campaign(campaign: Campaign) -> QuerySet[Innovation]:
    """优先推荐: first prizes of the campaign's subtree, for whoever draws up a list."""
    return Innovation.objects.filter(node_path__startswith=campaign.node_path, flagged_for_nomination=True)


# --- revocation -----------------------------------------------------------------------------------------


def revocation_list_for_actor(actor) -> QuerySet[RevocationCase]:
    root = root_path(actor)
    return RevocationCase.objects.filter(Q(node_path__startswith=root) | Q(steps__node_path__startswith=root)).distinct()


def revocation_get_for_actor(actor, pk) -> RevocationCase:
    staff_of(actor)
    c = _get(RevocationCase, pk, RevocationCase.objects.select_related("node"))
    root = root_path(actor)
    if not (c.node_path.startswith(root) or c.steps.filter(node_path__startswith=root).exists()):
        raise OutOfScope
    return c


# --- entitlements and money -----------------------------------------------------------------------------


def entitlements_due_for_actor(actor, *, within_days: int | None = None) -> QuerySet[Entitlement]:
    import datetime as dt

    from . import clock

    qs = (Entitlement.objects.filter(node_path__startswith=root_path(actor), status=EntitlementStatus.DUE)
          .select_related("honour").order_by("due_on", "pk"))
    if within_days is not None:
        qs = qs.filter(due_on__lte=clock.today() + dt.timedelta(days=within_days))
    return qs


def entitlement_list_for_actor(actor, *, kind: str = "", status: str = "", period: str = "",
                               honour_id: int | None = None) -> QuerySet[Entitlement]:
    qs = (Entitlement.objects.filter(node_path__startswith=root_path(actor)).select_related("honour")
          .order_by("due_on", "pk"))
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if period:
        qs = qs.filter(period=period)
    if honour_id:
        qs = qs.filter(honour_id=honour_id)
    return qs


def entitlement_get_for_actor(actor, pk) -> Entitlement:
    staff_of(actor)
    e = _get(Entitlement, pk, Entitlement.objects.select_related("honour"))
    _inside(actor, e.node_path)
    return e


def batch_get_for_actor(actor, kind: str, pk):
    staff_of(actor)
    model = AllowanceBatch if kind == "allowance" else PrizeBatch
    b = _get(model, pk)
    _inside(actor, b.node_path)
    return b


def payment_get_for_actor(actor, kind: str, pk):
    staff_of(actor)
    if kind == "allowance":
        p = _get(AllowancePayment, pk, AllowancePayment.objects.select_related("entitlement", "batch"))
        path = p.entitlement.node_path
    else:
        p = _get(PrizePayment, pk, PrizePayment.objects.select_related("award", "batch"))
        path = p.award.node_path
    _inside(actor, path)
    return p


# --- innovation -----------------------------------------------------------------------------------------


def innovation_list_for_actor(actor, *, status: str = "", kind: str = "", q: str = "") -> QuerySet[Innovation]:
    qs = Innovation.objects.filter(node_path__startswith=root_path(actor)).select_related("union")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(lead_name__icontains=q) | Q(studio__icontains=q))
    return qs


def innovation_get_for_actor(actor, pk) -> Innovation:
    staff_of(actor)
    i = _get(Innovation, pk, Innovation.objects.select_related("union", "person", "enterprise"))
    _inside(actor, i.node_path)
    return i


def innovations_for_person(person: Person) -> QuerySet[Innovation]:
    return Innovation.objects.filter(person=person).order_by("-created_at")


def innovation_for_person(person: Person, pk) -> Innovation:
    i = _get(Innovation, pk)
    if i.person_id != person.pk:
        raise Http404
    return i


def round_get_for_actor(actor, pk) -> JudgingRound:
    staff_of(actor)
    r = _get(JudgingRound, pk, JudgingRound.objects.select_related("node"))
    root = root_path(actor)
    if not r.node_path.startswith(root) and not r.panel.filter(pk=actor.pk).exists():
        raise OutOfScope
    return r


def participation(actor, year: int) -> list[dict]:
    """Per child union of the actor's node: members, distinct submitters, results; participation rate
    (submitters / members) and results per 100 members, for the year."""
    staff = staff_of(actor)
    children = list(UnionNode.objects.filter(path__startswith=staff.node.path, depth=staff.node.depth + 1)
                    .order_by("path"))
    rows = []
    inv = Innovation.objects.filter(node_path__startswith=staff.node.path, created_at__year=year)
    for c in children:
        members = Membership.objects.filter(union__path__startswith=c.path, status=MembershipStatus.ACTIVE).count()
        mine = inv.filter(node_path__startswith=c.path)
        results = mine.count()
        people = mine.exclude(person__isnull=True).values("person_id").distinct().count()
        adopted = mine.filter(status__in=[InnovationStatus.ADOPTED, InnovationStatus.AWARDED]).count()
        value = (mine.filter(gains__verified_on__isnull=False).aggregate(s=Sum("gains__annual_value_fen"))["s"] or 0)
        rows.append({"node": c, "members": members, "results": results, "people": people, "adopted": adopted,
                     "value_fen": value,
                     "rate": round(100 * people / members, 2) if members else None,
                     "per_100": round(100 * results / members, 2) if members else None})
    return [r for r in rows if r["members"] or r["results"]]


def rounds_for_actor(actor) -> QuerySet[JudgingRound]:
    return JudgingRound.objects.filter(node_path__startswith=root_path(actor))


def allowance_batches_for_actor(actor) -> QuerySet[AllowanceBatch]:
    return AllowanceBatch.objects.filter(node_path__startswith=root_path(actor))


def unions_for_actor(actor) -> list[tuple[int, str]]:
    return list(UnionNode.objects.filter(path__startswith=root_path(actor)).order_by("path")
                .values_list("pk", "name")[:1000])


def member_choices(actor, node_path: str | None = None, limit: int = 500) -> list[tuple[int, str]]:
    """Active members of the subtree for a picker: "name · …ID tail · unit" (masked data only)."""
    path = node_path or root_path(actor)
    if not path.startswith(root_path(actor)):
        raise OutOfScope
    rows = (Membership.objects.filter(union__path__startswith=path, status=MembershipStatus.ACTIVE)
            .values_list("person_id", "person__name", "person__id_number_mask", "union__name")
            .order_by("person__name_pinyin", "person_id")[:limit])
    return [(pid, f"{name} · …{mask[-4:]} · {union}") for pid, name, mask, union in rows]


def holder_page(honour: Honour) -> dict:
    """A model worker's page: her titles, entitlements and their state, payments."""
    person = honour.person
    if person is not None:
        honours = list(Honour.objects.filter(person=person))
    elif honour.enterprise_id:  # a unit's titles, or one collective's (the same team name of the unit)
        same = Honour.objects.filter(enterprise_id=honour.enterprise_id, holder_kind=honour.holder_kind)
        if honour.holder_kind == HolderKind.COLLECTIVE:
            same = same.filter(holder_name=honour.holder_name)
        honours = list(same)
    else:
        honours = [honour]
    ents = list(Entitlement.objects.filter(honour__in=honours).order_by("-period", "kind"))
    return {"honours": honours, "entitlements": ents,
            "payments": list(AllowancePayment.objects.filter(entitlement__in=ents).order_by("-created_at")),
            "active": any(h.status == HonourStatus.ACTIVE for h in honours)}


__all__ = ["PermissionDenied"]
