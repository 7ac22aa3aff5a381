"""Console pages for payout batches (发放): create, the payouts with mark paid / failed / retry, the bank's
bulk-transfer sheet and its result sheet."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huigong.accounts.models import Cap
from huigong.core import banksheet
from huigong.core.banksheet import ResultImportForm
from huigong.core.disbursement.pages import result_import
from huigong.core.money import format_yuan
from huigong.core.scope import require
from huigong.orgs.forms import apply_service_errors

from ..forms_flow import BatchForm, MarkFailedForm, MarkPaidForm
from ..models import ApplicationStatus, PayoutBatch, PayoutStatus
from ..selectors import aid as aid_sel
from ..selectors import money as sel
from ..services import payouts as svc
from ..services.ledger import batch_bank_sheet


def _flash(request, exc: ValidationError):
    for m in exc.messages:
        messages.error(request, m)


@login_required
@require_GET
def batch_list(request):
    staff = require(request.user, Cap.VIEW)
    batches = list(sel.batches_for_actor(request.user))
    for b in batches:
        b.total_yuan = format_yuan(b.total or 0)
    waiting = aid_sel.applications_for_actor(request.user, status=ApplicationStatus.NOTICE_ENDED) \
        .filter(payout__isnull=True).count()
    return render(request, "assistance/batch_list.html", {
        "batches": batches, "waiting": waiting, "can_money": staff.can(Cap.MONEY)})


@login_required
@require_http_methods(["GET", "POST"])
def batch_create(request):
    require(request.user, Cap.MONEY)
    form = BatchForm(request.POST or None, actor=request.user)
    waiting = list(aid_sel.applications_for_actor(request.user, status=ApplicationStatus.NOTICE_ENDED)
                   .filter(payout__isnull=True))
    if request.method == "POST" and form.is_valid():
        try:
            b = svc.payout_batch_create(actor=request.user, node=form.cleaned_data["node"],
                                        title=form.cleaned_data["title"])
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("发放批次已创建"))
            return redirect("assistance:batch_detail", b.pk)
    for a in waiting:
        a.amount_yuan = format_yuan(a.amount_approved_fen or 0)
    return render(request, "assistance/batch_form.html", {"form": form, "waiting": waiting})


@login_required
@require_GET
def batch_detail(request, pk: int):
    staff = require(request.user, Cap.VIEW)
    batch = sel.batch_get_for_actor(request.user, pk)
    rows = sel.payouts_of(batch)
    for p in rows:
        p.amount_yuan = format_yuan(p.amount_fen)
    can_money = staff.can(Cap.MONEY)
    return render(request, "assistance/batch_detail.html", {
        "pending": sum(1 for p in rows if p.status == PayoutStatus.PENDING),
        "sent_attempts": sorted({p.attempts for p in rows if p.status == PayoutStatus.SENT}),
        "batch": batch, "payouts": rows, "can_money": can_money, "can_full": can_money and staff.can(Cap.PII_FULL),
        "total": format_yuan(sum(p.amount_fen for p in rows)),
        "paid_total": format_yuan(sum(p.amount_fen for p in rows if p.status == PayoutStatus.PAID)),
        "import_form": ResultImportForm() if can_money else None,
        "other_batches": PayoutBatch.objects.filter(node_path__startswith=staff.node.path).exclude(pk=batch.pk)
        .exclude(status="done").order_by("-created_at")[:20] if can_money else [],
    })


@login_required
@require_http_methods(["GET", "POST"])
def batch_export(request, pk: int):
    """POST (from the confirmation page, confirm=1): a new sheet of the pending payouts with full account
    numbers, which become "sent to the bank". GET ?preview=1: the pending payouts as the sheet will list
    them, masked, changing nothing. GET ?attempt=N: download again the sheet of attempt N (audited as a
    re-download)."""
    batch = sel.batch_get_for_actor(request.user, pk)
    data = request.POST if request.method == "POST" else request.GET
    full = data.get("full") == "1"
    attempt = None
    if request.method == "GET" and data.get("preview") == "1":
        try:
            out = batch_bank_sheet(actor=request.user, batch=batch, preview=True)
        except ValidationError as e:
            _flash(request, e)
            return redirect("assistance:batch_detail", batch.pk)
        return banksheet.download(out.content, out.filename, out.content_type)
    if request.method == "POST" and data.get("confirm") != "1":
        # A sheet is handed to the bank only after the page that says what that does.
        require(request.user, Cap.MONEY)
        return redirect("assistance:batch_submit", batch.pk)
    if request.method == "GET":
        try:
            attempt = int(request.GET.get("attempt", ""))
        except ValueError:
            require(request.user, Cap.MONEY)
            messages.error(request, _("请选择要重新下载的发送次数"))
            return redirect("assistance:batch_detail", batch.pk)
    try:
        out = batch_bank_sheet(actor=request.user, batch=batch, full=full, with_results=data.get("results") == "1",
                               attempt=attempt)
    except ValidationError as e:
        _flash(request, e)
        return redirect("assistance:batch_detail", batch.pk)
    return banksheet.download(out.content, out.filename, out.content_type)


@login_required
@require_GET
def batch_submit(request, pk: int):
    """The confirmation before a batch's pending payouts go to the bank: what is sent, what it does."""
    batch = sel.batch_get_for_actor(request.user, pk)
    staff = require(request.user, Cap.MONEY)
    rows = [p for p in sel.payouts_of(batch) if p.status == PayoutStatus.PENDING]
    return render(request, "assistance/batch_submit.html", {
        "batch": batch, "count": len(rows), "total": format_yuan(sum(p.amount_fen for p in rows)),
        "can_full": staff.can(Cap.PII_FULL),
    })


@login_required
@require_POST
def batch_import(request, pk: int):
    batch = sel.batch_get_for_actor(request.user, pk)
    require(request.user, Cap.MONEY)
    counts = result_import(request, lambda data: svc.payout_batch_import_results(actor=request.user, batch=batch,
                                                                                data=data))
    if counts is not None:
        messages.success(request, _("回盘已导入：到账 %(paid)d 笔，失败 %(failed)d 笔，未变 %(unchanged)d 笔，过期（早前发送次数，已忽略）%(stale)d 笔") % counts)
    return redirect("assistance:batch_detail", batch.pk)


@login_required
@require_POST
def batch_sent(request, pk: int):
    batch = sel.batch_get_for_actor(request.user, pk)
    svc.payout_batch_mark_sent(actor=request.user, batch=batch)
    messages.success(request, _("已标记为提交银行"))
    return redirect("assistance:batch_detail", batch.pk)


@login_required
@require_POST
def payout_action(request, pk: int, action: str):
    p = sel.payout_get_for_actor(request.user, pk)
    require(request.user, Cap.MONEY)  # refused before the form is read: a 403, not a form error
    try:
        if action == "paid":
            form = MarkPaidForm(request.POST)
            if form.is_valid():
                svc.payout_mark_paid(actor=request.user, payout=p, bank_reference=form.cleaned_data["bank_reference"])
                messages.success(request, _("已标记到账"))
            else:
                messages.error(request, _("请填写银行流水号"))
        elif action == "failed":
            form = MarkFailedForm(request.POST)
            if form.is_valid():
                svc.payout_mark_failed(actor=request.user, payout=p, reason=form.cleaned_data["reason"])
                messages.success(request, _("已标记失败"))
            else:
                messages.error(request, _("请填写失败原因"))
        elif action == "retry":
            target = None
            if request.POST.get("batch"):
                target = sel.batch_get_for_actor(request.user, request.POST["batch"])
            svc.payout_retry(actor=request.user, payout=p, batch=target)
            messages.success(request, _("已重新发放"))
        else:
            raise Http404
    except ValidationError as e:
        _flash(request, e)
    return redirect("assistance:batch_detail", p.batch_id)
