"""The router this app adds to /api/v1/ (declared in apps.py, mounted by huigong/api/api.py):
online join applications for the staff of the unions they are routed to."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema

from huigong.api.auth import actor_of
from huigong.api.errors import fields_renamed
from huigong.api.schemas import Id, Input, PageQuery, Ref, page_of, paginate, ref, responses
from huigong.members.models import EmploymentForm
from huigong.orgs.api import node_ref_for_actor

from . import join, selectors
from .models import JoinApplication, JoinStatus, RouteRule

join_router = Router()


class JoinApplicationOut(Schema):
    id: int
    name: str
    id_number_mask: str
    phone_mask: str
    employment_form: EmploymentForm
    employment_form_label: str
    job_title: str
    employer: Ref | None
    platform: Ref | None
    area: Ref | None
    routed_to: Ref
    route_rule: RouteRule
    status: JoinStatus
    status_label: str
    transfer_from_union: Ref | None
    transfer_request_status: str = Field("", description="会员关系转接请求的状态（原工会答复前会籍不变）")
    needs_verification: bool = Field(description=gettext_lazy("身份待核实：须当面核验身份证后填写核实说明才能通过"))
    verification_note: str
    reason: str
    membership_id: int | None
    card_no: str
    submitted_at: dt.datetime
    decided_at: dt.datetime | None

    @staticmethod
    def resolve_transfer_request_status(obj: JoinApplication) -> str:
        return obj.transfer_request.status if obj.transfer_request_id else ""

    @staticmethod
    def resolve_needs_verification(obj: JoinApplication) -> bool:
        return join.needs_verification(obj)

    @staticmethod
    def resolve_employment_form_label(obj: JoinApplication) -> str:
        return str(obj.get_employment_form_display())

    @staticmethod
    def resolve_employer(obj: JoinApplication):
        return ref(obj.employer)

    @staticmethod
    def resolve_platform(obj: JoinApplication):
        return ref(obj.platform)

    @staticmethod
    def resolve_area(obj: JoinApplication):
        return ref(obj.area)

    @staticmethod
    def resolve_routed_to(obj: JoinApplication):
        return ref(obj.routed_to)

    @staticmethod
    def resolve_status_label(obj: JoinApplication) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_transfer_from_union(obj: JoinApplication):
        return ref(obj.transfer_from.union) if obj.transfer_from_id else None

    @staticmethod
    def resolve_card_no(obj: JoinApplication) -> str:
        return obj.membership.card_no if obj.membership_id else ""


JoinApplicationPage = page_of(JoinApplicationOut, "JoinApplicationPage")


class JoinFilter(PageQuery):
    status: JoinStatus | None = Field(None, description=gettext_lazy("状态"))
    q: str = Field("", max_length=50, description=gettext_lazy("姓名包含"))


class AcceptIn(Input):
    union_id: Id | None = Field(None, description=gettext_lazy("入会工会（受理工会为区县总工会时必填）"))
    verification_note: str = Field("", max_length=255, description=gettext_lazy("核实方式/说明（身份待核实时必填）"))


class JoinRejectIn(Input):
    reason: str = Field(..., max_length=255, description=gettext_lazy("不通过原因"))


def _out(actor, pk: int) -> JoinApplication:
    return selectors.join_get_for_actor(actor, pk)


@join_router.get("", response=responses({200: JoinApplicationPage}),
                 summary=gettext_lazy("入会申请列表（本级及下级受理的）"))
def join_list(request, filters: Query[JoinFilter]):
    actor = actor_of(request)
    qs = (selectors.join_list_for_actor(actor, status=filters.status or "", q=filters.q)
          .select_related("transfer_from__union", "membership"))
    return paginate(qs, filters)


@join_router.get("/{int:app_id}", response=responses({200: JoinApplicationOut}),
                 summary=gettext_lazy("入会申请详情"))
def join_get(request, app_id: Id):
    return _out(actor_of(request), app_id)


@join_router.post("/{int:app_id}/accept", response=responses({200: JoinApplicationOut}, body=True),
                  summary=gettext_lazy("通过入会申请（登记会员或办理转接）"))
def join_accept(request, app_id: Id, payload: AcceptIn):
    actor = actor_of(request)
    app = _out(actor, app_id)
    union = node_ref_for_actor(actor, payload.union_id, "union_id") if payload.union_id else None
    with fields_renamed({"union": "union_id"}):
        join.join_accept(actor=actor, application=app, union=union, verification_note=payload.verification_note)
    return _out(actor, app_id)


@join_router.post("/{int:app_id}/reject", response=responses({200: JoinApplicationOut}, body=True),
                  summary=gettext_lazy("退回入会申请"))
def join_reject(request, app_id: Id, payload: JoinRejectIn):
    actor = actor_of(request)
    join.join_reject(actor=actor, application=_out(actor, app_id), reason=payload.reason)
    return _out(actor, app_id)
