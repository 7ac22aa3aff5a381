"""The register, model workers' pages, reconciliation, revocations, entitlements and allowance money."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huigong.core import facets
from huigong.core.banksheet import ResultImportForm
from huigong.core.disbursement.pages import result_import
from huigong.core.files import file_response
from huigong.core.pdf import PdfUnavailable
from huigong.core.scope import require
from huigong.members.selectors import person_get_for_actor
from huigong.orgs.selectors import enterprise_get_for_actor, enterprise_picker_choices, node_get_for_actor

from .. import clock, selectors, services
from ..models import (
    COLLECTIVE_TITLES,
    EntitlementStatus,
    HolderKind,
    HonourStatus,
    InnovationStatus,
    RevocationGround,
    RevocationStatus,
    TitleLevel,
    TitleType,
)
from ..services import payments
from ..services.common import DECIDE, HONOUR, MONEY, VIEW, clean_text
from ..services.register import period_of
from ..services.revocation import case_chain
from ..services.vetting import certificate_pdf, verify_token
from .common import REFUSALS, posted_int, refused


@login_required
@require_GET
def home(request):
    staff = require(request.user, VIEW)
    counts = selectors.honour_counts(request.user)
    table = []
    for t, tl in TitleType.choices:
        row = [counts.get((t, lv), {}).get(HonourStatus.ACTIVE, 0) for lv, _l in TitleLevel.choices]
        if any(row):
            table.append({"label": tl, "cells": row, "total": sum(row)})
    return render(request, "honours/home.html", {
        "staff": staff, "levels": TitleLevel.choices, "table": table,
        "due": selectors.entitlements_due_for_actor(request.user, within_days=30)[:12],
        "campaigns": selectors.campaign_list_for_actor(request.user)[:10],
        "pending": selectors.innovation_list_for_actor(request.user).filter(
            status__in=[InnovationStatus.SUBMITTED, InnovationStatus.REVIEWING]).count(),
        "cases": selectors.revocation_list_for_actor(request.user).filter(status=RevocationStatus.IN_APPROVAL).count(),
        "can_write": staff.can(HONOUR), "tab": "home"})


@login_required
@require_GET
def honour_list(request):
    staff = require(request.user, VIEW)
    g = request.GET
    year = g.get("year", "")
    qs = selectors.honour_list_for_actor(request.user, q=g.get("q", "")[:50], title_type=g.get("title_type", ""),
                                         level=g.get("level", ""), status=g.get("status", ""),
                                         year=int(year) if year.isdigit() else None,
                                         holder_kind=g.get("holder_kind", "") if g.get("holder_kind") in HolderKind.values
                                         else "")
    page = Paginator(qs, 50).get_page(g.get("page"))
    page.object_list = list(page.object_list)
    _hardship_flags(request.user, page.object_list)
    return render(request, "honours/honour_list.html", {
        "page": page, "node": staff.node, "types": TitleType.choices, "levels": TitleLevel.choices, "statuses": HonourStatus.choices,
        "kinds": HolderKind.choices,
        "f": g, "can_write": staff.can(HONOUR), "tab": "register",
        "period": period_of(clock.today())})


def _holder(request, kind: str) -> dict:
    """Who holds the title being registered, from the form: a member (person), an enterprise of the
    actor's subtree (unit) or a named team of one (collective). An enterprise outside the subtree is a 404."""
    if kind == HolderKind.PERSON:
        person, membership = person_get_for_actor(request.user, posted_int(request, "person", _("获得者")))
        return {"person": person, "union": membership.union}
    if kind not in HolderKind.values:
        raise ValidationError({"holder_kind": [_("获得者类型无效")]})
    ent = enterprise_get_for_actor(request.user, posted_int(request, "enterprise", _("单位")))
    name = ent.name
    if kind == HolderKind.COLLECTIVE:
        team = clean_text(request.POST.get("team"), 80)
        if not team:
            raise ValidationError({"team": [_("集体名称：请填写班组、车间或工作室的名称")]})
        name = team if team.startswith(ent.name) else f"{ent.name}{team}"
    return {"enterprise": ent, "union": ent.union, "holder_name": name}


@login_required
@require_http_methods(["GET", "POST"])
def honour_create(request):
    """登记荣誉 of a person, a unit (五一劳动奖状…) or a collective (工人先锋号, 创新工作室…): the same service."""
    require(request.user, HONOUR)
    kind = request.POST.get("holder_kind") or request.GET.get("holder_kind") or HolderKind.PERSON
    if request.method == "POST":
        try:
            with transaction.atomic():
                h = services.honour_create(
                    actor=request.user, title_type=request.POST.get("title_type", ""),
                    level=request.POST.get("level", ""), year=posted_int(request, "year", _("年度")),
                    granting_body=request.POST.get("granting_body", ""),
                    certificate_no=request.POST.get("certificate_no", ""), holder_kind=kind,
                    **_holder(request, kind))
        except REFUSALS as e:
            refused(request, e)
        else:
            messages.success(request, _("已登记：%(h)s") % {"h": h})
            return redirect("honours:honour_detail", pk=h.pk)
    if kind not in HolderKind.values:
        kind = HolderKind.PERSON
    person = kind == HolderKind.PERSON
    types = [(v, lbl) for v, lbl in TitleType.choices if (v in COLLECTIVE_TITLES) != person]
    return render(request, "honours/honour_form.html", {
        "types": types, "levels": TitleLevel.choices, "f": request.POST, "tab": "register", "kind": kind,
        "kinds": HolderKind.choices,
        "members": selectors.member_choices(request.user) if person else [],
        "enterprises": [] if person else enterprise_picker_choices(request.user, limit=500)[0]})


@login_required
@require_http_methods(["GET", "POST"])
def honour_import(request):
    staff = require(request.user, HONOUR)
    result = None
    if request.method == "POST":
        upload = request.FILES.get("upload")
        try:
            if upload is None:
                raise ValidationError({"upload": [_("请选择 Excel 文件")]})
            if upload.size > 5 * 1024 * 1024:
                raise ValidationError({"upload": [_("文件超过 5 MB")]})
            result = services.honours_import(actor=request.user, union=staff.node, data=upload.read())
        except REFUSALS as e:
            refused(request, e)
        else:
            messages.success(request, _("已导入 %(c)d 条，跳过已登记的 %(s)d 条") % {"c": result["created"],
                                                                            "s": result["skipped"]})
    return render(request, "honours/honour_import.html", {"result": result, "tab": "register"})


# The assistance app's facet (huigong.core.facets): heads of an open hardship file. Honours does not import
# assistance; it asks the kernel by key, and offers nothing when the facet is not installed.
HARDSHIP = "hardship_file"
# Starting the help: assistance's "new hardship file" page for a chosen head, by URL name and capability (the
# page checks both again). When either is missing the model worker's page says how instead.
HARDSHIP_START, HARDSHIP_CAP = "assistance:file_create", "assist"


def _hardship_flags(user, honours) -> None:
    """Marks the holders of the page who head an open hardship file (h.hardship) and the file the user
    may open (h.hardship_url): two queries for the page, whatever its length."""
    ids = [h.person_id for h in honours if h.person_id]
    if not ids or not facets.known(HARDSHIP):
        return
    heads = set(facets.person_ids(HARDSHIP).filter(pk__in=ids).values_list("pk", flat=True))
    links = facets.links(user, ids) if heads else {}
    for h in honours:
        h.hardship = h.person_id in heads
        h.hardship_url = next(iter(links.get(h.person_id, [])), ("", ""))[1] if h.hardship else ""


def _hardship_help(request, staff, h) -> dict | None:
    """The model worker's hardship files the user may open, and how to start the help when there is none."""
    if h.person_id is None:
        return None
    if not facets.known(HARDSHIP):
        return {"links": [], "start": "", "installed": False}
    links = facets.links(request.user, [h.person_id]).get(h.person_id, [])
    is_open = bool(links) or facets.has(HARDSHIP, h.person_id)
    start = ""
    if not is_open and staff.can(HARDSHIP_CAP) and h.status == HonourStatus.ACTIVE:
        try:
            start = f"{reverse(HARDSHIP_START)}?head={h.person_id}"
        except NoReverseMatch:
            start = ""
    return {"links": links, "start": start, "installed": True, "open": is_open}


@login_required
@require_GET
def honour_detail(request, pk: int):
    """The model worker's page: her titles, history, entitlements and their state, allowance payments,
    her hardship file (or how to start one)."""
    staff = require(request.user, VIEW)
    h = selectors.honour_get_for_actor(request.user, pk)
    ctx = selectors.holder_page(h)
    ctx.update({"hardship": _hardship_help(request, staff, h),"h": h, "events": h.events.select_related("actor").all(), "can_write": staff.can(HONOUR),
                "tab": "register", "cases": [i.case for i in h.revocation_items.select_related("case")]})
    return render(request, "honours/honour_detail.html", ctx)


@login_required
@require_GET
def honour_certificate(request, pk: int):
    require(request.user, VIEW)
    h = selectors.honour_get_for_actor(request.user, pk)
    if h.status != HonourStatus.ACTIVE:
        messages.error(request, _("该荣誉%(s)s，证书已收回，不再出具") % {"s": h.get_status_display()})
        return redirect("honours:honour_detail", pk=h.pk)
    url = request.build_absolute_uri(reverse("honours_portal:verify", args=[verify_token(h)]))
    try:
        pdf = certificate_pdf(h, url)
    except PdfUnavailable as e:
        return HttpResponse(str(e), status=503, content_type="text/plain; charset=utf-8")
    resp = HttpResponse(pdf, content_type="application/pdf")
    resp["Content-Disposition"] = content_disposition_header(False, f"荣誉证书-{h.certificate_no or h.pk}.pdf")
    return resp


@login_required
@require_POST
def honour_deceased(request, pk: int):
    require(request.user, HONOUR)
    h = selectors.honour_get_for_actor(request.user, pk)
    try:
        services.honour_mark_deceased(actor=request.user, honour=h, reason=request.POST.get("reason", ""))
    except REFUSALS as e:
        refused(request, e)
    else:
        messages.success(request, _("已登记为已故，未落实的待遇已停止"))
    return redirect("honours:honour_detail", pk=h.pk)


# --- reconciliation --------------------------------------------------------------------------------------


@login_required
@require_POST
def reconciliation_start(request, node: int):
    require(request.user, HONOUR)
    target = node_get_for_actor(request.user, node)
    try:
        rec = services.reconciliation_start(actor=request.user, node=target,
                                            period=request.POST.get("period", ""))
    except REFUSALS as e:
        refused(request, e)
        return redirect("honours:honour_list")
    return redirect("honours:reconciliation_detail", pk=rec.pk)


@login_required
@require_http_methods(["GET", "POST"])
def reconciliation_detail(request, pk: int):
    staff = require(request.user, VIEW)
    rec = selectors.reconciliation_get_for_actor(request.user, pk)
    if request.method == "POST":
        require(request.user, HONOUR)
        try:
            line = rec.lines.get(pk=posted_int(request, "line", _("核对行")))
            services.reconciliation_line_confirm(actor=request.user, line=line,
                                                 is_employed=request.POST.get("is_employed") == "1",
                                                 alive=request.POST.get("alive") != "0",
                                                 note=request.POST.get("note", ""))
        except rec.lines.model.DoesNotExist:
            messages.error(request, _("核对行不存在"))
        except REFUSALS as e:
            refused(request, e)
        return redirect("honours:reconciliation_detail", pk=rec.pk)
    return render(request, "honours/reconciliation.html", {
        "rec": rec, "lines": rec.lines.select_related("honour", "honour__union"), "can_write": staff.can(HONOUR),
        "tab": "register"})


@login_required
@require_POST
def reconciliation_close(request, pk: int):
    require(request.user, HONOUR)
    rec = selectors.reconciliation_get_for_actor(request.user, pk)
    try:
        services.reconciliation_close(actor=request.user, reconciliation=rec)
    except REFUSALS as e:
        refused(request, e)
    return redirect("honours:reconciliation_detail", pk=rec.pk)


# --- revocation ----------------------------------------------------------------------------------------


@login_required
@require_GET
def revocations(request):
    staff = require(request.user, VIEW)
    return render(request, "honours/revocations.html", {
        "cases": selectors.revocation_list_for_actor(request.user).select_related("node")[:200],
        "can_write": staff.can(HONOUR), "tab": "revocations"})


@login_required
@require_http_methods(["GET", "POST"])
def revocation_new(request):
    staff = require(request.user, HONOUR)
    ids = request.POST.getlist("honours") or request.GET.getlist("honour")
    honours = []
    for raw in ids[:200]:
        if raw.isdigit():
            honours.append(selectors.honour_get_for_actor(request.user, int(raw)))
    if request.method == "POST":
        try:
            case = services.revocation_propose(actor=request.user, node=staff.node, honours=honours,
                                               ground=request.POST.get("ground", ""),
                                               grounds_text=request.POST.get("grounds_text", ""),
                                               evidence=request.FILES.get("evidence"))
        except REFUSALS as e:
            refused(request, e)
        else:
            messages.success(request, _("撤销申请已提交，逐级审批"))
            return redirect("honours:revocation_detail", pk=case.pk)
    return render(request, "honours/revocation_form.html", {
        "honours": honours, "grounds": RevocationGround.choices, "f": request.POST, "tab": "revocations"})


@login_required
@require_http_methods(["GET", "POST"])
def revocation_detail(request, pk: int):
    staff = require(request.user, VIEW)
    case = selectors.revocation_get_for_actor(request.user, pk)
    if request.method == "POST":
        require(request.user, DECIDE)
        try:
            services.revocation_decide(actor=request.user, case=case, decision=request.POST.get("decision", ""),
                                       comment=request.POST.get("comment", ""),
                                       acting_reason=request.POST.get("acting_reason", ""))
        except REFUSALS as e:
            refused(request, e)
        else:
            messages.success(request, _("已记录审批意见"))
        return redirect("honours:revocation_detail", pk=case.pk)
    chain = case_chain(case)
    current = chain.current
    may = current.may_act(request.user.pk) if current is not None and staff.can(DECIDE) else ""
    return render(request, "honours/revocation_detail.html", {
        "case": case, "items": case.items.select_related("honour"), "chain": chain, "may": may,
        "blocked": chain.blocked_reason(request.user.pk) if current is not None else "", "tab": "revocations"})


@login_required
@require_GET
def revocation_evidence(request, pk: int):
    require(request.user, VIEW)
    case = selectors.revocation_get_for_actor(request.user, pk)
    return file_response(case.evidence, actor=request.user, object_type="honours.revocationcase", object_id=case.pk,
                         node_path=case.node_path, purpose=_("撤销称号证据材料"), content_type=case.evidence_type,
                         filename=f"evidence-{case.pk}", as_attachment=case.evidence_type != "application/pdf")


# --- entitlements and allowances --------------------------------------------------------------------------


@login_required
@require_GET
def entitlements(request):
    staff = require(request.user, VIEW)
    qs = selectors.entitlements_due_for_actor(request.user)
    kind = request.GET.get("kind", "")
    if kind:
        qs = qs.filter(kind=kind)
    return render(request, "honours/entitlements.html", {
        "page": Paginator(qs, 50).get_page(request.GET.get("page")), "year": clock.today().year, "node": staff.node,
        "can_write": staff.can(HONOUR), "can_pay": staff.can(MONEY), "tab": "entitlements",
        "batches": selectors.allowance_batches_for_actor(request.user)[:20]})


@login_required
@require_POST
def entitlements_schedule(request, node: int):
    require(request.user, HONOUR)
    target = node_get_for_actor(request.user, node)
    try:
        n = services.entitlements_schedule_year(actor=request.user, node=target,
                                                year=posted_int(request, "year", _("年度")))
    except REFUSALS as e:
        refused(request, e)
    else:
        messages.success(request, _("已生成 %(n)d 项待遇") % {"n": n})
    return redirect("honours:entitlements")


@login_required
@require_POST
def entitlement_deliver(request, pk: int):
    require(request.user, HONOUR)
    e = selectors.entitlement_get_for_actor(request.user, pk)
    from .common import posted_date

    try:
        services.entitlement_deliver(actor=request.user, entitlement=e,
                                     delivered_on=posted_date(request, "delivered_on", _("落实日期")),
                                     note=request.POST.get("note", ""))
    except REFUSALS as exc:
        refused(request, exc)
    else:
        messages.success(request, _("已记录落实"))
    return redirect(request.POST.get("next") if request.POST.get("next", "").startswith("/honours/")
                    else reverse("honours:entitlements"))


@login_required
@require_POST
def allowance_batch_create(request, node: int):
    require(request.user, MONEY)
    target = node_get_for_actor(request.user, node)
    try:
        batch, skipped = services.allowance_batch_create(actor=request.user, node=target,
                                                         year=posted_int(request, "year", _("年度")))
    except REFUSALS as e:
        refused(request, e)
        return redirect("honours:entitlements")
    for s in skipped:
        messages.warning(request, s)
    return redirect("honours:batch_detail", kind="allowance", pk=batch.pk)


@login_required
@require_GET
def batch_detail(request, kind: str, pk: int):
    staff = require(request.user, MONEY)
    batch = selectors.batch_get_for_actor(request.user, kind, pk)
    return render(request, "honours/batch_detail.html", {
        "batch": batch, "kind": kind, "payments": batch.payments.all(), "can_full": staff.can("pii_full"),
        "import_form": ResultImportForm(), "tab": "entitlements"})


@login_required
@require_POST
def batch_sheet(request, kind: str, pk: int):
    require(request.user, MONEY)
    batch = selectors.batch_get_for_actor(request.user, kind, pk)
    try:
        sheet = payments.batch_bank_sheet(actor=request.user, batch=batch, full=request.POST.get("full") == "1")
    except REFUSALS as e:
        refused(request, e)
        return redirect("honours:batch_detail", kind=kind, pk=batch.pk)
    resp = HttpResponse(sheet.content,
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = content_disposition_header(True, sheet.filename)
    return resp


@login_required
@require_POST
def batch_results(request, kind: str, pk: int):
    """The bank's result sheet (回盘) for an allowance or prize batch: checked whole, then each payment
    marked paid or failed (the shared form and messages of core.disbursement.pages)."""
    require(request.user, MONEY)  # refused before the upload is read: a 403, not a form error
    batch = selectors.batch_get_for_actor(request.user, kind, pk)
    counts = result_import(request, lambda data: payments.batch_import_results(actor=request.user, batch=batch,
                                                                               data=data))
    if counts is not None:
        messages.success(request, _("回盘已导入：到账 %(paid)d 笔，失败 %(failed)d 笔，未变 %(unchanged)d 笔") % counts)
    return redirect("honours:batch_detail", kind=kind, pk=batch.pk)


@login_required
@require_POST
def payment_action(request, kind: str, pk: int, action: str):
    require(request.user, MONEY)
    p = selectors.payment_get_for_actor(request.user, kind, pk)
    try:
        if action == "paid":
            payments.payment_mark_paid(actor=request.user, payment=p, bank_reference=request.POST.get("reference", ""))
        elif action == "failed":
            payments.payment_mark_failed(actor=request.user, payment=p, reason=request.POST.get("reason", ""))
        elif action == "retry":
            payments.payment_retry(actor=request.user, payment=p)
        else:
            raise PermissionDenied
    except REFUSALS as e:
        refused(request, e)
    return redirect("honours:batch_detail", kind=kind, pk=p.batch_id)


__all__ = ["EntitlementStatus"]
