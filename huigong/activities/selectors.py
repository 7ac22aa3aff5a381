"""Reads of the events app. Staff see events their subtree owns and those owned above it (whose audience
includes their members: then only their subtree's registrations); workers see their own seats."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.core.capacity import services as cap
from huigong.core.capacity.models import LIVE, EntryStatus
from huigong.core.scope import OutOfScope, require, root_path, staff_of
from huigong.members.models import Person
from huigong.orgs.models import UnionNode

from .models import Approval, Event, EventSession, EventStatus, Registration
from .places import SEATS
from .services import CAP, active_membership, audience_reason, window_reason

STEP = UnionNode.steplen
VIEW = "events_view"


def _ancestor_paths(path: str) -> list[str]:
    return [path[:i] for i in range(STEP, len(path), STEP)]


def admissible(reg: Registration) -> bool:
    """May this seat enter (the gate's rule): a granted place, approved where approval is required."""
    return reg.status == EntryStatus.GRANTED and reg.approval in (Approval.NONE, Approval.APPROVED)


# --- staff -------------------------------------------------------------------------------------------------


def _can_view(actor) -> None:
    staff = staff_of(actor)
    if not (staff.can(CAP) or staff.can(VIEW)):
        raise PermissionDenied(_("当前角色无此权限"))


def event_list_for_actor(actor, *, kind: str = "", status: str = "", q: str = "") -> QuerySet[Event]:
    _can_view(actor)
    root = root_path(actor)
    qs = Event.objects.select_related("node", "site").filter(
        Q(node__path__startswith=root) | Q(node__path__in=_ancestor_paths(root)))
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(title__icontains=q)
    return qs.annotate(n_sessions=Count("sessions", distinct=True)).order_by("-created_at", "-id")


def event_get_for_actor(actor, event_id, *, for_write: bool = False) -> Event:
    _can_view(actor)
    try:
        event = Event.objects.select_related("node", "site").get(pk=event_id)
    except (Event.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    root = root_path(actor)
    owned = event.node.path.startswith(root)
    if not owned and not root.startswith(event.node.path):
        raise OutOfScope()
    if for_write:
        require(actor, CAP)
        if not owned:
            raise PermissionDenied(_("当前角色无此权限"))
    return event


def session_get_for_actor(actor, session_id, *, for_write: bool = False) -> EventSession:
    try:
        event_id = EventSession.objects.filter(pk=session_id).values_list("event_id", flat=True).get()
    except (EventSession.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    event = event_get_for_actor(actor, event_id, for_write=for_write)
    session = EventSession.objects.get(pk=session_id)
    session.event = event
    return session


def registrations_for_actor(actor, session: EventSession, *, status: str = "", q: str = "") -> QuerySet[Registration]:
    """The session's seats held by members of the actor's subtree."""
    root = root_path(actor)
    qs = (Registration.objects.select_related("person", "union", "lead")
          .filter(session=session, union__path__startswith=root))
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(person__name__icontains=q) | Q(person__name_pinyin__icontains=q.lower())
                       | Q(person__name_initials__icontains=q.lower()))
    return qs.order_by("created_at", "id")


def registration_get_for_actor(actor, reg_id, *, for_write: bool = False) -> Registration:
    _can_view(actor)
    try:
        reg = Registration.objects.select_related("person", "union", "session__event__node").get(pk=reg_id)
    except (Registration.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not reg.union.path.startswith(root_path(actor)):
        raise OutOfScope()
    if for_write:
        require(actor, CAP)
    return reg


def session_counts(session_ids: list[int], root: str = "") -> dict[int, dict[str, int]]:
    """{session: {status: seats}} (of the subtree `root` when given), one query."""
    qs = Registration.objects.filter(session_id__in=session_ids)
    if root:
        qs = qs.filter(union__path__startswith=root)
    out: dict[int, dict[str, int]] = {s: {} for s in session_ids}
    for sid, status, n in qs.values_list("session_id", "status").annotate(n=Count("id")):
        out[sid][status] = n
    checked = qs.filter(checked_in_at__isnull=False).values_list("session_id").annotate(n=Count("id"))
    for sid, n in checked:
        out[sid]["checked_in"] = n
    return out


def approvals_pending_for_actor(actor) -> QuerySet[Registration]:
    """Registrations waiting for the actor's own union's decision (or for a union below it)."""
    require(actor, CAP)
    return (Registration.objects.select_related("person", "union", "session__event")
            .filter(approval=Approval.PENDING, seq=0, union__path__startswith=root_path(actor),
                    status__in=[s.value for s in LIVE]).order_by("created_at"))


# --- workers -------------------------------------------------------------------------------------------------


def events_for_person(person: Person) -> list[tuple[Event, str | None]]:
    """Published events whose audience may include the worker, upcoming first, each with the reason they
    may not register (None: they may)."""
    m = active_membership(person)
    if m is None:
        return []
    path = m.union.path
    now = timezone.now()
    qs = (Event.objects.select_related("node", "site")
          .filter(status=EventStatus.PUBLISHED, sessions__ends_at__gt=now)
          .filter(Q(node__path__in=[path[:i] for i in range(STEP, len(path) + 1, STEP)])
                  | Q(include_ancestors=True, node__path__startswith=path))
          .distinct().order_by("registration_closes_at", "-id"))
    return [(e, audience_reason(e, person, m) or window_reason(e)) for e in qs[:100]]


def event_for_person(person: Person, event_id) -> Event:
    for e, _reason in events_for_person(person):
        if str(e.pk) == str(event_id):
            return e
    if Registration.objects.filter(person=person, session__event_id=event_id).exists():
        return Event.objects.select_related("node", "site").get(pk=event_id)
    raise Http404


def registrations_for_person(person: Person) -> QuerySet[Registration]:
    """The worker's own seats (not companions'), newest first: the member card's record section."""
    return (Registration.objects.select_related("session__event").filter(person=person, seq=0)
            .order_by("-created_at", "-id"))


def registration_for_person(person: Person, reg_id) -> Registration:
    try:
        return (Registration.objects.select_related("session__event__node", "session__event__site", "union")
                .get(pk=reg_id, person=person))
    except (Registration.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def seats_of(reg: Registration) -> list[Registration]:
    if reg.seq != 0:
        return [reg]
    return [reg, *Registration.objects.filter(lead=reg).order_by("seq")]


def waitlist_positions(regs) -> dict[int, int]:
    return cap.waitlist_positions(SEATS, list(regs))
