"""Routers of the flow side, collected by assistance/api.py: aid programmes (budgets, caps), applications
(submit / decide / withdraw), notices (objections, end), payout batches (payouts, mark paid / failed,
retry, bank sheet export and result import) and the ledger. Scoped like the pages; money in fen.

Household heads' names leave masked on notices (they are the notice's frozen rows); bank accounts leave
masked (the full bank sheet is a separate, logged export for MONEY + PII_FULL)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from huigong.accounts.models import Cap
from huigong.api.auth import actor_of
from huigong.api.schemas import Id, Input, PageQuery, Ref, changes_of, page_of, paginate, ref, responses
from huigong.core import banksheet
from huigong.core.scope import require, root_path
from huigong.orgs.api import node_ref_for_actor

from .models import (
    AidApplication,
    AidProgrammeKind,
    AmountMode,
    ApplicationStatus,
    ApprovalDecision,
    HardshipFile,
    NoticeObjection,
)
from .selectors import aid as aid_sel
from .selectors import money as money_sel
from .services import aid as aid_svc
from .services import approval as approval_svc
from .services import ledger as ledger_svc
from .services import notices as notice_svc
from .services import payouts as payout_svc

programmes_router = Router()
applications_router = Router()
notices_router = Router()
batches_router = Router()
payouts_router = Router()
ledger_router = Router()


# --- programmes ------------------------------------------------------------------------------------------

class BudgetOut(Schema):
    id: int
    node: Ref
    total_fen: int
    committed_fen: int
    paid_fen: int


class AidProgrammeOut(Schema):
    id: int
    node: Ref
    kind: AidProgrammeKind
    name: str
    year: int
    amount_mode: AmountMode
    amount_fen: int
    eligible_levels: list[str]
    required_causes: list[str]
    approval_levels: list[str]
    notice_days: int
    status: str
    budgets: list[BudgetOut]


class AidProgrammeIn(Input):
    union_id: Id
    kind: AidProgrammeKind
    name: str = Field(..., max_length=120)
    year: int = Field(..., ge=2000, le=2100)
    amount_mode: AmountMode = AmountMode.UP_TO
    amount_fen: int = Field(..., description=gettext_lazy("定额或上限，分"))
    approval_levels: list[str] = Field(..., description="自下而上，如 [\"grassroots\", \"district\", \"city\"]")
    eligible_levels: list[str] = Field(default_factory=list)
    required_causes: list[str] = Field(default_factory=list)
    notice_days: int = Field(5, ge=1, le=60)
    description: str = ""


class AidProgrammePatch(Input):
    name: str | None = Field(None, max_length=120)
    description: str | None = None
    amount_mode: AmountMode | None = None
    amount_fen: int | None = None
    approval_levels: list[str] | None = None
    eligible_levels: list[str] | None = None
    required_causes: list[str] | None = None
    notice_days: int | None = Field(None, ge=1, le=60)
    status: str | None = Field(None, description="open | closed")


class BudgetIn(Input):
    union_id: Id
    total_fen: int = Field(..., ge=0)


class CapIn(Input):
    union_id: Id
    year: int = Field(..., ge=2000, le=2100)
    cap_fen: int = Field(..., gt=0)


class CapOut(Schema):
    id: int
    node: Ref
    year: int
    cap_fen: int


def _programme_out(actor, p) -> dict:
    return {"id": p.pk, "node": ref(p.node), "kind": p.kind, "name": p.name, "year": p.year,
            "amount_mode": p.amount_mode, "amount_fen": p.amount_fen, "eligible_levels": p.eligible_levels,
            "required_causes": p.required_causes, "approval_levels": p.approval_levels,
            "notice_days": p.notice_days, "status": p.status,
            "budgets": [{"id": b.pk, "node": ref(b.node), "total_fen": b.total_fen, "committed_fen": b.committed_fen,
                         "paid_fen": b.paid_fen} for b in aid_sel.budgets_for_actor(actor, p)]}


@programmes_router.get("", response=responses({200: list[AidProgrammeOut]}), summary=gettext_lazy("帮扶项目"))
def programme_list(request, year: int | None = None, status: str = ""):
    actor = actor_of(request)
    return [_programme_out(actor, p) for p in aid_sel.programmes_for_actor(actor, year=year, status=status)]


@programmes_router.post("", response=responses({201: AidProgrammeOut}, body=True), summary=gettext_lazy("新建项目"))
def programme_create(request, payload: AidProgrammeIn):
    actor = actor_of(request)
    node = node_ref_for_actor(actor, payload.union_id, "union_id")
    d = payload.dict()
    d.pop("union_id")
    p = aid_svc.programme_create(actor=actor, node=node, **d)
    return Status(201, _programme_out(actor, p))


@programmes_router.get("/{int:programme_id}", response=responses({200: AidProgrammeOut}), summary=gettext_lazy("项目详情"))
def programme_detail(request, programme_id: Id):
    actor = actor_of(request)
    return _programme_out(actor, aid_sel.programme_get_for_actor(actor, programme_id))


@programmes_router.patch("/{int:programme_id}", response=responses({200: AidProgrammeOut}, body=True),
                         summary=gettext_lazy("修改、开始或结束受理"))
def programme_update(request, programme_id: Id, payload: AidProgrammePatch):
    actor = actor_of(request)
    p = aid_sel.programme_get_for_actor(actor, programme_id, for_write=True)
    ch = changes_of(payload)
    status = ch.pop("status", None)
    if ch:
        p = aid_svc.programme_update(actor=actor, programme=p, **ch)
    if status == "open":
        p = aid_svc.programme_open(actor=actor, programme=p)
    elif status == "closed":
        p = aid_svc.programme_close(actor=actor, programme=p)
    elif status is not None:
        from django.core.exceptions import ValidationError

        raise ValidationError({"status": [_("应为 open 或 closed")]})
    return _programme_out(actor, p)


@programmes_router.put("/{int:programme_id}/budgets", response=responses({200: AidProgrammeOut}, body=True),
                       summary=gettext_lazy("设置某单位预算"))
def programme_budget(request, programme_id: Id, payload: BudgetIn):
    actor = actor_of(request)
    p = aid_sel.programme_get_for_actor(actor, programme_id, for_write=True)
    node = node_ref_for_actor(actor, payload.union_id, "union_id")
    aid_svc.programme_budget_set(actor=actor, programme=p, node=node, total_fen=payload.total_fen)
    return _programme_out(actor, p)


@programmes_router.put("/household-caps", response=responses({200: CapOut}, body=True),
                       summary=gettext_lazy("每户年度上限"))
def household_cap(request, payload: CapIn):
    actor = actor_of(request)
    node = node_ref_for_actor(actor, payload.union_id, "union_id")
    c = aid_svc.household_cap_set(actor=actor, node=node, year=payload.year, cap_fen=payload.cap_fen)
    return {"id": c.pk, "node": ref(c.node), "year": c.year, "cap_fen": c.cap_fen}


# --- applications ----------------------------------------------------------------------------------------

class StepOut(Schema):
    round: int
    seq: int
    node: Ref
    level: str
    decision: ApprovalDecision
    amount_fen: int | None
    comment: str
    decided_at: dt.datetime | None
    acting_node: Ref | None = Field(None, description=gettext_lazy("代为审批的上级工会"))
    acting_reason: str = Field("", description=gettext_lazy("代为审批原因"))


class ApplicationOut(Schema):
    id: int
    programme: Ref
    file_id: int
    file_no: str
    node: Ref
    amount_requested_fen: int
    amount_approved_fen: int | None
    reason: str
    status: ApplicationStatus
    status_label: str
    round: int
    current_step: int
    via_portal: bool
    submitted_at: dt.datetime | None
    approved_at: dt.datetime | None


class ApplicationDetail(ApplicationOut):
    steps: list[StepOut]


ApplicationPage = page_of(ApplicationOut, "AidApplicationPage")


class ApplicationIn(Input):
    programme_id: Id
    file_id: Id
    amount_fen: int
    reason: str = Field(..., max_length=4000)
    submit: bool = Field(False, description=gettext_lazy("创建后立即提交审批"))


class ApplicationPatch(Input):
    amount_fen: int | None = None
    reason: str | None = Field(None, max_length=4000)


class DecisionIn(Input):
    decision: ApprovalDecision
    comment: str = Field("", max_length=2000)
    amount_fen: int | None = Field(None, description=gettext_lazy("核定金额（可低于申请金额）"))
    acting_reason: str = Field("", max_length=2000, description=gettext_lazy(
        "代为审批原因（下级环节无人可审批、由上级代为审批时必填）"))


class ApplicationFilter(PageQuery):
    status: ApplicationStatus | None = None
    programme_id: Id | None = None
    mine_to_approve: bool = Field(False, description=gettext_lazy("只看待我审批"))


def _app_out(a) -> dict:
    return {"id": a.pk, "programme": ref(a.programme), "file_id": a.file_id, "file_no": a.file.file_no,
            "node": ref(a.node), "amount_requested_fen": a.amount_requested_fen,
            "amount_approved_fen": a.amount_approved_fen, "reason": a.reason, "status": a.status,
            "status_label": str(a.get_status_display()), "round": a.round, "current_step": a.current_step,
            "via_portal": a.via_portal, "submitted_at": a.submitted_at, "approved_at": a.approved_at}


def _app_detail(actor, pk) -> dict:
    a = aid_sel.application_get_for_actor(actor, pk)
    return {**_app_out(a), "steps": [{"round": s.round, "seq": s.seq, "node": ref(s.node), "level": s.level,
                                      "decision": s.decision, "amount_fen": s.amount_fen, "comment": s.comment,
                                      "decided_at": s.decided_at,
                                      "acting_node": ref(s.acting_node) if s.acting_node_id else None,
                                      "acting_reason": s.acting_reason} for s in aid_sel.steps_of(a)]}


@applications_router.get("", response=responses({200: ApplicationPage}), summary=gettext_lazy("帮扶申请"))
def application_list(request, filters: Query[ApplicationFilter]):
    actor = actor_of(request)
    if filters.mine_to_approve:
        qs = aid_sel.approval_queue(actor)
        if filters.status:
            qs = qs.filter(status=filters.status)
    else:
        qs = aid_sel.applications_for_actor(actor, status=filters.status or "", programme_id=filters.programme_id)
    page = paginate(qs, filters)
    page["items"] = [_app_out(a) for a in page["items"]]
    return page


@applications_router.post("", response=responses({201: ApplicationDetail}, body=True), summary=gettext_lazy("新建申请"))
def application_create(request, payload: ApplicationIn):

    actor = actor_of(request)
    require(actor, Cap.ASSIST)
    programme = aid_sel.programme_get_for_actor(actor, payload.programme_id)
    # Missing and out of scope answer alike (no existence oracle).
    file = HardshipFile.objects.filter(pk=payload.file_id, node_path__startswith=root_path(actor)).first()
    if file is None:
        raise Http404(_("档案 %(file_id)s 不存在") % {"file_id": payload.file_id})
    with transaction.atomic():  # create + submit: a refused submission leaves no draft behind
        a = aid_svc.aid_application_create(actor=actor, programme=programme, file=file,
                                           amount_fen=payload.amount_fen, reason=payload.reason)
        if payload.submit:
            aid_svc.aid_application_submit(actor=actor, application=a)
    return Status(201, _app_detail(actor, a.pk))


@applications_router.get("/{int:application_id}", response=responses({200: ApplicationDetail}),
                         summary=gettext_lazy("申请详情与审批记录"))
def application_detail(request, application_id: Id):
    return _app_detail(actor_of(request), application_id)


@applications_router.patch("/{int:application_id}", response=responses({200: ApplicationDetail}, body=True),
                           summary=gettext_lazy("修改草稿或退回的申请"))
def application_update(request, application_id: Id, payload: ApplicationPatch):
    actor = actor_of(request)
    a = aid_sel.application_get_for_actor(actor, application_id)
    ch = changes_of(payload)
    aid_svc.aid_application_update(actor=actor, application=a, amount_fen=ch.get("amount_fen"),
                                   reason=ch.get("reason"))
    return _app_detail(actor, application_id)


@applications_router.post("/{int:application_id}/submit", response=responses({200: ApplicationDetail}, body=True),
                          summary=gettext_lazy("提交审批"))
def application_submit(request, application_id: Id):
    actor = actor_of(request)
    aid_svc.aid_application_submit(actor=actor, application=aid_sel.application_get_for_actor(actor, application_id))
    return _app_detail(actor, application_id)


@applications_router.post("/{int:application_id}/withdraw", response=responses({200: ApplicationDetail}, body=True),
                          summary=gettext_lazy("撤回"))
def application_withdraw(request, application_id: Id):
    actor = actor_of(request)
    aid_svc.aid_application_withdraw(actor=actor, application=aid_sel.application_get_for_actor(actor, application_id))
    return _app_detail(actor, application_id)


@applications_router.post("/{int:application_id}/decide", response=responses({200: ApplicationDetail}, body=True),
                          summary=gettext_lazy("审批（本级）"))
def application_decide(request, application_id: Id, payload: DecisionIn):
    actor = actor_of(request)
    a = aid_sel.application_get_for_actor(actor, application_id)
    approval_svc.approval_decide(actor=actor, application=a, decision=payload.decision, comment=payload.comment,
                                 amount_fen=payload.amount_fen, acting_reason=payload.acting_reason)
    return _app_detail(actor, application_id)


# --- notices ---------------------------------------------------------------------------------------------

class NoticeRowOut(Schema):
    application_id: int
    masked_name: str
    unit: str
    programme: str
    amount_fen: int


class ObjectionOut(Schema):
    id: int
    application_id: int | None
    received_on: dt.date
    channel: str
    content: str
    upheld: bool | None
    resolution: str
    resolved_at: dt.datetime | None


class NoticeOut(Schema):
    id: int
    node: Ref
    title: str
    starts_on: dt.date
    ends_on: dt.date
    status: str
    contact: str
    body: str
    share_path: str
    rows: list[NoticeRowOut]
    objections: list[ObjectionOut]


class NoticeIn(Input):
    union_id: Id
    application_ids: list[Id] = Field(..., min_length=1)
    title: str = Field(..., max_length=160)
    contact: str = Field("", max_length=120)
    body: str = ""
    days: int | None = Field(None, ge=1, le=60)
    starts_on: dt.date | None = None


class ObjectionIn(Input):
    application_id: Id | None = None
    content: str = Field(..., max_length=4000)
    channel: str = Field("", max_length=32)
    received_on: dt.date | None = None


class ResolveIn(Input):
    upheld: bool
    resolution: str = Field(..., max_length=4000)
    outcome: ApplicationStatus = ApplicationStatus.REJECTED


def _notice_out(actor, pk) -> dict:
    from django.urls import reverse

    n = aid_sel.notice_get_for_actor(actor, pk)
    return {"id": n.pk, "node": ref(n.node), "title": n.title, "starts_on": n.starts_on, "ends_on": n.ends_on,
            "status": n.status, "contact": n.contact, "body": n.body,
            "share_path": reverse("assistance:notice_public", args=[notice_svc.share_token(n)]),
            "rows": [{"application_id": r.application_id, "masked_name": r.masked_name, "unit": r.unit_label,
                      "programme": r.application.programme.name, "amount_fen": r.amount_fen}
                     for r in aid_sel.notice_rows(n)],
            "objections": [{"id": o.pk, "application_id": o.application_id, "received_on": o.received_on,
                            "channel": o.channel, "content": o.content, "upheld": o.upheld,
                            "resolution": o.resolution, "resolved_at": o.resolved_at}
                           for o in n.objections.order_by("pk")]}


@notices_router.get("", response=responses({200: list[NoticeOut]}), summary=gettext_lazy("公示"))
def notice_list(request, status: str = ""):
    actor = actor_of(request)
    return [_notice_out(actor, n.pk) for n in aid_sel.notices_for_actor(actor, status=status)[:200]]


@notices_router.post("", response=responses({201: NoticeOut}, body=True), summary=gettext_lazy("发布公示"))
def notice_create(request, payload: NoticeIn):
    actor = actor_of(request)
    node = node_ref_for_actor(actor, payload.union_id, "union_id")
    n = notice_svc.notice_publish(actor=actor, node=node, applications=payload.application_ids, title=payload.title,
                                  contact=payload.contact, body=payload.body, days=payload.days,
                                  starts_on=payload.starts_on)
    return Status(201, _notice_out(actor, n.pk))


@notices_router.get("/{int:notice_id}", response=responses({200: NoticeOut}), summary=gettext_lazy("公示详情"))
def notice_detail(request, notice_id: Id):
    return _notice_out(actor_of(request), notice_id)


@notices_router.post("/{int:notice_id}/objections", response=responses({201: NoticeOut}, body=True),
                     summary=gettext_lazy("登记异议"))
def notice_objection(request, notice_id: Id, payload: ObjectionIn):
    actor = actor_of(request)
    n = aid_sel.notice_get_for_actor(actor, notice_id)
    app = AidApplication.objects.filter(pk=payload.application_id).first() if payload.application_id else None
    notice_svc.notice_objection_record(actor=actor, notice=n, application=app, content=payload.content,
                                       channel=payload.channel, received_on=payload.received_on)
    return Status(201, _notice_out(actor, notice_id))


@notices_router.post("/{int:notice_id}/objections/{int:objection_id}/resolve",
                     response=responses({200: NoticeOut}, body=True), summary=gettext_lazy("处理异议"))
def notice_objection_resolve(request, notice_id: Id, objection_id: Id, payload: ResolveIn):
    from django.http import Http404

    actor = actor_of(request)
    n = aid_sel.notice_get_for_actor(actor, notice_id)
    o = NoticeObjection.objects.filter(pk=objection_id, notice=n).first()
    if o is None:
        raise Http404
    notice_svc.notice_objection_resolve(actor=actor, objection=o, upheld=payload.upheld,
                                        resolution=payload.resolution, outcome=payload.outcome)
    return _notice_out(actor, notice_id)


@notices_router.post("/{int:notice_id}/end", response=responses({200: NoticeOut}, body=True),
                     summary=gettext_lazy("公示期满，结束公示"))
def notice_end(request, notice_id: Id):
    actor = actor_of(request)
    notice_svc.notice_end(actor=actor, notice=aid_sel.notice_get_for_actor(actor, notice_id))
    return _notice_out(actor, notice_id)


# --- payout batches and payouts --------------------------------------------------------------------------

class PayoutOut(Schema):
    id: int
    batch_id: int
    application_id: int
    idempotency_key: str
    amount_fen: int
    payee_name: str
    bank_name: str
    bank_account_mask: str
    status: str
    attempts: int
    bank_reference: str
    failure_reason: str
    paid_at: dt.datetime | None


class AidBatchOut(Schema):
    id: int
    node: Ref
    title: str
    status: str
    created_at: dt.datetime
    total_fen: int
    payouts: list[PayoutOut]


class AidBatchIn(Input):
    union_id: Id
    title: str = Field(..., max_length=160)
    application_ids: list[Id] | None = Field(None, description=gettext_lazy("不填为范围内全部公示期满的申请"))


class AidPaidIn(Input):
    bank_reference: str = Field(..., max_length=64)
    paid_on: dt.date | None = None


class AidFailedIn(Input):
    reason: str = Field(..., max_length=255)


class RetryIn(Input):
    batch_id: Id | None = None


class AidImportOut(Schema):
    paid: int
    failed: int
    unchanged: int
    stale: int = Field(0, description=gettext_lazy("早前发送次数的回盘行，已忽略"))


def _payout_out(p) -> dict:
    return {"id": p.pk, "batch_id": p.batch_id, "application_id": p.application_id,
            "idempotency_key": p.idempotency_key, "amount_fen": p.amount_fen, "payee_name": p.payee_name,
            "bank_name": p.bank_name, "bank_account_mask": p.bank_account_mask, "status": p.status,
            "attempts": p.attempts, "bank_reference": p.bank_reference, "failure_reason": p.failure_reason,
            "paid_at": p.paid_at}


def _batch_out(actor, pk) -> dict:
    b = money_sel.batch_get_for_actor(actor, pk)
    ps = money_sel.payouts_of(b)
    return {"id": b.pk, "node": ref(b.node), "title": b.title, "status": b.status, "created_at": b.created_at,
            "total_fen": sum(p.amount_fen for p in ps), "payouts": [_payout_out(p) for p in ps]}


@batches_router.get("", response=responses({200: list[AidBatchOut]}), summary=gettext_lazy("发放批次"))
def batch_list(request):
    actor = actor_of(request)
    return [_batch_out(actor, b.pk) for b in money_sel.batches_for_actor(actor)[:200]]


@batches_router.post("", response=responses({201: AidBatchOut}, body=True), summary=gettext_lazy("新建发放批次"))
def batch_create(request, payload: AidBatchIn):
    actor = actor_of(request)
    node = node_ref_for_actor(actor, payload.union_id, "union_id")
    b = payout_svc.payout_batch_create(actor=actor, node=node, title=payload.title,
                                       applications=payload.application_ids)
    return Status(201, _batch_out(actor, b.pk))


@batches_router.get("/{int:batch_id}", response=responses({200: AidBatchOut}), summary=gettext_lazy("批次详情"))
def batch_detail(request, batch_id: Id):
    return _batch_out(actor_of(request), batch_id)


@batches_router.post("/{int:batch_id}/sent", response=responses({200: AidBatchOut}), summary=gettext_lazy("已提交银行"))
def batch_sent(request, batch_id: Id):
    actor = actor_of(request)
    payout_svc.payout_batch_mark_sent(actor=actor, batch=money_sel.batch_get_for_actor(actor, batch_id))
    return _batch_out(actor, batch_id)


@batches_router.post("/{int:batch_id}/bank-sheet", response=responses({200: None}),
                     summary=gettext_lazy("生成银行批量代发表 .xlsx：待发放记录随之标记为已提交银行"))
def batch_export(request, batch_id: Id, full: bool = False, results: bool = False):
    actor = actor_of(request)
    out = ledger_svc.batch_bank_sheet(actor=actor, batch=money_sel.batch_get_for_actor(actor, batch_id), full=full,
                                      with_results=results)
    return _xlsx(out)


@batches_router.get("/{int:batch_id}/bank-sheet/{int:attempt}", response=responses({200: None}),
                    summary=gettext_lazy("重新下载第 N 次发送的代发表（审计）"))
def batch_export_again(request, batch_id: Id, attempt: int, full: bool = False, results: bool = False):
    actor = actor_of(request)
    out = ledger_svc.batch_bank_sheet(actor=actor, batch=money_sel.batch_get_for_actor(actor, batch_id), full=full,
                                      with_results=results, attempt=attempt)
    return _xlsx(out)


def _xlsx(out):
    return banksheet.download(out.content, out.filename, out.content_type)


@batches_router.post("/{int:batch_id}/bank-results", response=responses({200: AidImportOut}, body=True),
                     summary=gettext_lazy("导入银行回盘"))
def batch_import(request, batch_id: Id, file: File[UploadedFile]):
    from django.core.exceptions import ValidationError

    actor = actor_of(request)
    b = money_sel.batch_get_for_actor(actor, batch_id)
    if file.size > 5 * 1024 * 1024:
        raise ValidationError({"file": [_("文件超过 5 MB")]})
    return payout_svc.payout_batch_import_results(actor=actor, batch=b, data=file.read())


@payouts_router.get("/{int:payout_id}", response=responses({200: PayoutOut}), summary=gettext_lazy("发放记录"))
def payout_detail(request, payout_id: Id):
    return _payout_out(money_sel.payout_get_for_actor(actor_of(request), payout_id))


@payouts_router.post("/{int:payout_id}/paid", response=responses({200: PayoutOut}, body=True),
                     summary=gettext_lazy("标记到账（幂等）"))
def payout_paid(request, payout_id: Id, payload: AidPaidIn):
    actor = actor_of(request)
    p = payout_svc.payout_mark_paid(actor=actor, payout=money_sel.payout_get_for_actor(actor, payout_id),
                                    bank_reference=payload.bank_reference, paid_on=payload.paid_on)
    return _payout_out(p)


@payouts_router.post("/{int:payout_id}/failed", response=responses({200: PayoutOut}, body=True),
                     summary=gettext_lazy("标记失败"))
def payout_failed(request, payout_id: Id, payload: AidFailedIn):
    actor = actor_of(request)
    p = payout_svc.payout_mark_failed(actor=actor, payout=money_sel.payout_get_for_actor(actor, payout_id),
                                      reason=payload.reason)
    return _payout_out(p)


@payouts_router.post("/{int:payout_id}/retry", response=responses({200: PayoutOut}, body=True),
                     summary=gettext_lazy("重新发放（同一记录）"))
def payout_retry(request, payout_id: Id, payload: RetryIn):
    actor = actor_of(request)
    batch = money_sel.batch_get_for_actor(actor, payload.batch_id) if payload.batch_id else None
    p = payout_svc.payout_retry(actor=actor, payout=money_sel.payout_get_for_actor(actor, payout_id), batch=batch)
    return _payout_out(p)


# --- ledger ----------------------------------------------------------------------------------------------

class LedgerRowOut(Schema):
    year: int = Field(..., alias="programme__year")
    programme: str = Field(..., alias="programme__name")
    node: str = Field(..., alias="node__name")
    households: int
    n: int
    total_fen: int = Field(..., alias="total")


class LedgerOut(Schema):
    node: Ref
    year: int | None
    households: int
    ledger_total_fen: int
    payouts_total_fen: int
    budget_paid_total_fen: int
    payouts_outer_budget_total_fen: int = Field(0, description=gettext_lazy("由范围外（上级）预算支付的金额"))
    reconciles: bool
    rows: list[LedgerRowOut]


class LedgerQuery(Input):
    union_id: Id | None = None
    year: int | None = Field(None, ge=2000, le=2100)


@ledger_router.get("", response=responses({200: LedgerOut}), summary=gettext_lazy("台账汇总与对账"))
def ledger(request, q: Query[LedgerQuery]):
    actor = actor_of(request)
    node = node_ref_for_actor(actor, q.union_id, "union_id") if q.union_id else actor.staff.node
    s = money_sel.ledger_summary(actor, node_path=node.path, year=q.year)
    return {"node": ref(node), "year": q.year, "households": s["households"], "ledger_total_fen": s["ledger_total"],
            "payouts_total_fen": s["payouts_total"], "budget_paid_total_fen": s["budget_paid_total"],
            "payouts_outer_budget_total_fen": s["payouts_outer_budget_total"], "reconciles": money_sel.reconciles(s), "rows": s["rows"]}


@ledger_router.get("/export", response=responses({200: None}), summary=gettext_lazy("台账导出 .xlsx"))
def ledger_export(request, q: Query[LedgerQuery], format: str = "xlsx", full: bool = False):
    actor = actor_of(request)
    node = node_ref_for_actor(actor, q.union_id, "union_id") if q.union_id else actor.staff.node
    fn = ledger_svc.ledger_export_pdf if format == "pdf" else ledger_svc.ledger_export_xlsx
    out = fn(actor=actor, node=node, year=q.year, full=full)
    resp = HttpResponse(out.content, content_type=out.content_type)
    resp["Content-Disposition"] = content_disposition_header(True, out.filename)
    resp["Cache-Control"] = "no-store"
    return resp
