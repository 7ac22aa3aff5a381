"""Reads of the benefits app. Staff reads are scoped to the actor's subtree; worker reads to the
worker's own Person."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.core.scope import OutOfScope, root_path, staff_of
from huigong.members.models import Person
from huigong.orgs.models import ServiceSite, UnionNode

from .models import (
    BenefitClaim,
    BenefitProgramme,
    PaymentBatch,
    ProgrammeKind,
    ProgrammeStatus,
    Reimbursement,
    ReimbursementPayment,
    ReimbursementStatus,
    SiteUsage,
    Visit,
)
from .services import active_membership, ineligible_reason

STEP = UnionNode.steplen


def _ancestor_paths(path: str) -> list[str]:
    return [path[:i] for i in range(STEP, len(path), STEP)]


def _denied() -> PermissionDenied:
    return OutOfScope()


# --- programmes ------------------------------------------------------------------------------------


def programme_list_for_actor(actor, *, board: str = "", kind: str = "", status: str = "",
                             year: int | None = None) -> QuerySet[BenefitProgramme]:
    """Programmes the actor's subtree owns, and those owned above it (whose members include theirs)."""
    root = root_path(actor)
    qs = (BenefitProgramme.objects.select_related("node")
          .filter(Q(node__path__startswith=root) | Q(node__path__in=_ancestor_paths(root))))
    if board:
        qs = qs.filter(board=board)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if year:
        qs = qs.filter(year=year)
    return qs.order_by("board", "-year", "-created_at")


def programme_get_for_actor(actor, programme_id, *, for_write: bool = False) -> BenefitProgramme:
    staff_of(actor)
    try:
        programme = BenefitProgramme.objects.select_related("node").get(pk=programme_id)
    except (BenefitProgramme.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    root = root_path(actor)
    owned = programme.node.path.startswith(root)
    if not owned and not root.startswith(programme.node.path):
        raise _denied()
    if not owned and for_write:  # a programme set above the actor: seen, so refusing it reveals nothing
        raise PermissionDenied(_("当前角色无此权限"))
    return programme


def payment_batch_get_for_actor(actor, batch_id) -> PaymentBatch:
    """A payment batch of a programme the actor may see (404 for none and outside their subtree)."""
    try:
        batch = PaymentBatch.objects.select_related("programme__node").get(pk=batch_id)
    except (PaymentBatch.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    programme_get_for_actor(actor, batch.programme_id)
    return batch


def programme_can_write(actor, programme: BenefitProgramme) -> bool:
    return programme.node.path.startswith(root_path(actor))


def programme_stats(actor, programme: BenefitProgramme) -> dict:
    """Counts of the actor's part of a programme's claims or reimbursements."""
    root = root_path(actor)
    if programme.kind == ProgrammeKind.REIMBURSEMENT:
        rows = (Reimbursement.objects.filter(programme=programme, union__path__startswith=root)
                .values("status").annotate(n=Count("id"), fen=Sum("approved_fen"), asked=Sum("amount_fen")))
        return {r["status"]: r for r in rows}
    rows = (BenefitClaim.objects.filter(programme=programme, union__path__startswith=root)
            .values("status").annotate(n=Count("id")))
    return {r["status"]: {"n": r["n"]} for r in rows}


def claim_list_for_actor(actor, programme: BenefitProgramme, *, status: str = "") -> QuerySet[BenefitClaim]:
    qs = (BenefitClaim.objects.filter(programme=programme, union__path__startswith=root_path(actor))
          .select_related("person", "union", "enterprise")
          .defer("person__id_number", "person__phone", "person__bank_account"))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def claim_get_for_actor(actor, claim_id) -> BenefitClaim:
    staff_of(actor)
    try:
        claim = BenefitClaim.objects.select_related("programme", "person", "union").get(pk=claim_id)
    except (BenefitClaim.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not claim.union.path.startswith(root_path(actor)):
        raise _denied()
    return claim


# --- reimbursements and payments -------------------------------------------------------------------


def reimbursement_list_for_actor(actor, *, programme: BenefitProgramme | None = None, status: str = ""
                                 ) -> QuerySet[Reimbursement]:
    qs = (Reimbursement.objects.filter(union__path__startswith=root_path(actor))
          .select_related("programme", "person", "union", "reviewer")
          .defer("person__id_number", "person__phone", "person__bank_account"))
    if programme is not None:
        qs = qs.filter(programme=programme)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("submitted_at", "id") if status == ReimbursementStatus.SUBMITTED else qs


def reimbursement_get_for_actor(actor, reimbursement_id) -> Reimbursement:
    staff_of(actor)
    try:
        item = (Reimbursement.objects.select_related("programme", "person", "union", "reviewer")
                .defer("person__id_number", "person__phone", "person__bank_account").get(pk=reimbursement_id))
    except (Reimbursement.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not item.union.path.startswith(root_path(actor)):
        raise _denied()
    return item


def payment_list_for_actor(actor, *, batch: PaymentBatch | None = None, status: str = ""
                           ) -> QuerySet[ReimbursementPayment]:
    qs = (ReimbursementPayment.objects.filter(reimbursement__union__path__startswith=root_path(actor))
          .select_related("reimbursement", "reimbursement__person", "reimbursement__programme", "batch")
          .defer("bank_account", "reimbursement__person__id_number", "reimbursement__person__phone",
                 "reimbursement__person__bank_account"))
    if batch is not None:
        qs = qs.filter(batch=batch)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-id")


def payment_get_for_actor(actor, payment_id) -> ReimbursementPayment:
    staff_of(actor)
    try:
        payment = (ReimbursementPayment.objects.select_related("reimbursement__union", "reimbursement__person",
                                                               "batch").defer("bank_account").get(pk=payment_id))
    except (ReimbursementPayment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not payment.reimbursement.union.path.startswith(root_path(actor)):
        raise _denied()
    return payment


def batch_list_for_actor(actor, programme: BenefitProgramme) -> list[PaymentBatch]:
    root = root_path(actor)
    return list(PaymentBatch.objects.filter(programme=programme, payments__reimbursement__union__path__startswith=root)
                .distinct().annotate(n=Count("payments")).order_by("-created_at"))


# --- visits and sites ------------------------------------------------------------------------------


def visit_list_for_actor(actor, *, programme: BenefitProgramme | None = None, year: int | None = None
                         ) -> QuerySet[Visit]:
    qs = Visit.objects.filter(node__path__startswith=root_path(actor)).select_related(
        "node", "enterprise", "site", "programme", "staff")
    if programme is not None:
        qs = qs.filter(programme=programme)
    if year:
        qs = qs.filter(visited_on__year=year)
    return qs


def visit_totals(qs: QuerySet[Visit]) -> dict:
    agg = qs.aggregate(n=Count("id"), people=Sum("headcount"), fen=Sum("value_fen"))
    return {"visits": agg["n"] or 0, "headcount": agg["people"] or 0, "value_fen": agg["fen"] or 0}


def site_list_for_actor(actor, *, district: str = "") -> QuerySet[ServiceSite]:
    since = timezone.localdate() - dt.timedelta(days=30)
    qs = (ServiceSite.objects.filter(union__path__startswith=root_path(actor)).select_related("union",
                                                                                              "benefit_profile")
          .annotate(usage_30d=Sum("usage_days__visitors", filter=Q(usage_days__day__gte=since)),
                    usage_total=Sum("usage_days__visitors")))
    if district:
        qs = qs.filter(benefit_profile__district=district)
    return qs.order_by("benefit_profile__district", "name")


def site_get_for_actor(actor, site_id) -> ServiceSite:
    staff_of(actor)
    try:
        site = ServiceSite.objects.select_related("union", "benefit_profile").get(pk=site_id)
    except (ServiceSite.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not site.union.path.startswith(root_path(actor)):
        raise _denied()
    return site


def site_usage_recent(site: ServiceSite, days: int = 14) -> list[SiteUsage]:
    return list(SiteUsage.objects.filter(site=site).order_by("-day")[:days])


# --- the worker's own view -------------------------------------------------------------------------


def programmes_for_person(person: Person) -> list[tuple[BenefitProgramme, str | None]]:
    """Open programmes whose node holds the person's union, each with the reason they may not take part
    (None when they may)."""
    membership = active_membership(person)
    if membership is None:
        return []
    path = membership.union.path
    qs = (BenefitProgramme.objects.select_related("node")
          .filter(status=ProgrammeStatus.OPEN, node__path__in=[*_ancestor_paths(path), path])
          .exclude(kind=ProgrammeKind.DISTRIBUTION).order_by("closes_at", "-created_at"))
    now = timezone.now()
    return [(p, ineligible_reason(p, person, membership, now=now)) for p in qs]


def programme_for_person(person: Person, programme_id) -> BenefitProgramme:
    """A programme a worker may look at: open and owned by a node above their union."""
    membership = active_membership(person)
    try:
        programme = BenefitProgramme.objects.select_related("node").get(pk=programme_id)
    except (BenefitProgramme.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if membership is None or not membership.union.path.startswith(programme.node.path) \
            or programme.status == ProgrammeStatus.DRAFT:
        raise Http404
    return programme


def claims_for_person(person: Person) -> list[BenefitClaim]:
    """The worker's claims, newest first (for the portal's "my" page too)."""
    return list(BenefitClaim.objects.filter(person=person).select_related("programme").order_by("-created_at"))


def claim_for_person(person: Person, claim_id) -> BenefitClaim:
    try:
        return (BenefitClaim.objects.select_related("programme", "programme__node", "union", "person")
                .get(pk=claim_id, person=person))
    except (BenefitClaim.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def waitlist_position(claim: BenefitClaim) -> int | None:
    """1-based place of a waitlisted claim in its programme's queue (the order waitlist_promote follows),
    None for any other claim."""
    from huigong.core.capacity.services import waitlist_position as position

    from .places import CLAIMS

    return position(CLAIMS, claim)


def programme_contact(programme: BenefitProgramme, union: UnionNode | None = None) -> list[UnionNode]:
    """Whom a worker asks about a claim: the programme's union and the worker's own union (when it is
    another one), those of them that have a contact, an address or a phone on record."""
    out = []
    for node in (programme.node, union):
        if node is not None and node not in out and (node.contact_name or node.contact_phone or node.address):
            out.append(node)
    return out


def reimbursements_for_person(person: Person) -> list[Reimbursement]:
    """The worker's reimbursement applications, newest first (for the portal's "my" page too)."""
    return list(Reimbursement.objects.filter(person=person).select_related("programme")
                .order_by("-submitted_at", "-id"))


def reimbursement_for_person(person: Person, reimbursement_id) -> Reimbursement:
    try:
        return Reimbursement.objects.select_related("programme", "union").get(pk=reimbursement_id, person=person)
    except (Reimbursement.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@dataclass
class SiteForWorker:
    site: ServiceSite
    district: str
    offerings: list[str]
    distance_km: float | None


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def sites_for_worker(*, person: Person | None, lat: float | None = None, lng: float | None = None,
                     district: str = "") -> list[SiteForWorker]:
    """Open sites near the worker: those of their city (the union tree's city-level ancestor of their
    union), nearest first when a location is given, else by district."""
    qs = ServiceSite.objects.filter(is_active=True).select_related("benefit_profile", "union")
    membership = active_membership(person) if person is not None else None
    if membership is not None:
        path = membership.union.path
        city_prefix = path[:STEP * 3] if len(path) >= STEP * 3 else path
        qs = qs.filter(union__path__startswith=city_prefix)
    rows = []
    for site in qs:
        profile = getattr(site, "benefit_profile", None)
        d = profile.district if profile else ""
        if district and d != district:
            continue
        km = None
        if lat is not None and lng is not None and site.latitude is not None and site.longitude is not None:
            km = haversine_km(lat, lng, float(site.latitude), float(site.longitude))
        offerings = profile.offerings if profile and profile.offerings else \
            [s for s in (site.services or "").replace("，", "、").split("、") if s]
        rows.append(SiteForWorker(site=site, district=d, offerings=offerings, distance_km=km))
    if lat is not None and lng is not None:
        rows.sort(key=lambda r: (r.distance_km is None, r.distance_km or 0, r.site.name))
    else:
        rows.sort(key=lambda r: (r.district, r.site.name))
    return rows
