"""Console pages: the assistance overview, hardship files (list, create, detail, edit, household, evidence,
open, review, close) and the queue of workers' help requests."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huigong.accounts.models import Cap
from huigong.core.audit import log_access
from huigong.core.files import file_response
from huigong.core.money import fen_to_yuan, format_yuan
from huigong.core.scope import require, root_path
from huigong.members.selectors import member_list_for_actor, person_get_for_actor
from huigong.orgs.forms import apply_service_errors

from ..forms_files import (
    CloseForm,
    DeclineForm,
    EvidenceForm,
    FileEditForm,
    FileFilterForm,
    FileForm,
    HouseholdMemberForm,
    OpenForm,
    ReviewForm,
    to_fen,
)
from ..models import FileMember, FileStatus, HardshipLevel, HelpRequestStatus, LedgerEntry, Sweep, SweepStatus
from ..selectors import files as sel
from ..selectors import screening as scr_sel
from ..services import files as svc

REVEAL_PURPOSE = gettext_lazy("困难档案详情页查看")
MONEY_FIELDS = {"monthly_income_fen": "monthly_income_yuan", "rigid_expense_fen": "rigid_expense_yuan"}


@login_required
@require_GET
def home(request):
    staff = require(request.user, Cap.VIEW)
    from ..selectors.aid import counts_for_actor

    files = sel.file_counts(request.user)
    sweeps = list(scr_sel.sweep_list_for_actor(request.user, status=SweepStatus.OPEN)[:5])
    for s in sweeps:
        s.percent = min(100, int((s.visited or 0) * 100 / s.total)) if s.total else 0
    return render(request, "assistance/home.html", {
        "files": files, "levels": [(v, label, files["by_level"].get(v, 0)) for v, label in HardshipLevel.choices],
        "sweeps": sweeps, "due": sel.files_due_for_review(request.user).count(),
        "help_requests": scr_sel.help_requests_for_actor(request.user).count(),
        "flow": counts_for_actor(request.user), "can_assist": staff.can(Cap.ASSIST),
        # The same sweeps as the list the link opens (those above that cover the actor's node too).
        "sweep_count": scr_sel.sweep_list_for_actor(request.user).values("pk").count(),
    })


@login_required
@require_GET
def file_list(request):
    staff = require(request.user, Cap.VIEW)
    form = FileFilterForm(request.GET or None, actor=request.user)
    f = form.cleaned_data if form.is_valid() else {}
    if f.get("due"):
        qs = sel.files_due_for_review(request.user)
    else:
        qs = sel.file_list_for_actor(request.user, status=f.get("status", ""), level=f.get("level", ""),
                                     cause=f.get("cause", ""), node=f.get("node"), q=f.get("q", ""))
    page = Paginator(qs.defer(*sel.FIGURE_FIELDS), 50).get_page(request.GET.get("page"))  # never shown here
    for x in page.object_list:
        x.head_shown = scr_sel.display_name(request.user, x.head.name)
    return render(request, "assistance/file_list.html", {
        "form": form, "page_obj": page, "can_write": staff.can(Cap.ASSIST), "filtered": any(f.values()),
    })


def _prefill(request) -> tuple[dict, object, object, object]:
    """Initial values from a candidate visit (?visit=), a help request (?help=) or a member (?head=)."""
    from ..models import SweepVisit

    initial, head, visit, help_request = {}, None, None, None
    if request.GET.get("visit"):
        try:
            visit = SweepVisit.objects.select_related("person").get(pk=int(request.GET["visit"]))
        except (SweepVisit.DoesNotExist, ValueError):
            raise Http404 from None
        head, _m = person_get_for_actor(request.user, visit.person_id)
        causes = [c for c, flag in (("illness", visit.has_illness), ("disability", visit.has_disability),
                                    ("disaster", visit.has_disaster), ("job_loss", visit.has_job_loss),
                                    ("work_injury", visit.has_work_injury),
                                    ("schooling", visit.children_in_school > 0)) if flag]
        initial = {"household_size": visit.household_size, "monthly_income_yuan": fen_to_yuan(visit.monthly_income_fen),
                   "rigid_expense_yuan": fen_to_yuan(visit.rigid_expense_fen), "causes": causes or ["low_income"],
                   "level": visit.flagged_level or HardshipLevel.RELATIVE}
    elif request.GET.get("help"):
        help_request = scr_sel.help_request_get_for_actor(request.user, request.GET["help"], for_write=True)
        head, _m = person_get_for_actor(request.user, help_request.person_id)
        log_access(actor=request.user, object_type="assistance.helprequest", object_id=str(help_request.pk),
                   fields=["situation", "monthly_income_fen"], purpose=_("求助申请核实建档"),
                   node_path=help_request.node_path)
        initial = {"household_size": help_request.household_size,
                   "monthly_income_yuan": fen_to_yuan(help_request.monthly_income_fen), "causes": help_request.causes,
                   "situation": help_request.situation}
    elif request.GET.get("head"):
        head, _m = person_get_for_actor(request.user, request.GET["head"])
    return initial, head, visit, help_request


@login_required
@require_http_methods(["GET", "POST"])
def file_create(request):
    require(request.user, Cap.ASSIST)
    initial, head, visit, help_request = _prefill(request)
    if head is None:  # choose the head of household first: a member of the actor's subtree
        # The search form POSTs: an ID number or phone typed here never lands in a URL (core/searchtext.py).
        q = (request.POST.get("q") or "").strip()[:50] if request.method == "POST" else ""
        found = list(member_list_for_actor(request.user, q=q)[:30]) if q else []
        for m in found:
            m.shown_name = scr_sel.display_name(request.user, m.person.name)
        return render(request, "assistance/file_pick_head.html", {"q": q, "found": found})
    form = FileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            file = svc.hardship_file_create(actor=request.user, head=head, source_visit=visit,
                                            help_request=help_request, members=form.members(),
                                            **form.service_kwargs())
        except ValidationError as e:
            apply_service_errors(form, e, MONEY_FIELDS | {"members": "members_text"})
        else:
            messages.success(request, _("已建档（待核实）：%(no)s") % {"no": file.file_no})
            return redirect("assistance:file_detail", pk=file.pk)
    return render(request, "assistance/file_form.html", {"form": form, "head": head, "visit": visit,
                                                         "help_request": help_request, "file": None})


@login_required
@require_GET
def file_detail(request, pk: int):
    staff = require(request.user, Cap.VIEW)
    file = sel.file_get_for_actor(request.user, pk)
    can_write = staff.can(Cap.ASSIST) and file.status != FileStatus.CLOSED
    from ..selectors.aid import applications_for_actor

    applications = list(applications_for_actor(request.user).filter(file=file))
    for a in applications:
        a.amount_yuan = format_yuan(a.amount_approved_fen or a.amount_requested_fen)
    ledger = list(LedgerEntry.objects.filter(file=file).select_related("programme").order_by("paid_on", "id"))
    ledger_total = sum(e.amount_fen for e in ledger)
    for e in ledger:
        e.amount_yuan = format_yuan(e.amount_fen)
    members = sel.file_members(file)
    for m in members:
        m.shown_name = scr_sel.display_name(request.user, m.name)
    reviews = list(file.reviews.select_related("reviewed_by").order_by("-year"))
    may_see_detail = staff.can(Cap.ASSIST) or staff.can(Cap.PII_FULL)
    situation = sel.situation_read(request.user, file, purpose=REVEAL_PURPOSE) if may_see_detail else ""
    figures = sel.file_figures(request.user, file, purpose=REVEAL_PURPOSE)
    return render(request, "assistance/file_detail.html", {
        "file": file, "head_shown": scr_sel.display_name(request.user, file.head.name), "members": members,
        "payee_shown": scr_sel.display_name(request.user, file.payee_name),
        "causes": [c.get_cause_display() for c in file.causes.all()], "evidence": list(file.evidence.all()),
        "reviews": reviews, "history": sel.file_history(file), "applications": applications, "ledger": ledger,
        "ledger_total": format_yuan(ledger_total), "situation": situation, "may_see_detail": may_see_detail,
        "can_write": can_write, "can_reveal": staff.can(Cap.PII_FULL),
        "figures": figures, "hidden": sel.HIDDEN,
        "income_yuan": format_yuan(figures["monthly_income_fen"]) if figures["full"] else "",
        "rigid_yuan": format_yuan(figures["rigid_expense_fen"]) if figures["full"] else "",
        "member_form": HouseholdMemberForm(actor=request.user), "evidence_form": EvidenceForm(),
        "is_draft": file.status == FileStatus.DRAFT, "is_open": file.status == FileStatus.OPEN,
        "review_due": file.next_review_due is not None and file.next_review_due <= timezone.localdate(),
    })


@login_required
@require_http_methods(["GET", "POST"])
def file_edit(request, pk: int):
    file = sel.file_get_for_actor(request.user, pk, for_write=True)
    if not sel.may_see_figures(request.user):  # the form shows the household's income in full
        raise PermissionDenied(_("当前角色无此权限"))
    if request.method == "GET":
        sel.file_figures(request.user, file, purpose=REVEAL_PURPOSE)  # logs the read of the figures
    initial = {"household_size": file.household_size, "monthly_income_yuan": fen_to_yuan(file.monthly_income_fen),
               "rigid_expense_yuan": fen_to_yuan(file.rigid_expense_fen),
               "causes": list(file.causes.values_list("cause", flat=True)), "level": file.level,
               "level_reason": file.level_reason, "payee_name": file.payee_name, "bank_name": file.bank_name}
    if request.method == "GET":
        initial["situation"] = sel.situation_read(request.user, file, purpose=REVEAL_PURPOSE)
    form = FileEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            svc.hardship_file_update(actor=request.user, file=file, **form.service_kwargs())
        except ValidationError as e:
            apply_service_errors(form, e, MONEY_FIELDS)
        else:
            messages.success(request, _("已保存档案"))
            return redirect("assistance:file_detail", pk=file.pk)
    return render(request, "assistance/file_form.html", {"form": form, "head": file.head, "file": file})


def _action(request, pk, form_class, title, call, *, template="assistance/file_action.html", initial=None,
            field_map=None):
    file = sel.file_get_for_actor(request.user, pk, for_write=True)
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            call(file, form.cleaned_data)
        except ValidationError as e:
            apply_service_errors(form, e, field_map)
        else:
            messages.success(request, _("已保存：%(what)s") % {"what": title})
            return redirect("assistance:file_detail", pk=file.pk)
    return render(request, template, {"form": form, "file": file, "title": title})


@login_required
@require_http_methods(["GET", "POST"])
def file_open(request, pk: int):
    return _action(request, pk, OpenForm, _("入户核实并建档"), lambda f, d: svc.hardship_file_open(
        actor=request.user, file=f, **d))


@login_required
@require_http_methods(["GET", "POST"])
def file_close(request, pk: int):
    return _action(request, pk, CloseForm, _("脱困销档"), lambda f, d: svc.hardship_file_close(
        actor=request.user, file=f, reason=d["reason"], note=d["note"], on=d["closed_on"]))


@login_required
@require_http_methods(["GET", "POST"])
def file_review(request, pk: int):
    def call(f, d):
        income = d.get("monthly_income_yuan")
        svc.file_review_record(actor=request.user, file=f, year=d["year"], reviewed_on=d["reviewed_on"],
                               outcome=d["outcome"], new_level=d["new_level"], close_reason=d["close_reason"],
                               monthly_income_fen=None if income is None else to_fen(income), note=d["note"])

    return _action(request, pk, ReviewForm, _("年度复核"), call, template="assistance/review_form.html",
                   field_map={"monthly_income_fen": "monthly_income_yuan"})


@login_required
@require_POST
def file_member_add(request, pk: int):
    file = sel.file_get_for_actor(request.user, pk, for_write=True)
    form = HouseholdMemberForm(request.POST, actor=request.user)
    if form.is_valid():
        try:
            svc.file_member_add(actor=request.user, file=file, **form.service_kwargs())
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
        else:
            messages.success(request, _("已添加家庭成员"))
    else:
        messages.error(request, " ".join(f"{form.fields[k].label}：{v[0]}" for k, v in form.errors.items()))
    return redirect("assistance:file_detail", pk=file.pk)


@login_required
@require_POST
def file_member_remove(request, pk: int, member_id: int):
    file = sel.file_get_for_actor(request.user, pk, for_write=True)
    member = FileMember.objects.select_related("file").filter(pk=member_id, file=file).first()
    if member is None:
        raise Http404
    try:
        svc.file_member_remove(actor=request.user, member=member)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    return redirect("assistance:file_detail", pk=file.pk)


@login_required
@require_POST
def evidence_upload(request, pk: int):
    file = sel.file_get_for_actor(request.user, pk, for_write=True)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            svc.evidence_add(actor=request.user, file=file, kind=form.cleaned_data["kind"],
                             upload=form.cleaned_data["upload"])
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
        else:
            messages.success(request, _("已上传证明材料"))
    else:
        messages.error(request, _("证明材料：请选择类型和文件"))
    return redirect("assistance:file_detail", pk=file.pk)


@login_required
@require_GET
@never_cache
def evidence_download(request, pk: int, evidence_id: int):
    file = sel.file_get_for_actor(request.user, pk)
    ev = sel.evidence_get_for_actor(request.user, file, evidence_id, purpose=_("下载证明材料"))
    return file_response(ev.upload, actor=request.user, object_type="assistance.fileevidence", object_id=ev.pk,
                         node_path=file.node_path, purpose="", content_type=ev.content_type,
                         filename=ev.original_name, as_attachment=False, access_logged=True)


@login_required
@require_POST
@never_cache
def file_reveal(request, pk: int, what: str):
    file = sel.file_get_for_actor(request.user, pk)
    member_id = request.POST.get("member") or None
    value = sel.file_reveal(request.user, file, what, member_id=member_id, purpose=REVEAL_PURPOSE)
    return render(request, "members/_revealed.html", {"value": value, "field": what})


@login_required
@require_GET
def help_request_list(request):
    staff = require(request.user, Cap.VIEW)
    status = request.GET.get("status", HelpRequestStatus.NEW)
    if status not in HelpRequestStatus.values:
        status = HelpRequestStatus.NEW
    page = Paginator(scr_sel.help_requests_for_actor(request.user, status=status), 50).get_page(
        request.GET.get("page"))
    full, rules = sel.may_see_figures(request.user), {}
    for h in page.object_list:
        h.shown_name = scr_sel.display_name(request.user, h.person.name)
        h.income_yuan = format_yuan(h.monthly_income_fen) if full else sel.income_band(
            h.node_path, household_size=h.household_size, monthly_income_fen=h.monthly_income_fen, rules=rules)
    if full:
        sel.log_figures_listed(request.user, object_type="assistance.helprequest", object_id=f"list:{status}",
                               node_path=root_path(request.user), fields=["monthly_income_fen"],
                               n=len(page.object_list), purpose=_("职工求助列表"))
    return render(request, "assistance/file_help_requests.html", {
        "page_obj": page, "status": status, "statuses": HelpRequestStatus.choices, "can_write": staff.can(Cap.ASSIST),
        "decline_form": DeclineForm(),
    })


@login_required
@require_POST
def help_request_decline(request, pk: int):
    hr = scr_sel.help_request_get_for_actor(request.user, pk, for_write=True)
    form = DeclineForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"reason": [_("请填写不予建档的原因")]})
        svc.help_request_decline(actor=request.user, request=hr, reason=form.cleaned_data["reason"])
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("已处理求助申请"))
    return redirect("assistance:help_requests")

