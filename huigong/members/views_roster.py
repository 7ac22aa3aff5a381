"""Console pages for roster import (upload, progress, errors, template) and the member export (in the
request, or in the background with a progress page and 我的导出).
Thin: the services in huigong.members.roster do the checking, scoping and auditing."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from huigong.accounts.models import Cap
from huigong.core import searchtext
from huigong.core.files import file_response
from huigong.core.scope import require
from huigong.orgs.forms import apply_service_errors

from .forms import STATUS_ALL, MemberFilterForm
from .models import ImportStatus, MemberExport, MembershipStatus
from .roster import (
    roster_import_get_for_actor,
    roster_import_list_for_actor,
    roster_import_start,
    roster_template_xlsx,
)
from .roster.export_jobs import (
    member_export_downloaded,
    member_export_get_for_actor,
    member_export_list_for_actor,
    member_export_start,
    retention_days,
    sync_max_rows,
)
from .roster.forms import ImportForm

IMPORTS_PER_PAGE = 20
EXPORTS_PER_PAGE = 20
ERRORS_SHOWN = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
@require_http_methods(["GET", "POST"])
def import_list(request):
    require(request.user, Cap.IMPORT)
    form = ImportForm(request.POST or None, request.FILES or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            imp = roster_import_start(actor=request.user, union=form.cleaned_data["union"],
                                      enterprise=form.cleaned_data["enterprise"], upload=form.cleaned_data["file"])
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            if imp.status == ImportStatus.DONE:
                messages.success(request, _("名册已导入"))
            elif imp.status == ImportStatus.PENDING:
                messages.info(request, _("文件较大，已转入后台处理，本页会显示进度"))
            return redirect("members:import_detail", imp.pk)
    page = Paginator(roster_import_list_for_actor(request.user), IMPORTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "members/import_list.html", {"form": form, "page_obj": page},
                  status=400 if form.errors else 200)


@login_required
@require_GET
def import_detail(request, pk: int):
    imp = roster_import_get_for_actor(request.user, pk)
    return render(request, "members/import_detail.html", {
        "imp": imp, "errors": imp.errors_preview[:ERRORS_SHOWN],
        "more_errors": max(imp.error_count - ERRORS_SHOWN, 0),
    })


def _progress_card(request, job, template: str, context: dict):
    """A job's progress card, polled by htmx while it runs (`?running=1`); once the job has finished the
    whole page reloads, once, to show its outcome."""
    response = render(request, template, context)
    if job.is_finished and request.headers.get("HX-Request") and request.GET.get("running"):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def import_progress(request, pk: int):
    """The progress card, polled by htmx every second while the import runs. When it finishes the
    whole page reloads once, to show the counts and the error table."""
    imp = roster_import_get_for_actor(request.user, pk)
    return _progress_card(request, imp, "members/import_progress.html", {"imp": imp})


@login_required
@require_GET
def import_errors(request, pk: int):
    imp = roster_import_get_for_actor(request.user, pk)
    return file_response(imp.error_report, actor=request.user, object_type="members.rosterimport", object_id=imp.pk,
                         node_path=imp.union.path, purpose="下载导入错误报告", content_type=XLSX,
                         filename=f"导入错误报告-{imp.pk}.xlsx")


@login_required
@require_GET
def import_template(request):
    require(request.user, Cap.IMPORT)
    return FileResponse(io.BytesIO(roster_template_xlsx()), as_attachment=True, content_type=XLSX,
                        filename="会员名册导入模板.xlsx")


@login_required
@require_GET
def export(request):
    """The member list's filters, as an .xlsx streamed from a temporary file; ?full=1 for full
    personal numbers (a role with the PII capability; logged). Above MEMBER_EXPORT_SYNC_MAX_ROWS rows
    the file is written in the background: the user lands on the export's progress page."""
    require(request.user, Cap.EXPORT)
    # The list's search text comes behind its token (?s=), never as a number in the URL (core/searchtext.py).
    data, search_error = searchtext.query_from(request)
    if search_error:
        raise PermissionDenied(search_error)
    data.pop("full", None)
    form = MemberFilterForm(data or None, actor=request.user)
    if data and not form.is_valid():
        raise PermissionDenied(_("筛选条件无效或不在您的管辖范围内"))
    filters = form.cleaned_data if data else {}
    status = filters.get("status") or MembershipStatus.ACTIVE
    enterprise = filters.get("enterprise")
    result = member_export_start(
        actor=request.user, node=filters.get("node"), q=filters.get("q", ""),
        employment_form=filters.get("employment_form", ""), enterprise_id=enterprise.pk if enterprise else None,
        status="" if status == STATUS_ALL else status, full_pii=request.GET.get("full") == "1")
    if isinstance(result, MemberExport):
        messages.info(request, _("导出的行数较多，已转入后台生成，完成后可在“我的导出”下载"))
        return redirect("members:export_detail", result.pk)
    return FileResponse(result.file, as_attachment=True, content_type=XLSX, filename=result.filename)


@login_required
@require_GET
def export_list(request):
    """我的导出: the user's background exports, newest first."""
    page = Paginator(member_export_list_for_actor(request.user), EXPORTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "members/export_list.html", {"page_obj": page, "sync_max_rows": sync_max_rows()})


@login_required
@require_GET
def export_detail(request, pk: int):
    job = member_export_get_for_actor(request.user, pk)
    return render(request, "members/export_detail.html", {"job": job, "retention_days": retention_days()})


@login_required
@require_GET
def export_progress(request, pk: int):
    """The progress card, polled by htmx every second while the export runs; the page reloads once
    when it finishes, to show the download button."""
    job = member_export_get_for_actor(request.user, pk)
    return _progress_card(request, job, "members/export_progress.html", {"job": job})


@login_required
@require_GET
def export_download(request, pk: int):
    job = member_export_get_for_actor(request.user, pk)
    if not job.downloadable:
        raise Http404
    response = file_response(job.file, actor=request.user, object_type="members.memberexport", object_id=job.pk,
                             node_path=job.union.path, purpose=_("下载会员名册导出"),
                             content_type=XLSX, filename=job.filename)
    member_export_downloaded(job)
    return response
