"""API routes for events, registrations and contests (mounted under /api/v1/ as apps.py declares them).

Registrations are where a worker calls the API: POST /event-registrations, GET /event-registrations and a
registration's cancel / accept / decline accept a signed-in worker's portal session (CSRF header
required) as well as staff tokens and sessions; a worker always acts for themself."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status
from ninja.security import SessionAuth

from huigong.api.auth import StaffSessionAuth, TokenAuth, actor_of
from huigong.api.schemas import MAX_ID, Id, Input, PageQuery, Ref, page_of, paginate, ref, responses
from huigong.core.capacity.models import Allocation, EntryStatus
from huigong.members.models import EmploymentForm, Gender, Person
from huigong.members.selectors import person_get_for_actor
from huigong.orgs import selectors as org_selectors

from . import selectors, services, services_contest
from .models import Approval, Event, EventKind, EventSession, EventStatus, Registration, Source
from .models_contest import Attempt, Contest, ContestRound, Phase

events_router = Router()
registrations_router = Router()
contests_router = Router()


class EventWorkerSessionAuth(SessionAuth):
    """A signed-in worker's portal session (a user with a WorkerAccount linked to a member); None for
    anyone else, so staff sessions fall through to StaffSessionAuth."""

    def __call__(self, request: HttpRequest):
        if services.worker_person_id(getattr(request, "user", None)) is None:
            return None
        return super().__call__(request)  # CSRF for unsafe methods

    def authenticate(self, request: HttpRequest, key):
        return request.user

    def __init__(self):
        super().__init__()
        del self.openapi_security_schema  # the staff session's cookie scheme, already listed


WORKER_OR_STAFF = [TokenAuth(), EventWorkerSessionAuth(), StaffSessionAuth()]


# --- schemas --------------------------------------------------------------------------------------------


class SessionOut(Schema):
    id: int
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    total: int | None
    remaining: int | None
    waitlist: bool
    offer_seconds: int | None
    allocation: Allocation
    is_open: bool


class EventOut(Schema):
    id: int
    node: Ref
    kind: EventKind
    kind_label: str
    title: str
    description: str
    venue: str
    status: EventStatus
    status_label: str
    registration_opens_at: dt.datetime | None
    registration_closes_at: dt.datetime | None
    allocation: Allocation
    requires_approval: bool
    max_companions: int
    sessions: list[SessionOut]

    @staticmethod
    def resolve_node(obj: Event) -> dict:
        return ref(obj.node)

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_sessions(obj: Event) -> list:
        return list(obj.sessions.all())


EventPage = page_of(EventOut, "EventPage")


class EventIn(Input):
    node_id: Id
    kind: EventKind
    title: str = Field(..., min_length=1, max_length=120)
    description: str = Field("", max_length=5000)
    site_id: Id | None = None
    address: str = Field("", max_length=255)
    registration_opens_at: dt.datetime | None = None
    registration_closes_at: dt.datetime | None = None
    allocation: Allocation = Allocation.FIRST_COME
    requires_approval: bool = False
    max_companions: int = Field(0, ge=0, le=10)
    include_ancestors: bool = False
    invitation_only: bool = False
    genders: list[Gender] = []
    employment_forms: list[EmploymentForm] = []
    new_form_only: bool = False
    model_workers_only: bool = False
    front_line_only: bool = False
    age_min: int | None = Field(None, ge=16, le=100)
    age_max: int | None = Field(None, ge=16, le=100)


class EventFilters(Input):
    kind: EventKind | None = None
    status: EventStatus | None = None


class SessionIn(Input):
    title: str = Field(..., min_length=1, max_length=120)
    starts_at: dt.datetime
    ends_at: dt.datetime
    total: int | None = Field(None, ge=1, le=1_000_000)
    waitlist: bool = True
    offer_seconds: int | None = Field(None, ge=60, le=7 * 24 * 3600)
    venue_note: str = Field("", max_length=255)


class ShareIn(Input):
    union_id: Id
    slots: int = Field(..., ge=0, le=1_000_000)
    release_at: dt.datetime | None = None


class ReasonIn(Input):
    reason: str = Field("", max_length=255)


class EventDrawIn(Input):
    seed: str | None = Field(None, max_length=128)


class EventDrawOut(Schema):
    id: int
    seed: str
    entrants_hash: str
    entrants: int
    problems: list[str]

    @staticmethod
    def resolve_entrants(obj) -> int:
        return len(obj.entrants)

    @staticmethod
    def resolve_problems(obj) -> list[str]:
        from huigong.core.capacity import services as cap

        from .places import SEATS

        return cap.draw_verify(obj, SEATS if obj.kind == Allocation.LOTTERY else None)


class InviteIn(Input):
    person_ids: list[Id] = Field(..., min_length=1, max_length=1000)


class CountOut(Schema):
    count: int


class RegistrationOut(Schema):
    id: int
    event: Ref
    session: Ref
    person_id: int
    person_name: str
    seq: int
    lead_id: int | None
    companion_name: str
    union: Ref
    status: EntryStatus
    status_label: str
    approval: str
    source: Source
    waitlist_position: int | None
    created_at: dt.datetime
    granted_at: dt.datetime | None
    offer_expires_at: dt.datetime | None
    checked_in_at: dt.datetime | None
    end_reason: str

    @staticmethod
    def resolve_event(obj: Registration) -> dict:
        return {"id": obj.session.event_id, "name": obj.session.event.title}

    @staticmethod
    def resolve_session(obj: Registration) -> dict:
        return {"id": obj.session_id, "name": obj.session.title}

    @staticmethod
    def resolve_person_name(obj: Registration) -> str:
        return obj.person.name

    @staticmethod
    def resolve_union(obj: Registration) -> dict:
        return ref(obj.union)

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_waitlist_position(obj) -> int | None:
        return getattr(obj, "_position", None)


RegistrationPage = page_of(RegistrationOut, "EventRegistrationPage")


class RegistrationIn(Input):
    session_id: Id
    person_id: Id | None = Field(None, description=gettext_lazy("职工为本人报名时省略"))
    companions: list[str] = Field([], max_length=10, description=gettext_lazy("随行人员姓名"))


class RegistrationFilters(Input):
    session_id: int | None = Field(None, ge=1, le=MAX_ID)
    status: EntryStatus | None = None


class RegistrationDecisionIn(Input):
    decision: str = Field(..., pattern="^(approved|rejected)$")
    comment: str = Field("", max_length=500)
    acting_reason: str = Field("", max_length=500)


class RoundOut(Schema):
    id: int
    phase: Phase
    title: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    time_limit_seconds: int
    attempts_limit: int
    question_count: int


class ContestOut(Schema):
    id: int
    node: Ref
    title: str
    status: str
    rounds: list[RoundOut]

    @staticmethod
    def resolve_node(obj: Contest) -> dict:
        return ref(obj.node)

    @staticmethod
    def resolve_rounds(obj: Contest) -> list:
        return list(obj.rounds.all())


ContestPage = page_of(ContestOut, "ContestPage")


class RankOut(Schema):
    rank: int
    name: str
    unit: str
    score: int
    seconds: float


class UnitOut(Schema):
    unit: Ref
    participants: int
    members: int
    rate: float

    @staticmethod
    def resolve_unit(obj) -> dict:
        return ref(obj["unit"])


class AccuracyOut(Schema):
    topic: str
    before: float | None
    after: float | None
    before_n: int
    after_n: int
    change: float | None


class QuestionOut(Schema):
    id: int
    text: str
    choices: list[str]


class AttemptOut(Schema):
    id: int
    round_id: int
    number: int
    started_at: dt.datetime
    deadline: dt.datetime
    finished_at: dt.datetime | None
    score: int | None
    duration_ms: int | None
    questions: list[QuestionOut]

    @staticmethod
    def resolve_questions(obj: Attempt) -> list:
        from .models_contest import Question

        qs = {q.pk: q for q in Question.objects.filter(pk__in=obj.questions)}
        return [qs[i] for i in obj.questions if i in qs]


class BankIn(Input):
    node_id: Id
    title: str = Field(..., min_length=1, max_length=120)


class BankOut(Schema):
    id: int
    title: str
    questions: int

    @staticmethod
    def resolve_questions(obj) -> int:
        return obj.questions.count()


class QuestionIn(Input):
    text: str = Field(..., min_length=1, max_length=500)
    choices: list[str] = Field(..., min_length=2, max_length=8)
    answer: int = Field(..., ge=0, le=7)
    topic: str = Field("", max_length=40)


class ContestIn(Input):
    node_id: Id
    bank_id: Id
    title: str = Field(..., min_length=1, max_length=120)
    event_id: Id | None = None


class RoundIn(Input):
    phase: Phase = Phase.MAIN
    title: str = Field("", max_length=80)
    opens_at: dt.datetime
    closes_at: dt.datetime
    time_limit_seconds: int = Field(..., ge=30, le=7200)
    question_count: int = Field(..., ge=1, le=500)
    attempts_limit: int = Field(1, ge=1, le=10)


class AnswersIn(Input):
    answers: dict[str, int] = Field(..., description=gettext_lazy("题目编号 → 所选选项序号（从 0 开始）"))


# --- events ---------------------------------------------------------------------------------------------


@events_router.get("", response=responses({200: EventPage}))
def event_list(request, filters: Query[EventFilters], page: Query[PageQuery]):
    qs = selectors.event_list_for_actor(actor_of(request), kind=filters.kind or "", status=filters.status or "")
    return paginate(qs.prefetch_related("sessions"), page)


@events_router.post("", response=responses({201: EventOut}, body=True))
def event_create(request, payload: EventIn):
    actor = actor_of(request)
    node = org_selectors.node_get_for_actor(actor, payload.node_id)
    data = payload.dict(exclude={"node_id", "site_id"})
    data["genders"] = [str(g) for g in data["genders"]]
    data["employment_forms"] = [str(f) for f in data["employment_forms"]]
    data["site"] = org_selectors.site_get_for_actor(actor, payload.site_id) if payload.site_id else None
    return Status(201, services.event_create(actor=actor, node=node, **data))


@events_router.get("/{event_id}", response=responses({200: EventOut}))
def event_get(request, event_id: Id):
    return selectors.event_get_for_actor(actor_of(request), event_id)


def _transition(request, event_id: int, fn, **kw):
    actor = actor_of(request)
    event = selectors.event_get_for_actor(actor, event_id, for_write=True)
    return fn(actor=actor, event=event, **kw)


@events_router.post("/{event_id}/publish", response=responses({200: EventOut}))
def event_publish(request, event_id: Id):
    return _transition(request, event_id, services.event_publish)


@events_router.post("/{event_id}/close", response=responses({200: EventOut}))
def event_close(request, event_id: Id):
    return _transition(request, event_id, services.event_close)


@events_router.post("/{event_id}/cancel", response=responses({200: EventOut}, body=True))
def event_cancel(request, event_id: Id, payload: ReasonIn):
    return _transition(request, event_id, services.event_cancel, reason=payload.reason)


@events_router.post("/{event_id}/sessions", response=responses({201: SessionOut}, body=True))
def session_add(request, event_id: Id, payload: SessionIn):
    return Status(201, _transition(request, event_id, services.session_add, **payload.dict()))


@events_router.post("/{event_id}/invitations", response=responses({200: CountOut}, body=True))
def invitations_add(request, event_id: Id, payload: InviteIn):
    actor = actor_of(request)
    event = selectors.event_get_for_actor(actor, event_id, for_write=True)
    people = [person_get_for_actor(actor, pid)[0] for pid in payload.person_ids]
    return {"count": services.invitations_add(actor=actor, event=event, people=people)}


@events_router.post("/{event_id}/ranked-draw", response=responses({200: EventDrawOut}, body=True))
def event_ranked_draw(request, event_id: Id, payload: EventDrawIn):
    return _transition(request, event_id, services.event_ranked_draw, seed=payload.seed)


@events_router.post("/sessions/{session_id}/shares", response=responses({200: CountOut}, body=True))
def share_set(request, session_id: Id, payload: ShareIn):
    actor = actor_of(request)
    session = selectors.session_get_for_actor(actor, session_id, for_write=True)
    union = org_selectors.node_get_for_actor(actor, payload.union_id)
    row = services.share_set(actor=actor, session=session, union=union, slots=payload.slots,
                             release_at=payload.release_at)
    return {"count": row.slots}


@events_router.post("/sessions/{session_id}/draw", response=responses({200: EventDrawOut}, body=True))
def session_draw(request, session_id: Id, payload: EventDrawIn):
    actor = actor_of(request)
    session = selectors.session_get_for_actor(actor, session_id, for_write=True)
    return services.session_draw(actor=actor, session=session, seed=payload.seed)


@events_router.post("/sessions/{session_id}/no-shows", response=responses({200: CountOut}))
def no_shows(request, session_id: Id):
    actor = actor_of(request)
    session = selectors.session_get_for_actor(actor, session_id, for_write=True)
    return {"count": services.no_shows_mark(actor=actor, session=session)}


# --- registrations --------------------------------------------------------------------------------------


def _with_positions(regs: list[Registration]) -> list[Registration]:
    pos = selectors.waitlist_positions(regs)
    for r in regs:
        r._position = pos.get(r.pk)
    return regs


@registrations_router.post("", response=responses({201: RegistrationOut}, body=True), auth=WORKER_OR_STAFF)
def registration_create(request, payload: RegistrationIn):
    """Register for a session. A worker's session registers the worker (person_id omitted or their own);
    staff name the member. A full session without a waitlist answers 422 名额已满; with one, the seat is
    queued (status waiting, its position given)."""
    actor = actor_of(request)
    own = services.worker_person_id(actor)
    if own is not None:
        if payload.person_id not in (None, own):
            raise PermissionDenied(_("只能为本人报名"))
        person = actor.worker_account.person  # read with the session's user
    else:
        if payload.person_id is None:
            raise ValidationError({"person_id": [_("请指定会员")]})
        person, _m = person_get_for_actor(actor, payload.person_id)
    reg = services.register(actor=actor, session=payload.session_id, person=person, companions=payload.companions,
                            source=Source.STAFF)
    if reg.status != EntryStatus.GRANTED:  # queued or entered: its position and the rows as stored
        reg = Registration.objects.select_related("session__event", "person", "union").get(pk=reg.pk)
    return Status(201, _with_positions([reg])[0])


def _reg_for(actor, reg_id: int) -> Registration:
    own = services.worker_person_id(actor)
    if own is not None:
        return selectors.registration_for_person(Person(pk=own), reg_id)
    return selectors.registration_get_for_actor(actor, reg_id)


def _reg_for_write(actor, reg_id: int) -> Registration:
    """The registration a write acts on: staff's read locks it inside the view's transaction."""
    own = services.worker_person_id(actor)
    if own is not None:
        return selectors.registration_for_person(Person(pk=own), reg_id)
    return selectors.registration_get_for_actor(actor, reg_id, for_write=True)


@registrations_router.get("", response=responses({200: RegistrationPage}), auth=WORKER_OR_STAFF)
def registration_list(request, filters: Query[RegistrationFilters], page: Query[PageQuery]):
    actor = actor_of(request)
    own = services.worker_person_id(actor)
    if own is not None:
        qs = Registration.objects.filter(person_id=own).select_related("session__event", "person", "union")
        if filters.session_id:
            qs = qs.filter(session_id=filters.session_id)
        qs = qs.order_by("-created_at", "-id")
    else:
        if not filters.session_id:
            raise ValidationError({"session_id": [_("请指定场次")]})
        session = selectors.session_get_for_actor(actor, filters.session_id)
        qs = selectors.registrations_for_actor(actor, session).select_related("session__event")
    if filters.status:
        qs = qs.filter(status=filters.status)
    out = paginate(qs, page)
    out["items"] = _with_positions(out["items"])
    return out


@registrations_router.get("/{registration_id}", response=responses({200: RegistrationOut}), auth=WORKER_OR_STAFF)
def registration_get(request, registration_id: Id):
    return _with_positions([_reg_for(actor_of(request), registration_id)])[0]


def _after(reg: Registration) -> Registration:
    reg = Registration.objects.select_related("session__event", "person", "union").get(pk=reg.pk)
    return _with_positions([reg])[0]


@registrations_router.post("/{registration_id}/cancel", response=responses({200: RegistrationOut}, body=True),
                           auth=WORKER_OR_STAFF)
def registration_cancel(request, registration_id: Id, payload: ReasonIn):
    actor = actor_of(request)
    reg = _reg_for_write(actor, registration_id)
    return _after(services.registration_cancel(actor=actor, registration=reg, reason=payload.reason))


@registrations_router.post("/{registration_id}/accept", response=responses({200: RegistrationOut}), auth=WORKER_OR_STAFF)
def offer_accept(request, registration_id: Id):
    actor = actor_of(request)
    reg = _reg_for_write(actor, registration_id)
    return _after(services.offer_accept(actor=actor, registration=reg))


@registrations_router.post("/{registration_id}/decline", response=responses({200: RegistrationOut}), auth=WORKER_OR_STAFF)
def offer_decline(request, registration_id: Id):
    actor = actor_of(request)
    reg = _reg_for_write(actor, registration_id)
    return _after(services.offer_decline(actor=actor, registration=reg))


@registrations_router.post("/{registration_id}/decision", response=responses({200: RegistrationOut}, body=True))
def registration_decide(request, registration_id: Id, payload: RegistrationDecisionIn):
    actor = actor_of(request)
    reg = selectors.registration_get_for_actor(actor, registration_id, for_write=True)
    if reg.approval != Approval.PENDING:
        raise ValidationError({"registration": [_("该报名无需审核或已审核")]})
    return _after(services.registration_decide(actor=actor, registration=reg, decision=payload.decision,
                                               comment=payload.comment, acting_reason=payload.acting_reason))


# --- contests -------------------------------------------------------------------------------------------


def _contest_for_actor(actor, contest_id: int) -> Contest:
    from huigong.core.scope import OutOfScope, root_path

    selectors._can_view(actor)
    c = Contest.objects.select_related("node").filter(pk=contest_id).first()
    if c is None:
        from django.http import Http404

        raise Http404
    root = root_path(actor)
    if not c.node.path.startswith(root) and not root.startswith(c.node.path):
        raise OutOfScope()
    return c


def _bank_for_actor(actor, bank_id: int, *, editing: bool = False):
    """The bank in the actor's view (its node on the actor's line); `editing` also requires the contest capability."""
    from django.http import Http404

    from huigong.core.scope import OutOfScope, require, root_path

    from .models_contest import QuestionBank

    selectors._can_view(actor)
    bank = QuestionBank.objects.select_related("node").filter(pk=bank_id).first()
    if bank is None:
        raise Http404
    root = root_path(actor)
    if not bank.node.path.startswith(root) and not root.startswith(bank.node.path):
        raise OutOfScope()
    if editing:
        require(actor, services.CAP)
    return bank


@contests_router.post("/banks", response=responses({201: BankOut}, body=True))
def bank_create(request, payload: BankIn):
    actor = actor_of(request)
    node = org_selectors.node_get_for_actor(actor, payload.node_id)
    return Status(201, services_contest.bank_create(actor=actor, node=node, title=payload.title))


@contests_router.post("/banks/{bank_id}/questions", response=responses({201: QuestionOut}, body=True))
def question_add(request, bank_id: Id, payload: QuestionIn):
    actor = actor_of(request)
    bank = _bank_for_actor(actor, bank_id, editing=True)
    return Status(201, services_contest.question_add(actor=actor, bank=bank, **payload.dict()))


@contests_router.post("", response=responses({201: ContestOut}, body=True))
def contest_create(request, payload: ContestIn):
    actor = actor_of(request)
    node = org_selectors.node_get_for_actor(actor, payload.node_id)
    bank = _bank_for_actor(actor, payload.bank_id)
    event = selectors.event_get_for_actor(actor, payload.event_id) if payload.event_id else None
    return Status(201, services_contest.contest_create(actor=actor, node=node, bank=bank, title=payload.title,
                                                      event=event))


@contests_router.post("/{contest_id}/rounds", response=responses({201: RoundOut}, body=True))
def round_add(request, contest_id: Id, payload: RoundIn):
    actor = actor_of(request)
    contest = _contest_for_actor(actor, contest_id)
    return Status(201, services_contest.round_add(actor=actor, contest=contest, **payload.dict()))


@contests_router.post("/{contest_id}/open", response=responses({200: ContestOut}))
def contest_open(request, contest_id: Id):
    actor = actor_of(request)
    return services_contest.contest_set_status(actor=actor, contest=_contest_for_actor(actor, contest_id), status="open")


@contests_router.post("/{contest_id}/close", response=responses({200: ContestOut}))
def contest_close(request, contest_id: Id):
    actor = actor_of(request)
    return services_contest.contest_set_status(actor=actor, contest=_contest_for_actor(actor, contest_id),
                                               status="closed")


@contests_router.get("", response=responses({200: ContestPage}))
def contest_list(request, page: Query[PageQuery]):
    from django.db.models import Q

    from huigong.core.scope import root_path

    actor = actor_of(request)
    selectors._can_view(actor)
    root = root_path(actor)
    qs = Contest.objects.select_related("node").filter(
        Q(node__path__startswith=root) | Q(node__path__in=selectors._ancestor_paths(root))).order_by("-created_at")
    return paginate(qs, page)


@contests_router.get("/{contest_id}", response=responses({200: ContestOut}))
def contest_get(request, contest_id: Id):
    return _contest_for_actor(actor_of(request), contest_id)


@contests_router.get("/{contest_id}/rounds/{round_id}/ranking", response=responses({200: list[RankOut]}))
def contest_ranking(request, contest_id: Id, round_id: Id):
    from huigong.core.scope import root_path

    actor = actor_of(request)
    c = _contest_for_actor(actor, contest_id)
    rnd = ContestRound.objects.filter(pk=round_id, contest=c).first()
    if rnd is None:
        from django.http import Http404

        raise Http404
    root = "" if c.node.path.startswith(root_path(actor)) else root_path(actor)
    return services_contest.ranking(rnd, root=root)


@contests_router.get("/{contest_id}/units", response=responses({200: list[UnitOut]}))
def contest_units(request, contest_id: Id):
    from huigong.core.scope import root_path

    actor = actor_of(request)
    c = _contest_for_actor(actor, contest_id)
    if not c.node.path.startswith(root_path(actor)):
        raise PermissionDenied(_("当前角色无此权限"))
    return services_contest.unit_board(c)


@contests_router.get("/{contest_id}/accuracy", response=responses({200: list[AccuracyOut]}))
def contest_accuracy(request, contest_id: Id):
    return services_contest.accuracy_report(_contest_for_actor(actor_of(request), contest_id))


@contests_router.post("/rounds/{round_id}/attempts", response=responses({201: AttemptOut}), auth=WORKER_OR_STAFF)
def attempt_start(request, round_id: Id):
    """A worker starts (or resumes) an attempt at a round: the drawn questions and the deadline."""
    actor = actor_of(request)
    own = services.worker_person_id(actor)
    if own is None:
        raise PermissionDenied(_("只有职工本人可以答题"))
    rnd = ContestRound.objects.filter(pk=round_id).first()
    if rnd is None:
        from django.http import Http404

        raise Http404
    return Status(201, services_contest.attempt_start(actor=actor, round=rnd, person=Person.objects.get(pk=own)))


@contests_router.post("/attempts/{attempt_id}/submit", response=responses({200: AttemptOut}, body=True),
                      auth=WORKER_OR_STAFF)
def attempt_submit(request, attempt_id: Id, payload: AnswersIn):
    actor = actor_of(request)
    own = services.worker_person_id(actor)
    a = Attempt.objects.filter(pk=attempt_id, person_id=own).first() if own is not None else None
    if a is None:
        from django.http import Http404

        raise Http404
    return services_contest.attempt_submit(actor=actor, attempt=a, answers=payload.answers)


__all__ = ["EventSession"]
