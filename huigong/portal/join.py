"""网上入会: routing a worker's application to the right union, submitting it (catching duplicates),
and the deciding union's accept / reject. Workers' writes take their account; staff writes take the
actor and check MEMBER_WRITE and the subtree."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huigong.accounts.models import Cap
from huigong.core import duties, idnumber
from huigong.core.audit import audit
from huigong.core.notify.services import notify
from huigong.core.crypto import blind_index
from huigong.core.scope import ensure_path_in_scope, path_in_scope, require
from huigong.members import services as member_services
from huigong.members.models import EmploymentForm, Membership, MembershipStatus, Person
from huigong.orgs.models import MEMBERSHIP_LEVELS, Enterprise, EnterpriseKind, NodeLevel, UnionNode

from .models import (
    OPEN_JOIN_STATUSES,
    PENDING_JOIN_STATUSES,
    ConsentPurpose,
    JoinApplication,
    JoinStatus,
    RouteRule,
    WorkerAccount,
)
from .services import account_link_person


@dataclass(frozen=True)
class Route:
    union: UnionNode
    rule: str

    @property
    def rule_label(self) -> str:
        return RouteRule(self.rule).label


def _district_of(node: UnionNode) -> UnionNode | None:
    """The district (区/县) union at or above `node`."""
    if node.level == NodeLevel.DISTRICT:
        return node
    return UnionNode.objects.get_ancestors(node).filter(level=NodeLevel.DISTRICT).order_by("-depth").first()


def area_union(district: UnionNode, employment_form: str = "") -> Route:
    """The area's 联合工会: a JOINT union directly under the district (else anywhere below it); when the
    district has several, the one holding most members of the worker's employment form (a courier goes
    where the area's couriers are). When the district has none, the district union itself decides (and
    places the member on acceptance)."""
    below = UnionNode.objects.filter(path__startswith=district.path, level=NodeLevel.JOINT).exclude(pk=district.pk)
    joints = list(below.filter(depth=district.depth + 1).order_by("path")) or list(below.order_by("depth", "path"))
    if not joints:
        return Route(district, RouteRule.AREA_DISTRICT)
    if len(joints) > 1 and employment_form:
        counts = dict(Membership.objects.filter(union__in=joints, status=MembershipStatus.ACTIVE,
                                                person__employment_form=employment_form)
                      .values_list("union").annotate(n=Count("id")).values_list("union", "n"))
        joints.sort(key=lambda u: -counts.get(u.pk, 0))  # stable: path order among equals
    return Route(joints[0], RouteRule.AREA_JOINT)


def join_route(*, employer: Enterprise | None = None, platform: Enterprise | None = None,
               area: UnionNode | None = None, employment_form: str = "") -> Route:
    """The routing rule: the union that covers the employer (its own grassroots union, or the joint/industry
    union it belongs to); else the platform's union; else the area's 联合工会 (or the district union).
    Without an area, the employer's or platform's district is used."""
    if employer is not None and employer.union.level in MEMBERSHIP_LEVELS:
        return Route(employer.union, RouteRule.EMPLOYER)
    if platform is not None and platform.union.level in MEMBERSHIP_LEVELS:
        return Route(platform.union, RouteRule.PLATFORM)
    district = area
    if district is None:
        for unit in (employer, platform):
            if unit is not None:
                district = _district_of(unit.union)
                if district is not None:
                    break
    if district is None:
        raise ValidationError({"area": [_("请选择工作所在的区县")]})
    if district.level != NodeLevel.DISTRICT:
        raise ValidationError({"area": [_("请选择区/县一级的工作区域")]})
    return area_union(district, employment_form)


@dataclass
class Draft:
    """What the worker entered, step by step (kept between pages, the ID number encrypted)."""

    name: str = ""
    id_number: str = ""
    employment_form: str = ""
    job_title: str = ""
    employer: Enterprise | None = None
    platform: Enterprise | None = None
    area: UnionNode | None = None


def clean_identity(*, name: str, id_number: str) -> tuple[str, str]:
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("请填写姓名")]
    elif len(name) > 50:
        errors["name"] = [_("姓名过长")]
    number = ""
    try:
        number = idnumber.parse(id_number or "").number
    except idnumber.IdNumberError as e:
        errors["id_number"] = [str(e)]
    if errors:
        raise ValidationError(errors)
    return name, number


@dataclass(frozen=True)
class Check:
    """What submitting would do: the route, an active membership elsewhere (a transfer, only shown once the
    account's phone proved the record is theirs), and whether the union must verify the ID in person."""

    route: Route
    current: Membership | None
    needs_verification: bool = False


# Refusals that concern someone else's record say the same thing, so the confirm page is no oracle.
CANNOT_SUBMIT = (gettext_lazy("该身份证号暂时不能在线提交，请携带身份证到工会当面办理"))
OWN_PENDING = (gettext_lazy("您已提交过入会申请，正在审核中，可在首页查看进度"))
ACCOUNT_OTHER_PERSON = gettext_lazy("该账号已绑定其他职工身份")
MAX_ID_NUMBERS_PER_DAY = 3


def _throttle_id_numbers(account: WorkerAccount, id_hash: str) -> None:
    """One account may try a few different ID numbers a day (typos), not walk through a list of them.
    Counted in the database, so every server process sees the same count."""
    from .models import IdentityCheck

    day = timezone.localdate()
    seen = IdentityCheck.objects.filter(account=account, day=day)
    if seen.filter(id_number_hash=id_hash).exists():
        return
    if seen.count() >= MAX_ID_NUMBERS_PER_DAY:
        raise ValidationError({"id_number": [
            _("今天核验的身份证号次数已达上限，请明天再试")]})
    try:
        with transaction.atomic():
            IdentityCheck.objects.create(account=account, day=day, id_number_hash=id_hash)
    except IntegrityError:  # the same number checked concurrently
        pass


def identity_matches(account: WorkerAccount, person: Person, name: str) -> bool:
    """The record is the account holder's own: already linked, or its phone is the account's
    SMS-verified phone and the name matches."""
    if account.person_id == person.pk:
        return True
    return bool(person.phone_hash) and person.phone_hash == account.phone_hash and person.name == name


def join_check(*, account: WorkerAccount, draft: Draft) -> Check:
    """Everything submit refuses, found before submitting: so the confirm page can say it first. About a
    record that is not provably the account holder's it says nothing (see CANNOT_SUBMIT)."""
    name, number = clean_identity(name=draft.name, id_number=draft.id_number)
    if draft.employment_form not in EmploymentForm.values:
        raise ValidationError({"employment_form": [_("请选择用工形式")]})
    if draft.platform is not None and draft.platform.kind != EnterpriseKind.PLATFORM:
        raise ValidationError({"platform": [_("所选单位不是平台企业")]})
    route = join_route(employer=draft.employer, platform=draft.platform, area=draft.area,
                       employment_form=draft.employment_form)
    h = blind_index(number, "id")
    _throttle_id_numbers(account, h)
    person = Person.objects.filter(id_number_hash=h).only("pk", "name", "phone_hash").first()
    if account.person_id and (person is None or person.pk != account.person_id):
        raise ValidationError({"id_number": [ACCOUNT_OTHER_PERSON]})
    pending_by = (JoinApplication.objects.filter(id_number_hash=h, status__in=OPEN_JOIN_STATUSES)
                  .values_list("account_id", flat=True).first())
    if pending_by is not None:
        # The worker's own application may be named (they know of it); anyone else's may not.
        raise ValidationError({"id_number": [OWN_PENDING if pending_by == account.pk else CANNOT_SUBMIT]})
    current, needs_verification = None, False
    if person is not None:
        if identity_matches(account, person, name):
            current = (Membership.objects.select_related("union")
                       .filter(person=person, status=MembershipStatus.ACTIVE).first())
            if current is not None and current.union_id == route.union.pk:
                raise ValidationError({"id_number": [
                    _("您已是%(union_name)s的会员，无需重复入会") % {"union_name": current.union.name}]})
        else:
            needs_verification = True
    return Check(route, current, needs_verification)


@transaction.atomic
def join_submit(*, account: WorkerAccount, draft: Draft) -> JoinApplication:
    """Submits the application. A member of another union gets a transfer application (会员关系转接)
    instead of a second membership; a second pending application by the same ID number is refused."""
    from .selectors import consent_active

    if not consent_active(account, ConsentPurpose.ID_NUMBER):
        raise ValidationError({"id_number": [
            _("请先同意身份证号使用授权")]})
    check = join_check(account=account, draft=draft)
    name, number = clean_identity(name=draft.name, id_number=draft.id_number)
    try:
        with transaction.atomic():
            app = JoinApplication.objects.create(
                account=account, name=name, id_number=number, id_number_hash=blind_index(number, "id"),
                id_number_mask=idnumber.mask(number), phone_mask=account.phone_mask,
                employment_form=draft.employment_form, job_title=(draft.job_title or "")[:50],
                employer=draft.employer, platform=draft.platform, area=draft.area,
                routed_to=check.route.union, route_rule=check.route.rule,
                status=JoinStatus.TRANSFER_OFFERED if check.current else JoinStatus.SUBMITTED,
                transfer_from=check.current, needs_verification=check.needs_verification)
    except IntegrityError:  # a concurrent submit (same ID number, or same account) won the race
        if JoinApplication.objects.filter(account=account, status__in=OPEN_JOIN_STATUSES).exists():
            raise ValidationError({"id_number": [OWN_PENDING]}) from None
        raise ValidationError({"id_number": [CANNOT_SUBMIT]}) from None
    audit(actor=account.user, verb="portal.join.submit", obj=app, node_path=app.routed_to.path,
          new={"routed_to": app.routed_to_id, "rule": app.route_rule, "status": app.status,
               "id_number_mask": app.id_number_mask, "needs_verification": app.needs_verification})
    return app


@transaction.atomic
def join_withdraw(*, account: WorkerAccount, application: JoinApplication) -> JoinApplication:
    app = JoinApplication.objects.select_for_update().get(pk=application.pk)
    if app.account_id != account.pk:
        raise PermissionDenied
    if app.status not in OPEN_JOIN_STATUSES:
        raise ValidationError({"status": [_("该申请已处理，不能撤回")]})
    old = app.status
    if app.status == JoinStatus.TRANSFER_REQUESTED and app.transfer_request_id:
        req = member_services.transfer_request_cancel(actor=account.user, request=app.transfer_request,
                                                      reason="申请人撤回入会申请", by_applicant=True)
        if req.status != "cancelled":  # answered meanwhile: the answer stands
            raise ValidationError({"status": ["原工会已答复，不能撤回"]})
    app.status, app.decided_at = JoinStatus.WITHDRAWN, timezone.now()
    app.save(update_fields=["status", "decided_at"])
    audit(actor=account.user, verb="portal.join.withdraw", obj=app, node_path=app.routed_to.path,
          old={"status": old}, new={"status": app.status})
    return app


def _lock_pending(actor, application: JoinApplication) -> JoinApplication:
    require(actor, Cap.MEMBER_WRITE)
    app = (JoinApplication.objects.select_for_update(of=("self",))
           .select_related("routed_to", "account", "employer", "platform").get(pk=application.pk))
    ensure_path_in_scope(actor, app.routed_to.path)
    duties.ensure_not_party(actor, [app.account.user_id])
    if app.status not in PENDING_JOIN_STATUSES:
        raise ValidationError({"status": [
            _("该申请已是“%(status)s”状态，不能再处理") % {"status": app.get_status_display()}]})
    return app


def needs_verification(app: JoinApplication) -> bool:
    """The application may link the account to a record that is not provably the applicant's: flagged at
    submit, or a record with this ID number appeared (or its phone changed) since. Decided applications
    report what was flagged."""
    if app.needs_verification or not app.is_pending:
        return app.needs_verification
    person = Person.objects.filter(id_number_hash=app.id_number_hash).only("pk", "name", "phone_hash").first()
    return person is not None and not identity_matches(app.account, person, app.name)


def employer_outside_scope(actor, app: JoinApplication) -> bool:
    """The applicant's employer lies outside the deciding staff's subtree: the member record will not name it."""
    return bool(app.employer_id) and not path_in_scope(actor, app.employer.union.path)


NAME_MISMATCH = "申请人填写的姓名与该身份证号的登记信息不一致，不能通过；请退回申请或请申请人到工会当面办理"


@transaction.atomic
def join_accept(*, actor, application: JoinApplication, union: UnionNode | None = None,
                verification_note: str = "") -> JoinApplication:
    """Accepts: registers the member in the routed union — or, when it was routed to a district union that
    cannot hold members, in `union` below it — links the worker's account to the person and tells them.
    What happens is decided from the person's record now, not when the worker applied.

    An ID number on file is never taken over by acceptance:
    - the stated name must match the record;
    - a record that is not provably the applicant's (`needs_verification`: its phone is not the account's
      SMS-verified phone) is accepted only with a note of how the ID card was checked in person;
    - an active membership in another union is not moved: a transfer request (会员关系转接请求) goes to that
      union, and the application waits (TRANSFER_REQUESTED) until it answers or the deadline passes. Only
      when the acting staff also cover the releasing union and the worker proved to be the member does the
      transfer happen at once (they are the releasing side too);
    - the record's job is rewritten from the application only when the worker proved to be the member."""
    app = _lock_pending(actor, application)
    target = union or app.routed_to
    if not target.path.startswith(app.routed_to.path):
        raise ValidationError({"union": [_("入会工会须是受理工会或其下级工会")]})
    if not target.can_hold_members:
        raise ValidationError({"union": [_("请选择可以发展会员的基层或联合工会")]})
    ensure_path_in_scope(actor, target.path)
    note = (verification_note or "").strip()[:255]
    account = WorkerAccount.objects.select_for_update().get(pk=app.account_id)
    person = Person.objects.filter(id_number_hash=app.id_number_hash).first()
    proven = person is not None and identity_matches(account, person, app.name)
    unverified = app.needs_verification or (person is not None and not proven)
    if person is not None and person.name != app.name:
        raise ValidationError({"name": [NAME_MISMATCH]})
    if unverified and not note:
        raise ValidationError({"verification_note": [(
            _("身份待核实：请当面查验申请人身份证后填写核实方式/说明"))]})
    if account.person_id and (person is None or account.person_id != person.pk):
        raise ValidationError({"account": [ACCOUNT_OTHER_PERSON]})
    current = (Membership.objects.select_for_update().select_related("union")
               .filter(person=person, status=MembershipStatus.ACTIVE).first()) if person is not None else None
    app.verification_note, app.needs_verification = note, unverified
    if current is not None and current.union_id != target.pk and not (
            proven and path_in_scope(actor, current.union.path)):
        return _request_transfer(actor=actor, app=app, account=account, person=person, target=target,
                                 proven=proven)
    employer = None if employer_outside_scope(actor, app) else app.employer
    work = {"employment_form": app.employment_form, "employer": employer, "platform": app.platform,
            "job_title": app.job_title}
    if current is not None:
        if current.union_id != target.pk:
            # 会员关系转接 asked for by the member (proven), carried out by staff who cover both unions.
            transfer = member_services.membership_transfer(
                actor=actor, person=person, to_union=target,
                reason=_("网上入会申请 #%(app_pk)s：职工本人申请转入") % {"app_pk": app.pk})
            membership = transfer.to_membership
        else:
            membership = current  # joined this union meanwhile: nothing to register
        if proven:  # the member's own statement of their new job
            member_services.person_update(actor=actor, person=person, **work)
    else:
        membership = member_services.member_register(
            actor=actor, union=target, name=app.name, id_number=app.id_number, phone=app.account.phone,
            source="online", **work)
        person = membership.person
    account_link_person(account, person)
    app.status, app.membership, app.decided_by, app.decided_at = JoinStatus.ACCEPTED, membership, actor, timezone.now()
    app.save(update_fields=["status", "membership", "decided_by", "decided_at", "verification_note",
                            "needs_verification"])
    audit(actor=actor, verb="portal.join.accept", obj=app, node_path=app.routed_to.path,
          old={"status": application.status}, new={"status": app.status, "membership": membership.pk,
                                                   "union": target.pk, "verification_note": note})
    _tell_accepted(account, person, target, membership)
    return app


def _tell_accepted(account, person, union, membership) -> None:
    notify(event="join.decided", key=f"membership:{membership.pk}:joined", user=account.user, person=person, node_path=union.path, title=f"入会申请已通过：欢迎加入{union.name}",
                 body=f"您的入会申请已由{union.name}审核通过，会员卡号 {membership.card_no}。"
                      f"在“我的”页面可以查看电子会员卡。",
                 link=reverse("portal:me"))


def _request_transfer(*, actor, app: JoinApplication, account, person, target, proven: bool) -> JoinApplication:
    """The ID number is an active member of a union the deciding staff do not cover (or the worker did not
    prove to be that member): ask that union. Nothing moves and the account is not linked until it agrees."""
    req = member_services.transfer_request_create(
        actor=actor, person=person, to_union=target, identity_confirmed=proven,
        reason=f"网上入会申请 #{app.pk}（{target.name}受理）")
    old = app.status
    app.status, app.transfer_request, app.decided_by = JoinStatus.TRANSFER_REQUESTED, req, actor
    app.save(update_fields=["status", "transfer_request", "decided_by", "verification_note", "needs_verification"])
    audit(actor=actor, verb="portal.join.transfer_request", obj=app, node_path=app.routed_to.path,
          old={"status": old}, new={"status": app.status, "transfer_request": req.pk, "union": target.pk,
                                    "verification_note": app.verification_note})
    notify(event="join.decided", key=f"join:{app.pk}:transfer_requested", user=account.user, node_path=app.routed_to.path, title="入会申请已受理，等待原工会确认转接",
                 body=f"{target.name}已同意接收您。您目前的会籍在其他工会，须经原工会确认后才能转入，"
                      f"原工会须在{timezone.localtime(req.deadline):%Y-%m-%d}前答复。结果会通过消息通知您。",
                 link=reverse("portal:join_detail", args=[app.pk]))
    return app


def join_settle_transfer(request) -> JoinApplication | None:
    """Brings the join application waiting on a transfer request up to date once the request is answered
    (accepted, refused, expired or cancelled) and tells the worker. Call inside the transaction that
    answered it; the periodic job calls it for requests that expired. Idempotent."""
    from huigong.members.models import TransferRequestStatus

    app = (JoinApplication.objects.select_for_update(of=("self",)).select_related("routed_to", "account")
           .filter(transfer_request=request, status=JoinStatus.TRANSFER_REQUESTED).first())
    if app is None or request.status == TransferRequestStatus.PENDING:
        return app
    now = timezone.now()
    if request.status == TransferRequestStatus.ACCEPTED:
        membership = request.transfer.to_membership
        person = request.person
        account = WorkerAccount.objects.select_for_update().get(pk=app.account_id)
        # Proven by the worker (SMS) or confirmed by the union that held the record (its note).
        if account.person_id in (None, person.pk):
            account_link_person(account, person)
        if request.identity_confirmed:
            outside = app.decided_by is None or employer_outside_scope(app.decided_by, app)
            work = {"employment_form": app.employment_form, "platform": app.platform, "job_title": app.job_title,
                    "employer": None if outside else app.employer}
            _update_job(person, membership.union, work)
        app.status, app.membership, app.decided_at = JoinStatus.ACCEPTED, membership, now
        app.save(update_fields=["status", "membership", "decided_at"])
        audit(actor=request.decided_by, verb="portal.join.accept", obj=app, node_path=app.routed_to.path,
              old={"status": JoinStatus.TRANSFER_REQUESTED},
              new={"status": app.status, "membership": membership.pk, "transfer_request": request.pk})
        _tell_accepted(account, person, membership.union, membership)
        return app
    if request.status == TransferRequestStatus.REFUSED:
        reason = f"原工会不同意转出：{request.decision_note}"
    elif request.status == TransferRequestStatus.EXPIRED:
        reason = "原工会未在期限内确认转接，会籍未变动"
    else:
        reason = "转接请求已撤销"
    app.status, app.reason, app.decided_at = JoinStatus.REJECTED, reason[:255], now
    app.save(update_fields=["status", "reason", "decided_at"])
    audit(actor=request.decided_by, verb="portal.join.reject", obj=app, node_path=app.routed_to.path,
          old={"status": JoinStatus.TRANSFER_REQUESTED}, new={"status": app.status, "reason": app.reason})
    notify(event="join.decided", key=f"join:{app.pk}:rejected", user=app.account.user, node_path=app.routed_to.path, title="会员关系转接未完成",
                 body=f"{reason}。您的会籍没有变动。如有疑问，请联系原工会或{app.routed_to.name}。",
                 link=reverse("portal:join_detail", args=[app.pk]))
    return app


def _update_job(person: Person, union: UnionNode, work: dict) -> None:
    """The job the member stated in their own application, written by the system on the releasing union's
    acceptance (no staff actor of the receiving side is at hand)."""
    from huigong.core.audit import diff, snapshot

    person = Person.objects.select_for_update().get(pk=person.pk)
    before = snapshot(person, member_services.PERSON_FIELDS)
    for k, v in work.items():
        setattr(person, k, v)
    person.save(update_fields=[*work, "updated_at"])
    old, new = diff(before, snapshot(person, member_services.PERSON_FIELDS))
    if new:
        audit(actor=None, verb="person.update", obj=person, node_path=union.path, old=old, new=new)


def join_transfers_tick() -> dict:
    """The periodic job: expires transfer requests past their deadline (reminding the releasing union
    before), and tells the workers whose applications waited on them."""
    from huigong.members.models import TransferRequestStatus

    out = member_services.transfer_requests_tick()
    settled = 0
    for app in (JoinApplication.objects.select_related("transfer_request")
                .filter(status=JoinStatus.TRANSFER_REQUESTED)
                .exclude(transfer_request__status=TransferRequestStatus.PENDING)):
        with transaction.atomic():
            if join_settle_transfer(app.transfer_request) is not None:
                settled += 1
    return {**out, "settled": settled}


@transaction.atomic
def join_reject(*, actor, application: JoinApplication, reason: str) -> JoinApplication:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("请填写不通过的原因")]})
    app = _lock_pending(actor, application)
    old = app.status
    app.status, app.reason, app.decided_by, app.decided_at = JoinStatus.REJECTED, reason[:255], actor, timezone.now()
    app.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    audit(actor=actor, verb="portal.join.reject", obj=app, node_path=app.routed_to.path,
          old={"status": old}, new={"status": app.status, "reason": app.reason})
    notify(event="join.decided", key=f"join:{app.pk}:rejected", user=app.account.user, node_path=app.routed_to.path, title="入会申请未通过",
                 body=f"{app.routed_to.name}未通过您的入会申请。原因：{app.reason}",
                 link=reverse("portal:join_detail", args=[app.pk]))
    return app


@transaction.atomic
def transfer_request_answer(*, actor, request, accept: bool, note: str = ""):
    """The releasing union answers a transfer request (members' service: scope, audit on both sides) and the
    join application that waited on it is settled in the same transaction (the worker is told)."""
    if accept:
        req = member_services.transfer_request_accept(actor=actor, request=request, note=note)
    else:
        req = member_services.transfer_request_refuse(actor=actor, request=request, reason=note)
    join_settle_transfer(req)
    return req
