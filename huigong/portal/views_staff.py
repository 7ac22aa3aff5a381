"""Console pages for the unions that decide online join applications (Cap MEMBER_WRITE to decide,
VIEW to read), scoped to the actor's subtree."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from huigong.accounts.models import Cap
from huigong.core.scope import ensure_path_in_scope, path_in_scope, require
from huigong.members.models import TransferRequestStatus
from huigong.members.selectors import transfer_request_get_for_actor, transfer_requests_for_actor
from huigong.orgs.models import MEMBERSHIP_LEVELS, UnionNode

from . import join, selectors
from . import link as links
from .forms import DecisionNoteForm, JoinFilterForm, RejectForm
from .models import PENDING_JOIN_STATUSES, JoinStatus, LinkStatus

PER_PAGE = 50


@login_required
@require_GET
def join_list(request):
    staff = require(request.user, Cap.VIEW)
    form = JoinFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    status = filters.get("status", "") if "status" in request.GET else selectors.PENDING
    qs = selectors.join_list_for_actor(request.user, status=status, q=filters.get("q", ""))
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    counts = selectors.join_status_counts_for_actor(request.user)
    return render(request, "portal/staff/join_list.html", {
        "transfers_waiting": transfer_requests_for_actor(
            request.user, direction="out", status=TransferRequestStatus.PENDING).count(),
        "form": form, "page_obj": page, "status": status, "can_write": staff.can(Cap.MEMBER_WRITE),
        "status_options": [(selectors.PENDING, _("待处理"), sum(counts.get(v, 0) for v in PENDING_JOIN_STATUSES)),
                           ("", _("全部状态"), None)]
                          + [(v, label, counts.get(v, 0)) for v, label in JoinStatus.choices],
    })


def _placement_unions(actor, app):
    """Where a member may be placed when the routed union cannot hold members itself (a district union)."""
    if app.routed_to.can_hold_members:
        return []
    return [u for u in UnionNode.objects.filter(path__startswith=app.routed_to.path, level__in=MEMBERSHIP_LEVELS)
            .order_by("path")[:200] if path_in_scope(actor, u.path)]


@login_required
@require_GET
def join_detail(request, pk: int):
    staff = require(request.user, Cap.VIEW)
    app = selectors.join_get_for_actor(request.user, pk)
    return render(request, "portal/staff/join_detail.html", _detail_context(request, staff, app, RejectForm()))


def _detail_context(request, staff, app, reject_form) -> dict:
    return {"app": app, "can_write": staff.can(Cap.MEMBER_WRITE) and app.is_pending, "reject_form": reject_form,
            "placements": _placement_unions(request.user, app), "needs_verification": join.needs_verification(app),
            "employer_outside": app.is_pending and join.employer_outside_scope(request.user, app)}


@login_required
@require_POST
def join_accept(request, pk: int):
    require(request.user, Cap.MEMBER_WRITE)
    app = selectors.join_get_for_actor(request.user, pk)
    union = None
    if request.POST.get("union"):
        union = UnionNode.objects.filter(pk=request.POST["union"]).first()
    try:
        join.join_accept(actor=request.user, application=app, union=union,
                         verification_note=request.POST.get("verification_note", ""))
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("已通过入会申请，并已通知申请人"))
    return redirect("portal:staff_join_detail", app.pk)


@login_required
@require_POST
def join_reject(request, pk: int):
    staff = require(request.user, Cap.MEMBER_WRITE)
    app = selectors.join_get_for_actor(request.user, pk)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            join.join_reject(actor=request.user, application=app, reason=form.cleaned_data["reason"])
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
        else:
            messages.success(request, _("已退回入会申请，并已通知申请人"))
            return redirect("portal:staff_join_detail", app.pk)
    return render(request, "portal/staff/join_detail.html", _detail_context(request, staff, app, form),
                  status=400 if not form.is_valid() else 200)


@login_required
@require_GET
def card_check(request):
    """What a staff member's phone opens when it scans a worker's membership card: whether the card is
    genuine and the membership active. Scoped like every console page."""
    from django.core import signing

    from huigong.members.models import Membership

    from .cards import card_token_read

    require(request.user, Cap.VIEW)
    try:
        membership = (Membership.objects.select_related("person", "union")
                      .defer("person__id_number", "person__phone", "person__bank_account")
                      .get(pk=card_token_read(request.GET.get("t", ""))))
    except signing.SignatureExpired:
        return render(request, "portal/staff/card_check.html", {"invalid": True, "expired": True}, status=400)
    except (signing.BadSignature, TypeError, ValueError, Membership.DoesNotExist):
        return render(request, "portal/staff/card_check.html", {"invalid": True}, status=400)
    ensure_path_in_scope(request.user, membership.union.path)
    current = (Membership.objects.select_related("union").filter(person_id=membership.person_id, status="active")
               .first())
    # The union a card was transferred to is named only when it is in the scanner's own subtree.
    current_union = None
    if current is not None:
        current_union = current.union.name if path_in_scope(request.user, current.union.path) else _("其他工会")
    return render(request, "portal/staff/card_check.html", {"m": membership, "current": current,
                                                            "current_union": current_union})


# --- 会员关系转接请求: the releasing union answers, the receiving union follows ---------------------------

@login_required
@require_GET
def transfer_list(request):
    staff = require(request.user, Cap.VIEW)
    direction = "in" if request.GET.get("direction") == "in" else "out"
    status = request.GET.get("status", TransferRequestStatus.PENDING)
    if status not in TransferRequestStatus.values:
        status = ""
    qs = transfer_requests_for_actor(request.user, direction=direction, status=status)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "portal/staff/transfer_list.html", {
        "page_obj": page, "direction": direction, "status": status, "statuses": TransferRequestStatus.choices,
        "can_write": staff.can(Cap.MEMBER_WRITE)})


def _transfer_context(request, staff, req, form) -> dict:
    releasing = path_in_scope(request.user, req.from_union.path)
    return {"req": req, "form": form, "releasing": releasing,
            "can_answer": releasing and staff.can(Cap.MEMBER_WRITE) and req.is_pending}


@login_required
@require_GET
def transfer_detail(request, pk: int):
    staff = require(request.user, Cap.VIEW)
    req = transfer_request_get_for_actor(request.user, pk)
    return render(request, "portal/staff/transfer_detail.html",
                  _transfer_context(request, staff, req, DecisionNoteForm()))


def _transfer_answer(request, pk: int, *, accept: bool):
    staff = require(request.user, Cap.MEMBER_WRITE)
    req = transfer_request_get_for_actor(request.user, pk)
    form = DecisionNoteForm(request.POST)
    form.is_valid()
    try:
        join.transfer_request_answer(actor=request.user, request=req, accept=accept,
                                     note=form.cleaned_data.get("note", ""))
    except ValidationError as e:
        for msg in e.messages:
            form.add_error(None, msg)
        return render(request, "portal/staff/transfer_detail.html",
                      _transfer_context(request, staff, req, form), status=400)
    messages.success(request, _("已同意转出，会籍已转入对方工会") if accept else _("已答复不同意转出"))
    return redirect("portal:staff_transfer_detail", req.pk)


@login_required
@require_POST
def transfer_accept(request, pk: int):
    return _transfer_answer(request, pk, accept=True)


@login_required
@require_POST
def transfer_refuse(request, pk: int):
    return _transfer_answer(request, pk, accept=False)


# --- 我已是会员: the union holding the record confirms ------------------------------------------------------

@login_required
@require_GET
def link_list(request):
    staff = require(request.user, Cap.VIEW)
    status = request.GET.get("status", LinkStatus.PENDING)
    status = status if status in LinkStatus.values else ""
    page = Paginator(selectors.links_for_actor(request.user, status=status), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "portal/staff/link_list.html", {
        "page_obj": page, "status": status, "statuses": LinkStatus.choices,
        "can_write": staff.can(Cap.MEMBER_WRITE)})


@login_required
@require_POST
def link_decide(request, pk: int):
    require(request.user, Cap.MEMBER_WRITE)
    obj = selectors.link_get_for_actor(request.user, pk)
    try:
        links.link_decide(actor=request.user, link=obj, confirm=request.POST.get("action") == "confirm",
                          note=request.POST.get("note", ""))
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("已处理会员身份绑定申请，并已通知申请人"))
    return redirect("portal:staff_link_list")
