"""Console pages for events: the list, an event with its sessions and seat shares, a session's
registrations (staff registration, list import, draws, no-shows), the approvals queue, attendance sheets.
`events_view` reads, `events` writes; every lookup goes through a scoped selector."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huigong.core.capacity.models import Allocation, EntryStatus
from huigong.core.pdf import PdfUnavailable
from huigong.core.scope import require, root_path, staff_of
from huigong.orgs.forms import apply_service_errors

from . import attendance, forms, selectors, services
from .models import Approval, EventKind, EventStatus, Registration, SeatShare

PER_PAGE = 100


def _error(request, exc: ValidationError) -> None:
    messages.error(request, "；".join(exc.messages))


@login_required
@require_GET
def home(request):
    staff = staff_of(request.user)
    kind = request.GET.get("kind", "") if request.GET.get("kind", "") in EventKind.values else ""
    status = request.GET.get("status", "") if request.GET.get("status", "") in EventStatus.values else ""
    events = selectors.event_list_for_actor(request.user, kind=kind, status=status, q=request.GET.get("q", "")[:50])
    page = Paginator(events, PER_PAGE).get_page(request.GET.get("page"))
    pending = selectors.approvals_pending_for_actor(request.user).count() if staff.can(services.CAP) else 0
    return render(request, "activities/home.html", {
        "page": page, "kinds": EventKind.choices, "statuses": EventStatus.choices, "kind": kind, "status": status,
        "q": request.GET.get("q", ""), "can_write": staff.can(services.CAP), "pending": pending})


@login_required
@require_http_methods(["GET", "POST"])
def event_create(request):
    staff = require(request.user, services.CAP)
    form = forms.EventForm(request.POST or None, actor=request.user, initial={"node": staff.node.pk})
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_create(actor=request.user, node=form.cleaned_data["node"], **form.service_kwargs())
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("已创建活动：%(title)s（草稿，添加场次并发布后职工才能报名）") % {"title": event.title})
            return redirect("activities:event_detail", pk=event.pk)
    return render(request, "activities/event_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def event_edit(request, pk: int):
    with transaction.atomic():
        event = selectors.event_get_for_actor(request.user, pk, for_write=True)
    fields = services.EVENT_FIELDS
    initial = {f: getattr(event, f) for f in fields}
    initial["site"] = event.site_id
    form = forms.EventForm(request.POST or None, actor=request.user, with_node=False, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.service_kwargs().items() if getattr(event, k) != v}
        try:
            services.event_update(actor=request.user, event=event, **changes)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("已保存"))
            return redirect("activities:event_detail", pk=event.pk)
    return render(request, "activities/event_form.html", {"form": form, "event": event})


@login_required
@require_GET
def event_detail(request, pk: int):
    event = selectors.event_get_for_actor(request.user, pk)
    staff = staff_of(request.user)
    root = root_path(request.user)
    owned = event.node.path.startswith(root)
    sessions = list(event.sessions.all())
    counts = selectors.session_counts([s.pk for s in sessions], "" if owned else root)
    shares = {}
    for sh in SeatShare.objects.filter(session__event=event).select_related("union"):
        shares.setdefault(sh.session_id, []).append(sh)
    rows = [{"s": s, "c": counts[s.pk], "shares": shares.get(s.pk, [])} for s in sessions]
    can_write = staff.can(services.CAP) and owned
    return render(request, "activities/event_detail.html", {
        "event": event, "rows": rows, "can_write": can_write, "owned": owned,
        "session_form": forms.SessionForm(), "share_form": forms.ShareForm(actor=request.user, event=event) if can_write else None,
        "ranked": event.allocation == Allocation.RANKED, "lottery": event.allocation == Allocation.LOTTERY})


@login_required
@require_POST
def event_action(request, pk: int, action: str):
    with transaction.atomic():
        event = selectors.event_get_for_actor(request.user, pk, for_write=True)
    try:
        if action == "publish":
            services.event_publish(actor=request.user, event=event)
            messages.success(request, _("活动已发布，职工可以报名"))
        elif action == "close":
            services.event_close(actor=request.user, event=event)
            messages.success(request, _("活动已结束报名"))
        elif action == "cancel":
            services.event_cancel(actor=request.user, event=event, reason=request.POST.get("reason", ""))
            messages.success(request, _("活动已取消，已通知报名职工"))
        elif action == "ranked_draw":
            record = services.event_ranked_draw(actor=request.user, event=event, seed=request.POST.get("seed") or None)
            messages.success(request, _("志愿分配完成，随机种子：%(seed)s") % {"seed": record.seed})
        else:
            raise Http404
    except ValidationError as e:
        _error(request, e)
    return redirect("activities:event_detail", pk=event.pk)


@login_required
@require_POST
def session_add(request, pk: int):
    with transaction.atomic():
        event = selectors.event_get_for_actor(request.user, pk, for_write=True)
    form = forms.SessionForm(request.POST)
    if form.is_valid():
        try:
            services.session_add(actor=request.user, event=event, **form.service_kwargs())
            messages.success(request, _("已添加场次"))
        except ValidationError as e:
            _error(request, e)
    else:
        messages.error(request, "；".join(f"{form.fields[k].label}：{v[0]}" for k, v in form.errors.items()))
    return redirect("activities:event_detail", pk=event.pk)


@login_required
@require_POST
def share_set(request, pk: int):
    with transaction.atomic():
        session = selectors.session_get_for_actor(request.user, pk, for_write=True)
    form = forms.ShareForm(request.POST, actor=request.user, event=session.event)
    if form.is_valid():
        try:
            services.share_set(actor=request.user, session=session, **form.cleaned_data)
            messages.success(request, _("已保存单位名额"))
        except ValidationError as e:
            _error(request, e)
    else:
        messages.error(request, "；".join(f"{form.fields[k].label}：{v[0]}" for k, v in form.errors.items()))
    return redirect("activities:event_detail", pk=session.event_id)


@login_required
@require_GET
def session_detail(request, pk: int):
    session = selectors.session_get_for_actor(request.user, pk)
    event = session.event
    status = request.GET.get("status", "") if request.GET.get("status", "") in EntryStatus.values else ""
    regs = selectors.registrations_for_actor(request.user, session, status=status, q=request.GET.get("q", "")[:50])
    page = Paginator(regs, PER_PAGE).get_page(request.GET.get("page"))
    positions = selectors.waitlist_positions(page.object_list)
    counts = selectors.session_counts([session.pk], "" if event.node.path.startswith(root_path(request.user))
                                      else root_path(request.user))[session.pk]
    staff = staff_of(request.user)
    return render(request, "activities/session_detail.html", {
        "event": event, "session": session, "page": page, "positions": positions, "counts": counts,
        "statuses": EntryStatus.choices, "status": status, "q": request.GET.get("q", ""),
        "can_write": staff.can(services.CAP), "import_form": forms.ImportForm(),
        "owned": event.node.path.startswith(root_path(request.user)),
        "lottery": session.allocation == Allocation.LOTTERY})


@login_required
@require_POST
def session_register(request, pk: int):
    """Staff register a member of their subtree by ID number (with companions' names, one per line)."""
    from huigong.core.crypto import blind_index
    from huigong.core.idnumber import normalize
    from huigong.members.models import Person

    with transaction.atomic():
        session = selectors.session_get_for_actor(request.user, pk)
    require(request.user, services.CAP)
    number = normalize(request.POST.get("id_number", ""))
    person = Person.objects.filter(id_number_hash=blind_index(number, "id")).first() if number else None
    if person is None:
        messages.error(request, _("身份证号：未找到该会员"))
        return redirect("activities:session_detail", pk=session.pk)
    names = [n.strip() for n in request.POST.get("companions", "").splitlines() if n.strip()]
    try:
        reg = services.register(actor=request.user, session=session, person=person, companions=names,
                                source="staff")
    except ValidationError as e:
        _error(request, e)
    else:
        messages.success(request, _("已为 %(name)s 报名：%(status)s") % {"name": person.name,
                                                                   "status": reg.get_status_display()})
    return redirect("activities:session_detail", pk=session.pk)


@login_required
@require_POST
def session_import(request, pk: int):
    with transaction.atomic():
        session = selectors.session_get_for_actor(request.user, pk)
    require(request.user, services.CAP)
    form = forms.ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择报名名单文件"))
        return redirect("activities:session_detail", pk=session.pk)
    try:
        rows = attendance.read_registration_sheet(form.cleaned_data["file"])
        out = services.registrations_import(actor=request.user, session=session, rows=rows)
    except ValidationError as e:
        _error(request, e)
    else:
        messages.success(request, _("导入完成：获得名额 %(g)s 人，候补 %(w)s 人，待抽签 %(e)s 人") % {
            "g": out.get("granted", 0), "w": out.get("waiting", 0), "e": out.get("entered", 0)})
    return redirect("activities:session_detail", pk=session.pk)


@login_required
@require_POST
def session_action(request, pk: int, action: str):
    with transaction.atomic():
        session = selectors.session_get_for_actor(request.user, pk, for_write=True)
    try:
        if action == "draw":
            record = services.session_draw(actor=request.user, session=session, seed=request.POST.get("seed") or None)
            messages.success(request, _("抽签完成，随机种子：%(seed)s") % {"seed": record.seed})
        elif action == "no_shows":
            n = services.no_shows_mark(actor=request.user, session=session)
            messages.success(request, _("已登记未到场 %(n)s 人") % {"n": n})
        elif action == "total":
            try:
                total = int(request.POST.get("total", ""))
            except ValueError:
                raise ValidationError({"total": [_("名额应为正整数")]}) from None
            services.session_set_total(actor=request.user, session=session, total=total)
            messages.success(request, _("已修改名额"))
        else:
            raise Http404
    except ValidationError as e:
        _error(request, e)
    return redirect("activities:session_detail", pk=session.pk)


@login_required
@require_POST
def registration_cancel(request, pk: int):
    with transaction.atomic():
        reg = selectors.registration_get_for_actor(request.user, pk, for_write=True)
    try:
        services.registration_cancel(actor=request.user, registration=reg, reason=request.POST.get("reason", ""))
        messages.success(request, _("已取消报名"))
    except ValidationError as e:
        _error(request, e)
    return redirect("activities:session_detail", pk=reg.session_id)


@login_required
@require_GET
def approvals(request):
    regs = list(selectors.approvals_pending_for_actor(request.user)[:200])
    return render(request, "activities/approvals.html", {"regs": regs})


@login_required
@require_POST
def approval_decide(request, pk: int):
    with transaction.atomic():
        reg = selectors.registration_get_for_actor(request.user, pk, for_write=True)
    if reg.approval != Approval.PENDING:
        messages.error(request, _("该报名无需审核或已审核"))
        return redirect("activities:approvals")
    try:
        services.registration_decide(actor=request.user, registration=reg, decision=request.POST.get("decision", ""),
                                     comment=request.POST.get("comment", ""),
                                     acting_reason=request.POST.get("acting_reason", ""))
        messages.success(request, _("已审核"))
    except ValidationError as e:
        _error(request, e)
    except Exception as e:  # DutyConflict and role refusals carry their own message
        from django.core.exceptions import PermissionDenied

        if not isinstance(e, PermissionDenied):
            raise
        messages.error(request, str(e))
    return redirect("activities:approvals")


@login_required
@require_GET
def attendance_sheet(request, pk: int, fmt: str):
    session = selectors.session_get_for_actor(request.user, pk)
    half = request.GET.get("half", "")
    if half not in ("", "am", "pm"):
        raise Http404
    rows = attendance.sheet_rows(request.user, session, half=half)
    name = attendance.sheet_filename(session, half)
    if fmt == "xlsx":
        data = attendance.sheet_xlsx(session, rows, half=half)
        resp = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        resp["Content-Disposition"] = attendance.disposition(name + ".xlsx")
        return resp
    if fmt != "pdf":
        raise Http404
    try:
        data = attendance.sheet_pdf(session, rows, half=half)
    except PdfUnavailable as e:
        messages.error(request, str(e))
        return redirect("activities:session_detail", pk=session.pk)
    resp = HttpResponse(data, content_type="application/pdf")
    resp["Content-Disposition"] = attendance.disposition(name + ".pdf")
    return resp


__all__ = ["Registration"]
