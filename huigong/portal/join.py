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

from huigong.accounts.models import Cap
from huigong.core import idnumber
from huigong.core.audit import audit
from huigong.core.crypto import blind_index
from huigong.core.scope import ensure_path_in_scope, path_in_scope, require
from huigong.members import services as member_services
from huigong.members.models import EmploymentForm, Membership, MembershipStatus, Person
from huigong.orgs.models import MEMBERSHIP_LEVELS, Enterprise, EnterpriseKind, NodeLevel, UnionNode

from .models import PENDING_JOIN_STATUSES, Consent, JoinApplication, JoinStatus, RouteRule, WorkerAccount
from .services import message_send


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
    return node.get_ancestors().filter(level=NodeLevel.DISTRICT).order_by("-depth").first()


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
    """The routing rule: the employer's own (grassroots) union; else the platform's union; else the
    area's 联合工会 (or the district union). Without an area, the employer's or platform's district is used."""
    if employer is not None and employer.union.level == NodeLevel.GRASSROOTS:
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
        raise ValidationError({"area": ["请选择工作所在的区县 / choose the district where you work"]})
    if district.level != NodeLevel.DISTRICT:
        raise ValidationError({"area": ["请选择区/县一级的工作区域 / choose a district"]})
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
        errors["name"] = ["请填写姓名 / name is required"]
    elif len(name) > 50:
        errors["name"] = ["姓名过长 / name is too long"]
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
    """What submitting would do: the route, and an active membership elsewhere (a transfer)."""

    route: Route
    current: Membership | None


def join_check(*, account: WorkerAccount, draft: Draft) -> Check:
    """Everything submit refuses, found before submitting: so the confirm page can say it first."""
    name, number = clean_identity(name=draft.name, id_number=draft.id_number)
    if draft.employment_form not in EmploymentForm.values:
        raise ValidationError({"employment_form": ["请选择用工形式 / choose how you are employed"]})
    if draft.platform is not None and draft.platform.kind != EnterpriseKind.PLATFORM:
        raise ValidationError({"platform": ["所选单位不是平台企业 / the selected unit is not a platform"]})
    route = join_route(employer=draft.employer, platform=draft.platform, area=draft.area,
                       employment_form=draft.employment_form)
    h = blind_index(number, "id")
    if JoinApplication.objects.filter(id_number_hash=h, status__in=PENDING_JOIN_STATUSES).exists():
        raise ValidationError({"id_number": [(
            "该身份证号已有一份入会申请正在审核，请等待结果或先撤回原申请 / an application with this ID number "
            "is already pending; wait for it or withdraw it first")]})
    person = Person.objects.filter(id_number_hash=h).only("pk", "name").first()
    current = None
    if person is not None:
        if person.name != name:
            raise ValidationError({"name": ["姓名与身份证号不一致 / the name does not match the ID number"]})
        if account.person_id and account.person_id != person.pk:
            raise ValidationError({"id_number": ["该账号已绑定其他职工身份 / this account belongs to another person"]})
        if WorkerAccount.objects.filter(person=person).exclude(pk=account.pk).exists():
            raise ValidationError({"id_number": [
                "该身份证号已绑定其他手机号账号，请用原手机号登录 / this ID number is linked to another account"]})
        current = (Membership.objects.select_related("union")
                   .filter(person=person, status=MembershipStatus.ACTIVE).first())
        if current is not None and current.union_id == route.union.pk:
            raise ValidationError({"id_number": [
                f"您已是{current.union.name}的会员，无需重复入会 / you are already a member of this union"]})
    elif account.person_id:
        raise ValidationError({"id_number": ["该账号已绑定其他职工身份 / this account belongs to another person"]})
    return Check(route, current)


@transaction.atomic
def join_submit(*, account: WorkerAccount, draft: Draft) -> JoinApplication:
    """Submits the application. A member of another union gets a transfer application (会员关系转接)
    instead of a second membership; a second pending application by the same ID number is refused."""
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
                transfer_from=check.current)
    except IntegrityError:  # a concurrent submit with the same ID number won the race
        raise ValidationError({"id_number": [
            "该身份证号已有一份入会申请正在审核 / an application with this ID number is already pending"]}) from None
    audit(actor=account.user, verb="portal.join.submit", obj=app, node_path=app.routed_to.path,
          new={"routed_to": app.routed_to_id, "rule": app.route_rule, "status": app.status,
               "id_number_mask": app.id_number_mask})
    return app


@transaction.atomic
def join_withdraw(*, account: WorkerAccount, application: JoinApplication) -> JoinApplication:
    app = JoinApplication.objects.select_for_update().get(pk=application.pk)
    if app.account_id != account.pk:
        raise PermissionDenied
    if app.status not in PENDING_JOIN_STATUSES:
        raise ValidationError({"status": ["该申请已处理，不能撤回 / this application has already been decided"]})
    old = app.status
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
    if app.status not in PENDING_JOIN_STATUSES:
        raise ValidationError({"status": [
            f"该申请已是“{app.get_status_display()}”状态，不能再处理 / this application has already been decided"]})
    return app


@transaction.atomic
def join_accept(*, actor, application: JoinApplication, union: UnionNode | None = None) -> JoinApplication:
    """Accepts: registers the member (or transfers their membership) in the routed union — or, when
    it was routed to a district union that cannot hold members, in `union` below it — links the worker's
    account to the person and tells them."""
    app = _lock_pending(actor, application)
    target = union or app.routed_to
    if not target.path.startswith(app.routed_to.path):
        raise ValidationError({"union": ["入会工会须是受理工会或其下级工会 / choose the routed union or one below it"]})
    if not target.can_hold_members:
        raise ValidationError({"union": ["请选择可以发展会员的基层或联合工会 / choose a union that holds members"]})
    ensure_path_in_scope(actor, target.path)
    if app.status == JoinStatus.TRANSFER_OFFERED:
        person = Person.objects.get(id_number_hash=app.id_number_hash)
        transfer = member_services.membership_transfer(
            actor=actor, person=person, to_union=target, requested_by_member=True,
            reason=f"网上入会申请 #{app.pk}：职工本人申请转入 / online application by the member")
        # The releasing union sees it in its own audit trail (membership.transfer carries its node).
        membership = transfer.to_membership
    else:
        employer = app.employer if app.employer and path_in_scope(actor, app.employer.union.path) else None
        membership = member_services.member_register(
            actor=actor, union=target, name=app.name, id_number=app.id_number, phone=app.account.phone,
            employment_form=app.employment_form, employer=employer, platform=app.platform,
            job_title=app.job_title, source="online")
        person = membership.person
    account = WorkerAccount.objects.select_for_update().get(pk=app.account_id)
    account.person = person
    account.save(update_fields=["person"])
    # Consents given before they were a member now name the person too.
    Consent.objects.filter(account=account, person__isnull=True).update(person=person)
    app.status, app.membership, app.decided_by, app.decided_at = JoinStatus.ACCEPTED, membership, actor, timezone.now()
    app.save(update_fields=["status", "membership", "decided_by", "decided_at"])
    audit(actor=actor, verb="portal.join.accept", obj=app, node_path=app.routed_to.path,
          old={"status": application.status}, new={"status": app.status, "membership": membership.pk,
                                                   "union": target.pk})
    message_send(account=account, person=person, title=f"入会申请已通过：欢迎加入{target.name}",
                 body=f"您的入会申请已由{target.name}审核通过，会员卡号 {membership.card_no}。"
                      f"在“我的”页面可以查看电子会员卡。",
                 link=reverse("portal:me"))
    return app


@transaction.atomic
def join_reject(*, actor, application: JoinApplication, reason: str) -> JoinApplication:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["请填写不通过的原因 / a reason is required"]})
    app = _lock_pending(actor, application)
    old = app.status
    app.status, app.reason, app.decided_by, app.decided_at = JoinStatus.REJECTED, reason[:255], actor, timezone.now()
    app.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    audit(actor=actor, verb="portal.join.reject", obj=app, node_path=app.routed_to.path,
          old={"status": old}, new={"status": app.status, "reason": app.reason})
    message_send(account=app.account, title="入会申请未通过",
                 body=f"{app.routed_to.name}未通过您的入会申请。原因：{app.reason}",
                 link=reverse("portal:join_detail", args=[app.pk]))
    return app
