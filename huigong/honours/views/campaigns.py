"""Campaigns, nomination lists with the live composition meter, vetting, 公示 and award."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huigong.core.notices.views import notice_pdf_response
from huigong.core.scope import require, root_path
from huigong.members.selectors import person_get_for_actor
from huigong.orgs.models import NodeLevel
from huigong.orgs.selectors import node_get_for_actor

from .. import selectors, services
from ..models import (
    Attribute,
    CampaignStatus,
    HolderKind,
    ListStatus,
    NomineeStatus,
    RuleOp,
    TitleLevel,
    TitleType,
    Verdict,
)
from ..services.common import DECIDE, HONOUR, VIEW
from ..services.vetting import SCHEME, vetting_missing, vetting_problem
from .common import REFUSALS, posted_int, refused

RULE_ROWS = 6
QUOTA_ROWS = 8


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    staff = require(request.user, HONOUR)
    children = list(staff.node.get_children().order_by("path"))
    if request.method == "POST":
        p = request.POST
        try:
            with transaction.atomic():
                rules = []
                for i in range(RULE_ROWS):
                    if p.get(f"rule_attr_{i}"):
                        rules.append((p.get(f"rule_attr_{i}"), p.get(f"rule_op_{i}", ""),
                                      posted_int(request, f"rule_pct_{i}", _("比例（%）"))))
                quotas = []
                for i in range(QUOTA_ROWS):
                    if p.get(f"quota_node_{i}"):
                        node = node_get_for_actor(request.user, posted_int(request, f"quota_node_{i}", _("推荐单位")))
                        quotas.append((node, posted_int(request, f"quota_places_{i}", _("名额"))))
                c = services.campaign_create(
                    actor=request.user, node=staff.node, title=p.get("title", ""), title_type=p.get("title_type", ""),
                    level=p.get("level", ""), year=posted_int(request, "year", _("年度")),
                    granting_body=p.get("granting_body", ""), levels=p.getlist("levels"),
                    departments=(p.get("departments", "")).replace("，", ",").replace("、", ",").split(","),
                    rules=rules, quotas=quotas)
        except REFUSALS as e:
            refused(request, e)
        else:
            messages.success(request, _("已发起评选：%(t)s") % {"t": c.title})
            return redirect("honours:campaign_detail", pk=c.pk)
    return render(request, "honours/campaign_form.html", {
        "types": TitleType.choices, "levels": TitleLevel.choices, "node_levels": NodeLevel.choices,
        "attributes": Attribute.choices, "ops": RuleOp.choices, "children": children, "f": request.POST,
        "rule_rows": range(RULE_ROWS), "quota_rows": range(QUOTA_ROWS), "tab": "campaigns"})


@login_required
@require_GET
def campaigns(request):
    staff = require(request.user, VIEW)
    return render(request, "honours/campaigns.html", {
        "campaigns": selectors.campaign_list_for_actor(request.user), "can_write": staff.can(HONOUR),
        "tab": "campaigns"})


@login_required
@require_GET
def campaign_detail(request, pk: int):
    staff = require(request.user, VIEW)
    c = selectors.campaign_get_for_actor(request.user, pk)
    organiser = c.node_path.startswith(root_path(request.user))
    lists = list(selectors.campaign_lists_for_actor(request.user, c))
    nominees = []
    if organiser:
        nominees = list(c.nominees.exclude(status=NomineeStatus.NOMINATED).select_related("nomination_list__node")
                        .prefetch_related("opinions").order_by("node_path", "pk"))
        for n in nominees:
            n.missing = vetting_missing(n, list(n.opinions.all()))
            n.problem = vetting_problem(n) if n.status == NomineeStatus.APPROVED else None
    mine = next((nl for nl in lists if nl.node_id == staff.node_id), None)
    can_open = (staff.can(HONOUR) and c.status == CampaignStatus.OPEN and staff.node_id != c.node_id
                and staff.node.path.startswith(c.node_path) and mine is None)
    return render(request, "honours/campaign_detail.html", {
        "c": c, "organiser": organiser, "lists": lists, "nominees": nominees, "rules": c.rules.all(),
        "quotas": c.quotas.select_related("node"), "notices": c.notices.all(), "can_open": can_open,
        "can_write": staff.can(HONOUR) and organiser, "can_award": staff.can(DECIDE) and staff.node_id == c.node_id,
        "verdicts": Verdict.choices, "first_prizes": selectors.first_prizes_for_campaign(c)[:20]
        if c.status == CampaignStatus.OPEN else [], "tab": "campaigns"})


@login_required
@require_POST
def list_open(request, pk: int):
    staff = require(request.user, HONOUR)
    c = selectors.campaign_get_for_actor(request.user, pk)
    try:
        nl = services.list_open(actor=request.user, campaign=c, node=staff.node)
    except REFUSALS as e:
        refused(request, e)
        return redirect("honours:campaign_detail", pk=c.pk)
    return redirect("honours:list_detail", pk=nl.pk)


def _list_context(request, nl):
    staff = require(request.user, VIEW)
    meter = services.meter_of(nl)
    editable = (staff.can(HONOUR) and nl.status in (ListStatus.DRAFT, ListStatus.RETURNED)
                and nl.node_path.startswith(root_path(request.user)) and nl.campaign.status == CampaignStatus.OPEN)
    return {"nl": nl, "c": nl.campaign, "meter": meter, "editable": editable,
            "nominees": nl.nominees.select_related("person").order_by("pk"), "attributes": Attribute.choices}


@login_required
@require_GET
def list_detail(request, pk: int):
    staff = require(request.user, VIEW)
    nl = selectors.list_get_for_actor(request.user, pk)
    ctx = _list_context(request, nl)
    chain = services.list_chain(nl)
    current = chain.current
    ctx.update({"chain": chain, "steps": nl.steps.filter(round=nl.round).select_related("node", "decided_by"),
                "may": current.may_act(request.user.pk) if current is not None and staff.can(DECIDE) else "",
                "blocked": chain.blocked_reason(request.user.pk) if current is not None else "",
                "kinds": HolderKind.choices, "tab": "campaigns",
                "members": selectors.member_choices(request.user, nl.node_path) if ctx["editable"] else []})
    return render(request, "honours/list_detail.html", ctx)


@login_required
@require_GET
def list_meter(request, pk: int):
    """The meter alone (htmx refreshes it after each change of the list)."""
    nl = selectors.list_get_for_actor(request.user, pk)
    return render(request, "honours/_meter.html", _list_context(request, nl))


def _back_to_list(request, nl):
    if request.headers.get("HX-Request"):
        return render(request, "honours/_list_body.html", {**_list_context(request, nl), "hx": True})
    return redirect("honours:list_detail", pk=nl.pk)


@login_required
@require_POST
def nominee_add(request, pk: int):
    require(request.user, HONOUR)
    nl = selectors.list_get_for_actor(request.user, pk)
    try:
        with transaction.atomic():
            kind = request.POST.get("holder_kind", HolderKind.PERSON)
            person = None
            if kind == HolderKind.PERSON:
                person = person_get_for_actor(request.user, posted_int(request, "person", _("人选")))[0]
            services.nominee_add(actor=request.user, nomination_list=nl, person=person, holder_kind=kind,
                                 name=request.POST.get("name", ""), attributes=request.POST.getlist("attributes"),
                                 deeds=request.POST.get("deeds", ""))
    except REFUSALS as e:
        refused(request, e)
    return _back_to_list(request, nl)


@login_required
@require_POST
def nominee_attributes(request, pk: int):
    require(request.user, HONOUR)
    n = selectors.nominee_get_for_actor(request.user, pk)
    try:
        services.nominee_set_attributes(actor=request.user, nominee=n, attributes=request.POST.getlist("attributes"))
    except REFUSALS as e:
        refused(request, e)
    return _back_to_list(request, n.nomination_list)


@login_required
@require_POST
def nominee_remove(request, pk: int):
    require(request.user, HONOUR)
    n = selectors.nominee_get_for_actor(request.user, pk)
    nl = n.nomination_list
    try:
        services.nominee_remove(actor=request.user, nominee=n)
    except REFUSALS as e:
        refused(request, e)
    return _back_to_list(request, nl)


@login_required
@require_POST
def list_submit(request, pk: int):
    require(request.user, HONOUR)
    nl = selectors.list_get_for_actor(request.user, pk)
    try:
        services.list_submit(actor=request.user, nomination_list=nl)
    except REFUSALS as e:
        refused(request, e)
    else:
        messages.success(request, _("名单已报送，逐级审核"))
    return redirect("honours:list_detail", pk=nl.pk)


@login_required
@require_POST
def list_decide(request, pk: int):
    require(request.user, DECIDE)
    nl = selectors.list_get_for_actor(request.user, pk)
    try:
        services.list_decide(actor=request.user, nomination_list=nl, decision=request.POST.get("decision", ""),
                             comment=request.POST.get("comment", ""), acting_reason=request.POST.get("acting_reason", ""))
    except REFUSALS as e:
        refused(request, e)
    else:
        messages.success(request, _("已记录审核意见"))
    return redirect("honours:list_detail", pk=nl.pk)


@login_required
@require_POST
def opinion_record(request, pk: int):
    require(request.user, HONOUR)
    n = selectors.nominee_get_for_actor(request.user, pk)
    try:
        services.opinion_record(actor=request.user, nominee=n, department=request.POST.get("department", ""),
                                verdict=request.POST.get("verdict", ""), note=request.POST.get("note", ""))
    except REFUSALS as e:
        refused(request, e)
    return redirect("honours:campaign_detail", pk=n.campaign_id)


@login_required
@require_POST
def notice_publish(request, pk: int):
    require(request.user, HONOUR)
    c = selectors.campaign_get_for_actor(request.user, pk)
    try:
        ids = [int(x) for x in request.POST.getlist("nominees") if x.isdigit()]
        notice = services.notice_publish(actor=request.user, campaign=c, nominees=ids,
                                         contact=request.POST.get("contact", ""))
    except REFUSALS as e:
        refused(request, e)
        return redirect("honours:campaign_detail", pk=c.pk)
    messages.success(request, _("已发布公示"))
    return redirect("honours:notice_detail", pk=notice.pk)


@login_required
@require_GET
def notice_detail(request, pk: int):
    staff = require(request.user, VIEW)
    notice = selectors.notice_get_for_actor(request.user, pk)
    from huigong.core.notices import services as kernel

    return render(request, "honours/notice_detail.html", {
        "notice": notice, "rows": kernel.notice_rows(SCHEME, notice),
        "objections": notice.objections.select_related("nominee"),
        "blocker": kernel.notice_end_blocker(SCHEME, notice), "tab": "campaigns",
        "can_write": staff.can(HONOUR) and notice.node_path.startswith(root_path(request.user))})


@login_required
@require_GET
def notice_pdf(request, pk: int):
    require(request.user, VIEW)
    return notice_pdf_response(SCHEME, selectors.notice_get_for_actor(request.user, pk))


@login_required
@require_POST
def objection_record(request, pk: int):
    require(request.user, HONOUR)
    notice = selectors.notice_get_for_actor(request.user, pk)
    try:
        nominee = None
        if request.POST.get("nominee"):
            nominee = notice.entries.get(nominee_id=posted_int(request, "nominee", _("人选"))).nominee
        services.objection_record(actor=request.user, notice=notice, nominee=nominee,
                                  content=request.POST.get("content", ""), channel=request.POST.get("channel", ""))
    except notice.entries.model.DoesNotExist:
        messages.error(request, _("该人选不在本次公示中"))
    except REFUSALS as e:
        refused(request, e)
    return redirect("honours:notice_detail", pk=notice.pk)


@login_required
@require_POST
def objection_resolve(request, pk: int, objection: int):
    require(request.user, HONOUR)
    notice = selectors.notice_get_for_actor(request.user, pk)
    try:
        obj = notice.objections.get(pk=objection)
        services.objection_resolve(actor=request.user, objection=obj, upheld=request.POST.get("upheld") == "1",
                                   resolution=request.POST.get("resolution", ""))
    except notice.objections.model.DoesNotExist:
        messages.error(request, _("异议不存在"))
    except REFUSALS as e:
        refused(request, e)
    return redirect("honours:notice_detail", pk=notice.pk)


@login_required
@require_POST
def notice_end(request, pk: int):
    require(request.user, HONOUR)
    notice = selectors.notice_get_for_actor(request.user, pk)
    try:
        services.notice_end(actor=request.user, notice=notice)
    except REFUSALS as e:
        refused(request, e)
    return redirect("honours:notice_detail", pk=notice.pk)


@login_required
@require_POST
def campaign_award(request, pk: int):
    require(request.user, DECIDE)
    c = selectors.campaign_get_for_actor(request.user, pk)
    try:
        honours = services.campaign_award(actor=request.user, campaign=c)
    except REFUSALS as e:
        refused(request, e)
    else:
        messages.success(request, _("已表彰 %(n)d 名，证书编号已生成") % {"n": len(honours)})
    return redirect("honours:campaign_detail", pk=c.pk)


__all__ = ["ValidationError"]
