"""Routers of the files side (screening rules, sweeps, hardship files), collected by assistance/api.py.

Names of people leave masked (张*三) for roles without full personal data; household ID numbers and bank
accounts leave masked for everyone (the console's reveal button, which is logged, shows a full value).
Household incomes and expenses (files and sweep visits) leave in full only for roles with full personal
data, with one access row per response; others get null and, for files, the income band."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status

from huigong.accounts.models import Cap
from huigong.api.auth import actor_of
from huigong.api.schemas import Id, Input, PageQuery, Ref, changes_of, page_of, paginate, ref, responses
from huigong.core.scope import require, root_path
from huigong.members import selectors as member_selectors
from huigong.orgs import selectors as org_selectors
from huigong.orgs.api import node_ref_for_actor

from .models import (
    CloseReason,
    FileMember,
    FileStatus,
    HardshipCause,
    HardshipFile,
    HardshipLevel,
    ReviewOutcome,
)
from .selectors import files as file_sel
from .selectors import screening as scr_sel
from .services import files as file_svc
from .services import screening as scr_svc
from .services.files import FIGURES

rules_router = Router()
sweeps_router = Router()
files_router = Router()


# --- screening rules -------------------------------------------------------------------------------------

class RuleOut(Schema):
    id: int
    node: Ref
    dibao_fen: int
    relative_multiple: Decimal
    effective_from: dt.date
    note: str


class RuleIn(Input):
    union_id: Id
    dibao_fen: int = Field(..., description="低保标准，分/人/月 / the 低保 line, fen per person per month")
    relative_multiple: Decimal = Decimal("1.5")
    effective_from: dt.date
    note: str = Field("", max_length=255)


class RulePatch(Input):
    dibao_fen: int | None = None
    relative_multiple: Decimal | None = None
    note: str | None = Field(None, max_length=255)


def _rule_out(r) -> dict:
    return {"id": r.pk, "node": ref(r.node), "dibao_fen": r.dibao_fen, "relative_multiple": r.relative_multiple,
            "effective_from": r.effective_from, "note": r.note}


@rules_router.get("", response=responses({200: list[RuleOut]}), summary=gettext_lazy("排查标准（本级、下级与上级）"))
def rule_list(request):
    return [_rule_out(r) for r in scr_sel.rule_list_for_actor(actor_of(request))]


@rules_router.post("", response=responses({201: RuleOut}, body=True), summary=gettext_lazy("新增排查标准"))
def rule_create(request, payload: RuleIn):
    actor = actor_of(request)
    node = node_ref_for_actor(actor, payload.union_id, "union_id")
    r = scr_svc.screening_rule_create(actor=actor, node=node, dibao_fen=payload.dibao_fen,
                                      relative_multiple=payload.relative_multiple,
                                      effective_from=payload.effective_from, note=payload.note)
    return Status(201, _rule_out(r))


@rules_router.patch("/{int:rule_id}", response=responses({200: RuleOut}, body=True), summary=gettext_lazy("修改排查标准"))
def rule_update(request, rule_id: Id, payload: RulePatch):
    actor = actor_of(request)
    r = scr_sel.rule_get_for_actor(actor, rule_id, for_write=True)
    ch = changes_of(payload)
    r = scr_svc.screening_rule_update(actor=actor, rule=r, dibao_fen=ch.get("dibao_fen", r.dibao_fen),
                                      relative_multiple=ch.get("relative_multiple", r.relative_multiple),
                                      note=ch.get("note", r.note))
    return _rule_out(r)


@rules_router.delete("/{int:rule_id}", response=responses({204: None}), summary=gettext_lazy("删除排查标准"))
def rule_delete(request, rule_id: Id):
    actor = actor_of(request)
    scr_svc.screening_rule_delete(actor=actor, rule=scr_sel.rule_get_for_actor(actor, rule_id, for_write=True))
    return Status(204, None)


# --- sweeps ----------------------------------------------------------------------------------------------

class SweepOut(Schema):
    id: int
    node: Ref
    title: str
    year: int
    deadline: dt.date
    status: str
    member_total: int
    visited: int
    last_rule_pass_at: dt.datetime | None


class SweepIn(Input):
    union_id: Id
    title: str = Field(..., max_length=120)
    year: int
    deadline: dt.date


class SweepFilters(PageQuery):
    status: str = ""


class CoverageRowOut(Schema):
    union: Ref | None
    member_total: int
    visited: int
    percent: int
    own_level: bool = Field(..., description=gettext_lazy("该工会本级（非下级汇总）"))


class CoverageOut(Schema):
    union: Ref
    member_total: int
    visited: int
    percent: int
    rows: list[CoverageRowOut]


class CandidateOut(Schema):
    visit_id: int
    person_id: int
    name: str
    union: Ref
    household_size: int
    monthly_income_fen: int | None = Field(..., description=gettext_lazy("仅完整敏感信息权限可见"))
    rigid_expense_fen: int | None
    per_capita_fen: int | None
    flagged_level: str
    has_file: bool


class CandidateFilters(PageQuery):
    level: HardshipLevel | None = None
    union: Id | None = None


class SweepVisitIn(Input):
    person_id: Id
    visited_on: dt.date | None = None
    household_size: int
    monthly_income_fen: int = Field(..., ge=0)
    rigid_expense_fen: int = Field(0, ge=0)
    has_illness: bool = False
    has_disability: bool = False
    children_in_school: int = Field(0, ge=0)
    has_disaster: bool = False
    has_job_loss: bool = False
    has_work_injury: bool = False
    note: str = Field("", max_length=255)


class SweepVisitOut(Schema):
    id: int
    person_id: int
    union: Ref
    visited_on: dt.date
    household_size: int
    monthly_income_fen: int | None = Field(..., description=gettext_lazy("仅完整敏感信息权限可见"))
    rigid_expense_fen: int | None
    flagged_level: str


class RulePassOut(Schema):
    evaluated: int
    deep: int
    relative: int
    sudden: int


SweepPage = page_of(SweepOut, "SweepPage")
CandidatePage = page_of(CandidateOut, "CandidatePage")


def _sweep_out(s, total=None, visited=None) -> dict:
    if total is None:
        agg = s.assignments.aggregate(t=Sum("member_total"), v=Sum("visited_count"))
        total, visited = agg["t"], agg["v"]
    return {"id": s.pk, "node": ref(s.node), "title": s.title, "year": s.year, "deadline": s.deadline,
            "status": s.status, "member_total": total or 0, "visited": visited or 0,
            "last_rule_pass_at": s.last_rule_pass_at}


@sweeps_router.get("", response=responses({200: SweepPage}), summary=gettext_lazy("摸底排查列表"))
def sweep_list(request, filters: Query[SweepFilters]):
    page = paginate(scr_sel.sweep_list_for_actor(actor_of(request), status=filters.status), filters)
    page["items"] = [_sweep_out(s, s.total, s.visited) for s in page["items"]]
    return page


@sweeps_router.post("", response=responses({201: SweepOut}, body=True), summary=gettext_lazy("发起摸底排查"))
def sweep_create(request, payload: SweepIn):
    actor = actor_of(request)
    node = node_ref_for_actor(actor, payload.union_id, "union_id")
    s = scr_svc.sweep_open(actor=actor, node=node, title=payload.title, year=payload.year, deadline=payload.deadline)
    return Status(201, _sweep_out(s))


@sweeps_router.get("/{int:sweep_id}", response=responses({200: SweepOut}), summary=gettext_lazy("排查详情"))
def sweep_get(request, sweep_id: Id):
    return _sweep_out(scr_sel.sweep_get_for_actor(actor_of(request), sweep_id))


@sweeps_router.get("/{int:sweep_id}/coverage", response=responses({200: CoverageOut}),
                   summary=gettext_lazy("走访覆盖率（按下级汇总）"))
def sweep_coverage(request, sweep_id: Id, union: Id | None = None):
    actor = actor_of(request)
    s = scr_sel.sweep_get_for_actor(actor, sweep_id)
    node = org_selectors.node_get_for_actor(actor, union) if union else None
    total, rows = scr_sel.sweep_coverage(actor, s, node=node)
    return {"union": ref(total.node), "member_total": total.total, "visited": total.visited, "percent": total.percent,
            "rows": [{"union": ref(r.node), "member_total": r.total, "visited": r.visited, "percent": r.percent,
                      "own_level": r.is_self} for r in rows]}


@sweeps_router.get("/{int:sweep_id}/candidates", response=responses({200: CandidatePage}),
                   summary=gettext_lazy("初筛对象（姓名按权限脱敏）"))
def sweep_candidates(request, sweep_id: Id, filters: Query[CandidateFilters]):
    actor = actor_of(request)
    s = scr_sel.sweep_get_for_actor(actor, sweep_id)
    node = org_selectors.node_get_for_actor(actor, filters.union) if filters.union else None
    page = paginate(scr_sel.candidate_list(actor, s, level=filters.level or "", node=node), filters)
    full = file_sel.may_see_figures(actor)
    page["items"] = [{"visit_id": v.pk, "person_id": v.person_id, "name": scr_sel.display_name(actor, v.person.name),
                      "union": ref(v.node), "household_size": v.household_size,
                      "monthly_income_fen": v.monthly_income_fen if full else None,
                      "rigid_expense_fen": v.rigid_expense_fen if full else None,
                      "per_capita_fen": v.per_capita_fen if full else None, "flagged_level": v.flagged_level,
                      "has_file": v.has_file}
                     for v in page["items"]]
    if full:
        file_sel.log_figures_listed(actor, object_type="assistance.sweep", object_id=str(s.pk),
                                    node_path=scr_sel.sweep_scope_path(actor, s),
                                    fields=["visit.monthly_income_fen", "visit.rigid_expense_fen",
                                            "visit.per_capita_fen"],
                                    n=len(page["items"]), purpose=_("API 初筛对象"))
    return page


@sweeps_router.post("/{int:sweep_id}/visits", response=responses({200: SweepVisitOut}, body=True),
                    summary=gettext_lazy("录入/更正走访"))
def sweep_visit(request, sweep_id: Id, payload: SweepVisitIn):
    actor = actor_of(request)
    require(actor, Cap.ASSIST)
    s = scr_sel.sweep_get_for_actor(actor, sweep_id)
    try:
        person, _m = member_selectors.person_get_for_actor(actor, payload.person_id)
    except Http404:
        raise ValidationError({"person_id": [_("会员 %(person_id)s 不存在") % {"person_id": payload.person_id}]}) from None
    data = payload.dict()
    data.pop("person_id")
    v = scr_svc.sweep_visit_record(actor=actor, sweep=s, person=person, **data)
    full = file_sel.may_see_figures(actor)  # the figures the caller just sent, echoed only to pii_full roles
    return {"id": v.pk, "person_id": v.person_id, "union": ref(v.node), "visited_on": v.visited_on,
            "household_size": v.household_size, "monthly_income_fen": v.monthly_income_fen if full else None,
            "rigid_expense_fen": v.rigid_expense_fen if full else None, "flagged_level": v.flagged_level}


@sweeps_router.post("/{int:sweep_id}/apply-rules", response=responses({200: RulePassOut}),
                    summary=gettext_lazy("按标准初筛（一条语句）"))
def sweep_apply_rules(request, sweep_id: Id):
    actor = actor_of(request)
    return scr_svc.sweep_rules_apply(actor=actor, sweep=scr_sel.sweep_get_for_actor(actor, sweep_id, for_write=True))


@sweeps_router.post("/{int:sweep_id}/close", response=responses({200: SweepOut}), summary=gettext_lazy("结束排查"))
def sweep_close(request, sweep_id: Id):
    actor = actor_of(request)
    s = scr_svc.sweep_close(actor=actor, sweep=scr_sel.sweep_get_for_actor(actor, sweep_id, for_write=True))
    return _sweep_out(s)


# --- hardship files ----------------------------------------------------------------------------------------

class HouseholdMemberIn(Input):
    name: str = Field(..., max_length=50)
    relation: str = Field(..., max_length=16)
    id_number: str = Field(..., max_length=32)
    monthly_income_fen: int = Field(0, ge=0)
    health_note: str = Field("", max_length=500)
    is_student: bool = False


class HouseholdMemberOut(Schema):
    id: int
    name: str
    relation: str
    id_number_mask: str
    is_student: bool


class FileIn(Input):
    head_person_id: Id
    causes: list[HardshipCause] = Field(..., min_length=1)
    household_size: int
    monthly_income_fen: int = Field(..., ge=0)
    rigid_expense_fen: int = Field(0, ge=0)
    level: HardshipLevel
    level_reason: str = Field("", max_length=255)
    situation: str = Field("", max_length=4000)
    members: list[HouseholdMemberIn] = Field(default_factory=list, max_length=30)
    payee_name: str = Field("", max_length=50)
    bank_name: str = Field("", max_length=100)
    bank_account: str = Field("", max_length=40)
    source_visit_id: Id | None = None


class FilePatch(Input):
    household_size: int | None = None
    monthly_income_fen: int | None = Field(None, ge=0)
    rigid_expense_fen: int | None = Field(None, ge=0)
    level: HardshipLevel | None = None
    level_reason: str | None = Field(None, max_length=255)
    situation: str | None = Field(None, max_length=4000)
    payee_name: str | None = Field(None, max_length=50)
    bank_name: str | None = Field(None, max_length=100)
    bank_account: str | None = Field(None, max_length=40)
    causes: list[HardshipCause] | None = None


class FileOut(Schema):
    id: int
    file_no: str
    status: FileStatus
    union: Ref
    head_person_id: int
    head_name: str
    level: str
    proposed_level: str
    level_reason: str
    household_size: int
    monthly_income_fen: int | None = Field(..., description=gettext_lazy("仅完整敏感信息权限可见"))
    rigid_expense_fen: int | None
    income_band: str = Field(..., description=gettext_lazy("人均收入相对低保线的区间"))
    causes: list[str]
    payee_name: str
    bank_account_mask: str
    opened_on: dt.date | None
    next_review_due: dt.date | None
    closed_on: dt.date | None
    close_reason: str


class FileDetailOut(FileOut):
    members: list[HouseholdMemberOut]


class FileFilters(PageQuery):
    status: FileStatus | None = None
    level: HardshipLevel | None = None
    cause: HardshipCause | None = None
    union: Id | None = None
    q: str = Field("", max_length=50)


class OpenIn(Input):
    verified_on: dt.date
    verification_note: str = Field(..., max_length=4000)


class ReviewIn(Input):
    year: int = Field(..., ge=2000, le=2100)
    outcome: ReviewOutcome
    reviewed_on: dt.date | None = None
    new_level: HardshipLevel | None = None
    monthly_income_fen: int | None = Field(None, ge=0)
    note: str = Field("", max_length=2000)
    close_reason: CloseReason | None = None


class CloseIn(Input):
    reason: CloseReason
    note: str = Field("", max_length=255)
    closed_on: dt.date | None = None


class CausesIn(Input):
    causes: list[HardshipCause] = Field(..., min_length=1)


FilePage = page_of(FileOut, "HardshipFilePage")


def _file_out(actor, f: HardshipFile, *, detail: bool = False, full: bool | None = None,
              rules: dict | None = None) -> dict:
    """One file; `full` (may the actor see incomes) is decided once per response by the caller, who logs
    the read (see _log_files)."""
    full = file_sel.may_see_figures(actor) if full is None else full
    out = {"id": f.pk, "file_no": f.file_no, "status": f.status, "union": ref(f.node), "head_person_id": f.head_id,
           "head_name": scr_sel.display_name(actor, f.head.name), "level": f.level,
           "proposed_level": f.proposed_level, "level_reason": f.level_reason, "household_size": f.household_size,
           "monthly_income_fen": f.monthly_income_fen if full else None,
           "rigid_expense_fen": f.rigid_expense_fen if full else None,
           "income_band": file_sel.income_band(f.node_path, household_size=f.household_size,
                                               monthly_income_fen=f.monthly_income_fen, rules=rules),
           "causes": sorted(c.cause for c in f.causes.all()), "payee_name": scr_sel.display_name(actor, f.payee_name),
           "bank_account_mask": f.bank_account_mask, "opened_on": f.opened_on, "next_review_due": f.next_review_due,
           "closed_on": f.closed_on, "close_reason": f.close_reason}
    if detail:
        out["members"] = [{"id": m.pk, "name": scr_sel.display_name(actor, m.name), "relation": m.relation,
                           "id_number_mask": m.id_number_mask, "is_student": m.is_student}
                          for m in file_sel.file_members(f)]
    return out


def _log_files(actor, files: list, purpose: str) -> None:
    if files and file_sel.may_see_figures(actor):
        if len(files) == 1:
            obj, path = str(files[0].pk), files[0].node_path
        else:
            obj, path = "list", root_path(actor)
        file_sel.log_figures_listed(actor, object_type="assistance.hardshipfile", object_id=obj, node_path=path,
                                    fields=list(FIGURES), n=len(files), purpose=purpose)


def _detail(actor, pk) -> dict:
    f = file_sel.file_get_for_actor(actor, pk)
    _log_files(actor, [f], _("API 档案详情"))
    return _file_out(actor, f, detail=True)


def _files_out(actor, files, purpose: str) -> list[dict]:
    files, full, rules = list(files), file_sel.may_see_figures(actor), {}
    _log_files(actor, files, purpose)
    return [_file_out(actor, f, full=full, rules=rules) for f in files]


@files_router.get("", response=responses({200: FilePage}), summary=gettext_lazy("困难职工档案"))
def file_list(request, filters: Query[FileFilters]):
    actor = actor_of(request)
    node = org_selectors.node_get_for_actor(actor, filters.union) if filters.union else None
    qs = file_sel.file_list_for_actor(actor, status=filters.status or "", level=filters.level or "",
                                      cause=filters.cause or "", node=node, q=filters.q).prefetch_related("causes")
    page = paginate(qs, filters)
    page["items"] = _files_out(actor, page["items"], _("API 档案列表"))
    return page


@files_router.get("/due-for-review", response=responses({200: list[FileOut]}), summary=gettext_lazy("待年度复核"))
def file_due(request):
    actor = actor_of(request)
    return _files_out(actor, file_sel.files_due_for_review(actor).prefetch_related("causes")[:500],
                      _("API 待复核档案"))


@files_router.post("", response=responses({201: FileDetailOut}, body=True), summary=gettext_lazy("建档（待核实）"))
def file_create(request, payload: FileIn):
    actor = actor_of(request)
    require(actor, Cap.ASSIST)
    try:
        head, _m = member_selectors.person_get_for_actor(actor, payload.head_person_id)
    except Http404:
        raise ValidationError({"head_person_id": [_("会员不存在")]}) from None
    visit = None
    if payload.source_visit_id:
        from .models import SweepVisit

        visit = SweepVisit.objects.filter(pk=payload.source_visit_id, person=head).first()
        if visit is None:
            raise ValidationError({"source_visit_id": [_("走访记录不存在")]})
    data = payload.dict(exclude={"head_person_id", "source_visit_id", "members"})
    f = file_svc.hardship_file_create(actor=actor, head=head, source_visit=visit,
                                      members=[m.dict() for m in payload.members], **data)
    return Status(201, _detail(actor, f.pk))


@files_router.get("/{int:file_id}", response=responses({200: FileDetailOut}), summary=gettext_lazy("档案详情"))
def file_get(request, file_id: Id):
    return _detail(actor_of(request), file_id)


@files_router.patch("/{int:file_id}", response=responses({200: FileDetailOut}, body=True), summary=gettext_lazy("修改档案"))
def file_update(request, file_id: Id, payload: FilePatch):
    actor = actor_of(request)
    f = file_sel.file_get_for_actor(actor, file_id, for_write=True)
    file_svc.hardship_file_update(actor=actor, file=f, **changes_of(payload))
    return _detail(actor, file_id)


@files_router.put("/{int:file_id}/causes", response=responses({200: FileDetailOut}, body=True),
                  summary=gettext_lazy("致困原因"))
def file_causes(request, file_id: Id, payload: CausesIn):
    actor = actor_of(request)
    f = file_sel.file_get_for_actor(actor, file_id, for_write=True)
    file_svc.hardship_file_update(actor=actor, file=f, causes=list(payload.causes))
    return _detail(actor, file_id)


@files_router.post("/{int:file_id}/members", response=responses({201: FileDetailOut}, body=True),
                   summary=gettext_lazy("增加家庭成员"))
def file_member_add(request, file_id: Id, payload: HouseholdMemberIn):
    actor = actor_of(request)
    f = file_sel.file_get_for_actor(actor, file_id, for_write=True)
    file_svc.file_member_add(actor=actor, file=f, **payload.dict())
    return Status(201, _detail(actor, file_id))


@files_router.delete("/{int:file_id}/members/{int:member_id}", response=responses({200: FileDetailOut}),
                     summary=gettext_lazy("移除家庭成员"))
def file_member_remove(request, file_id: Id, member_id: Id):
    actor = actor_of(request)
    f = file_sel.file_get_for_actor(actor, file_id, for_write=True)
    member = FileMember.objects.select_related("file").filter(pk=member_id, file=f).first()
    if member is None:
        raise Http404
    file_svc.file_member_remove(actor=actor, member=member)
    return _detail(actor, file_id)


@files_router.post("/{int:file_id}/open", response=responses({200: FileDetailOut}, body=True),
                   summary=gettext_lazy("核实后建档"))
def file_open(request, file_id: Id, payload: OpenIn):
    actor = actor_of(request)
    f = file_sel.file_get_for_actor(actor, file_id, for_write=True)
    file_svc.hardship_file_open(actor=actor, file=f, **payload.dict())
    return _detail(actor, file_id)


@files_router.post("/{int:file_id}/review", response=responses({200: FileDetailOut}, body=True),
                   summary=gettext_lazy("年度复核"))
def file_review(request, file_id: Id, payload: ReviewIn):
    actor = actor_of(request)
    f = file_sel.file_get_for_actor(actor, file_id, for_write=True)
    data = payload.dict()
    data["new_level"] = data["new_level"] or ""
    data["close_reason"] = data["close_reason"] or ""
    file_svc.file_review_record(actor=actor, file=f, **data)
    return _detail(actor, file_id)


@files_router.post("/{int:file_id}/close", response=responses({200: FileDetailOut}, body=True),
                   summary=gettext_lazy("脱困销档"))
def file_close(request, file_id: Id, payload: CloseIn):
    actor = actor_of(request)
    f = file_sel.file_get_for_actor(actor, file_id, for_write=True)
    file_svc.hardship_file_close(actor=actor, file=f, reason=payload.reason, note=payload.note, on=payload.closed_on)
    return _detail(actor, file_id)
