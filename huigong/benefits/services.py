"""Writes of the benefits app. Every transition is one service, audited in its own transaction.

Quota claims are the hot path: the claim row and its audit event are written first and the shared
counters (the enterprise's sub-quota, then the programme's `remaining`) are decremented last with a
conditional UPDATE, so the row lock on the one programme row is held only from that UPDATE to COMMIT.
CHECK (remaining >= 0) and the partial UNIQUE on live claims are the backstop."""

from __future__ import annotations

import copy
import datetime as dt
import logging
import time
from functools import cache, cached_property

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huigong.accounts.models import Cap
from huigong.core import duties
from huigong.core.audit import audit, diff, snapshot
from huigong.core.capacity import services as cap
from huigong.core.crypto import mask_bank
from huigong.core.db import retry_on_deadlock
from huigong.core.disbursement import services as disbursement
from huigong.core.disbursement.flow import Flow
from huigong.core.money import format_yuan
from huigong.core.notify.services import notify
from huigong.core.rawread import Columns, fetch_one, partial, relate
from huigong.core.scope import OutOfScope, ensure_path_in_scope, path_in_scope, require, staff_of
from huigong.core.uploads import check_upload
from huigong.members.models import EmploymentForm, Membership, MembershipStatus, Person
from huigong.orgs.models import Enterprise, ServiceSite, UnionNode

from .models import (
    BenefitClaim,
    BenefitProgramme,
    ClaimStatus,
    PaymentBatch,
    PaymentStatus,
    ProgrammeKind,
    ProgrammeQuota,
    ProgrammeStatus,
    Reimbursement,
    ReimbursementPayment,
    ReimbursementStatus,
    ServiceBoard,
    SiteProfile,
    SiteUsage,
    Visit,
)
from .places import CLAIMS

log = logging.getLogger(__name__)

FULL_MESSAGE = gettext_lazy("名额已满")
SUB_FULL_MESSAGE = gettext_lazy("您所在单位的名额已满")
ALREADY_MESSAGE = gettext_lazy("您已申领过该项目")
RECEIPT_MAX_BYTES = 10 * 1024 * 1024
PROGRAMME_FIELDS = ["node", "board", "kind", "title", "description", "year", "opens_at", "closes_at",
                    "membership_status", "employment_forms", "joined_from", "joined_to", "quota_total",
                    "waitlist", "reimbursement_cap_fen", "status"]


class QuotaFull(ValidationError):
    """No slot left (programme or the claimant's enterprise). A ValidationError so pages and the API
    show it like any refusal, with the clean 名额已满 text."""

    def __init__(self, message: str = FULL_MESSAGE):
        super().__init__({"programme": [message]})
        self.programme_full = message == FULL_MESSAGE  # not only the claimant's enterprise


# --- who is acting ---------------------------------------------------------------------------------


def worker_person_id(user) -> int | None:
    """The Person a signed-in worker account stands for (portal.WorkerAccount), or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        account = user.worker_account
    except Exception:  # RelatedObjectDoesNotExist, or the portal app has no account for this user
        return None
    return account.person_id


# Set on a Person by worker_load(): its active membership (with the union), or None for none.
_ACTIVE_MEMBERSHIP = "_hg_active_membership"
_UNSET = object()


class WorkerJoin:
    """A worker's account, their member and the member's active membership and union, joined to the
    session user's query (huigong.accounts.backends, HUIGONG_SESSION_USER_JOINS): a worker's claim is the
    hot path of a rush for places, and these are the reads every claim needs before its single write.
    Attaches `user.worker_account` (a user without an account gets a cached "none", so asking costs no
    query either)."""

    columns = ("wa.id", "wa.person_id", "p.name", "p.employment_form", "p.employer_id", "p.platform_id",
               "m.id", "m.union_id", "m.status", "m.joined_on", "wu.path", "wu.name")

    @cached_property
    def join(self) -> str:
        from huigong.portal.models import WorkerAccount

        tables = {m.__name__: m._meta.db_table for m in (WorkerAccount, Person, Membership, UnionNode)}
        return (f"LEFT JOIN {tables['WorkerAccount']} wa ON wa.user_id = u.id "
                f"LEFT JOIN {tables['Person']} p ON p.id = wa.person_id "
                f"LEFT JOIN {tables['Membership']} m ON m.person_id = wa.person_id "
                f"AND m.status = '{MembershipStatus.ACTIVE.value}' "
                f"LEFT JOIN {tables['UnionNode']} wu ON wu.id = m.union_id")

    def attach(self, user, values) -> None:
        from huigong.portal.models import WorkerAccount

        account_id, person_id, name, form, employer_id, platform_id, m_id, union_id, status, joined_on, path, \
            union_name = values
        user._hg_worker_checked = True
        if account_id is None:
            WorkerAccount._meta.get_field("user").remote_field.set_cached_value(user, None)
            return
        account = partial(WorkerAccount, {"id": account_id, "user_id": user.pk, "person_id": person_id})
        relate(account, "user", user)  # and user.worker_account
        if person_id is not None:
            person = partial(Person, {"id": person_id, "name": name, "employment_form": form,
                                      "employer_id": employer_id, "platform_id": platform_id})
            membership = None
            if m_id is not None:
                if isinstance(joined_on, str):  # SQLite hands dates back as text in raw queries
                    joined_on = dt.date.fromisoformat(joined_on)
                membership = partial(Membership, {"id": m_id, "person_id": person_id, "union_id": union_id,
                                                  "status": status, "joined_on": joined_on})
                relate(membership, "union", partial(UnionNode, {"id": union_id, "path": path, "name": union_name}))
                relate(membership, "person", person)
            person.__dict__[_ACTIVE_MEMBERSHIP] = membership
            relate(account, "person", person)


WORKER_JOIN = WorkerJoin()


def worker_load(user) -> None:
    """Attaches what WorkerJoin attaches to a user read some other way (one query)."""
    sql = f"SELECT {', '.join(WORKER_JOIN.columns)} FROM {user._meta.db_table} u {WORKER_JOIN.join} WHERE u.id = %s"
    row = fetch_one(sql, [user.pk])
    WORKER_JOIN.attach(user, row or (None,) * len(WORKER_JOIN.columns))


def _portal_link(name: str) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def programme_visible(actor, programme: BenefitProgramme) -> bool:
    """Staff see a programme their subtree owns, and one owned above them whose members include theirs
    (they then see only their subtree's claims)."""
    root = staff_of(actor).node.path
    return programme.node.path.startswith(root) or root.startswith(programme.node.path)


def _ensure_acts_for(actor, person: Person, union_path: str, *, cap: str = Cap.BENEFIT) -> None:
    """The worker themself, or staff with `cap` whose subtree holds the record."""
    if worker_person_id(actor) == person.pk:
        return
    require(actor, cap)
    ensure_path_in_scope(actor, union_path)


def _notify(person: Person, title: str, body: str, link: str = "", *, event: str, key: str, node_path: str = "") -> None:
    """Tells the worker through the notifications outbox (portal message, SMS… by her preferences), in the
    caller's transaction: it commits or rolls back with the change it announces; `key` names the decision."""
    notify(event=event, key=key, person=person, title=title, body=body, link=link, node_path=node_path)


# --- programmes ------------------------------------------------------------------------------------


def _clean_programme(data: dict) -> None:
    errors: dict[str, list[str]] = {}
    if not (data.get("title") or "").strip():
        errors["title"] = [_("名称不能为空")]
    if data.get("board") not in ServiceBoard.values:
        errors["board"] = [_("服务板块无效")]
    kind = data.get("kind")
    if kind not in ProgrammeKind.values:
        errors["kind"] = [_("项目类型无效")]
    year = data.get("year")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors["year"] = [_("年度应在 2000–2100 之间")]
    forms = data.get("employment_forms") or []
    if not isinstance(forms, list) or any(f not in EmploymentForm.values for f in forms):
        errors["employment_forms"] = [_("用工形式无效")]
    if data.get("membership_status") not in MembershipStatus.values:
        errors["membership_status"] = [_("会籍要求无效")]
    opens, closes = data.get("opens_at"), data.get("closes_at")
    if opens and closes and closes <= opens:
        errors["closes_at"] = [_("截止时间应晚于开始时间")]
    jf, jt = data.get("joined_from"), data.get("joined_to")
    if jf and jt and jt < jf:
        errors["joined_to"] = [_("入会日期范围无效")]
    total = data.get("quota_total")
    if total is not None and (not isinstance(total, int) or total < 1 or total > 10_000_000):
        errors["quota_total"] = [_("总名额应为 1 到 10,000,000 的整数")]
    if kind == ProgrammeKind.QUOTA and total is None:
        errors["quota_total"] = [_("名额类项目必须设置总名额")]
    cap = data.get("reimbursement_cap_fen")
    if kind == ProgrammeKind.REIMBURSEMENT:
        if cap is None:
            errors["reimbursement_cap_fen"] = [_("先办后补项目必须设置补贴上限")]
        elif not isinstance(cap, int) or cap <= 0 or cap > 10**10:
            errors["reimbursement_cap_fen"] = [_("补贴上限应为正数")]
    elif cap is not None:
        errors["reimbursement_cap_fen"] = [_("只有先办后补项目设置补贴上限")]
    if data.get("waitlist") and kind != ProgrammeKind.QUOTA:
        errors["waitlist"] = [_("只有名额类项目可以候补")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def programme_create(*, actor, node: UnionNode, board: str, kind: str, title: str, year: int,
                     description: str = "", opens_at: dt.datetime | None = None,
                     closes_at: dt.datetime | None = None, membership_status: str = MembershipStatus.ACTIVE,
                     employment_forms: list[str] | None = None, joined_from: dt.date | None = None,
                     joined_to: dt.date | None = None, quota_total: int | None = None, waitlist: bool = False,
                     reimbursement_cap_fen: int | None = None,
                     sub_quotas: list[tuple[Enterprise, int]] | None = None) -> BenefitProgramme:
    require(actor, Cap.BENEFIT)
    ensure_path_in_scope(actor, node.path)
    data = {"node": node, "board": board, "kind": kind, "title": (title or "").strip(), "year": year,
                "description": description or "", "opens_at": opens_at, "closes_at": closes_at,
                "membership_status": membership_status, "employment_forms": list(employment_forms or []),
                "joined_from": joined_from, "joined_to": joined_to, "quota_total": quota_total, "waitlist": waitlist,
                "reimbursement_cap_fen": reimbursement_cap_fen}
    _clean_programme(data)
    programme = BenefitProgramme.objects.create(**data, remaining=quota_total, created_by=actor)
    audit(actor=actor, verb="benefit_programme.create", obj=programme, node_path=node.path,
          new=snapshot(programme, PROGRAMME_FIELDS))
    for enterprise, slots in sub_quotas or []:
        programme_set_sub_quota(actor=actor, programme=programme, enterprise=enterprise, slots=slots)
    return programme


@transaction.atomic
def programme_update(*, actor, programme: BenefitProgramme, **changes) -> BenefitProgramme:
    """Edits a programme. A new quota moves `remaining` by the same difference and may not go below the
    places already taken."""
    require(actor, Cap.BENEFIT)
    programme = BenefitProgramme.objects.select_for_update().get(pk=programme.pk)
    ensure_path_in_scope(actor, programme.node.path)
    allowed = {"title", "description", "board", "opens_at", "closes_at", "membership_status", "employment_forms",
               "joined_from", "joined_to", "quota_total", "waitlist", "reimbursement_cap_fen", "year"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({f: [_("不可修改")] for f in sorted(unknown)})
    if programme.status == ProgrammeStatus.CLOSED:
        raise ValidationError({"status": [_("项目已结束，不能修改")]})
    before = snapshot(programme, PROGRAMME_FIELDS)
    data = {f: getattr(programme, f) for f in PROGRAMME_FIELDS}
    data.update(changes)
    _clean_programme(data)
    if "quota_total" in changes and changes["quota_total"] != programme.quota_total:
        new_total = changes["quota_total"]
        taken = programme.claimed
        if programme.quota_total is None and programme.kind == ProgrammeKind.REIMBURSEMENT:
            # A quota set on a running reimbursement programme: the live applications already hold places
            # (a later rejection gives one back, so they must count, or the quota is exceeded).
            taken = Reimbursement.objects.filter(programme=programme).exclude(
                status=ReimbursementStatus.REJECTED).count()
        # Refused below the places taken or the sub-quotas' sum; `remaining` moves by the difference.
        cap.pool_set_total(CLAIMS, pool=programme, total=new_total, taken=taken)
    if programme.waitlist and changes.get("waitlist") is False and BenefitClaim.objects.filter(
            programme=programme, status=ClaimStatus.WAITLISTED).exists():
        # Turning the waitlist off would strand the people already queued (never promoted, never told).
        raise ValidationError({"waitlist": [
            _("仍有候补中的申领，不能关闭候补")]})
    for k, v in changes.items():
        setattr(programme, k, v)
    programme.save()
    old, new = diff(before, snapshot(programme, PROGRAMME_FIELDS))
    if new:
        audit(actor=actor, verb="benefit_programme.update", obj=programme, node_path=programme.node.path,
              old=old, new=new)
    if programme.status == ProgrammeStatus.OPEN:
        # New places go to the waitlist first, in order (not one: as many as there are places).
        _promote_all(programme)
    return programme


def _promote_all(programme: BenefitProgramme) -> int:
    return cap.promote_all(CLAIMS, pool=programme)


@transaction.atomic
def programme_set_sub_quota(*, actor, programme: BenefitProgramme, enterprise: Enterprise,
                            slots: int) -> ProgrammeQuota:
    require(actor, Cap.BENEFIT)
    programme = BenefitProgramme.objects.select_for_update().get(pk=programme.pk)
    ensure_path_in_scope(actor, programme.node.path)
    if programme.kind != ProgrammeKind.QUOTA:
        raise ValidationError({"enterprise": [_("只有名额类项目可以分配单位名额")]})
    if not enterprise.union.path.startswith(programme.node.path):
        raise ValidationError({"enterprise": [
            _("%(enterprise_name)s 不在本项目的工会范围内") % {"enterprise_name": enterprise.name}]})
    existing = ProgrammeQuota.objects.filter(programme=programme, enterprise=enterprise).exists()
    # Places this enterprise's members took before it had a sub-quota are its places too.
    earlier = (BenefitClaim.objects.filter(programme=programme, status=ClaimStatus.GRANTED, enterprise__isnull=True)
               .filter(Q(person__employer=enterprise) | Q(person__employer__isnull=True, person__platform=enterprise))
               if not existing else BenefitClaim.objects.none())
    row, old_slots = cap.sub_pool_set(CLAIMS, pool=programme, key=enterprise.pk, slots=slots,
                                      used_before=0 if existing else earlier.count(), label=enterprise.name)
    old = {"slots": old_slots} if old_slots is not None else None
    if not existing:
        # The earlier claims now count against it (and a cancellation gives the place back to it).
        earlier.update(enterprise=enterprise)
    audit(actor=actor, verb="benefit_programme.sub_quota", obj=programme, node_path=programme.node.path,
          old=old, new={"enterprise": enterprise.pk, "slots": slots})
    if programme.status == ProgrammeStatus.OPEN and old is not None and slots > old["slots"]:
        _promote_all(programme)  # places added for an enterprise go to its waitlisted members
    return row


def _transition(actor, programme: BenefitProgramme, frm: tuple[str, ...], to: str, verb: str) -> BenefitProgramme:
    require(actor, Cap.BENEFIT)
    programme = BenefitProgramme.objects.select_for_update().select_related("node").get(pk=programme.pk)
    ensure_path_in_scope(actor, programme.node.path)
    if programme.status not in frm:
        raise ValidationError({"status": [
            _("项目当前状态为「%(status)s」，不能执行此操作") % {"status": programme.get_status_display()}]})
    old = programme.status
    programme.status = to
    programme.save(update_fields=["status", "updated_at"])
    audit(actor=actor, verb=verb, obj=programme, node_path=programme.node.path, old={"status": old},
          new={"status": to})
    return programme


@transaction.atomic
def programme_open(*, actor, programme: BenefitProgramme) -> BenefitProgramme:
    return _transition(actor, programme, (ProgrammeStatus.DRAFT,), ProgrammeStatus.OPEN, "benefit_programme.open")


@transaction.atomic
def programme_close(*, actor, programme: BenefitProgramme) -> BenefitProgramme:
    return _transition(actor, programme, (ProgrammeStatus.OPEN,), ProgrammeStatus.CLOSED, "benefit_programme.close")


# --- eligibility ----------------------------------------------------------------------------------


def active_membership(person: Person) -> Membership | None:
    loaded = person.__dict__.get(_ACTIVE_MEMBERSHIP, _UNSET)  # read with the worker's account
    if loaded is not _UNSET:
        return loaded
    return (Membership.objects.select_related("union").filter(person=person, status=MembershipStatus.ACTIVE)
            .first())


def ineligible_reason(programme: BenefitProgramme, person: Person, membership: Membership | None,
                      *, now: dt.datetime | None = None) -> str | None:
    """Why `person` may not take part, in the request's language; None when they may."""
    now = now or timezone.now()
    if programme.status != ProgrammeStatus.OPEN:
        return _("项目未开放申领")
    if programme.opens_at and now < programme.opens_at:
        return (_("项目将于 %(localtime)s 开放") % {"localtime": format(timezone.localtime(programme.opens_at), "%Y-%m-%d %H:%M")})
    if programme.closes_at and now >= programme.closes_at:
        return _("项目已截止")
    if membership is None or membership.status != programme.membership_status:
        return _("需为在会会员")
    if not membership.union.path.startswith(programme.node.path):
        return _("仅限%(node_name)s所属会员") % {"node_name": programme.node.name}
    if programme.employment_forms and person.employment_form not in programme.employment_forms:
        labels = "、".join(str(EmploymentForm(f).label) for f in programme.employment_forms)
        return _("仅限用工形式为%(labels)s的会员") % {"labels": labels}
    if programme.joined_from and membership.joined_on < programme.joined_from:
        return _("仅限 %(joined_from)s 及以后入会的会员") % {"joined_from": programme.joined_from}
    if programme.joined_to and membership.joined_on > programme.joined_to:
        return _("仅限 %(joined_to)s 及以前入会的会员") % {"joined_to": programme.joined_to}
    return None


def _member_ineligible(programme: BenefitProgramme, person: Person) -> str | None:
    """The member-side reasons only (membership, node, employment form, join dates): the ones that can
    change while a claim waits. The programme's own window is not re-checked at promotion."""
    import copy

    timeless = copy.copy(programme)
    timeless.status, timeless.opens_at, timeless.closes_at = ProgrammeStatus.OPEN, None, None
    return ineligible_reason(timeless, person, active_membership(person))


def _claim_enterprise_id(person: Person) -> int | None:
    return person.employer_id or person.platform_id


# --- quota claims ---------------------------------------------------------------------------------


def claim_create(*, actor, programme: BenefitProgramme | int, person: Person) -> BenefitClaim:
    """First come, first served. Returns the granted (or, when full and the programme keeps one,
    waitlisted) claim; raises QuotaFull with 名额已满 when no place is left.

    Not wrapped in one outer atomic block on purpose: the checks are plain reads, and the write is
    its own transaction below, so a refusal costs no transaction at all."""
    programme = _programme_for_claim(programme if isinstance(programme, int) else programme.pk)
    if programme is None:
        raise ValidationError({"programme": [_("项目不存在")]})
    membership = active_membership(person)
    _ensure_acts_for(actor, person, membership.union.path if membership else programme.node.path)
    if programme.kind != ProgrammeKind.QUOTA:
        raise ValidationError({"programme": [_("该项目不是名额类项目")]})
    reason = ineligible_reason(programme, person, membership)
    if reason:
        raise ValidationError({"programme": [reason]})
    # A second live claim is refused by the partial UNIQUE index at INSERT (before any counter moves),
    # so no look-up here: one round trip less on the hot path.
    enterprise_id = _claim_enterprise_id(person)
    if programme.uses_sub_quotas and (
            enterprise_id is None
            or not ProgrammeQuota.objects.filter(programme=programme, enterprise_id=enterprise_id).exists()):
        raise ValidationError({"programme": [
            _("您所在单位未分配该项目名额")]})
    try:
        if programme.quota_total is not None and programme.remaining is not None and programme.remaining <= 0:
            # Read a moment ago: places only come back through a cancellation, so "none left" is
            # the answer now, without a write.
            raise QuotaFull()
        return _claim_take_slot(actor, programme, person, membership, enterprise_id)
    except QuotaFull as exc:
        if exc.programme_full:
            _claim_programme_full(programme)
        if not programme.waitlist:
            raise
    return _claim_waitlist(actor, programme, person, membership, enterprise_id)


@cache
def _programme_query() -> tuple[str, Columns]:
    columns = Columns.of(BenefitProgramme, "p")
    return (f"SELECT {columns.select}, n.path, n.name FROM {BenefitProgramme._meta.db_table} p "
            f"JOIN {UnionNode._meta.db_table} n ON n.id = p.node_id WHERE p.id = %s"), columns


# An open programme as claims read it, kept by each process for HUIGONG_CLAIM_PROGRAMME_SECONDS (1 s by
# default; 0 turns it off): in a rush every claim reads the same row, and once a claim has found no place
# left the others in that process answer 名额已满 without a statement. What it may delay by that second: an
# edit of the rules or a close made by another process (the claim statement itself checks that the
# programme is open and has a place, so nothing is ever oversold or granted after closing), and a place
# given back by a cancellation in another process. Saving a programme or a sub-quota, or a cancellation,
# forgets the copy in the process that made the change at once.
_claim_programmes: dict[int, tuple[float, BenefitProgramme]] = {}


def _programme_for_claim(programme_id: int) -> BenefitProgramme | None:
    seconds = settings.HUIGONG_CLAIM_PROGRAMME_SECONDS
    if seconds > 0:
        kept = _claim_programmes.get(programme_id)
        if kept is not None and time.monotonic() < kept[0]:
            return kept[1]
    programme = _programme_read(programme_id)
    if seconds > 0 and programme is not None and programme.status == ProgrammeStatus.OPEN:
        _claim_programmes[programme_id] = (time.monotonic() + seconds, programme)
    return programme


def _claim_programme_full(programme: BenefitProgramme) -> None:
    """A claim found no place: the process's copy says so until it expires."""
    kept = _claim_programmes.get(programme.pk)
    if kept is not None and kept[1] is programme and programme.quota_total is not None and programme.remaining:
        full = copy.copy(programme)  # the copy is shared by threads: never changed in place
        full.remaining = 0
        _claim_programmes[programme.pk] = (kept[0], full)


def forget_claim_programme(programme_id: int) -> None:
    """Drops the process's copy now and again when the current transaction commits (a claim in another
    thread may read the row before the change is committed)."""
    _claim_programmes.pop(programme_id, None)
    transaction.on_commit(lambda: _claim_programmes.pop(programme_id, None))


def forget_saved_programme(sender, instance, **kwargs) -> None:
    """post_save / post_delete receiver for programmes and sub-quotas (connected in apps.py)."""
    forget_claim_programme(instance.pk if sender is BenefitProgramme else instance.programme_id)


def _programme_read(programme_id: int) -> BenefitProgramme | None:
    """The programme with its node's path and name: one precomposed query (the ORM's select_related
    query cost more Python than the claim's own statement)."""
    sql, columns = _programme_query()
    row = fetch_one(sql, [programme_id])
    if row is None:
        return None
    programme = columns.instance(row)
    relate(programme, "node", partial(UnionNode, {"id": programme.node_id, "path": row[-2], "name": row[-1]}))
    return programme


def _claim_take_slot(actor, programme, person, membership, enterprise_id) -> BenefitClaim:
    """A place from the capacity engine (core.capacity.take: the enterprise's sub-quota, then the
    programme's `remaining`, and the claim row). On PostgreSQL that is ONE statement, to which this
    adds the claim's audit event and the worker's message as data-modifying CTEs (`_GRANT_SQL`):
    outside a transaction it commits on its own, so the programme row is locked only while the server
    runs it and never across a round trip to Python (with many workers on few cores, a lock held across
    a round trip turns every descheduled request into a queue). All or nothing: a duplicate claim (the
    partial UNIQUE) aborts the whole statement; a full programme updates no row, so nothing is inserted.
    Elsewhere the ORM writes the same rows in one transaction (`after` below)."""
    import json

    from huigong.core.audit import actor_label
    from huigong.core.request_context import current_ip

    now = timezone.now()

    def after(claim):
        audit(actor=actor, verb="benefit_claim.grant", obj=claim, object_repr=_claim_repr(programme, person),
              node_path=membership.union.path, node_id=membership.union_id,
              new={"programme": programme.pk, "person": person.pk})
        _notify(person, *_grant_message(programme), link=_portal_link("benefits_portal:claims"), event="claim.decided",
                key=f"claim:{claim.pk}:granted", node_path=membership.union.path)

    also, params = (), {}
    if connection.vendor == "postgresql":
        title, body = _grant_message(programme)
        also = (_GRANT_SQL, _MESSAGE_SQL) if apps.is_installed("huigong.portal") else (_GRANT_SQL,)
        params = {
            "programme": programme.pk, "person": person.pk, "union": membership.union_id, "now": now,
            "actor_id": actor.pk if getattr(actor, "pk", None) else None, "actor_label": actor_label(actor),
            "repr": _claim_repr(programme, person), "node_path": membership.union.path,
            "new": json.dumps({"programme": programme.pk, "person": person.pk}), "ip": current_ip(),
            "title": title[:120], "body": body, "link": _portal_link("benefits_portal:claims"),
        }
    try:
        claim_id = cap.take(CLAIMS, pool=programme, person_id=person.pk, sub_key=enterprise_id, now=now,
                            values={"membership_id": membership.pk, "union_id": membership.union_id},
                            after=after, also=also, also_params=params)
    except cap.Full as exc:
        raise QuotaFull(SUB_FULL_MESSAGE if exc.sub else FULL_MESSAGE) from None
    except cap.Already:
        raise ValidationError({"programme": [ALREADY_MESSAGE]}) from None
    claim = BenefitClaim(pk=claim_id, programme=programme, person=person, membership=membership,
                         union=membership.union, enterprise_id=enterprise_id if programme.uses_sub_quotas else None,
                         status=ClaimStatus.GRANTED, created_at=now, granted_at=now, cancel_reason="")
    claim._state.adding, claim._state.db = False, "default"
    return claim


def _claim_repr(programme, person) -> str:
    return f"{programme.title} · {person.name}"[:255]


def _grant_message(programme) -> tuple[str, str]:
    return f"名额申领成功：{programme.title}", f"您已获得「{programme.title}」的名额。"


# The claim's audit event and the worker's message, as CTEs of the engine's claim statement: they
# read the new claim from its `ins` (core.capacity.services._take_sql).
_GRANT_SQL = """aud AS (
    INSERT INTO core_auditevent (at, actor_id, actor_label, verb, object_type, object_id, object_repr, node_path,
                                 node_id, new, ip)
    SELECT %(now)s, %(actor_id)s, %(actor_label)s, 'benefit_claim.grant', 'benefits.benefitclaim', ins.id::text,
           %(repr)s, %(node_path)s, %(union)s, %(new)s::jsonb, %(ip)s
    FROM ins
    RETURNING 1
)"""
_MESSAGE_SQL = """msg AS (
    INSERT INTO portal_message (person_id, title, body, link, created_at)
    SELECT %(person)s, %(title)s, %(body)s, %(link)s, %(now)s FROM ins
    RETURNING 1
)"""


def _claim_waitlist(actor, programme, person, membership, enterprise_id) -> BenefitClaim:
    def after(claim):
        audit(actor=actor, verb="benefit_claim.waitlist", obj=claim,
              object_repr=f"{programme.title} · {person.name}", node_path=membership.union.path,
              new={"programme": programme.pk, "person": person.pk})

    try:
        # The engine queues the claim, then looks again for a place freed while it was being queued.
        return cap.enqueue(CLAIMS, pool=programme, person_id=person.pk, sub_key=enterprise_id, after=after,
                           values={"membership_id": membership.pk, "union_id": membership.union_id})
    except cap.Already:
        raise ValidationError({"programme": [_("您已申领过该项目")]}) from None


def claim_cancel(*, actor, claim: BenefitClaim, reason: str = "") -> BenefitClaim:
    """Cancels a claim; a granted one gives its place back, and the first waitlisted claim that can use
    it is promoted in the same transaction (retried once if PostgreSQL picks it as a deadlock victim)."""
    return retry_on_deadlock(_claim_cancel, actor=actor, claim=claim, reason=reason)


@transaction.atomic
def _claim_cancel(*, actor, claim: BenefitClaim, reason: str = "") -> BenefitClaim:
    # The engine's lock order: the programme row first, then claims and sub-quotas (no deadlocks between
    # cancellations, claims and waitlist promotions).
    BenefitProgramme.objects.select_for_update().filter(pk=claim.programme_id).values_list("pk").first()
    claim = (BenefitClaim.objects.select_for_update(of=("self",)).select_related("programme", "person", "union")
             .get(pk=claim.pk))
    _ensure_acts_for(actor, claim.person, claim.union.path)
    if claim.status == ClaimStatus.CANCELLED:
        raise ValidationError({"claim": [_("该申领已取消")]})
    programme = claim.programme
    if programme.status != ProgrammeStatus.OPEN:
        raise ValidationError({"claim": [_("项目已结束，不能取消")]})
    was = claim.status
    audit(actor=actor, verb="benefit_claim.cancel", obj=claim, object_repr=f"{programme.title} · {claim.person.name}",
          node_path=claim.union.path, old={"status": was}, new={"status": ClaimStatus.CANCELLED, "reason": reason})
    # The place goes back to the enterprise's sub-quota and the programme, then to the waitlist.
    cap.release(CLAIMS, pool=programme, entry=claim, reason=reason)
    if was == ClaimStatus.GRANTED:
        forget_claim_programme(programme.pk)
    return claim


def waitlist_promote(*, programme: BenefitProgramme, limit: int = 50) -> BenefitClaim | None:
    """Gives a free place to the earliest waitlisted claim that can use it (its enterprise still has
    a sub-quota place): the engine's promotion, with this app's hooks below. Runs inside the caller's
    transaction, the programme row locked; skips rows another promotion holds."""
    return cap.promote(CLAIMS, pool=programme, limit=limit)


def _promotion_check(programme: BenefitProgramme, claim: BenefitClaim) -> str | None:
    """Left the union, moved out of the programme's subtree, changed employment form… since queuing:
    the place goes to the next in line, and this claim ends with the reason."""
    reason = _member_ineligible(programme, claim.person)
    return f"候补递补时不再符合条件：{reason}"[:255] if reason else None


def _promotion_sub_key(programme: BenefitProgramme, claim: BenefitClaim) -> int | None:
    # Queued before the programme had sub-quotas: the place must come from its enterprise's.
    return _claim_enterprise_id(claim.person)


def _promotion_changed(programme: BenefitProgramme, claim: BenefitClaim, old_status: str, reason: str) -> None:
    """The engine moved a waitlisted claim: promoted it, or ended it (no longer eligible)."""
    union_path = UnionNode.objects.filter(pk=claim.union_id).values_list("path", flat=True).first() or ""
    if claim.status == ClaimStatus.CANCELLED:
        audit(actor=None, verb="benefit_claim.cancel", obj=claim,
              object_repr=f"{programme.title} · {claim.person.name}", node_path=union_path,
              old={"status": ClaimStatus.WAITLISTED}, new={"status": ClaimStatus.CANCELLED, "reason": reason})
        _notify(claim.person, f"候补已取消：{programme.title}", claim.cancel_reason, event="claim.decided",
                key=f"claim:{claim.pk}:cancelled", node_path=union_path)
        return
    audit(actor=None, verb="benefit_claim.promote", obj=claim,
          object_repr=f"{programme.title} · {claim.person.name}", node_path=union_path,
          old={"status": ClaimStatus.WAITLISTED}, new={"status": ClaimStatus.GRANTED})
    _notify(claim.person, f"候补成功：{programme.title}", f"您已由候补转为获得「{programme.title}」的名额。",
            event="claim.decided", key=f"claim:{claim.pk}:granted", node_path=union_path)


def register_capacity_hooks() -> None:
    """Called by BenefitsConfig.ready()."""
    cap.register(CLAIMS, check=_promotion_check, sub_key=_promotion_sub_key, changed=_promotion_changed)


# --- reimbursements (先办后补) ---------------------------------------------------------------------


def reimbursement_submit(*, actor, programme: BenefitProgramme | int, person: Person, amount_fen: int,
                         receipt, note: str = "") -> Reimbursement:
    """The worker's claim with a receipt. Takes a place of the programme's quota when it has one; a
    rejection gives it back."""
    programme_id = programme if isinstance(programme, int) else programme.pk
    programme = BenefitProgramme.objects.select_related("node").filter(pk=programme_id).first()
    if programme is None:
        raise ValidationError({"programme": [_("项目不存在")]})
    membership = active_membership(person)
    _ensure_acts_for(actor, person, membership.union.path if membership else programme.node.path)
    if programme.kind != ProgrammeKind.REIMBURSEMENT:
        raise ValidationError({"programme": [_("该项目不是先办后补项目")]})
    reason = ineligible_reason(programme, person, membership)
    if reason:
        raise ValidationError({"programme": [reason]})
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        raise ValidationError({"amount": [_("金额应大于 0")]})
    if amount_fen > 10**9:
        raise ValidationError({"amount": [_("金额过大")]})
    if receipt is None:
        raise ValidationError({"receipt": [_("请上传票据照片或PDF")]})
    checked = check_upload(receipt, field_label=_("票据"), allow_pdf=True, max_bytes=RECEIPT_MAX_BYTES)
    if Reimbursement.objects.filter(programme=programme, person=person).exclude(
            status=ReimbursementStatus.REJECTED).exists():
        raise ValidationError({"programme": [_("您已提交过该项目的申请")]})
    receipt.name = f"receipt.{checked.extension}"  # never the phone's own file name
    item = Reimbursement(programme=programme, person=person, membership=membership, union_id=membership.union_id,
                         amount_fen=amount_fen, receipt=receipt, receipt_type=checked.content_type,
                         note=(note or "")[:255])
    try:
        with transaction.atomic():
            item.save()  # stores the file under upload_to, then INSERTs
            audit(actor=actor, verb="reimbursement.submit", obj=item, object_repr=f"{programme.title} · {person.name}",
                  node_path=membership.union.path, new={"programme": programme.pk, "amount_fen": amount_fen})
            if programme.quota_total is not None and not cap.place_take(CLAIMS, programme):
                raise QuotaFull()
    except (IntegrityError, QuotaFull) as exc:
        # The file was stored before the transaction failed: do not leave a receipt behind. Its stored
        # name (upload_to + a unique suffix) is on the model's field, not on the upload.
        stored = item.receipt.name
        if stored and stored != receipt.name:
            item.receipt.storage.delete(stored)
        if isinstance(exc, IntegrityError):
            if "one_live_reimbursement_per_member" in str(exc) or "benefits_reimbursement" in str(exc):
                raise ValidationError({"programme": [
                    _("您已提交过该项目的申请")]}) from None
        raise
    return item


def _reimbursement_for_review(actor, reimbursement: Reimbursement) -> Reimbursement:
    require(actor, Cap.BENEFIT)
    item = (Reimbursement.objects.select_for_update().select_related("programme", "person", "union")
            .get(pk=reimbursement.pk))
    ensure_path_in_scope(actor, item.union.path)
    # Whoever submitted it (the worker, or staff on the worker's behalf) does not review it.
    duties.ensure_not_party(actor, duties.authors(item, ["reimbursement.submit"]))
    if item.status != ReimbursementStatus.SUBMITTED:
        raise ValidationError({"status": [
            _("该申请当前为「%(status)s」，不能再审核") % {"status": item.get_status_display()}]})
    return item


@transaction.atomic
def reimbursement_approve(*, actor, reimbursement: Reimbursement, approved_fen: int | None = None,
                          reason: str = "") -> Reimbursement:
    item = _reimbursement_for_review(actor, reimbursement)
    cap = item.programme.reimbursement_cap_fen or item.amount_fen
    if approved_fen is None:
        approved_fen = min(item.amount_fen, cap)
    if not isinstance(approved_fen, int) or approved_fen <= 0:
        raise ValidationError({"approved_fen": [_("核定金额应大于 0")]})
    if approved_fen > item.amount_fen:
        raise ValidationError({"approved_fen": [_("核定金额不能超过申请金额")]})
    if approved_fen > cap:
        raise ValidationError({"approved_fen": [
            _("核定金额不能超过补贴上限 %(format_yuan)s 元") % {"format_yuan": format_yuan(cap)}]})
    item.status, item.approved_fen, item.reason = ReimbursementStatus.APPROVED, approved_fen, (reason or "")[:255]
    item.reviewer, item.reviewed_at = actor, timezone.now()
    item.save(update_fields=["status", "approved_fen", "reason", "reviewer", "reviewed_at"])
    audit(actor=actor, verb="reimbursement.approve", obj=item, object_repr=f"{item.programme.title} · {item.person.name}",
          node_path=item.union.path, old={"status": ReimbursementStatus.SUBMITTED},
          new={"status": item.status, "approved_fen": approved_fen})
    _notify(item.person, f"先办后补申请已批准：{item.programme.title}",
            f"核定金额 {format_yuan(approved_fen)} 元，将发放至您登记的银行账户。", event="reimbursement.decided", key=f"reimbursement:{item.pk}:approved", node_path=item.union.path)
    return item


@transaction.atomic
def reimbursement_reject(*, actor, reimbursement: Reimbursement, reason: str) -> Reimbursement:
    item = _reimbursement_for_review(actor, reimbursement)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("请填写不通过的原因")]})
    item.status, item.reason, item.reviewer, item.reviewed_at = (ReimbursementStatus.REJECTED, reason[:255], actor,
                                                                 timezone.now())
    item.save(update_fields=["status", "reason", "reviewer", "reviewed_at"])
    cap.place_give(CLAIMS, item.programme)
    audit(actor=actor, verb="reimbursement.reject", obj=item, object_repr=f"{item.programme.title} · {item.person.name}",
          node_path=item.union.path, old={"status": ReimbursementStatus.SUBMITTED},
          new={"status": item.status, "reason": reason})
    _notify(item.person, f"先办后补申请未通过：{item.programme.title}", f"原因：{reason}", event="reimbursement.decided", key=f"reimbursement:{item.pk}:rejected", node_path=item.union.path)
    return item


# --- payments (exactly once) ----------------------------------------------------------------------


def _bank_consent_ok(person: Person) -> bool:
    """The worker's separate consent for their bank account (PIPL art. 29). A member with no portal
    account gave the account to staff on paper, where the union's own form records the consent."""
    try:
        from huigong.portal.models import WorkerAccount
        from huigong.portal.selectors import consent_active
    except ImportError:
        return True
    accounts = list(WorkerAccount.objects.filter(person=person))
    if not accounts:
        return True
    return any(consent_active(a, "bank_account") for a in accounts)


def _payee(person: Person) -> dict:
    return {"payee_name": person.name, "bank_name": person.bank_name, "bank_account": person.bank_account,
            "bank_account_mask": person.bank_account_mask or mask_bank(person.bank_account)}


class ReimbursementFlow(Flow):
    """Reimbursement payments on the kernel's disbursement service: a row per attempt (key
    "hg-rb-<reimbursement>-<attempt>", a partial UNIQUE keeps one live), no SENT step (the same sheet may
    be downloaded again: the bank pays a key once), a repeated receipt must carry the same 流水号."""

    key = "reimbursement"
    payment_model = ReimbursementPayment
    batch_model = PaymentBatch
    payment_verb, batch_verb = "reimbursement_payment", "payment_batch"
    access_object_type = "benefits.reimbursementpayment"
    source_field = "reimbursement"
    attempt_field = "attempt"
    select_related = ("reimbursement", "reimbursement__union", "reimbursement__person", "reimbursement__programme")
    retry_new_row = True
    paid_again_needs_same_reference = True

    def check_actor(self, actor, node_path):
        require(actor, Cap.MONEY)
        ensure_path_in_scope(actor, node_path)

    def check_batch(self, actor, batch):
        require(actor, Cap.MONEY)
        if not programme_visible(actor, batch.programme):
            raise OutOfScope
        return staff_of(actor).node.path

    def check_full(self, actor):
        require(actor, Cap.PII_FULL)

    def ensure_not_approver(self, actor, payments):
        duties.ensure_not_approver(actor, Reimbursement.objects.filter(
            pk__in=[p.reimbursement_id for p in payments]).values_list("reviewer_id", flat=True))

    def payment_path(self, payment):
        return payment.reimbursement.union.path

    def batch_payments(self, actor, batch):
        return ReimbursementPayment.objects.filter(batch_id=batch.pk,
                                                   reimbursement__union__path__startswith=staff_of(actor).node.path)

    def settled_fields(self, actor, now, status):
        return {"settled_at": now, "settled_by": actor}

    def on_paid(self, actor, payment, *, paid_on=None):
        item = payment.reimbursement
        Reimbursement.objects.filter(pk=item.pk).update(status=ReimbursementStatus.PAID)
        _notify(item.person, f"补贴已发放：{item.programme.title}",
                f"{format_yuan(payment.amount_fen)} 元已转入您尾号 {payment.bank_account_mask[-4:]} 的账户。",
                event="reimbursement.paid", key=f"reimbursement-payment:{payment.pk}:paid", node_path=item.union.path)

    def on_failed(self, actor, payment):
        item = payment.reimbursement
        Reimbursement.objects.filter(pk=item.pk).update(status=ReimbursementStatus.FAILED)
        _notify(item.person, f"补贴发放失败：{item.programme.title}",
                "银行退回了这笔转账，请核对您登记的银行账户，工作人员会重新发放。",
                event="reimbursement.paid", key=f"reimbursement-payment:{payment.pk}:failed", node_path=item.union.path)

    def on_retried(self, actor, old, new):
        Reimbursement.objects.filter(pk=old.reimbursement_id).update(status=ReimbursementStatus.APPROVED)

    def current_payee(self, payment):
        item = Reimbursement.objects.select_for_update().get(pk=payment.reimbursement_id)
        person = Person.objects.get(pk=item.person_id)
        if not person.bank_account_mask:
            raise ValidationError({"bank_account": [_("%(person_name)s：未登记银行账户") % {"person_name": person.name}]})
        return _payee(person)

    def sheet_purpose(self, payment):
        return payment.reimbursement.programme.title

    def new_payment_key(self, source_id, attempt):
        return f"hg-rb-{source_id}-{attempt}"

    def ledger_total(self, payments):
        # A reimbursement is PAID exactly when one of its payments is: the approved sums of the PAID ones.
        return Reimbursement.objects.filter(
            pk__in=payments.values("reimbursement_id"), status=ReimbursementStatus.PAID
        ).aggregate(s=Sum("approved_fen"))["s"] or 0


REIMBURSEMENT = ReimbursementFlow()


@transaction.atomic
def payment_batch_create(*, actor, programme: BenefitProgramme, title: str = "",
                         reimbursement_ids: list[int] | None = None) -> tuple[PaymentBatch, list[str]]:
    """A batch of payments for approved reimbursements in the actor's subtree that have no live payment.
    Returns the batch and the reasons some were left out (no bank account or no consent). Concurrent
    calls cannot pay one reimbursement twice: the rows are locked, and the partial UNIQUE on live
    payments backs that up."""
    require(actor, Cap.MONEY)
    prefix = staff_of(actor).node.path
    if not programme_visible(actor, programme):
        raise OutOfScope
    qs = (Reimbursement.objects.select_for_update(of=("self",)).select_related("person", "union")
          .filter(programme=programme, status=ReimbursementStatus.APPROVED, union__path__startswith=prefix)
          .exclude(payments__status__in=[PaymentStatus.PENDING, PaymentStatus.PAID]).order_by("id"))
    if reimbursement_ids is not None:
        qs = qs.filter(pk__in=reimbursement_ids)
    skipped: list[str] = []
    payments = []
    for item in qs:
        # Re-read after the row lock: a concurrent batch may have committed a payment for this row
        # after our query's snapshot was taken (each statement sees the latest commits).
        if item.payments.exclude(status=PaymentStatus.FAILED).exists():
            continue
        if not item.person.bank_account_mask:
            skipped.append(_("%(person_name)s：未登记银行账户") % {"person_name": item.person.name})
            continue
        if item.reviewer_id == getattr(actor, "pk", None):
            skipped.append(f"{item.person.name}：职责分离，您审批了该申请，须由其他人员发放")
            continue
        if not _bank_consent_ok(item.person):
            skipped.append(_("%(person_name)s：未授权使用银行账户") % {"person_name": item.person.name})
            continue
        attempt = (item.payments.order_by("-attempt").values_list("attempt", flat=True).first() or 0) + 1
        payments.append({"reimbursement": item, "attempt": attempt, "amount_fen": item.approved_fen,
                         "idempotency_key": REIMBURSEMENT.new_payment_key(item.pk, attempt), **_payee(item.person)})
    batch, _mine = disbursement.batch_create(
        REIMBURSEMENT, actor=actor, node_path=prefix, allow_empty=True,
        batch_fields={"programme": programme,
                      "title": (title or f"{programme.title} 发放批次 {timezone.localdate()}")[:120]},
        payments=payments, audit_new={"programme": programme.pk, "skipped": len(skipped)})
    return batch, skipped


def payment_batch_bank_sheet(*, actor, batch: PaymentBatch, full: bool = False) -> tuple[bytes, str]:
    """The batch's pending payments in the actor's subtree as the bank's 批量代发 sheet, with the result
    columns for the bank to fill; 备注 is each payment's idempotency key, which the bank pays at most
    once, so handing the same sheet over twice pays nobody twice. Full account numbers need MONEY and
    PII_FULL and leave an access row; every sheet leaves an audit row. Returns (content, file name)."""
    out = disbursement.batch_bank_sheet(REIMBURSEMENT, actor=actor, batch=batch, full=full, with_results=True)
    return out.content, out.filename


def payment_batch_import_results(*, actor, batch: PaymentBatch, data: bytes) -> dict[str, int]:
    """Applies the bank's result sheet (回盘): every row is checked first and any problem, named by its
    row, applies nothing; then each payment is marked paid or failed, idempotently (a sheet imported
    twice changes nothing the second time). Returns counts of paid, failed and unchanged rows."""
    return disbursement.batch_import_results(REIMBURSEMENT, actor=actor, batch=batch, data=data)


def payment_mark_paid(*, actor, payment: ReimbursementPayment, bank_reference: str) -> ReimbursementPayment:
    """The bank's receipt for a payment. Repeating it with the same reference changes nothing."""
    return disbursement.payment_mark_paid(REIMBURSEMENT, actor=actor, payment=payment, bank_reference=bank_reference)


def payment_mark_failed(*, actor, payment: ReimbursementPayment, reason: str) -> ReimbursementPayment:
    return disbursement.payment_mark_failed(REIMBURSEMENT, actor=actor, payment=payment, reason=reason)


def payment_retry(*, actor, payment: ReimbursementPayment, batch: PaymentBatch | None = None
                  ) -> ReimbursementPayment:
    """A new attempt (new idempotency key) for a failed payment, to the person's current bank account.
    Only one attempt can be live: a second retry of the same failure is refused."""
    return disbursement.payment_retry(REIMBURSEMENT, actor=actor, payment=payment, batch=batch)


# --- visits, sites --------------------------------------------------------------------------------


@transaction.atomic
def visit_record(*, actor, node: UnionNode, visited_on: dt.date, headcount: int, goods: str, value_fen: int,
                 enterprise: Enterprise | None = None, site: ServiceSite | None = None,
                 programme: BenefitProgramme | None = None, note: str = "") -> Visit:
    require(actor, Cap.BENEFIT)
    ensure_path_in_scope(actor, node.path)
    errors: dict[str, list[str]] = {}
    if enterprise is None and site is None:
        errors["enterprise"] = [_("请选择走访的单位或服务阵地")]
    if enterprise is not None and not path_in_scope(actor, enterprise.union.path):
        errors["enterprise"] = [_("该单位不在您的管辖范围内")]
    if site is not None and not path_in_scope(actor, site.union.path):
        errors["site"] = [_("该阵地不在您的管辖范围内")]
    if programme is not None and not path_in_scope(actor, programme.node.path) \
            and not node.path.startswith(programme.node.path):
        errors["programme"] = [_("该项目不在您的管辖范围内")]
    if not isinstance(headcount, int) or headcount < 1 or headcount > 1_000_000:
        errors["headcount"] = [_("慰问人数应为 1 到 1,000,000")]
    if not (goods or "").strip():
        errors["goods"] = [_("请填写物资")]
    if not isinstance(value_fen, int) or value_fen < 0 or value_fen > 10**11:
        errors["value_fen"] = [_("价值应为非负金额")]
    if visited_on is None or visited_on > timezone.localdate():
        errors["visited_on"] = [_("走访日期不能晚于今天")]
    if errors:
        raise ValidationError(errors)
    visit = Visit.objects.create(programme=programme, node=node, enterprise=enterprise, site=site,
                                 visited_on=visited_on, headcount=headcount, goods=goods.strip()[:255],
                                 value_fen=value_fen, note=(note or "")[:255], staff=actor)
    audit(actor=actor, verb="visit.record", obj=visit, object_repr=f"{visited_on} {goods[:60]}", node_path=node.path,
          new={"enterprise": enterprise, "site": site, "headcount": headcount, "value_fen": value_fen})
    return visit


@transaction.atomic
def site_usage_record(*, actor, site: ServiceSite, day: dt.date, visitors: int) -> SiteUsage:
    """One count per site per day; recording the day again replaces the count (audited with the old)."""
    require(actor, Cap.BENEFIT)
    ensure_path_in_scope(actor, site.union.path)
    if not isinstance(visitors, int) or visitors < 0 or visitors > 1_000_000:
        raise ValidationError({"visitors": [_("服务人次应为 0 到 1,000,000")]})
    if day is None or day > timezone.localdate():
        raise ValidationError({"day": [_("日期不能晚于今天")]})
    row = SiteUsage.objects.select_for_update().filter(site=site, day=day).first()
    old = {"visitors": row.visitors} if row else None
    if row is None:
        try:
            with transaction.atomic():
                row = SiteUsage.objects.create(site=site, day=day, visitors=visitors, recorded_by=actor)
        except IntegrityError:  # the same day recorded at the same moment by someone else
            row = SiteUsage.objects.select_for_update().get(site=site, day=day)
            old = {"visitors": row.visitors}
    if old is not None:
        row.visitors, row.recorded_by = visitors, actor
        row.save(update_fields=["visitors", "recorded_by", "updated_at"])
    audit(actor=actor, verb="site_usage.record", obj=site, node_path=site.union.path, old=old,
          new={"day": day, "visitors": visitors})
    return row


@transaction.atomic
def site_profile_save(*, actor, site: ServiceSite, district: str, offerings: list[str], boards: list[str],
                      opening_hours: str = "", capacity: int | None = None, intro: str = "") -> SiteProfile:
    require(actor, Cap.BENEFIT)
    ensure_path_in_scope(actor, site.union.path)
    errors: dict[str, list[str]] = {}
    district = (district or "").strip()
    if not district:
        errors["district"] = [_("请填写所在区")]
    offerings = [o.strip()[:30] for o in offerings if o and o.strip()][:20]
    if any(b not in ServiceBoard.values for b in boards):
        errors["boards"] = [_("服务板块无效")]
    if capacity is not None and (capacity < 0 or capacity > 100_000):
        errors["capacity"] = [_("可容纳人数无效")]
    if errors:
        raise ValidationError(errors)
    profile = SiteProfile.objects.select_for_update().filter(site=site).first()
    before = snapshot(profile, ["district", "offerings", "boards", "capacity", "intro"]) if profile else {}
    if profile is None:
        profile = SiteProfile(site=site)
    profile.district, profile.offerings, profile.boards = district[:40], offerings, list(boards)
    profile.capacity, profile.intro = capacity, intro or ""
    profile.save()
    if opening_hours != site.opening_hours:
        ServiceSite.objects.filter(pk=site.pk).update(opening_hours=opening_hours[:120])
        site.opening_hours = opening_hours[:120]
    old, new = diff(before, snapshot(profile, ["district", "offerings", "boards", "capacity", "intro"]))
    audit(actor=actor, verb="site_profile.save", obj=site, node_path=site.union.path, old=old,
          new={**new, "opening_hours": site.opening_hours})
    return profile
