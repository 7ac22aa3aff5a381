"""API routes for members, memberships and roster imports (mounted by huigong/api/api.py).

Personal data leaves only masked (the *_mask columns; lists never decrypt). The full value of an ID
number, phone or bank account comes from POST /members/{id}/reveal alone, which goes through
selectors.person_reveal and so needs the PII capability and writes an AccessLog row.
Birth dates are deliberately absent: with the masked ID (region + last four) a birth date would
give back the whole number.
A search by ID number or phone goes in the body of POST /members/search: GET /members refuses a number in
`q` (a URL ends up in access logs), and a role without the PII capability may not search by a full number."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from python_calamine import CalamineWorkbook

from huigong.api.auth import actor_of
from huigong.api.errors import fields_renamed
from huigong.api.schemas import Id, Input, PageQuery, Ref, changes_of, page_of, paginate, ref, responses
from huigong.core import searchtext
from huigong.orgs import selectors as org_selectors
from huigong.orgs.api import enterprise_ref_for_actor, node_ref_for_actor
from huigong.orgs.models import UnionNode

from . import roster, selectors, services
from .models import (
    Education,
    EmploymentForm,
    Gender,
    ImportStatus,
    Membership,
    MembershipStatus,
    Person,
    RosterImport,
)

NUMBER_IN_URL = "身份证号、手机号不能放在网址中（会留在访问日志里），请用 POST /api/v1/members/search 查找"
members_router = Router()
memberships_router = Router()
imports_router = Router()


# --- Output schemas ----------------------------------------------------------------------------------


class MembershipOut(Schema):
    id: int
    person_id: int
    person_name: str
    union: Ref
    status: MembershipStatus
    status_label: str
    joined_on: dt.date
    ended_on: dt.date | None
    card_no: str
    source: str

    @staticmethod
    def resolve_person_name(obj: Membership) -> str:
        return obj.person.name

    @staticmethod
    def resolve_union(obj: Membership) -> dict:
        return ref(obj.union)

    @staticmethod
    def resolve_status_label(obj: Membership) -> str:
        return str(obj.get_status_display())


MembershipPage = page_of(MembershipOut, "MembershipPage")


class MemberFields(Schema):
    person_id: int
    membership_id: int
    name: str
    gender: Gender
    id_number_mask: str = Field(
        ..., description=gettext_lazy("身份证号（脱敏）")
    )
    phone_mask: str
    employment_form: EmploymentForm
    employment_form_label: str
    employer: Ref | None
    platform: Ref | None
    union: Ref
    status: MembershipStatus
    joined_on: dt.date
    ended_on: dt.date | None


class MemberOut(MemberFields):
    """One member as lists show them: a membership row with its person, masked."""

    @staticmethod
    def resolve_person_id(obj: Membership) -> int:
        return obj.person_id

    @staticmethod
    def resolve_membership_id(obj: Membership) -> int:
        return obj.pk

    @staticmethod
    def resolve_name(obj: Membership) -> str:
        return obj.person.name

    @staticmethod
    def resolve_gender(obj: Membership) -> str:
        return obj.person.gender

    @staticmethod
    def resolve_id_number_mask(obj: Membership) -> str:
        return obj.person.id_number_mask

    @staticmethod
    def resolve_phone_mask(obj: Membership) -> str:
        # record_visible: see selectors.member_list_for_actor.
        return obj.person.phone_mask if getattr(obj, "record_visible", True) else ""

    @staticmethod
    def resolve_employment_form(obj: Membership) -> str:
        return obj.person.employment_form

    @staticmethod
    def resolve_employment_form_label(obj: Membership) -> str:
        return str(obj.person.get_employment_form_display())

    @staticmethod
    def resolve_employer(obj: Membership) -> dict | None:
        return ref(obj.person.employer) if getattr(obj, "record_visible", True) else None

    @staticmethod
    def resolve_platform(obj: Membership) -> dict | None:
        return ref(obj.person.platform) if getattr(obj, "record_visible", True) else None

    @staticmethod
    def resolve_union(obj: Membership) -> dict:
        return ref(obj.union)


class MemberPage(page_of(MemberOut, "MemberPageBase")):
    count: int = Field(..., description=gettext_lazy("符合条件的总数；count_exact 为 false 时为估计值"))
    count_exact: bool = Field(
        True, description=format_lazy(gettext_lazy("总数是否精确：超过 {n} 条时为估计值"), n=selectors.COUNT_EXACT_UP_TO))


class MemberDetailOut(MemberFields):
    ethnicity: str
    education: Education | None
    job_title: str
    bank_name: str
    bank_account_mask: str
    history: list[MembershipOut] = Field(
        ..., description=gettext_lazy("会籍历史（含转接、退会）")
    )


def _member_detail(person: Person, membership: Membership) -> dict:
    history = selectors.membership_history(person)
    for m in history:
        m.person = person  # MembershipOut reads the name; the person is already loaded
    return {
        "person_id": person.pk,
        "membership_id": membership.pk,
        "name": person.name,
        "gender": person.gender,
        "id_number_mask": person.id_number_mask,
        "phone_mask": person.phone_mask,
        "employment_form": person.employment_form,
        "employment_form_label": str(person.get_employment_form_display()),
        "employer": ref(person.employer),
        "platform": ref(person.platform),
        "union": ref(membership.union),
        "status": membership.status,
        "joined_on": membership.joined_on,
        "ended_on": membership.ended_on,
        "ethnicity": person.ethnicity,
        "education": person.education or None,
        "job_title": person.job_title,
        "bank_name": person.bank_name,
        "bank_account_mask": person.bank_account_mask,
        "history": history,
    }


def _detail_for_actor(actor, person_id: int) -> dict:
    person, membership = selectors.person_get_for_actor(actor, person_id)
    return _member_detail(person, membership)


# --- Input schemas -----------------------------------------------------------------------------------


class MemberFilters(PageQuery):
    q: str = Field(
        "",
        max_length=50,
        description=gettext_lazy("姓名、拼音、首字母或列表中显示的身份证号后4位（如 …041X）；身份证号、手机号不得放在网址中，请用 POST /members/search"),
    )
    union: Id | None = Field(None, description=gettext_lazy("此工会及下级"))
    employment_form: EmploymentForm | None = None
    enterprise: Id | None = Field(None, description=gettext_lazy("用人单位或平台"))
    status: MembershipStatus | Literal["all"] = Field(
        MembershipStatus.ACTIVE, description=gettext_lazy("会籍状态，all 为全部")
    )


class MemberCreateIn(Input):
    union_id: Id
    name: str = Field(..., max_length=50)
    id_number: str = Field(..., max_length=32)
    phone: str = Field("", max_length=20)
    employment_form: EmploymentForm = EmploymentForm.CONTRACT
    employer_id: Id | None = None
    platform_id: Id | None = None
    joined_on: dt.date | None = None
    ethnicity: str = Field("", max_length=20)
    education: Education | None = None
    job_title: str = Field("", max_length=50)
    bank_name: str = Field("", max_length=100)
    bank_account: str = Field("", max_length=40)


class MemberPatchIn(Input):
    name: str | None = Field(None, max_length=50)
    phone: str | None = Field(None, max_length=20)
    employment_form: EmploymentForm | None = None
    employer_id: Id | None = None
    platform_id: Id | None = None
    ethnicity: str | None = Field(None, max_length=20)
    education: Education | None = None
    job_title: str | None = Field(None, max_length=50)
    bank_name: str | None = Field(None, max_length=100)
    bank_account: str | None = Field(None, max_length=40)


PiiField = Literal["id_number", "phone", "bank_account"]


class RevealIn(Input):
    fields: list[PiiField] = Field(..., min_length=1, max_length=3)
    purpose: str = Field(
        ..., max_length=255, description=gettext_lazy("查看用途（记入查看记录）")
    )


class RevealOut(Schema):
    person_id: int
    values: dict[str, str]


class TransferIn(Input):
    to_union_id: Id = Field(
        ..., description=gettext_lazy("转入工会（可在本辖区外）")
    )
    reason: str = Field("", max_length=255)
    on: dt.date | None = None


class TransferOut(Schema):
    id: int
    person_id: int
    from_membership: MembershipOut
    to_membership: MembershipOut
    reason: str
    at: dt.datetime


class WithdrawIn(Input):
    reason: str = Field(..., max_length=255)
    on: dt.date | None = None


class MembershipFilters(PageQuery):
    person: Id | None = None
    union: Id | None = Field(None, description=gettext_lazy("此工会及下级"))
    status: MembershipStatus | None = None
    joined_from: dt.date | None = None
    joined_to: dt.date | None = None


class MemberSearchIn(MemberFilters):
    """The member list's filters in a body, for searches by ID number or phone."""

    q: str = Field(
        "",
        max_length=50,
        description=gettext_lazy("姓名、拼音、首字母、完整身份证号、身份证号后4至6位（可带 * 或 …，如 1101**********041X；5至6位需“查看完整敏感信息”权限）或手机号"),
    )


def _references(actor, data: dict) -> dict:
    """Replaces *_id keys of a body by the objects the services take, each checked against scope."""
    if "employer_id" in data:
        eid = data.pop("employer_id")
        data["employer"] = None if eid is None else enterprise_ref_for_actor(actor, eid, "employer_id")
    if "platform_id" in data:
        pid = data.pop("platform_id")
        data["platform"] = None if pid is None else enterprise_ref_for_actor(actor, pid, "platform_id")
    if "education" in data:
        data["education"] = data["education"] or ""
    return data


def _transfer_target(union_id: Id) -> UnionNode:
    # A membership may move to any union in the country (the releasing side carries it out, see
    # services.membership_transfer), so this lookup is deliberately not scoped to the actor.
    node = UnionNode.objects.filter(pk=union_id).first()
    if node is None:
        raise ValidationError({"to_union_id": [gettext("工会 %(union_id)s 不存在") % {"union_id": union_id}]})
    return node


# --- Members -----------------------------------------------------------------------------------------


@members_router.get(
    "", response=responses({200: MemberPage}), summary=gettext_lazy("会员列表（脱敏）")
)
def member_list(request, filters: Query[MemberFilters]):
    actor = actor_of(request)
    # Refused even though this one already reached the access log: clients learn to use the POST route.
    if searchtext.looks_personal(filters.q):
        raise ValidationError({"q": [NUMBER_IN_URL]})
    return _member_page(actor, filters)


@members_router.post(
    "/search",
    response=responses({200: MemberPage}, body=True),
    summary=gettext_lazy("按身份证号、手机号等查找会员（脱敏）"),
    description=gettext_lazy("与 GET /members 相同的筛选与分页，参数放在请求体中：身份证号、手机号不会出现在网址和访问日志中。按完整号码查找需要“查看完整敏感信息”权限。"),
)
def member_search(request, payload: MemberSearchIn):
    return _member_page(actor_of(request), payload)


def _member_page(actor, filters: MemberFilters) -> dict:
    node = org_selectors.node_get_for_actor(actor, filters.union) if filters.union is not None else None
    qs = selectors.member_list_for_actor(
        actor,
        q=filters.q,
        node=node,
        employment_form=filters.employment_form or "",
        enterprise_id=filters.enterprise,
        status="" if filters.status == "all" else filters.status,
    )
    count, exact = selectors.count_members(qs)
    items = list(qs[filters.offset : filters.offset + filters.limit])
    return {"count": count, "count_exact": exact, "limit": filters.limit, "offset": filters.offset, "items": items}


@members_router.get(
    "/{int:person_id}",
    response=responses({200: MemberDetailOut}),
    summary=gettext_lazy("会员详情（脱敏，含会籍历史）"),
)
def member_get(request, person_id: Id):
    return _detail_for_actor(actor_of(request), person_id)


@members_router.post(
    "", response=responses({201: MemberDetailOut}, body=True), summary=gettext_lazy("会员登记")
)
def member_create(request, payload: MemberCreateIn):
    actor = actor_of(request)
    data = _references(actor, payload.dict())
    union = node_ref_for_actor(actor, data.pop("union_id"), "union_id")
    membership = services.member_register(actor=actor, union=union, **data)
    return Status(201, _detail_for_actor(actor, membership.person_id))


@members_router.patch(
    "/{int:person_id}",
    response=responses({200: MemberDetailOut}, body=True),
    summary=gettext_lazy("修改会员信息"),
)
def member_update(request, person_id: Id, payload: MemberPatchIn):
    actor = actor_of(request)
    person, _ = selectors.person_get_for_actor(actor, person_id)
    changes = _references(actor, changes_of(payload, nullable=("employer_id", "platform_id", "education")))
    services.person_update(actor=actor, person=person, **changes)
    return _detail_for_actor(actor, person_id)


@members_router.post(
    "/{int:person_id}/reveal",
    response=responses({200: RevealOut}, body=True),
    summary=gettext_lazy("查看完整敏感信息（留痕）"),
)
def member_reveal(request, person_id: Id, payload: RevealIn, response: HttpResponse):
    actor = actor_of(request)
    person, _ = selectors.person_get_for_actor(actor, person_id)
    if not payload.purpose.strip():
        raise ValidationError({"purpose": [gettext("请填写查看用途")]})
    fields = list(dict.fromkeys(payload.fields))
    values = selectors.person_reveal(actor, person, fields, purpose=payload.purpose.strip())
    # Full personal data must not linger in shared or browser caches.
    response["Cache-Control"] = "no-store"
    return {"person_id": person.pk, "values": values}


@members_router.post(
    "/{int:person_id}/transfer",
    response=responses({200: TransferOut}, body=True),
    summary=gettext_lazy("会员关系转接"),
)
def member_transfer(request, person_id: Id, payload: TransferIn):
    actor = actor_of(request)
    person, _ = selectors.person_get_for_actor(actor, person_id)
    with fields_renamed({"union": "to_union_id"}):
        transfer = services.membership_transfer(
            actor=actor,
            person=person,
            to_union=_transfer_target(payload.to_union_id),
            reason=payload.reason,
            on=payload.on,
        )
    for m in (transfer.from_membership, transfer.to_membership):
        m.person = person
    return {
        "id": transfer.pk,
        "person_id": person.pk,
        "from_membership": transfer.from_membership,
        "to_membership": transfer.to_membership,
        "reason": transfer.reason,
        "at": transfer.at,
    }


@members_router.post(
    "/{int:person_id}/withdraw",
    response=responses({200: MembershipOut}, body=True),
    summary=gettext_lazy("退会"),
)
def member_withdraw(request, person_id: Id, payload: WithdrawIn):
    actor = actor_of(request)
    person, _ = selectors.person_get_for_actor(actor, person_id)
    membership = services.membership_withdraw(
        actor=actor, person=person, reason=payload.reason, on=payload.on
    )
    membership.person = person
    return membership


# --- Memberships -------------------------------------------------------------------------------------


@memberships_router.get(
    "",
    response=responses({200: MembershipPage}),
    summary=gettext_lazy("会籍列表（含历史）"),
)
def membership_list(request, filters: Query[MembershipFilters]):
    actor = actor_of(request)
    node = org_selectors.node_get_for_actor(actor, filters.union) if filters.union is not None else None
    qs = selectors.member_list_for_actor(actor, node=node, status=filters.status or "")
    if filters.person is not None:
        qs = qs.filter(person_id=filters.person)
    if filters.joined_from:
        qs = qs.filter(joined_on__gte=filters.joined_from)
    if filters.joined_to:
        qs = qs.filter(joined_on__lte=filters.joined_to)
    return paginate(qs, filters)


# --- Roster imports ----------------------------------------------------------------------------------


class ImportOut(Schema):
    id: int
    union: Ref
    enterprise: Ref | None
    original_name: str
    file_size: int
    status: ImportStatus
    status_label: str
    is_finished: bool
    total_rows: int = Field(..., description=gettext_lazy("总行数（运行中为估计值）"))
    processed_rows: int
    progress_percent: int
    error_count: int
    created_count: int
    updated_count: int
    message: str
    created_by: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @staticmethod
    def resolve_union(obj: RosterImport) -> dict:
        return ref(obj.union)

    @staticmethod
    def resolve_enterprise(obj: RosterImport) -> dict | None:
        return ref(obj.enterprise)

    @staticmethod
    def resolve_status_label(obj: RosterImport) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_created_by(obj: RosterImport) -> str | None:
        return obj.created_by.username if obj.created_by_id else None


ImportPage = page_of(ImportOut, "ImportPage")


class ImportRowError(Schema):
    row: int = Field(..., description=gettext_lazy("Excel 行号（含表头）"))
    column: str
    value: str = Field(..., description=gettext_lazy("单元格内容（身份证号、手机号已打码）"))
    reason: str


class ImportErrorPage(Schema):
    count: int = Field(..., description=gettext_lazy("可列出的错误数"))
    total_errors: int = Field(..., description=gettext_lazy("错误总数"))
    limit: int
    offset: int
    items: list[ImportRowError]


class ImportFilters(PageQuery):
    status: ImportStatus | None = None
    union: Id | None = Field(None, description=gettext_lazy("此工会及下级"))


def _report_value(text) -> str:
    # The report neutralises formula-like text with a leading apostrophe for spreadsheets; JSON
    # clients get the value as it was.
    text = "" if text is None else str(text)
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "\t", "\r") else text


def _import_errors(imp: RosterImport, offset: int, limit: int) -> tuple[int, list[dict]]:
    """Row errors of a rejected import: the stored preview when the page falls inside it, otherwise
    read from the error report file (which lists them all, up to its own cap)."""
    preview = [
        {"row": int(r), "column": str(c), "value": str(v or ""), "reason": str(why)}
        for r, c, v, why in (imp.errors_preview or [])
    ]
    if not imp.error_report or imp.error_count <= len(preview):
        return len(preview), preview[offset : offset + limit]
    with imp.error_report.open("rb") as fh:
        book = CalamineWorkbook.from_filelike(fh)
        sheet = book.get_sheet_by_index(0)
        count = max(sheet.height - 1, 0)  # the report always starts with its header row
        rows = itertools.islice(sheet.iter_rows(), 1 + offset, 1 + offset + limit)
        items = [
            {
                "row": int(float(r[0])),
                "column": _report_value(r[1]),
                "value": _report_value(r[2]),
                "reason": _report_value(r[3]),
            }
            for r in rows
        ]
    return count, items


@imports_router.post(
    "",
    response=responses({201: ImportOut}, body=True),
    summary=gettext_lazy("上传名册导入"),
)
def import_create(
    request, union_id: Form[Id], file: File[UploadedFile], enterprise_id: Form[Id | None] = None
):
    """Small files are validated and loaded before the response (status done or rejected); big ones
    run in the background: poll GET /imports/{id} until is_finished."""
    actor = actor_of(request)
    union = node_ref_for_actor(actor, union_id, "union_id")
    enterprise = enterprise_ref_for_actor(actor, enterprise_id, "enterprise_id") if enterprise_id else None
    return Status(201, roster.roster_import_start(actor=actor, union=union, enterprise=enterprise, upload=file))


@imports_router.get("", response=responses({200: ImportPage}), summary=gettext_lazy("名册导入记录"))
def import_list(request, filters: Query[ImportFilters]):
    actor = actor_of(request)
    qs = roster.roster_import_list_for_actor(actor)
    if filters.union is not None:
        node = org_selectors.node_get_for_actor(actor, filters.union)
        qs = qs.filter(union__path__startswith=node.path)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return paginate(qs, filters)


@imports_router.get(
    "/{int:import_id}",
    response=responses({200: ImportOut}),
    summary=gettext_lazy("导入状态与进度"),
)
def import_get(request, import_id: Id):
    return roster.roster_import_get_for_actor(actor_of(request), import_id)


@imports_router.get(
    "/{int:import_id}/errors",
    response=responses({200: ImportErrorPage}),
    summary=gettext_lazy("导入错误明细"),
)
def import_errors(request, import_id: Id, page: Query[PageQuery]):
    imp = roster.roster_import_get_for_actor(actor_of(request), import_id)
    count, items = _import_errors(imp, page.offset, page.limit)
    return {
        "count": count,
        "total_errors": imp.error_count,
        "limit": page.limit,
        "offset": page.offset,
        "items": items,
    }
