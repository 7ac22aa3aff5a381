"""Writes of the events app. Every transition is one service, audited in its own transaction.

Places move only through the kernel's capacity engine (`core.capacity`, spec `places.SEATS`): a seat is
taken by its conditional UPDATEs (the sub-union's share, then the session), so nothing here can add a
registration past the limit; there is no other way in. Invariants:
- a registration is one seat; a worker's companions are seats of their own (seq 1..), taken in the same
  transaction as the worker's (all or none), and given back with it;
- a session's and a share's `remaining` stay in 0..total (CHECK); one live seat per person and seq (UNIQUE);
- a freed place goes to the waitlist in order, in the same transaction (the engine's promotion), as an
  offer to claim within the session's window when it has one;
- on PostgreSQL a first-come registration without companions is ONE statement (the engine's, plus this
  app's audit row as a CTE), so the rush holds the session row only while the server runs it."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huigong.core import facets
from huigong.core.audit import actor_label, audit
from huigong.core.capacity import services as cap
from huigong.core.capacity.models import HOLDING, LIVE, Allocation, EntryStatus
from huigong.core.db import retry_on_deadlock
from huigong.core.notify.services import notify
from huigong.core.scope import OutOfScope, ensure_path_in_scope, require, staff_of
from huigong.members.models import (
    NEW_EMPLOYMENT_FORMS,
    EmploymentForm,
    Gender,
    Membership,
    MembershipStatus,
    Person,
)
from huigong.orgs.models import UnionNode

from .models import (
    Approval,
    Event,
    EventKind,
    EventSession,
    EventStatus,
    Invitation,
    Registration,
    SeatShare,
    Source,
)
from .places import SEATS

CAP = "events"
MODEL_WORKER = "model_worker"  # the honours app's person facet (huigong.core.facets)
FULL_MESSAGE = gettext_lazy("名额已满")
ALREADY_MESSAGE = gettext_lazy("您已报名该场次")
EVENT_FIELDS = ["kind", "title", "description", "site", "address", "registration_opens_at", "registration_closes_at",
                "allocation", "requires_approval", "max_companions", "include_ancestors", "invitation_only", "genders",
                "employment_forms", "new_form_only", "model_workers_only", "front_line_only", "age_min", "age_max"]


class SessionFull(ValidationError):
    def __init__(self):
        super().__init__({"session": [FULL_MESSAGE]})


# --- who is acting --------------------------------------------------------------------------------------


def worker_person_id(user) -> int | None:
    """The Person a signed-in worker account stands for, or None (staff, anonymous)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        account = user.worker_account
    except ObjectDoesNotExist:  # no portal account
        return None
    return account.person_id if account is not None else None


def _ensure_acts_for(actor, person_id: int, union_path: str) -> str:
    """The worker themself ("worker"), or staff with the events capability over the record ("staff")."""
    if worker_person_id(actor) == person_id:
        return "worker"
    require(actor, CAP)
    ensure_path_in_scope(actor, union_path)
    return "staff"


def _ensure_event_staff(actor, event: Event) -> None:
    require(actor, CAP)
    ensure_path_in_scope(actor, event.node.path)


def _link(name: str, *args) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def active_membership(person: Person) -> Membership | None:
    return (Membership.objects.select_related("union").filter(person=person, status=MembershipStatus.ACTIVE)
            .first())


# --- events and sessions --------------------------------------------------------------------------------


def _clean_event(data: dict, node: UnionNode) -> None:
    errors: dict[str, list] = {}
    if not (data.get("title") or "").strip():
        errors["title"] = [_("活动名称不能为空")]
    if data.get("kind") not in EventKind.values:
        errors["kind"] = [_("活动类型无效")]
    if data.get("allocation", Allocation.FIRST_COME) not in Allocation.values:
        errors["allocation"] = [_("分配方式无效")]
    site = data.get("site")
    if site is not None and not site.union.path.startswith(node.path[:len(site.union.path)]) \
            and not site.union.path.startswith(node.path):
        errors["site"] = [_("服务阵地应属于主办工会或其上下级")]
    if site is None and not (data.get("address") or "").strip():
        errors["address"] = [_("请选择服务阵地或填写活动地址")]
    opens, closes = data.get("registration_opens_at"), data.get("registration_closes_at")
    if opens and closes and closes <= opens:
        errors["registration_closes_at"] = [_("报名截止时间应晚于开始时间")]
    for g in data.get("genders") or []:
        if g not in Gender.values:
            errors["genders"] = [_("性别无效")]
    for f in data.get("employment_forms") or []:
        if f not in EmploymentForm.values:
            errors["employment_forms"] = [_("用工形式无效")]
    lo, hi = data.get("age_min"), data.get("age_max")
    if lo is not None and hi is not None and lo > hi:
        errors["age_max"] = [_("最高年龄不能小于最低年龄")]
    mc = data.get("max_companions") or 0
    if not isinstance(mc, int) or not 0 <= mc <= 10:
        errors["max_companions"] = [_("随行人数应在 0–10 之间")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def event_create(*, actor, node: UnionNode, kind: str, title: str, **fields) -> Event:
    require(actor, CAP)
    ensure_path_in_scope(actor, node.path)
    data = {"kind": kind, "title": title, **fields}
    unknown = set(data) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown event fields {sorted(unknown)}")
    _clean_event(data, node)
    event = Event.objects.create(node=node, created_by=actor, **data)
    audit(actor=actor, verb="event.create", obj=event, node_path=node.path,
          new={"kind": kind, "title": title, "node": node.pk})
    return event


@transaction.atomic
def event_update(*, actor, event: Event, **changes) -> Event:
    event = Event.objects.select_for_update().select_related("node").get(pk=event.pk)
    _ensure_event_staff(actor, event)
    if event.status in (EventStatus.CANCELLED, EventStatus.CLOSED):
        raise ValidationError({"status": [_("活动已结束，不能修改")]})
    unknown = set(changes) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown event fields {sorted(unknown)}")
    if "allocation" in changes and changes["allocation"] != event.allocation and \
            Registration.objects.filter(session__event=event).exists():
        raise ValidationError({"allocation": [_("已有报名，不能更改分配方式")]})
    data = {f: getattr(event, f) for f in EVENT_FIELDS}
    old = {f: data[f] for f in changes}
    data.update(changes)
    _clean_event(data, event.node)
    for f, v in changes.items():
        setattr(event, f, v)
    event.save()
    if "allocation" in changes:
        event.sessions.update(allocation=event.allocation)
    audit(actor=actor, verb="event.update", obj=event, node_path=event.node.path,
          old={k: getattr(v, "pk", v) for k, v in old.items()}, new={k: getattr(v, "pk", v) for k, v in changes.items()})
    return event


@transaction.atomic
def session_add(*, actor, event: Event, title: str, starts_at: dt.datetime, ends_at: dt.datetime,
                total: int | None, waitlist: bool = True, offer_seconds: int | None = None,
                venue_note: str = "") -> EventSession:
    event = Event.objects.select_for_update().select_related("node").get(pk=event.pk)
    _ensure_event_staff(actor, event)
    errors = {}
    if not (title or "").strip():
        errors["title"] = [_("场次名称不能为空")]
    if not starts_at or not ends_at or ends_at <= starts_at:
        errors["ends_at"] = [_("结束时间应晚于开始时间")]
    if total is not None and (not isinstance(total, int) or total < 1):
        errors["total"] = [_("名额应为正整数")]
    if offer_seconds is not None and (not isinstance(offer_seconds, int) or offer_seconds < 60):
        errors["offer_seconds"] = [_("确认时限至少 1 分钟")]
    if event.status in (EventStatus.CANCELLED, EventStatus.CLOSED):
        errors["event"] = [_("活动已结束，不能添加场次")]
    if errors:
        raise ValidationError(errors)
    session = EventSession.objects.create(
        event=event, title=title.strip(), starts_at=starts_at, ends_at=ends_at, total=total, remaining=total,
        waitlist=waitlist, offer_seconds=offer_seconds, allocation=event.allocation, venue_note=venue_note,
        is_open=event.status == EventStatus.PUBLISHED)
    audit(actor=actor, verb="event.session_add", obj=event, node_path=event.node.path,
          new={"session": session.pk, "title": session.title, "total": total})
    return session


@transaction.atomic
def session_set_total(*, actor, session: EventSession, total: int) -> EventSession:
    """A new capacity; new places go to the waitlist first. Refused below the places held."""
    session = cap._lock_pool(SEATS, session.pk)
    event = Event.objects.select_related("node").get(pk=session.event_id)
    _ensure_event_staff(actor, event)
    if session.uses_sub_pools:
        raise ValidationError({"total": [_("已分配单位名额的场次不能修改总名额")]})
    old = session.total
    cap.pool_set_total(SEATS, pool=session, total=total)
    session.save(update_fields=["total", "remaining"])
    audit(actor=actor, verb="event.session_total", obj=event, node_path=event.node.path,
          old={"session": session.pk, "total": old}, new={"session": session.pk, "total": total})
    cap.promote_all(SEATS, pool=session)
    return session


@transaction.atomic
def share_set(*, actor, session: EventSession, union: UnionNode, slots: int,
              release_at: dt.datetime | None = None) -> SeatShare:
    """Keeps `slots` places of a session for a sub-union of the organiser until `release_at` (then the
    periodic job gives its unused places to the open places); the rest are the open places (the share
    keyed by the event's own node). Also while registration is open: the places a share gains come from
    the open places still free (never from a seat already given), the places it gives up go back to
    them (and to the waitlist), and a share never drops below the seats its union holds from it."""
    session = cap._lock_pool(SEATS, session.pk)
    event = Event.objects.select_related("node").get(pk=session.event_id)
    _ensure_event_staff(actor, event)
    if session.total is None:
        raise ValidationError({"slots": [_("不限名额的场次不能分配单位名额")]})
    if not union.path.startswith(event.node.path) or union.pk == event.node_id:
        raise ValidationError({"union": [_("只能为主办工会的下级工会分配名额")]})
    if not isinstance(slots, int) or slots < 0:
        raise ValidationError({"slots": [_("%(unit)s：名额应为非负整数") % {"unit": union.name}]})
    if session.ends_at <= timezone.now():
        raise ValidationError({"slots": [_("该场次已结束")]})
    if not session.uses_sub_pools:
        # The first share: every place is an open place, and the seats already given hold open places.
        cap.sub_pool_set(SEATS, pool=session, key=event.node_id, slots=session.total,
                         used_before=session.total - session.remaining, label=event.node.name)
        Registration.objects.filter(session=session, share_union__isnull=True,
                                    status__in=[x.value for x in LIVE]).update(share_union_id=event.node_id)
        session.uses_sub_pools = True
    row = SeatShare.objects.select_for_update().filter(session=session, union=union).first()
    open_share = SeatShare.objects.select_for_update().get(session=session, union_id=event.node_id)
    old = row.slots if row else None
    gain = slots - (old or 0)
    if gain > open_share.remaining:
        raise ValidationError({"slots": [
            _("%(unit)s：公共名额只剩 %(free)s 个空位，最多还能增加 %(free)s 个名额（已报名的名额不会被占用）")
            % {"unit": union.name, "free": open_share.remaining}]})
    # Whichever share shrinks goes first, so the shares never add up to more than the total.
    if gain > 0:
        cap.sub_pool_set(SEATS, pool=session, key=event.node_id, slots=open_share.slots - gain, label=event.node.name)
    row, old = cap.sub_pool_set(SEATS, pool=session, key=union.pk, slots=slots, label=union.name)
    if gain < 0:
        cap.sub_pool_set(SEATS, pool=session, key=event.node_id, slots=open_share.slots - gain, label=event.node.name)
    row.release_at = release_at
    row.released_at = None  # set again: kept again until its (new) release date
    row.save(update_fields=["release_at", "released_at"])
    audit(actor=actor, verb="event.share_set", obj=event, node_path=event.node.path,
          old={"session": session.pk, "union": union.pk, "slots": old} if old is not None else None,
          new={"session": session.pk, "union": union.pk, "slots": slots,
               "release_at": release_at.isoformat() if release_at else None})
    # Places now kept for the union's waiting members, or given back to the open places: served in order.
    cap.promote_all(SEATS, pool=session)
    return row


def shares_release_due(*, now=None) -> int:
    """Periodic: a sub-union's unused places go to the open places once its release date passed, and to
    the waitlist. Idempotent (released_at)."""
    now = now or timezone.now()
    n = 0
    due = list(SeatShare.objects.filter(release_at__lte=now, released_at__isnull=True)
               .exclude(union_id=F("session__event__node_id")).values_list("pk", "session_id"))
    for share_id, session_id in due:
        with transaction.atomic():
            session = cap._lock_pool(SEATS, session_id)
            share = SeatShare.objects.select_for_update().get(pk=share_id)
            if share.released_at is not None:
                continue
            event = Event.objects.select_related("node").get(pk=session.event_id)
            free = share.remaining
            SeatShare.objects.filter(pk=share.pk).update(slots=F("slots") - free, remaining=0, released_at=now)
            SeatShare.objects.filter(session=session, union=event.node).update(
                slots=F("slots") + free, remaining=F("remaining") + free)
            audit(actor=None, verb="event.share_release", obj=event, node_path=event.node.path,
                  new={"session": session.pk, "union": share.union_id, "released": free})
            cap.promote_all(SEATS, pool=session)
            n += 1
    return n


def _set_status(actor, event: Event, frm: tuple, to: str, verb: str) -> Event:
    event = Event.objects.select_for_update().select_related("node").get(pk=event.pk)
    _ensure_event_staff(actor, event)
    if event.status not in frm:
        raise ValidationError({"status": [_("当前状态不能执行此操作")]})
    old = event.status
    event.status = to
    event.save(update_fields=["status", "updated_at"])
    audit(actor=actor, verb=verb, obj=event, node_path=event.node.path, old={"status": old}, new={"status": to})
    return event


@transaction.atomic
def event_publish(*, actor, event: Event) -> Event:
    if not event.sessions.exists():
        raise ValidationError({"sessions": [_("请先添加至少一个场次")]})
    event = _set_status(actor, event, (EventStatus.DRAFT,), EventStatus.PUBLISHED, "event.publish")
    # Lock order: every session row (the pools), ascending.
    for s in EventSession.objects.select_for_update().filter(event=event).order_by("pk"):
        s.is_open = True
        s.save(update_fields=["is_open"])
    return event


@transaction.atomic
def event_close(*, actor, event: Event) -> Event:
    """Registration ends for good (the event took place); seats keep their state for attendance."""
    event = _set_status(actor, event, (EventStatus.PUBLISHED,), EventStatus.CLOSED, "event.close")
    EventSession.objects.filter(event=event).update(is_open=False)
    return event


@transaction.atomic
def event_cancel(*, actor, event: Event, reason: str) -> Event:
    """Cancels the event: every live seat ends with the reason and its holder is told."""
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("请填写取消原因")]})
    event = _set_status(actor, event, (EventStatus.DRAFT, EventStatus.PUBLISHED), EventStatus.CANCELLED,
                        "event.cancel")
    sessions = list(EventSession.objects.select_for_update().filter(event=event).order_by("pk"))
    EventSession.objects.filter(event=event).update(is_open=False, waitlist=False)
    for s in sessions:
        s.waitlist = False  # nobody is promoted into a cancelled event
        for reg in Registration.objects.select_for_update(of=("self",)).select_related("person").filter(
                session=s, status__in=[x.value for x in LIVE]).order_by("pk"):
            cap.release(SEATS, pool=s, entry=reg, reason=reason)
            if reg.seq == 0:
                notify(event="event.cancelled", key=f"event:{event.pk}:cancelled:{reg.person_id}",
                       person=reg.person, title=_("活动取消：%(title)s") % {"title": event.title}, body=reason,
                       link=_link("activities_portal:registration", reg.pk), node_path=event.node.path)
    return event


# --- invitations ----------------------------------------------------------------------------------------


@transaction.atomic
def invitations_add(*, actor, event: Event, people: list[Person]) -> int:
    """Invites members (compulsory events admit the invited only). Each must be a member in the actor's
    subtree and in the event's audience. Returns how many were new."""
    event = Event.objects.select_related("node").get(pk=event.pk)
    _ensure_event_staff(actor, event)
    n = 0
    for person in people:
        m = active_membership(person)
        if m is None:
            raise ValidationError({"people": [_("%(name)s 不是在会会员") % {"name": person.name}]})
        ensure_path_in_scope(actor, m.union.path)
        if reason := audience_reason(event, person, m, inviting=True):
            raise ValidationError({"people": [_("%(name)s 不在本活动的参加范围：%(reason)s") % {
                "name": person.name, "reason": reason}]})
        _inv, created = Invitation.objects.get_or_create(event=event, person=person,
                                                      defaults={"union": m.union, "invited_by": actor})
        if created:
            n += 1
            notify(event="event.invited", key=f"event:{event.pk}:invited:{person.pk}", person=person,
                   title=_("活动邀请：%(title)s") % {"title": event.title},
                   body=_("您被邀请参加「%(title)s」，请在报名时间内报名。") % {"title": event.title},
                   link=_link("activities_portal:event", event.pk), node_path=m.union.path)
    audit(actor=actor, verb="event.invite", obj=event, node_path=event.node.path, new={"invited": n})
    return n


# --- eligibility ----------------------------------------------------------------------------------------


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def audience_reason(event: Event, person: Person, membership: Membership | None, *,
                    inviting: bool = False) -> str | None:
    """Why `person` is not in the event's audience (member-side rules only), or None. `inviting`: the
    question an invitation asks (every rule but "invited only")."""
    if membership is None or membership.status != MembershipStatus.ACTIVE:
        return _("需为在会会员")
    upath, npath = membership.union.path, event.node.path
    inside = upath.startswith(npath) or (event.include_ancestors and npath.startswith(upath))
    if not inside:
        return _("仅限%(node_name)s所属会员") % {"node_name": event.node.name}
    if event.invitation_only and not inviting and not Invitation.objects.filter(event=event, person_id=person.pk).exists():
        return _("本活动仅限受邀人员参加")
    if event.genders and person.gender not in event.genders:
        return _("仅限%(labels)s职工") % {"labels": "、".join(str(Gender(g).label) for g in event.genders)}
    if event.new_form_only and person.employment_form not in NEW_EMPLOYMENT_FORMS:
        return _("仅限新就业形态劳动者")
    if event.front_line_only and not person.front_line:
        return _("仅限一线职工")
    if event.model_workers_only and not facets.has(MODEL_WORKER, person.pk):
        return _("仅限劳动模范、先进工作者")
    if event.employment_forms and person.employment_form not in event.employment_forms:
        return _("仅限用工形式为%(labels)s的会员") % {
            "labels": "、".join(str(EmploymentForm(f).label) for f in event.employment_forms)}
    if event.age_min is not None or event.age_max is not None:
        age = _age(person.birth_date, timezone.localdate())
        if event.age_min is not None and age < event.age_min:
            return _("仅限 %(n)s 周岁及以上职工") % {"n": event.age_min}
        if event.age_max is not None and age > event.age_max:
            return _("仅限 %(n)s 周岁及以下职工") % {"n": event.age_max}
    return None


def window_reason(event: Event, *, now=None) -> str | None:
    now = now or timezone.now()
    if event.status != EventStatus.PUBLISHED:
        return _("活动未开放报名")
    if event.registration_opens_at and now < event.registration_opens_at:
        return _("报名将于 %(at)s 开始") % {"at": format(timezone.localtime(event.registration_opens_at), "%Y-%m-%d %H:%M")}
    if event.registration_closes_at and now >= event.registration_closes_at:
        return _("报名已截止")
    return None


# --- registration ---------------------------------------------------------------------------------------


def _share_keys(session: EventSession, event: Event, union_path: str) -> list[int | None]:
    """The shares a member's seat may come from, in order: their sub-union's (not yet released), then the
    open places. A session without shares: [None]."""
    if not session.uses_sub_pools:
        return [None]
    keys = []
    for union_id, path in (SeatShare.objects.filter(session=session, released_at__isnull=True)
                           .exclude(union_id=event.node_id).values_list("union_id", "union__path")):
        if union_path.startswith(path):
            keys.append((len(path), union_id))
    return [k for _l, k in sorted(keys, reverse=True)] + [event.node_id]


def _repr(event: Event, person: Person, seq: int = 0) -> str:
    return (f"{event.title} · {person.name}" + (f" +{seq}" if seq else ""))[:255]


# The registration's audit event as a CTE of the engine's one statement (reads the new seat from `ins`).
_AUDIT_SQL = """aud AS (
    INSERT INTO core_auditevent (at, actor_id, actor_label, verb, object_type, object_id, object_repr, node_path,
                                 node_id, new, ip)
    SELECT %(now)s, %(actor_id)s, %(actor_label)s, 'event.register', 'activities.registration', ins.id::text,
           %(repr)s, %(node_path)s, %(union)s, %(new)s::jsonb, %(ip)s
    FROM ins
    RETURNING 1
)"""


def _take_seat(*, actor, event, session, person, membership, seq, key, values, now) -> int:
    """One seat, first come (the engine's take). On PostgreSQL with the audit row in the same statement."""
    from huigong.core.request_context import current_ip

    union = membership.union
    new = {"session": session.pk, "person": person.pk, "seq": seq}

    def after(reg):
        audit(actor=actor, verb="event.register", obj=reg, object_repr=_repr(event, person, seq),
              node_path=union.path, node_id=union.pk, new=new)

    also, params = (), {}
    if connection.vendor == "postgresql":
        also = (_AUDIT_SQL,)
        params = {"now": now, "actor_id": actor.pk if getattr(actor, "pk", None) else None,
                  "actor_label": actor_label(actor), "repr": _repr(event, person, seq), "node_path": union.path,
                  "union": union.pk, "new": json.dumps(new), "ip": current_ip()}
    return cap.take(SEATS, pool=session, person_id=person.pk, sub_key=key, now=now, values=values, after=after,
                    also=also, also_params=params)


def _seat_values(*, actor, membership, seq, lead_id, companion_name, source, approval) -> dict:
    return {"membership_id": membership.pk, "union_id": membership.union_id, "seq": seq, "lead_id": lead_id,
            "companion_name": companion_name, "source": source, "approval": approval,
            "registered_by_id": actor.pk if getattr(actor, "pk", None) else None, "checked_in_at": None,
            "draw_rank": None, "offer_expires_at": None, "ended_at": None, "ticket": uuid.uuid4()}


def _clean_companions(event: Event, companions) -> list[str]:
    names = [(c or "").strip() for c in (companions or [])]
    if len(names) > event.max_companions:
        raise ValidationError({"companions": [
            _("每人最多可带 %(n)s 名随行人员") % {"n": event.max_companions}]})
    for n in names:
        if not n or len(n) > 50:
            raise ValidationError({"companions": [_("请填写随行人员姓名（不超过 50 字）")]})
    return names


def register(*, actor, session: EventSession | int, person: Person, companions: list[str] | None = None,
             source: str | None = None, membership: Membership | None = None) -> Registration:
    """A worker's seat at a session, with their companions' seats: first come (granted, or queued on the
    waitlist when full), or as an entrant of a lottery. Returns the worker's own seat.

    Raises SessionFull (名额已满) when no place is left and the session keeps no waitlist. Not one outer
    transaction on the single-seat first-come path: the engine's statement is its own transaction."""
    session_id = session if isinstance(session, int) else session.pk
    session = EventSession.objects.select_related("event__node").filter(pk=session_id).first()
    if session is None:
        raise ValidationError({"session": [_("场次不存在")]})
    event = session.event
    if (session.allocation == Allocation.FIRST_COME and not session.waitlist and session.total is not None
            and session.remaining is not None and session.remaining <= 0 and worker_person_id(actor) == person.pk):
        # A worker in the rush for a full session: the answer is 名额已满 without reading anything else (the
        # row was read just now; places come back only through a cancellation, which the next read sees).
        raise SessionFull()
    membership = membership or active_membership(person)
    who = _ensure_acts_for(actor, person.pk, membership.union.path if membership else event.node.path)
    reason = audience_reason(event, person, membership)
    if reason is None and (who == "worker" or event.status != EventStatus.PUBLISHED):
        reason = window_reason(event)
    if reason:
        raise ValidationError({"session": [reason]})
    if session.ends_at <= timezone.now():
        raise ValidationError({"session": [_("该场次已结束")]})
    names = _clean_companions(event, companions)
    source = Source.PORTAL if who == "worker" else (source or Source.STAFF)
    approval = Approval.PENDING if event.requires_approval else Approval.NONE
    if session.allocation == Allocation.RANKED:
        raise ValidationError({"session": [_("本活动按志愿分配，请填报志愿")]})
    if session.allocation == Allocation.LOTTERY:
        return _enter(actor, event, session, person, membership, source, approval, names)
    if not names:
        reg = _first_come_one(actor, event, session, person, membership, source, approval)
    else:
        reg = retry_on_deadlock(_first_come_group, actor=actor, event=event, session=session, person=person,
                                membership=membership, names=names, source=source, approval=approval)
    if approval == Approval.PENDING:
        _approval_open(reg, event)
    return reg


def _first_come_one(actor, event, session, person, membership, source, approval) -> Registration:
    now = timezone.now()
    values = _seat_values(actor=actor, membership=membership, seq=0, lead_id=None, companion_name="",
                          source=source, approval=approval)
    keys = _share_keys(session, event, membership.union.path)
    try:
        return _first_come_keys(actor, event, session, person, membership, values, keys, now)
    except cap.SubPoolsChanged:
        # Shares were kept for sub-unions since the session was read: read it again, pick the share.
        session.refresh_from_db()
        keys = _share_keys(session, event, membership.union.path)
        return _first_come_keys(actor, event, session, person, membership, values, keys, now)


def _first_come_keys(actor, event, session, person, membership, values, keys, now) -> Registration:
    for key in keys:
        try:
            if session.total is not None and session.remaining is not None and session.remaining <= 0 \
                    and not session.waitlist:
                raise cap.Full()
            pk = _take_seat(actor=actor, event=event, session=session, person=person, membership=membership,
                            seq=0, key=key, values=values, now=now)
            # The row as the statement wrote it, without reading it back (the rush's hot path).
            reg = Registration(pk=pk, session=session, person=person, membership=membership, union=membership.union,
                               share_union_id=key if session.uses_sub_pools else None, status=EntryStatus.GRANTED,
                               created_at=now, granted_at=now, end_reason="",
                               **{k: v for k, v in values.items() if k not in ("membership_id", "union_id")})
            reg._state.adding, reg._state.db = False, "default"
            return reg
        except cap.Already:
            raise ValidationError({"session": [ALREADY_MESSAGE]}) from None
        except cap.SubPoolsChanged:
            raise
        except cap.Full:
            continue
    return _queue(actor, event, session, person, membership, [""], values, keys[0])


@transaction.atomic
def _first_come_group(*, actor, event, session, person, membership, names, source, approval) -> Registration:
    """The worker's seat and their companions' seats, all taken or none (then all queued, in order)."""
    cap._lock_pool(SEATS, session.pk)  # the engine's lock order: the session row first
    session.refresh_from_db()
    now = timezone.now()
    keys = _share_keys(session, event, membership.union.path)
    seats = [""] + names
    for key in keys:
        sid = transaction.savepoint()
        try:
            lead_id = None
            for seq, name in enumerate(seats):
                values = _seat_values(actor=actor, membership=membership, seq=seq, lead_id=lead_id,
                                      companion_name=name, source=source, approval=approval)
                pk = _take_seat(actor=actor, event=event, session=session, person=person, membership=membership,
                                seq=seq, key=key, values=values, now=now)
                lead_id = lead_id or pk
            transaction.savepoint_commit(sid)
            return Registration.objects.get(pk=lead_id)
        except cap.Already:
            transaction.savepoint_rollback(sid)
            raise ValidationError({"session": [ALREADY_MESSAGE]}) from None
        except cap.Full:
            transaction.savepoint_rollback(sid)
            continue
    values = _seat_values(actor=actor, membership=membership, seq=0, lead_id=None, companion_name="",
                          source=source, approval=approval)
    return _queue(actor, event, session, person, membership, seats, values, keys[0])


def _queue(actor, event, session, person, membership, seats, values, key) -> Registration:
    """The worker's seat and their companions' on the waitlist, as one group: queued in one transaction
    (the engine's), promoted together when there are places for all of them (see cap.promote)."""
    if not session.waitlist:
        raise SessionFull()

    def after(reg):
        audit(actor=actor, verb="event.waitlist", obj=reg, object_repr=_repr(event, person, reg.seq),
              node_path=membership.union.path, new={"session": session.pk, "person": person.pk, "seq": reg.seq})

    members = [{**values, "seq": seq, "lead_id": None, "companion_name": name, "ticket": uuid.uuid4()}
               for seq, name in enumerate(seats) if seq]
    try:
        return cap.enqueue(SEATS, pool=session, person_id=person.pk, sub_key=key, values=values, after=after,
                           members=members)
    except cap.Already:
        raise ValidationError({"session": [ALREADY_MESSAGE]}) from None


def _enter(actor, event, session, person, membership, source, approval, names=()) -> Registration:
    """An entrant of a lottery session: the worker's seat and their companions' (one entrant, drawn whole)."""
    values = _seat_values(actor=actor, membership=membership, seq=0, lead_id=None, companion_name="",
                          source=source, approval=approval)
    members = [{**values, "seq": seq, "lead_id": None, "companion_name": name, "ticket": uuid.uuid4()}
               for seq, name in enumerate(names, 1)]
    with transaction.atomic():
        # The session row read under its lock: a share kept meanwhile names this entrant's unit.
        session = cap._lock_pool(SEATS, session.pk)
        keys = _share_keys(session, event, membership.union.path)
        try:
            reg = cap.enter(SEATS, pool=session, person_id=person.pk, sub_key=keys[0], values=values, members=members)
        except cap.Already:
            raise ValidationError({"session": [ALREADY_MESSAGE]}) from None
        audit(actor=actor, verb="event.enter", obj=reg, object_repr=_repr(event, person),
              node_path=membership.union.path,
              new={"session": session.pk, "person": person.pk, "companions": len(members)})
    return reg


def _seats_of(lead: Registration) -> list[Registration]:
    """A worker's seat and their companions' seats (a companion's seat alone when given one)."""
    if lead.seq != 0:
        return [lead]
    return [lead, *Registration.objects.filter(lead=lead).order_by("seq")]


def registration_cancel(*, actor, registration: Registration, reason: str = "") -> Registration:
    """Self-removal (from a place or from the waitlist) or cancellation by staff. A worker's own seat takes
    their companions' seats with it; a companion's seat alone can be given up too. Each place held goes
    back to its share and the session and to the next in line, in this transaction."""
    return retry_on_deadlock(_cancel, actor=actor, registration=registration, reason=reason)


@transaction.atomic
def _cancel(*, actor, registration: Registration, reason: str = "") -> Registration:
    session, reg = cap.lock_entry(SEATS, registration.pk)
    reg = Registration.objects.select_related("person", "union", "session__event__node").get(pk=reg.pk)
    event = reg.session.event
    who = _ensure_acts_for(actor, reg.person_id, reg.union.path)
    if reg.status not in [s.value for s in LIVE]:
        raise ValidationError({"registration": [_("该报名已结束")]})
    if event.status == EventStatus.CLOSED or reg.session.ends_at <= timezone.now():
        raise ValidationError({"registration": [_("活动已结束，不能取消")]})
    reason = (reason or "").strip() or (_("本人取消") if who == "worker" else _("工会取消"))
    # The seats read under their locks (the session row is held: nothing moves them meanwhile), ended
    # together, their places given back together, then the waitlist served once.
    seats = list(Registration.objects.select_for_update(of=("self",)).filter(
        pk__in=[s.pk for s in _seats_of(reg)], status__in=[x.value for x in LIVE]).order_by("pk"))
    for r, was in zip(seats, cap.release_many(SEATS, pool=session, entries=seats, reason=reason), strict=True):
        audit(actor=actor, verb="event.cancel_registration", obj=r, object_repr=_repr(event, reg.person, r.seq),
              node_path=reg.union.path, old={"status": was}, new={"status": EntryStatus.CANCELLED, "reason": reason})
    if who == "staff" and reg.seq == 0:
        notify(event="event.registration", key=f"reg:{reg.pk}:cancelled", person=reg.person,
               title=_("报名已取消：%(title)s") % {"title": event.title}, body=reason,
               link=_link("activities_portal:registration", reg.pk), node_path=reg.union.path)
    reg.refresh_from_db()
    return reg


def _owned(actor, registration: Registration) -> Registration:
    reg = Registration.objects.select_related("union", "person", "session__event").get(pk=registration.pk)
    _ensure_acts_for(actor, reg.person_id, reg.union.path)
    return reg


def offer_accept(*, actor, registration: Registration) -> Registration:
    """Claims an offered place within its window (the engine refuses a late claim and moves the place on)."""
    reg = _owned(actor, registration)
    reg = cap.offer_accept(SEATS, entry_id=reg.pk)
    with transaction.atomic():
        audit(actor=actor, verb="event.offer_accept", obj=reg, node_path=registration.union.path,
              old={"status": EntryStatus.OFFERED}, new={"status": EntryStatus.GRANTED})
    return reg


def offer_decline(*, actor, registration: Registration) -> Registration:
    reg = _owned(actor, registration)
    with transaction.atomic():
        reg = cap.offer_decline(SEATS, entry_id=reg.pk, reason=_("本人放弃"))
        audit(actor=actor, verb="event.offer_decline", obj=reg, node_path=registration.union.path,
              old={"status": EntryStatus.OFFERED}, new={"status": EntryStatus.DECLINED})
    return reg


@transaction.atomic
def no_shows_mark(*, actor, session: EventSession) -> int:
    """After a session ended: granted seats nobody checked in become no-shows (the place stays used)."""
    session = cap._lock_pool(SEATS, session.pk)
    event = Event.objects.select_related("node").get(pk=session.event_id)
    _ensure_event_staff(actor, event)
    if session.ends_at > timezone.now():
        raise ValidationError({"session": [_("场次结束后才能登记未到场")]})
    regs = list(Registration.objects.select_for_update(of=("self",)).filter(
        session=session, status=EntryStatus.GRANTED, checked_in_at__isnull=True))
    now = timezone.now()
    Registration.objects.filter(pk__in=[r.pk for r in regs]).update(
        status=EntryStatus.NO_SHOW, ended_at=now, end_reason=_("未签到"))
    audit(actor=actor, verb="event.no_shows", obj=event, node_path=event.node.path,
          new={"session": session.pk, "no_shows": len(regs)})
    return len(regs)


# --- lottery and ranked choice ------------------------------------------------------------------------


def session_draw(*, actor, session: EventSession, seed: str | None = None):
    """Draws a lottery session (the engine's published, verifiable draw) and tells every entrant."""
    event = Event.objects.select_related("node").get(pk=session.event_id)
    _ensure_event_staff(actor, event)
    if session.allocation != Allocation.LOTTERY:
        raise ValidationError({"session": [_("该场次不是抽签分配")]})
    with transaction.atomic():
        record = cap.draw(SEATS, actor=actor, pool=session, seed=seed, node_path=event.node.path)
        regs = Registration.objects.select_related("person", "union").filter(pk__in=[r[0] for r in record.result])
        for reg in regs:
            _tell(reg, event, reg.status)
    return record


def ballot_cast(*, actor, event: Event, person: Person, session_ids: list[int], companions: list[str] | None = None):
    """A worker's ranked choices among an event's sessions (ranked-choice events), for themself and their
    companions: the group is placed whole in one session (the first of its choices with room for all)."""
    membership = active_membership(person)
    _ensure_acts_for(actor, person.pk, membership.union.path if membership else event.node.path)
    if event.allocation != Allocation.RANKED:
        raise ValidationError({"choices": [_("本活动不按志愿分配")]})
    reason = audience_reason(event, person, membership) or window_reason(event)
    if reason:
        raise ValidationError({"choices": [reason]})
    valid = set(event.sessions.values_list("pk", flat=True))
    ids = [int(s) for s in session_ids]
    if not ids or any(s not in valid for s in ids):
        raise ValidationError({"choices": [_("请从本活动的场次中选择")]})
    names = _clean_companions(event, companions)
    with transaction.atomic():
        ballot = cap.ballot_cast(group=f"activities.event:{event.pk}", person_id=person.pk, pool_ids=ids,
                                 size=1 + len(names), extra={"companions": names} if names else {})
        audit(actor=actor, verb="event.ballot", obj=event, node_path=membership.union.path,
              new={"person": person.pk, "choices": ids, "companions": len(names)})
    return ballot


def event_ranked_draw(*, actor, event: Event, seed: str | None = None):
    """Allocates a ranked-choice event: serial dictatorship over the seeded order (the engine's)."""
    event = Event.objects.select_related("node").get(pk=event.pk)
    _ensure_event_staff(actor, event)
    if event.allocation != Allocation.RANKED:
        raise ValidationError({"event": [_("本活动不按志愿分配")]})
    sessions = list(event.sessions.all())
    memberships: dict[int, Membership] = {}

    def values(person_id, pool):
        m = memberships.get(person_id)
        if m is None:
            m = memberships[person_id] = Membership.objects.filter(
                person_id=person_id, status=MembershipStatus.ACTIVE).first()
        return {"membership_id": m.pk if m else None, "union_id": m.union_id if m else event.node_id, "seq": 0,
                "source": Source.PORTAL,
                "approval": Approval.PENDING if event.requires_approval else Approval.NONE}

    def members(person_id, pool, ballot):
        lead = values(person_id, pool)
        return [{**lead, "seq": seq, "companion_name": name, "ticket": uuid.uuid4()}
                for seq, name in enumerate(ballot.extra.get("companions", []), 1)]

    with transaction.atomic():
        record = cap.ranked_draw(SEATS, actor=actor, group=f"activities.event:{event.pk}", pools=sessions,
                                 seed=seed, values=values, members=members, node_path=event.node.path)
        for reg in Registration.objects.select_related("person", "union").filter(session__event=event,
                                                                                 status=EntryStatus.GRANTED):
            if reg.approval == Approval.PENDING and reg.seq == 0:
                _approval_open(reg, event)
            _tell(reg, event, reg.status)
    return record


# --- approval by the worker's own union ------------------------------------------------------------------


def _approval_open(reg: Registration, event: Event) -> None:
    from huigong.core.approvals import services as approvals

    from .models import RegistrationApproval

    if RegistrationApproval.objects.filter(registration=reg).exists():
        return
    with transaction.atomic():
        approvals.steps_create(model=RegistrationApproval, owner={"registration": reg}, round=1,
                               pairs=[("own", reg.union)])


def approval_chain(reg: Registration):
    from huigong.core.approvals import services as approvals

    from .models import RegistrationApproval

    step = RegistrationApproval.objects.filter(registration=reg).select_related("node").order_by("-round").first()
    node = step.node if step else reg.union
    parties = {reg.registered_by_id} if reg.registered_by_id else set()
    return approvals.chains_resolve([approvals.ChainRequest(subject=reg, pairs=[("own", node, step)],
                                                            parties=parties, submitted=step is not None,
                                                            current_seq=0 if step else None)], capability=CAP)[0]


def registration_decide(*, actor, registration: Registration, decision: str, comment: str = "",
                        acting_reason: str = "") -> Registration:
    """The worker's own union approves or rejects a registration (events that require it), on the
    kernel's approval chain (one step at the member's union; the union above acts for it when nobody can).
    Approved: the seat (and its companions') stands. Rejected: they are cancelled and the place moves on."""
    from huigong.core.approvals import services as approvals
    from huigong.core.approvals.models import ApprovalDecision

    from .models import RegistrationApproval

    with transaction.atomic():
        session, reg = cap.lock_entry(SEATS, registration.pk)
        reg = Registration.objects.select_related("person", "union", "session__event__node").get(pk=reg.pk)
        require(actor, CAP)
        ensure_path_in_scope(actor, reg.union.path)
        if reg.approval != Approval.PENDING or reg.status not in [s.value for s in LIVE]:
            raise ValidationError({"registration": [_("该报名无需审核或已审核")]})
        if decision == ApprovalDecision.RETURNED:
            raise ValidationError({"decision": [_("报名审核只能同意或不同意")]})
        _approval_open(reg, reg.session.event)
        chain = approval_chain(reg)
        step = RegistrationApproval.objects.select_for_update().select_related("node").get(
            pk=chain.steps[0].step.pk)
        done = approvals.step_decide(actor=actor, chain=chain, step=step, decision=decision, capability=CAP,
                                     comment=comment, acting_reason=acting_reason)
        event = reg.session.event
        seats = _seats_of(reg)
        if decision == ApprovalDecision.APPROVED:
            Registration.objects.filter(pk__in=[s.pk for s in seats]).update(approval=Approval.APPROVED)
        else:
            Registration.objects.filter(pk__in=[s.pk for s in seats]).update(approval=Approval.REJECTED)
            live = list(Registration.objects.select_for_update(of=("self",)).filter(
                pk__in=[s.pk for s in seats], status__in=[x.value for x in LIVE]).order_by("pk"))
            if live:
                cap.release_many(SEATS, pool=session, entries=live,
                                 reason=_("所在工会审核未通过：%(c)s") % {"c": comment})
        audit(actor=actor, verb="event.approval", obj=reg, object_repr=_repr(event, reg.person),
              node_path=reg.union.path, old={"approval": Approval.PENDING},
              new={"approval": Approval.APPROVED if decision == ApprovalDecision.APPROVED else Approval.REJECTED,
                   **done.audit_fields})
        ok = decision == ApprovalDecision.APPROVED
        notify(event="event.registration", key=f"reg:{reg.pk}:approval:{decision}", person=reg.person,
               title=(_("报名审核通过：%(title)s") if ok else _("报名审核未通过：%(title)s")) % {"title": event.title},
               body=comment, link=_link("activities_portal:registration", reg.pk), node_path=reg.union.path)
    reg.refresh_from_db()
    return reg


# --- what the engine decides alone -------------------------------------------------------------------------


def _tell(reg: Registration, event: Event, status: str, reason: str = "") -> None:
    """The worker hears of a decision the engine or a draw made about their own seat (companions' seats
    ride along with the worker's message)."""
    if reg.seq != 0:
        return
    title = {
        EntryStatus.GRANTED: _("报名成功：%(title)s"),
        EntryStatus.OFFERED: _("候补名额待确认：%(title)s"),
        EntryStatus.WAITING: _("已进入候补：%(title)s"),
        EntryStatus.LOST: _("未中签：%(title)s"),
        EntryStatus.EXPIRED: _("候补名额已逾期：%(title)s"),
        EntryStatus.CANCELLED: _("报名已取消：%(title)s"),
    }.get(status)
    if title is None:
        return
    body = reason
    if status == EntryStatus.OFFERED and reg.offer_expires_at:
        body = _("请在 %(at)s 前确认，逾期名额将让给下一位。") % {
            "at": format(timezone.localtime(reg.offer_expires_at), "%Y-%m-%d %H:%M")}
    notify(event="event.registration", key=f"reg:{reg.pk}:{status}:{reg.offer_expires_at or ''}", person=reg.person,
           title=title % {"title": event.title}, body=body, link=_link("activities_portal:registration", reg.pk),
           node_path=reg.union.path)


def _promotion_check(session: EventSession, reg: Registration) -> str | None:
    event = Event.objects.select_related("node").get(pk=session.event_id)
    reason = audience_reason(event, reg.person, active_membership(reg.person))
    return f"候补递补时不再符合条件：{reason}"[:255] if reason else None


def _promotion_sub_key(session: EventSession, reg: Registration):
    event = Event.objects.select_related("node").get(pk=session.event_id)
    return _share_keys(session, event, reg.union.path)[-1]


def _promotion_sub_keys(session: EventSession, reg: Registration) -> list:
    """The shares a waiting seat may be promoted from now, as a new registration would take them: its
    sub-union's share while kept (not released), then the open places."""
    event = Event.objects.select_related("node").get(pk=session.event_id)
    return _share_keys(session, event, reg.union.path)


def _engine_changed(session: EventSession, reg: Registration, old_status: str, reason: str) -> None:
    event = Event.objects.select_related("node").get(pk=session.event_id)
    reg = Registration.objects.select_related("person", "union").get(pk=reg.pk)
    audit(actor=None, verb="event.engine", obj=reg, object_repr=_repr(event, reg.person, reg.seq),
          node_path=reg.union.path, old={"status": old_status}, new={"status": reg.status, "reason": reason})
    _tell(reg, event, reg.status, reason)


def register_capacity_hooks() -> None:
    cap.register(SEATS, check=_promotion_check, sub_key=_promotion_sub_key, changed=_engine_changed,
                 sub_keys=_promotion_sub_keys)


# --- staff registration by list ------------------------------------------------------------------------------


def registrations_import(*, actor, session: EventSession, rows: list[dict]) -> dict:
    """Registers the members of a list (rows: {"row", "id_number", "companions": [names]}) by staff. The
    whole list is checked first (each refusal named by row); nothing is registered when any row fails."""
    from huigong.core.crypto import blind_index
    from huigong.core.idnumber import normalize as id_normalize

    event = Event.objects.select_related("node").get(pk=session.event_id)
    _ensure_event_staff(actor, event)
    errors, people = [], []
    for row in rows:
        number = id_normalize(str(row.get("id_number") or ""))
        person = Person.objects.filter(id_number_hash=blind_index(number, "id")).first() if number else None
        if person is None:
            errors.append(_("第 %(row)s 行：身份证号未找到会员") % {"row": row["row"]})
            continue
        m = active_membership(person)
        if m is None or not m.union.path.startswith(staff_of(actor).node.path):
            errors.append(_("第 %(row)s 行：不是您管辖范围内的在会会员") % {"row": row["row"]})
            continue
        reason = audience_reason(event, person, m)
        if reason:
            errors.append(_("第 %(row)s 行：%(reason)s") % {"row": row["row"], "reason": reason})
            continue
        people.append((row, person, m))
    if errors:
        raise ValidationError({"file": errors})
    out = {"granted": 0, "waiting": 0, "entered": 0}
    with transaction.atomic():
        for row, person, m in people:
            try:
                reg = register(actor=actor, session=session, person=person, companions=row.get("companions") or [],
                               source=Source.IMPORT, membership=m)
            except ValidationError as exc:
                raise ValidationError({"file": [_("第 %(row)s 行：%(reason)s") % {
                    "row": row["row"], "reason": "；".join(exc.messages)}]}) from None
            out[reg.status] = out.get(reg.status, 0) + 1
        audit(actor=actor, verb="event.import", obj=event, node_path=event.node.path,
              new={"session": session.pk, **out})
    return out


def staff_may_see(actor, reg: Registration) -> bool:
    try:
        ensure_path_in_scope(actor, reg.union.path)
        return True
    except (OutOfScope, PermissionDenied):
        return False


__all__ = [
    "HOLDING",
    "Q",
    "event_create",
    "offer_accept",
    "offer_decline",
    "register",
    "registration_cancel",
    "session_add",
]
