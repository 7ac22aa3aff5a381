from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.accounts.models import Cap
from huigong.core import idnumber, pinyin
from huigong.core import phone as phone_rules
from huigong.core.audit import audit, diff, log_access, snapshot
from huigong.core.crypto import blind_index, id_tail_index, mask_bank, mask_phone
from huigong.core.scope import ensure_path_in_scope, path_in_scope, require
from huigong.orgs.models import Enterprise, EnterpriseKind, UnionNode

from . import notifications
from .models import (
    EmploymentForm,
    Membership,
    MembershipStatus,
    MembershipTransfer,
    Person,
    TransferRequest,
    TransferRequestStatus,
)
from .selectors import current_membership, person_find_by_id_number, recorded_in_scope

# No birth_date: beside id_number_mask in an audit row it would rebuild the full ID number.
PERSON_FIELDS = ["name", "id_number_mask", "gender", "phone_mask", "ethnicity", "education",
                 "employment_form", "employer", "platform", "job_title", "front_line", "bank_name", "bank_account_mask"]


def derived_person_fields(*, name: str, id_number: str, phone: str = "", bank_account: str = "") -> dict:
    """Everything a Person row stores that follows from its raw values (hashes, masks, pinyin, the
    gender and birth date carried by the ID number). Shared by forms, the API and the bulk import."""
    info = idnumber.parse(id_number)
    py, initials = pinyin.keys(name)
    out = {
        "name": name,
        # Column widths; only prefixes are searched, so a very long (non-Chinese) name is cut.
        "name_pinyin": py[:120],
        "name_initials": initials[:20],
        "id_number": info.number,
        "id_number_hash": blind_index(info.number, "id"),
        "id_number_mask": idnumber.mask(info.number),
        "id_tail_hash": id_tail_index(info.number),
        "gender": info.gender,
        "birth_date": info.birth_date,
        "phone": phone,
        "phone_hash": blind_index(phone, "phone") if phone else "",
        "phone_mask": mask_phone(phone),
    }
    if bank_account:
        out.update(bank_account=bank_account, bank_account_hash=blind_index(bank_account, "bank"),
                   bank_account_mask=mask_bank(bank_account))
    return out


def _clean_person(*, name: str, id_number: str, phone: str, employment_form: str,
                  employer: Enterprise | None, platform: Enterprise | None, bank_account: str = "") -> dict:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("姓名不能为空")]
    elif len(name) > 50:
        errors["name"] = [_("姓名过长")]
    try:
        idnumber.parse(id_number or "")
    except idnumber.IdNumberError as e:
        errors["id_number"] = [str(e)]
    phone = phone_rules.normalize(phone or "")
    if phone and not phone_rules.is_valid(phone):
        errors["phone"] = [_("手机号格式不正确")]
    if employment_form not in EmploymentForm.values:
        errors["employment_form"] = [_("用工形式无效")]
    if platform is not None and platform.kind != EnterpriseKind.PLATFORM:
        errors["platform"] = [_("所选单位不是平台企业")]
    bank_account = (bank_account or "").replace(" ", "")
    if bank_account and not (bank_account.isdigit() and 12 <= len(bank_account) <= 30):
        errors["bank_account"] = [_("银行账号应为12到30位数字")]
    if errors:
        raise ValidationError(errors)
    return derived_person_fields(name=name, id_number=id_number, phone=phone, bank_account=bank_account)


def _ensure_units_in_scope(actor, *, employer: Enterprise | None) -> None:
    """An employer must be a unit of the actor's subtree. Platforms are not checked: a platform's
    union is often a city-level joint union above the district that registers its riders."""
    if employer is not None and not path_in_scope(actor, employer.union.path):
        raise ValidationError({"employer": [_("用人单位不在您的管辖范围内")]})


def _ensure_member_union(union: UnionNode) -> None:
    if not union.can_hold_members:
        raise ValidationError({"union": [_("该层级工会不能直接发展会员")]})


def member_register(*, actor, union: UnionNode, name: str, id_number: str, phone: str = "",
                    employment_form: str = EmploymentForm.CONTRACT, employer: Enterprise | None = None,
                    platform: Enterprise | None = None, joined_on: dt.date | None = None, ethnicity: str = "",
                    education: str = "", job_title: str = "", bank_name: str = "", bank_account: str = "",
                    source: str = "manual") -> Membership:
    """Registers a person (or finds them by ID number) and opens a membership in `union`."""
    require(actor, Cap.MEMBER_WRITE)
    ensure_path_in_scope(actor, union.path)
    _ensure_member_union(union)
    _ensure_units_in_scope(actor, employer=employer)
    data = _clean_person(name=name, id_number=id_number, phone=phone, employment_form=employment_form,
                         employer=employer, platform=platform, bank_account=bank_account)
    existing = person_find_by_id_number(data["id_number"])
    if existing is not None:
        # Outside the write transaction: a refusal keeps its access row.
        _refuse_active_elsewhere(actor, existing)
    return _member_register(actor=actor, union=union, data=data, existing=existing,
                            employment_form=employment_form, employer=employer, platform=platform,
                            joined_on=joined_on, ethnicity=ethnicity, education=education, job_title=job_title,
                            bank_name=bank_name, source=source)


@transaction.atomic
def _member_register(*, actor, union: UnionNode, data: dict, existing: Person | None, employment_form: str,
                     employer: Enterprise | None, platform: Enterprise | None, joined_on: dt.date | None,
                     ethnicity: str, education: str, job_title: str, bank_name: str, source: str) -> Membership:
    if existing is not None:
        person = Person.objects.select_for_update().get(pk=existing.pk)
        if recorded_in_scope(actor, person.record_path):
            before = snapshot(person, PERSON_FIELDS)
            for k, v in data.items():
                setattr(person, k, v)
            person.employment_form, person.employer, person.platform = employment_form, employer, platform
            person.record_path = union.path
            person.save()
            old, new = diff(before, snapshot(person, PERSON_FIELDS))
            if new:
                audit(actor=actor, verb="person.update", obj=person, node_path=union.path, old=old, new=new)
        else:
            # A former member whose record another subtree's union kept: this union records its own
            # values (what it supplies, blank where it supplies nothing) and never receives theirs.
            _reregister(actor=actor, person=person, union=union, values={
                **data, "employment_form": employment_form, "employer": employer, "platform": platform,
                "ethnicity": ethnicity, "education": education, "job_title": job_title, "bank_name": bank_name})
    else:
        try:
            with transaction.atomic():
                person = Person.objects.create(**data, employment_form=employment_form, employer=employer,
                                               platform=platform, ethnicity=ethnicity, education=education,
                                               job_title=job_title, bank_name=bank_name, record_path=union.path)
        except IntegrityError:  # registered by a concurrent request between the lookup and the insert
            raise ValidationError({"id_number": [
                _("该身份证号刚刚已被登记，请刷新后重试")]}) from None
        audit(actor=actor, verb="person.create", obj=person, node_path=union.path,
              new=snapshot(person, PERSON_FIELDS))
    try:
        with transaction.atomic():
            membership = Membership.objects.create(person=person, union=union, status=MembershipStatus.ACTIVE,
                                                   joined_on=joined_on or timezone.localdate(), source=source,
                                                   card_no=_card_no(union, person))
    except IntegrityError:
        raise ValidationError({"id_number": [_("该职工已有在会会籍")]}) \
            from None
    audit(actor=actor, verb="membership.create", obj=membership, node_path=union.path,
          new={"person": person.pk, "union": union.pk, "joined_on": membership.joined_on})
    return membership


# What a union collects about a person, reset when a union of another subtree registers them.
UNION_RECORDED = {"phone": None, "phone_hash": "", "phone_mask": "", "bank_account": None, "bank_account_hash": "",
                  "bank_account_mask": "", "bank_name": "", "ethnicity": "", "education": "", "job_title": "",
                  "political_status": "", "employee_no": "", "address": "", "contract_start": None,
                  "contract_end": None, "employer": None, "platform": None}


def _refuse_active_elsewhere(actor, person: Person) -> None:
    """An active member of another union is moved by 会员关系转接 only. Telling the actor so is a
    disclosure about someone else's member: it says no more than a transfer request needs (the
    other union is named only when it is inside the actor's own subtree) and leaves an access row
    at the owning union, committed even though the registration is refused."""
    active = person.memberships.filter(status=MembershipStatus.ACTIVE).select_related("union").first()
    if active is None:
        return
    if path_in_scope(actor, active.union.path):
        where = active.union.name
    else:
        where = "其他工会"
        log_access(actor=actor, object_type="members.person", object_id=str(person.pk),
                   fields=["membership_status"], purpose=REGISTRY_CONFLICT_PURPOSE, node_path=active.union.path)
    raise ValidationError({"id_number": [
        _("该身份证号已是%(where)s的会员，请办理会员关系转接") % {"where": where}]})


REGISTRY_CONFLICT_PURPOSE = "登记/导入时提示该身份证号已在其他工会在会，需办理会员关系转接"


def _reregister(*, actor, person: Person, union: UnionNode, values: dict) -> None:
    """Replaces a record kept by another subtree's union with what `union` records (shared fields
    such as the name included) and leaves an event on each side: the old union's node sees which
    fields were replaced and its own former values, the new union's node sees its own new values."""
    old_path = person.record_path
    before = snapshot(person, PERSON_FIELDS)
    old_name = person.name
    for k, v in {**UNION_RECORDED, **values}.items():
        setattr(person, k, v)
    person.record_path = union.path
    person.save()
    after = snapshot(person, PERSON_FIELDS)
    changed = [k for k in PERSON_FIELDS if before.get(k) != after.get(k)]
    audit(actor=actor, verb="person.reregister", obj=person, node_path=union.path, new=after)
    if old_path:
        audit(actor=actor, verb="person.reregister_elsewhere", obj=person, object_repr=old_name,
              node_path=old_path, old=before, new={"fields": changed})


def _card_no(union: UnionNode, person: Person) -> str:
    return f"{union.region_code or '000000'}{person.pk:010d}"


@transaction.atomic
def person_update(*, actor, person: Person, **changes) -> Person:
    require(actor, Cap.MEMBER_WRITE)
    membership = current_membership(person)
    if membership is None:
        raise PermissionDenied
    ensure_path_in_scope(actor, membership.union.path)
    allowed = {"name", "phone", "employment_form", "employer", "platform", "ethnicity", "education", "job_title",
               "front_line", "bank_name", "bank_account"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({f: [_("不可修改")] for f in unknown})
    person = Person.objects.select_for_update().get(pk=person.pk)
    if "employer" in changes and getattr(changes["employer"], "pk", None) != person.employer_id:
        _ensure_units_in_scope(actor, employer=changes["employer"])
    before = snapshot(person, PERSON_FIELDS)
    data = _clean_person(
        name=changes.get("name", person.name), id_number=person.id_number,
        phone=changes.get("phone", person.phone), employment_form=changes.get("employment_form",
                                                                             person.employment_form),
        employer=changes.get("employer", person.employer), platform=changes.get("platform", person.platform),
        bank_account=changes.get("bank_account", person.bank_account),
    )
    for k, v in data.items():
        setattr(person, k, v)
    for k in ("employment_form", "employer", "platform", "ethnicity", "education", "job_title", "front_line",
              "bank_name"):
        if k in changes:
            setattr(person, k, changes[k])
    person.save()
    old, new = diff(before, snapshot(person, PERSON_FIELDS))
    if new:
        audit(actor=actor, verb="person.update", obj=person, node_path=membership.union.path, old=old, new=new)
    return person


@transaction.atomic
def membership_transfer(*, actor, person: Person, to_union: UnionNode, reason: str = "",
                        on: dt.date | None = None, requested_by_member: bool = False) -> MembershipTransfer:
    """会员关系转接: ends the active membership and opens one in `to_union`, keeping both. The
    releasing union's staff (or anyone above it) carries it out; when the member asked for it
    themself (an online join application, `requested_by_member`), the receiving union's staff do."""
    require(actor, Cap.MEMBER_WRITE)
    current = (Membership.objects.select_for_update().select_related("union")
               .filter(person=person, status=MembershipStatus.ACTIVE).first())
    if current is None:
        raise ValidationError({"person": [_("该职工没有在会会籍，无法转接")]})
    ensure_path_in_scope(actor, to_union.path if requested_by_member else current.union.path)
    _ensure_member_union(to_union)
    if to_union.pk == current.union_id:
        raise ValidationError({"to_union": [_("转入工会与当前工会相同")]})
    on = on or timezone.localdate()
    current.status, current.ended_on = MembershipStatus.TRANSFERRED, on
    current.save(update_fields=["status", "ended_on"])
    new = Membership.objects.create(person=person, union=to_union, status=MembershipStatus.ACTIVE, joined_on=on,
                                    source="transfer", card_no=current.card_no)
    transfer = MembershipTransfer.objects.create(person=person, from_membership=current, to_membership=new,
                                                 reason=reason, actor=actor)
    # 转接 hands the record over with the member (both unions are party to it).
    Person.objects.filter(pk=person.pk).update(record_path=to_union.path)
    person.record_path = to_union.path
    audit(actor=actor, verb="membership.transfer", obj=person, node_path=current.union.path,
          old={"union": current.union_id}, new={"union": to_union.pk, "reason": reason})
    audit(actor=actor, verb="membership.transfer_in", obj=person, node_path=to_union.path,
          old={"union": current.union_id}, new={"union": to_union.pk, "reason": reason})
    notifications.transfer_done(transfer, requested_by_member=requested_by_member)
    return transfer


@transaction.atomic
def membership_withdraw(*, actor, person: Person, reason: str, on: dt.date | None = None) -> Membership:
    require(actor, Cap.MEMBER_WRITE)
    current = (Membership.objects.select_for_update().select_related("union")
               .filter(person=person, status=MembershipStatus.ACTIVE).first())
    if current is None:
        raise ValidationError({"person": [_("该职工没有在会会籍")]})
    ensure_path_in_scope(actor, current.union.path)
    if not reason.strip():
        raise ValidationError({"reason": [_("请填写退会原因")]})
    current.status, current.ended_on = MembershipStatus.WITHDRAWN, on or timezone.localdate()
    current.save(update_fields=["status", "ended_on"])
    audit(actor=actor, verb="membership.withdraw", obj=current, node_path=current.union.path,
          old={"status": MembershipStatus.ACTIVE}, new={"status": current.status, "reason": reason})
    return current


# --- 会员关系转接请求: the two-party handshake -------------------------------------------------------------
# A union that wants a member of another union (an online join application by someone whose ID number is
# an active member elsewhere) asks; the releasing union accepts (membership_transfer moves it) or refuses;
# after the deadline it expires. Nothing moves without the releasing side. Every step is audited against
# both unions, so each side's audit log shows it.

def transfer_request_days() -> int:
    return int(getattr(settings, "HUIGONG_TRANSFER_REQUEST_DAYS", 15))


def transfer_request_remind_days() -> int:
    return int(getattr(settings, "HUIGONG_TRANSFER_REQUEST_REMIND_DAYS", 3))


def _audit_both(*, actor, verb: str, req: TransferRequest, old: dict | None = None, new: dict | None = None) -> None:
    for path in dict.fromkeys((req.from_union.path, req.to_union.path)):
        audit(actor=actor, verb=verb, obj=req, node_path=path, old=old, new=new)


@transaction.atomic
def transfer_request_create(*, actor, person: Person, to_union: UnionNode, reason: str = "",
                            identity_confirmed: bool = False) -> TransferRequest:
    """The receiving union asks for `person`'s active membership. Refused when there is none, when it is
    already in `to_union`, or when a request for the person is pending."""
    require(actor, Cap.MEMBER_WRITE)
    ensure_path_in_scope(actor, to_union.path)
    _ensure_member_union(to_union)
    current = (Membership.objects.select_for_update().select_related("union")
               .filter(person=person, status=MembershipStatus.ACTIVE).first())
    if current is None:
        raise ValidationError({"person": ["该职工没有在会会籍，无需转接"]})
    if current.union_id == to_union.pk:
        raise ValidationError({"to_union": ["转入工会与当前工会相同"]})
    try:
        with transaction.atomic():
            req = TransferRequest.objects.create(
                person=person, from_membership=current, from_union=current.union, to_union=to_union,
                reason=(reason or "")[:255], identity_confirmed=identity_confirmed, requested_by=actor,
                deadline=timezone.now() + dt.timedelta(days=transfer_request_days()))
    except IntegrityError:
        raise ValidationError({"person": [
            "该会员已有待原工会确认的转接请求"]}) from None
    _audit_both(actor=actor, verb="membership.transfer_request.create", req=req,
                new={"from_union": current.union_id, "to_union": to_union.pk, "deadline": req.deadline,
                     "identity_confirmed": identity_confirmed, "reason": req.reason})
    return req


def _lock_request(actor, request: TransferRequest) -> TransferRequest:
    require(actor, Cap.MEMBER_WRITE)
    req = (TransferRequest.objects.select_for_update(of=("self",)).select_related("from_union", "to_union", "person")
           .get(pk=request.pk))
    # Only the releasing side answers: its staff or anyone above it. The receiving side sees the request
    # (it asked) and is told why it cannot answer; anyone else gets the 404 of an unknown request.
    if not path_in_scope(actor, req.from_union.path) and path_in_scope(actor, req.to_union.path):
        raise PermissionDenied("只有原工会可以答复转接请求")
    ensure_path_in_scope(actor, req.from_union.path)
    if not req.is_pending:
        raise ValidationError({"status": [
            f"该转接请求已是“{req.get_status_display()}”状态"]})
    if req.deadline <= timezone.now():
        raise ValidationError({"status": ["该转接请求已过答复期限"]})
    return req


@transaction.atomic
def transfer_request_accept(*, actor, request: TransferRequest, note: str = "") -> TransferRequest:
    """The releasing union agrees: the membership moves (membership_transfer, by the releasing side). When
    the worker's identity was not proven, the releasing union must have confirmed with its member (on the
    phone on record, or in person) and say how in `note`."""
    req = _lock_request(actor, request)
    note = (note or "").strip()[:255]
    if not req.identity_confirmed and not note:
        raise ValidationError({"note": [
            "申请人身份未经验证：请先按档案登记的联系方式与会员本人核实确为其本人申请转出，并写明核实方式"]})
    current = Membership.objects.filter(person=req.person, status=MembershipStatus.ACTIVE).first()
    if current is None or current.pk != req.from_membership_id:
        raise ValidationError({"status": ["该会员的会籍已变化，本请求不再适用"]})
    transfer = membership_transfer(actor=actor, person=req.person, to_union=req.to_union,
                                   reason=f"转接请求 #{req.pk}：{req.reason}"[:255])
    req.status, req.decided_by, req.decided_at = TransferRequestStatus.ACCEPTED, actor, timezone.now()
    req.decision_note, req.transfer = note, transfer
    req.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "transfer"])
    _audit_both(actor=actor, verb="membership.transfer_request.accept", req=req,
                old={"status": TransferRequestStatus.PENDING},
                new={"status": req.status, "note": note, "transfer": transfer.pk})
    return req


@transaction.atomic
def transfer_request_refuse(*, actor, request: TransferRequest, reason: str) -> TransferRequest:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["请填写不同意转出的原因"]})
    req = _lock_request(actor, request)
    req.status, req.decided_by, req.decided_at = TransferRequestStatus.REFUSED, actor, timezone.now()
    req.decision_note = reason[:255]
    req.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _audit_both(actor=actor, verb="membership.transfer_request.refuse", req=req,
                old={"status": TransferRequestStatus.PENDING}, new={"status": req.status, "reason": req.decision_note})
    notifications.transfer_refused(req)
    return req


@transaction.atomic
def transfer_request_cancel(*, actor, request: TransferRequest, reason: str, by_applicant: bool = False
                            ) -> TransferRequest:
    """Withdrawn by the asking side (its staff), or by the worker who applied (`by_applicant`: the portal
    has checked the application is theirs)."""
    req = (TransferRequest.objects.select_for_update(of=("self",)).select_related("from_union", "to_union")
           .get(pk=request.pk))
    if not by_applicant:
        require(actor, Cap.MEMBER_WRITE)
        ensure_path_in_scope(actor, req.to_union.path)
    if not req.is_pending:
        return req
    req.status, req.decided_at, req.decision_note = TransferRequestStatus.CANCELLED, timezone.now(), reason[:255]
    req.save(update_fields=["status", "decided_at", "decision_note"])
    _audit_both(actor=actor, verb="membership.transfer_request.cancel", req=req,
                old={"status": TransferRequestStatus.PENDING}, new={"status": req.status, "reason": reason})
    return req


def transfer_requests_tick(*, now: dt.datetime | None = None) -> dict:
    """The periodic job: requests past their deadline expire (nothing moves); the releasing union of a
    request whose deadline is near is reminded once (an audit event on its node, and the request is
    flagged on its list). Idempotent."""
    now = now or timezone.now()
    expired = reminded = 0
    for pk in list(TransferRequest.objects.filter(status=TransferRequestStatus.PENDING, deadline__lte=now)
                   .values_list("pk", flat=True)):
        with transaction.atomic():
            req = (TransferRequest.objects.select_for_update(of=("self",)).select_related("from_union", "to_union")
                   .filter(pk=pk, status=TransferRequestStatus.PENDING).first())
            if req is None:
                continue
            req.status, req.decided_at = TransferRequestStatus.EXPIRED, now
            req.save(update_fields=["status", "decided_at"])
            _audit_both(actor=None, verb="membership.transfer_request.expire", req=req,
                        old={"status": TransferRequestStatus.PENDING}, new={"status": req.status})
            expired += 1
    soon = now + dt.timedelta(days=transfer_request_remind_days())
    for req in (TransferRequest.objects.select_related("from_union", "to_union")
                .filter(status=TransferRequestStatus.PENDING, reminded_at__isnull=True, deadline__lte=soon)):
        with transaction.atomic():
            if not TransferRequest.objects.filter(pk=req.pk, reminded_at__isnull=True).update(reminded_at=now):
                continue
            audit(actor=None, verb="membership.transfer_request.remind", obj=req, node_path=req.from_union.path,
                  new={"deadline": req.deadline})
            reminded += 1
    return {"expired": expired, "reminded": reminded}
