"""Console pages of the tracker: every tracked item of the actor's subtree, whatever domain made it, its
timeline, evidence, links and actions; the sheet's export and import. Domains link here from their own
pages (`outcomes:detail`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huigong.core import scope
from huigong.core.duties import DutyConflict
from huigong.core.files import file_response

from . import forms, kinds, selectors, services, transfer
from .kpis import summary
from .models import WORKING, Evidence, ItemLink, Status

PAGE_SIZE = 50


def _filters(request):
    form = forms.FilterForm(request.GET or None, kinds=[(k.code, k.label) for k in kinds.KINDS.values()])
    f = form.cleaned_data if form.is_valid() else {}
    overdue = {"1": True, "0": False}.get(f.get("overdue") or "")
    return form, {"kind": f.get("kind") or "", "status": f.get("status") or "", "overdue": overdue, "q": f.get("q") or ""}


@require_GET
@login_required
def item_list(request: HttpRequest) -> HttpResponse:
    form, f = _filters(request)
    qs = selectors.items_for_actor(request.user, **f)
    page = Paginator(qs.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for item in page.object_list:
        item.kind_label = kinds.label_of(item.kind)
        item.overdue = item.is_overdue(today)
    return render(request, "outcomes/list.html", {
        "form": form, "page_obj": page, "filtered": any(v not in ("", None) for v in f.values()),
        "stats": summary(qs, today), "query": request.GET.urlencode(), "import_form": forms.ImportForm()})


@require_GET
@login_required
def item_export(request: HttpRequest) -> HttpResponse:
    scope.require(request.user, "export")
    _form, f = _filters(request)
    qs = selectors.items_for_actor(request.user, **f)
    fmt = request.GET.get("format", "csv")
    if fmt == "xlsx":
        body, ctype, name = transfer.export_xlsx(qs), \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "outcomes.xlsx"
    else:
        body, ctype, name = transfer.export_csv(qs), "text/csv; charset=utf-8", "outcomes.csv"
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@login_required
def item_import(request: HttpRequest) -> HttpResponse:
    scope.require(request.user, "view")
    form = forms.ImportForm(request.POST, request.FILES)
    result, errors = None, []
    if form.is_valid():
        upload = form.cleaned_data["upload"]
        try:
            result = transfer.import_sheet(actor=request.user, data=upload.read(), filename=upload.name)
            errors = result.errors
        except ValidationError as exc:
            errors = exc.messages
    if result is not None and not errors:
        messages.success(request, _("已导入 %(rows)d 行，更新 %(changed)d 个事项") % {"rows": result.rows,
                                                                                  "changed": result.changed})
        return redirect("outcomes:list")
    # The errors in full, on a page of their own: nothing was imported.
    return render(request, "outcomes/import.html", {"form": form, "errors": errors})


def _context(request, item, **extra):
    kind = kinds.KINDS.get(item.kind)
    staff = scope.staff_of(request.user)
    can_act = bool(kind) and staff.can(kind.capability)
    can_verify = bool(kind) and staff.can(kind.verifier_capability)
    history = list(item.timeline.all())
    ctx = {
        "item": item, "kind": kind, "kind_label": kinds.label_of(item.kind),
        "status_label": kind.status_label(item.status) if kind else item.get_status_display(),
        "category_label": kind.category_label(item.category) if kind and item.category else item.category,
        "severity_label": kind.severity_label(item.severity) if kind and item.severity else item.severity,
        "source_url": kind.source_url(item) if kind and kind.source_url else "",
        "timeline": history, "evidence": list(item.evidence.all()), "links": selectors.links_of(item, request.user),
        "overdue": item.is_overdue(timezone.localdate()),
        "can_act": can_act and item.status in WORKING, "can_evidence": can_act and item.is_live,
        "can_submit": can_act and item.status in WORKING,
        "can_verify": can_verify and item.status == Status.VERIFYING,
        "can_reopen": can_verify and item.status == Status.CLOSED,
        "can_drop": can_act and item.is_live, "can_link": can_act,
        "progress_form": forms.ProgressForm(initial={"progress": item.progress}),
        "evidence_form": forms.EvidenceForm(), "submit_form": forms.SubmitForm(), "verdict_form": forms.VerdictForm(),
        "drop_form": forms.DropForm(), "due_form": forms.DueForm(initial={"due_date": item.due_date}),
        "link_form": forms.LinkForm(),
    }
    ctx.update(extra)
    return ctx


@require_GET
@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.item_get_for_actor(request.user, pk)
    return render(request, "outcomes/detail.html", _context(request, item))


ACTIONS = {
    "progress": forms.ProgressForm, "evidence": forms.EvidenceForm, "submit": forms.SubmitForm,
    "effective": forms.VerdictForm, "not_effective": forms.VerdictForm, "drop": forms.DropForm,
    "due": forms.DueForm, "link": forms.LinkForm, "unlink": None,
}


@require_http_methods(["POST"])
@login_required
def item_act(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.item_get_for_actor(request.user, pk)
    kind = kinds.get(item.kind)
    staff = scope.staff_of(request.user)
    if not (staff.can(kind.capability) or staff.can(kind.verifier_capability)):
        raise PermissionDenied(_("当前角色无此权限"))
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        raise Http404
    form = ACTIONS[action](request.POST, request.FILES) if ACTIONS[action] else None
    if form is not None and not form.is_valid():
        return render(request, "outcomes/detail.html", _context(request, item, **{f"{_form_key(action)}": form}),
                      status=400)
    d = form.cleaned_data if form is not None else {}
    u = request.user
    try:
        with transaction.atomic():
            if action == "progress":
                services.item_progress(actor=u, item=item, progress=d["progress"], note=d["note"])
            elif action == "evidence":
                services.evidence_add(actor=u, item=item, kind=d["kind"], title=d["title"], upload=d["upload"],
                                      doc_number=d["doc_number"], issuer=d["issuer"], issued_on=d["issued_on"],
                                      text=d["text"], of_effect=d["of_effect"])
            elif action == "submit":
                services.item_submit(actor=u, item=item, note=d["note"])
            elif action in ("effective", "not_effective"):
                services.item_verify(actor=u, item=item, effective=action == "effective", comment=d["comment"])
            elif action == "drop":
                services.item_drop(actor=u, item=item, reason=d["reason"])
            elif action == "due":
                services.item_set_due(actor=u, item=item, due_date=d["due_date"], reason=d["reason"])
            elif action == "link":
                dst = selectors.item_get_for_actor(u, d["dst"])
                services.link_create(actor=u, src=item, dst=dst, relation=d["relation"], note=d["note"])
            elif action == "unlink":
                link = ItemLink.objects.filter(pk=request.POST.get("link") or 0, src=item).first()
                if link is None:
                    raise Http404
                services.link_delete(actor=u, link=link)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("outcomes:detail", pk=item.pk)
    except DutyConflict as exc:  # a rule about this person and this item: said on the page
        messages.error(request, str(exc))
        return redirect("outcomes:detail", pk=item.pk)
    messages.success(request, _("已保存"))
    return redirect("outcomes:detail", pk=item.pk)


def _form_key(action: str) -> str:
    return {"effective": "verdict", "not_effective": "verdict"}.get(action, action) + "_form"


@require_GET
@login_required
def evidence_file(request: HttpRequest, pk: int) -> HttpResponse:
    ev = Evidence.objects.select_related("item__node").filter(pk=pk).first()
    if ev is None or not ev.file:
        raise Http404
    selectors.item_get_for_actor(request.user, ev.item_id)  # scope
    inline = ev.content_type.startswith("image/")
    ext = ev.content_type.rsplit("/", 1)[-1] or "bin"
    return file_response(ev.file, actor=request.user, object_type="outcomes.evidence", object_id=ev.pk,
                         node_path=ev.item.node.path, purpose="outcomes.evidence", content_type=ev.content_type,
                         filename=f"evidence-{ev.pk}.{ext}", as_attachment=not inline)
