"""API routes for benefit programmes, claims, reimbursements, visits and site usage (mounted under
/api/v1/ as the app declares them in apps.py).

Claims are the one place a worker calls the API: POST /benefit-claims and GET /benefit-claims accept
a signed-in worker's portal session (CSRF header required) as well as staff tokens and sessions; a
worker always claims for themself."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.security import SessionAuth

from huigong.api.auth import StaffSessionAuth, TokenAuth, actor_of
from huigong.api.schemas import (
    MAX_ID,
    Id,
    Input,
    PageQuery,
    Ref,
    changes_of,
    page_of,
    paginate,
    ref,
    responses,
)
from huigong.members.models import EmploymentForm, MembershipStatus, Person
from huigong.members.selectors import person_get_for_actor
from huigong.orgs import selectors as org_selectors

from . import selectors, services
from .models import (
    BenefitClaim,
    BenefitProgramme,
    ClaimStatus,
    PaymentStatus,
    ProgrammeKind,
    ProgrammeStatus,
    Reimbursement,
    ReimbursementStatus,
    ServiceBoard,
    SiteUsage,
    Visit,
)

programmes_router = Router()
claims_router = Router()
reimbursements_router = Router()
payments_router = Router()
visits_router = Router()
usage_router = Router()


def session_worker(request: HttpRequest):
    """The session's user when it is a worker's account linked to a member, else None."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if not hasattr(user, "_hg_worker_checked"):
        # Read with the session's user (accounts.backends); one query for a user loaded otherwise.
        services.worker_load(user)
    return user if services.worker_person_id(user) is not None else None


class WorkerSessionAuth(SessionAuth):
    """A signed-in worker's portal session (a user with a WorkerAccount linked to a member). Returns
    None for anyone else so that staff sessions fall through to StaffSessionAuth."""

    def __call__(self, request: HttpRequest):
        if session_worker(request) is None:
            return None
        return super().__call__(request)  # CSRF for unsafe methods

    def authenticate(self, request: HttpRequest, key):
        return request.user

    def __init__(self):
        super().__init__()
        # The same session cookie as StaffSessionAuth's scheme, which the document already lists:
        # not a second scheme of its own.
        del self.openapi_security_schema


WORKER_OR_STAFF = [TokenAuth(), WorkerSessionAuth(), StaffSessionAuth()]


# --- schemas ---------------------------------------------------------------------------------------


class ProgrammeOut(Schema):
    id: int
    node: Ref
    board: ServiceBoard
    board_label: str
    kind: ProgrammeKind
    kind_label: str
    title: str
    description: str
    year: int
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    membership_status: MembershipStatus
    employment_forms: list[str]
    joined_from: dt.date | None
    joined_to: dt.date | None
    quota_total: int | None
    remaining: int | None
    waitlist: bool
    reimbursement_cap_fen: int | None
    status: ProgrammeStatus
    status_label: str

    @staticmethod
    def resolve_node(obj: BenefitProgramme) -> dict:
        return ref(obj.node)

    @staticmethod
    def resolve_board_label(obj) -> str:
        return str(obj.get_board_display())

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())


ProgrammePage = page_of(ProgrammeOut, "BenefitProgrammePage")


class SubQuotaIn(Input):
    enterprise_id: Id
    slots: int = Field(..., ge=0, le=10_000_000)


class ProgrammeIn(Input):
    node_id: Id
    board: ServiceBoard
    kind: ProgrammeKind
    title: str = Field(..., min_length=1, max_length=120)
    description: str = Field("", max_length=5000)
    year: int = Field(..., ge=2000, le=2100)
    opens_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None
    membership_status: MembershipStatus = MembershipStatus.ACTIVE
    employment_forms: list[EmploymentForm] = []
    joined_from: dt.date | None = None
    joined_to: dt.date | None = None
    quota_total: int | None = Field(None, ge=1, le=10_000_000)
    waitlist: bool = False
    reimbursement_cap_fen: int | None = Field(None, ge=1, le=10**10)
    sub_quotas: list[SubQuotaIn] = []


class ProgrammePatch(Input):
    title: str | None = Field(None, min_length=1, max_length=120)
    description: str | None = Field(None, max_length=5000)
    board: ServiceBoard | None = None
    opens_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None
    employment_forms: list[EmploymentForm] | None = None
    joined_from: dt.date | None = None
    joined_to: dt.date | None = None
    quota_total: int | None = Field(None, ge=1, le=10_000_000)
    waitlist: bool | None = None
    reimbursement_cap_fen: int | None = Field(None, ge=1, le=10**10)


class ProgrammeFilters(Input):
    board: ServiceBoard | None = None
    kind: ProgrammeKind | None = None
    status: ProgrammeStatus | None = None
    year: int | None = Field(None, ge=2000, le=2100)


class ClaimOut(Schema):
    id: int
    programme: Ref
    person_id: int
    person_name: str
    union: Ref
    status: ClaimStatus
    status_label: str
    created_at: dt.datetime
    granted_at: dt.datetime | None
    cancelled_at: dt.datetime | None

    @staticmethod
    def resolve_programme(obj: BenefitClaim) -> dict:
        return {"id": obj.programme_id, "name": obj.programme.title}

    @staticmethod
    def resolve_person_name(obj: BenefitClaim) -> str:
        return obj.person.name

    @staticmethod
    def resolve_union(obj: BenefitClaim) -> dict:
        return ref(obj.union)

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())


ClaimPage = page_of(ClaimOut, "BenefitClaimPage")


class ClaimIn(Input):
    programme_id: Id
    person_id: Id | None = Field(None, description=gettext_lazy("员工为本人申领时省略"))


class ClaimFilters(Input):
    programme_id: int | None = Field(None, ge=1, le=MAX_ID)
    status: ClaimStatus | None = None


class CancelIn(Input):
    reason: str = Field("", max_length=255)


class ReimbursementOut(Schema):
    id: int
    programme: Ref
    person_id: int
    person_name: str
    union: Ref
    amount_fen: int
    approved_fen: int | None
    status: ReimbursementStatus
    status_label: str
    reason: str
    submitted_at: dt.datetime
    reviewed_at: dt.datetime | None

    @staticmethod
    def resolve_programme(obj: Reimbursement) -> dict:
        return {"id": obj.programme_id, "name": obj.programme.title}

    @staticmethod
    def resolve_person_name(obj: Reimbursement) -> str:
        return obj.person.name

    @staticmethod
    def resolve_union(obj: Reimbursement) -> dict:
        return ref(obj.union)

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())


ReimbursementPage = page_of(ReimbursementOut, "ReimbursementPage")


class ReimbursementFilters(Input):
    programme_id: int | None = Field(None, ge=1, le=MAX_ID)
    status: ReimbursementStatus | None = None


class ApproveIn(Input):
    approved_fen: int | None = Field(None, ge=1, le=10**10)
    reason: str = Field("", max_length=255)


class RejectIn(Input):
    reason: str = Field(..., min_length=1, max_length=255)


class PaymentOut(Schema):
    id: int
    reimbursement_id: int
    batch_id: int
    attempt: int
    idempotency_key: str
    amount_fen: int
    payee_name: str
    bank_account_mask: str
    status: PaymentStatus
    bank_reference: str
    failure_reason: str


class BatchIn(Input):
    programme_id: Id
    title: str = Field("", max_length=120)


class BatchOut(Schema):
    id: int
    title: str
    payments: list[PaymentOut]
    skipped: list[str]


class PaidIn(Input):
    bank_reference: str = Field(..., min_length=1, max_length=64)


class FailedIn(Input):
    reason: str = Field(..., min_length=1, max_length=255)


class VisitOut(Schema):
    id: int
    programme_id: int | None
    node: Ref
    enterprise: Ref | None
    site: Ref | None
    visited_on: dt.date
    headcount: int
    goods: str
    value_fen: int
    note: str

    @staticmethod
    def resolve_node(obj: Visit) -> dict:
        return ref(obj.node)

    @staticmethod
    def resolve_enterprise(obj: Visit) -> dict | None:
        return ref(obj.enterprise)

    @staticmethod
    def resolve_site(obj: Visit) -> dict | None:
        return ref(obj.site)


VisitPage = page_of(VisitOut, "VisitPage")


class VisitIn(Input):
    node_id: Id
    programme_id: Id | None = None
    enterprise_id: Id | None = None
    site_id: Id | None = None
    visited_on: dt.date
    headcount: int = Field(..., ge=1, le=1_000_000)
    goods: str = Field(..., min_length=1, max_length=255)
    value_fen: int = Field(..., ge=0, le=10**11)
    note: str = Field("", max_length=255)


class VisitFilters(Input):
    programme_id: int | None = Field(None, ge=1, le=MAX_ID)
    year: int | None = Field(None, ge=2000, le=2100)


class UsageOut(Schema):
    site: Ref
    day: dt.date
    visitors: int

    @staticmethod
    def resolve_site(obj: SiteUsage) -> dict:
        return ref(obj.site)


UsagePage = page_of(UsageOut, "SiteUsagePage")


class UsageIn(Input):
    site_id: Id
    day: dt.date
    visitors: int = Field(..., ge=0, le=1_000_000)


class UsageFilters(Input):
    site_id: Id


# --- programmes ------------------------------------------------------------------------------------


@programmes_router.get("", response=responses({200: ProgrammePage}))
def programme_list(request, filters: Query[ProgrammeFilters], page: Query[PageQuery]):
    f = filters.dict()
    qs = selectors.programme_list_for_actor(actor_of(request), board=f["board"] or "", kind=f["kind"] or "",
                                            status=f["status"] or "", year=f["year"])
    return paginate(qs, page)


@programmes_router.post("", response=responses({201: ProgrammeOut}, body=True))
def programme_create(request, payload: ProgrammeIn):
    actor = actor_of(request)
    node = org_selectors.node_get_for_actor(actor, payload.node_id)
    sub = [(org_selectors.enterprise_get_for_actor(actor, s.enterprise_id), s.slots) for s in payload.sub_quotas]
    data = payload.dict(exclude={"node_id", "sub_quotas"})
    data["employment_forms"] = [str(f) for f in data["employment_forms"]]
    programme = services.programme_create(actor=actor, node=node, sub_quotas=sub, **data)
    return Status(201, programme)


@programmes_router.get("/{programme_id}", response=responses({200: ProgrammeOut}))
def programme_get(request, programme_id: Id):
    return selectors.programme_get_for_actor(actor_of(request), programme_id)


@programmes_router.patch("/{programme_id}", response=responses({200: ProgrammeOut}, body=True))
def programme_patch(request, programme_id: Id, payload: ProgrammePatch):
    actor = actor_of(request)
    programme = selectors.programme_get_for_actor(actor, programme_id, for_write=True)
    changes = changes_of(payload, nullable=("opens_at", "closes_at", "joined_from", "joined_to"))
    if "employment_forms" in changes:
        changes["employment_forms"] = [str(f) for f in changes["employment_forms"]]
    return services.programme_update(actor=actor, programme=programme, **changes)


@programmes_router.post("/{programme_id}/open", response=responses({200: ProgrammeOut}))
def programme_open(request, programme_id: Id):
    actor = actor_of(request)
    programme = selectors.programme_get_for_actor(actor, programme_id, for_write=True)
    return services.programme_open(actor=actor, programme=programme)


@programmes_router.post("/{programme_id}/close", response=responses({200: ProgrammeOut}))
def programme_close(request, programme_id: Id):
    actor = actor_of(request)
    programme = selectors.programme_get_for_actor(actor, programme_id, for_write=True)
    return services.programme_close(actor=actor, programme=programme)


# --- claims ----------------------------------------------------------------------------------------


@claims_router.post("", response=responses({201: ClaimOut}, body=True), auth=WORKER_OR_STAFF)
def claim_create(request, payload: ClaimIn):
    """Claim a place. A worker's session claims for the worker (person_id must be omitted or their own);
    staff name the member. A full programme answers 422 with 名额已满 / all places are taken."""
    return Status(201, claim_for(request, payload))


def claim_for(request, payload: ClaimIn) -> BenefitClaim:
    """The claim route's work, shared with its front door for workers' own claims (api_fast)."""
    actor = actor_of(request)
    own = services.worker_person_id(actor)
    if own is not None:
        if payload.person_id not in (None, own):
            raise PermissionDenied(_("只能为本人申领"))
        person = actor.worker_account.person
    else:
        if payload.person_id is None:
            raise ValidationError({"person_id": [_("请指定会员")]})
        person, _m = person_get_for_actor(actor, payload.person_id)
    claim = services.claim_create(actor=actor, programme=payload.programme_id, person=person)
    claim.person = person
    return claim


@claims_router.get("", response=responses({200: ClaimPage}), auth=WORKER_OR_STAFF)
def claim_list(request, filters: Query[ClaimFilters], page: Query[PageQuery]):
    actor = actor_of(request)
    own = services.worker_person_id(actor)
    if own is not None:
        qs = BenefitClaim.objects.filter(person_id=own).select_related("programme", "person", "union")
        if filters.programme_id:
            qs = qs.filter(programme_id=filters.programme_id)
        qs = qs.order_by("-created_at")
    else:
        if not filters.programme_id:
            raise ValidationError({"programme_id": [_("请指定项目")]})
        programme = selectors.programme_get_for_actor(actor, filters.programme_id)
        qs = selectors.claim_list_for_actor(actor, programme).select_related("programme")
    if filters.status:
        qs = qs.filter(status=filters.status)
    return paginate(qs, page)


@claims_router.post("/{claim_id}/cancel", response=responses({200: ClaimOut}, body=True), auth=WORKER_OR_STAFF)
def claim_cancel(request, claim_id: Id, payload: CancelIn):
    actor = actor_of(request)
    own = services.worker_person_id(actor)
    if own is not None:
        claim = selectors.claim_for_person(Person(pk=own), claim_id)
    else:
        claim = selectors.claim_get_for_actor(actor, claim_id)
    return services.claim_cancel(actor=actor, claim=claim, reason=payload.reason)


# --- reimbursements --------------------------------------------------------------------------------


@reimbursements_router.get("", response=responses({200: ReimbursementPage}))
def reimbursement_list(request, filters: Query[ReimbursementFilters], page: Query[PageQuery]):
    actor = actor_of(request)
    programme = selectors.programme_get_for_actor(actor, filters.programme_id) if filters.programme_id else None
    qs = selectors.reimbursement_list_for_actor(actor, programme=programme, status=filters.status or "")
    return paginate(qs, page)


@reimbursements_router.get("/{reimbursement_id}", response=responses({200: ReimbursementOut}))
def reimbursement_get(request, reimbursement_id: Id):
    return selectors.reimbursement_get_for_actor(actor_of(request), reimbursement_id)


@reimbursements_router.post("/{reimbursement_id}/approve", response=responses({200: ReimbursementOut}, body=True))
def reimbursement_approve(request, reimbursement_id: Id, payload: ApproveIn):
    actor = actor_of(request)
    item = selectors.reimbursement_get_for_actor(actor, reimbursement_id)
    return services.reimbursement_approve(actor=actor, reimbursement=item, approved_fen=payload.approved_fen,
                                          reason=payload.reason)


@reimbursements_router.post("/{reimbursement_id}/reject", response=responses({200: ReimbursementOut}, body=True))
def reimbursement_reject(request, reimbursement_id: Id, payload: RejectIn):
    actor = actor_of(request)
    item = selectors.reimbursement_get_for_actor(actor, reimbursement_id)
    return services.reimbursement_reject(actor=actor, reimbursement=item, reason=payload.reason)


@payments_router.post("/batches", response=responses({201: BatchOut}, body=True))
def payment_batch_create(request, payload: BatchIn):
    actor = actor_of(request)
    programme = selectors.programme_get_for_actor(actor, payload.programme_id)
    batch, skipped = services.payment_batch_create(actor=actor, programme=programme, title=payload.title)
    return Status(201, {"id": batch.pk, "title": batch.title, "skipped": skipped,
                        "payments": list(batch.payments.defer("bank_account").order_by("id"))})


class BenefitImportOut(Schema):
    paid: int
    failed: int
    unchanged: int


@payments_router.post("/batches/{batch_id}/bank-sheet", response=responses({200: None}),
                      summary=gettext_lazy("银行批量代发表 .xlsx（待银行处理的发放；full=true 完整账号，记录查看日志）"))
def payment_batch_bank_sheet(request, batch_id: Id, full: bool = False):
    from huigong.core import banksheet

    actor = actor_of(request)
    return banksheet.download(*services.payment_batch_bank_sheet(
        actor=actor, batch=selectors.payment_batch_get_for_actor(actor, batch_id), full=full))


@payments_router.post("/batches/{batch_id}/bank-results", response=responses({200: BenefitImportOut}, body=True),
                      summary=gettext_lazy("导入银行回盘（整表校验，幂等）"))
def payment_batch_results(request, batch_id: Id, file: File[UploadedFile]):
    actor = actor_of(request)
    batch = selectors.payment_batch_get_for_actor(actor, batch_id)
    if file.size > 5 * 1024 * 1024:
        raise ValidationError({"file": [_("文件超过 5 MB")]})
    return services.payment_batch_import_results(actor=actor, batch=batch, data=file.read())


@payments_router.post("/{payment_id}/paid", response=responses({200: PaymentOut}, body=True))
def payment_paid(request, payment_id: Id, payload: PaidIn):
    actor = actor_of(request)
    payment = selectors.payment_get_for_actor(actor, payment_id)
    return services.payment_mark_paid(actor=actor, payment=payment, bank_reference=payload.bank_reference)


@payments_router.post("/{payment_id}/failed", response=responses({200: PaymentOut}, body=True))
def payment_failed(request, payment_id: Id, payload: FailedIn):
    actor = actor_of(request)
    payment = selectors.payment_get_for_actor(actor, payment_id)
    return services.payment_mark_failed(actor=actor, payment=payment, reason=payload.reason)


@payments_router.post("/{payment_id}/retry", response=responses({201: PaymentOut}))
def payment_retry(request, payment_id: Id):
    actor = actor_of(request)
    payment = selectors.payment_get_for_actor(actor, payment_id)
    return Status(201, services.payment_retry(actor=actor, payment=payment))


# --- visits and site usage -------------------------------------------------------------------------


@visits_router.get("", response=responses({200: VisitPage}))
def visit_list(request, filters: Query[VisitFilters], page: Query[PageQuery]):
    actor = actor_of(request)
    programme = selectors.programme_get_for_actor(actor, filters.programme_id) if filters.programme_id else None
    return paginate(selectors.visit_list_for_actor(actor, programme=programme, year=filters.year), page)


@visits_router.post("", response=responses({201: VisitOut}, body=True))
def visit_create(request, payload: VisitIn):
    actor = actor_of(request)
    node = org_selectors.node_get_for_actor(actor, payload.node_id)
    enterprise = org_selectors.enterprise_get_for_actor(actor, payload.enterprise_id) if payload.enterprise_id else None
    site = selectors.site_get_for_actor(actor, payload.site_id) if payload.site_id else None
    programme = selectors.programme_get_for_actor(actor, payload.programme_id) if payload.programme_id else None
    visit = services.visit_record(actor=actor, node=node, enterprise=enterprise, site=site, programme=programme,
                                  visited_on=payload.visited_on, headcount=payload.headcount, goods=payload.goods,
                                  value_fen=payload.value_fen, note=payload.note)
    return Status(201, visit)


@usage_router.get("", response=responses({200: UsagePage}))
def usage_list(request, filters: Query[UsageFilters], page: Query[PageQuery]):
    site = selectors.site_get_for_actor(actor_of(request), filters.site_id)
    return paginate(SiteUsage.objects.filter(site=site).select_related("site").order_by("-day"), page)


@usage_router.post("", response=responses({201: UsageOut}, body=True))
def usage_record(request, payload: UsageIn):
    actor = actor_of(request)
    site = selectors.site_get_for_actor(actor, payload.site_id)
    row = services.site_usage_record(actor=actor, site=site, day=payload.day, visitors=payload.visitors)
    row.site = site
    return Status(201, row)
