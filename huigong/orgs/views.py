"""Console pages for the union tree, enterprises and service sites. Thin: scope and rules live in
selectors and services; PermissionDenied becomes the 403 page and Http404 the 404 page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from huigong.accounts.models import Cap
from huigong.core.scope import path_in_scope, require

from . import selectors, services
from .forms import (
    EnterpriseFilterForm,
    EnterpriseForm,
    NodeForm,
    NodeMoveForm,
    SiteFilterForm,
    SiteForm,
    TreeSearchForm,
    apply_service_errors,
    node_label,
    parent_names,
)
from .models import UnionNode

TREE_CHILDREN_LIMIT = 300
ENTERPRISES_PER_PAGE = 30
SITES_PER_PAGE = 30
CHILDREN_PER_PAGE = 50


def _page(request, qs, per_page: int):
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


def _with_counts(nodes, counts: dict[str, int], base_depth: int = 0) -> list[UnionNode]:
    nodes = list(nodes)
    for n in nodes:
        n.member_count = counts.get(n.path, 0)
        n.indent = n.depth - base_depth
    return nodes


# --- Tree --------------------------------------------------------------------------------------------

@login_required
@require_GET
def tree(request):
    staff = require(request.user, Cap.VIEW)
    root = staff.node
    search = TreeSearchForm(request.GET)
    q = search.cleaned_data["q"].strip() if search.is_valid() else ""
    counts = selectors.member_counts_by_path(root)
    root.member_count = counts.get(root.path, 0)
    ctx = {"root": root, "search": search, "q": q, "can_write": staff.can(Cap.ORG_WRITE)}
    if q:
        matches = _with_counts(selectors.node_search_for_actor(request.user, q, limit=50), counts)
        step = UnionNode.steplen
        paths = {m.path[:end] for m in matches for end in range(len(root.path), len(m.path), step)}
        names = selectors.node_names_by_path(paths)
        for m in matches:
            m.trail = [names[m.path[:end]] for end in range(len(root.path), len(m.path), step)
                       if m.path[:end] in names]
        ctx["matches"] = matches
    else:
        children = list(selectors.node_children(root)[: TREE_CHILDREN_LIMIT + 1])
        ctx["children"] = _with_counts(children[:TREE_CHILDREN_LIMIT], counts, root.depth)
        ctx["more"] = len(children) > TREE_CHILDREN_LIMIT
        ctx["parent"] = root
    return render(request, "orgs/tree.html", ctx)


@login_required
@require_GET
def tree_children(request, pk: int):
    """The children of one node, lazily loaded when its row is expanded."""
    staff = require(request.user, Cap.VIEW)
    node = selectors.node_get_for_actor(request.user, pk)
    counts = selectors.member_counts_by_path(node)
    children = list(selectors.node_children(node)[: TREE_CHILDREN_LIMIT + 1])
    return render(request, "orgs/_tree_nodes.html", {
        "children": _with_counts(children[:TREE_CHILDREN_LIMIT], counts, staff.node.depth),
        "more": len(children) > TREE_CHILDREN_LIMIT, "parent": node,
    })


# --- Nodes -------------------------------------------------------------------------------------------

@login_required
@require_GET
def node_detail(request, pk: int):
    staff = require(request.user, Cap.VIEW)
    node = selectors.node_get_for_actor(request.user, pk)
    counts = selectors.member_counts_by_path(node)
    children = _page(request, selectors.node_children(node), CHILDREN_PER_PAGE)
    children.object_list = _with_counts(children.object_list, counts)
    ancestors = [a for a in selectors.node_ancestors(node) if path_in_scope(request.user, a.path)]
    return render(request, "orgs/node_detail.html", {
        "node": node,
        "ancestors": ancestors,
        "children": children,
        "member_count": counts.get(node.path, 0),
        "direct_member_count": counts.get(node.path, 0) - sum(
            v for p, v in counts.items() if len(p) == len(node.path) + node.steplen),
        "facts": selectors.node_facts(node),
        "enterprises": list(selectors.enterprise_list_for_actor(request.user, node=node)[:10]),
        "sites": list(selectors.site_list_for_actor(request.user, node=node)[:10]),
        "can_write": staff.can(Cap.ORG_WRITE),
        "can_register": staff.can(Cap.MEMBER_WRITE),
        "is_own_node": node.pk == staff.node_id,
    })


@login_required
@require_http_methods(["GET", "POST"])
def node_create(request, pk: int):
    require(request.user, Cap.ORG_WRITE)
    parent = selectors.node_get_for_actor(request.user, pk)
    form = NodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            node = services.node_create(actor=request.user, parent=parent, **form.cleaned_data)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("已新建下级组织：%(name)s") % {"name": node.name})
            return redirect("orgs:node_detail", pk=node.pk)
    return render(request, "orgs/node_form.html", {"form": form, "parent": parent, "node": None})


@login_required
@require_http_methods(["GET", "POST"])
def node_edit(request, pk: int):
    require(request.user, Cap.ORG_WRITE)
    node = selectors.node_get_for_actor(request.user, pk)
    initial = {f: getattr(node, f) for f in services.NODE_FIELDS}
    form = NodeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.node_update(actor=request.user, node=node, **form.cleaned_data)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("已保存"))
            return redirect("orgs:node_detail", pk=node.pk)
    return render(request, "orgs/node_form.html", {"form": form, "node": node, "parent": None})


@login_required
@require_http_methods(["GET", "POST"])
def node_move(request, pk: int):
    staff = require(request.user, Cap.ORG_WRITE)
    node = selectors.node_get_for_actor(request.user, pk)
    if node.pk == staff.node_id:
        raise PermissionDenied(_("不能移动本级组织"))
    form = NodeMoveForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.node_move(actor=request.user, node=node, new_parent=form.cleaned_data["new_parent"])
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("已将“%(name)s”及其下级移动到“%(parent)s”之下") % {
                "name": node.name, "parent": form.cleaned_data["new_parent"].name})
            return redirect("orgs:node_detail", pk=node.pk)
    parent = UnionNode.objects.get_parent(node)
    return render(request, "orgs/node_move.html", {
        "form": form, "node": node, "parent": parent if parent and path_in_scope(request.user, parent.path) else None,
        "subtree_size": selectors.node_subtree_size(node) - 1,
    })


@login_required
@require_GET
def node_picker(request):
    """<option>s for a union picker: the actor's subtree, or the whole tree for transfers."""
    field = request.GET.get("field", "q")
    q = request.GET.get(field, "")[:60]
    # Outside the subtree only unions that can hold members are offered (transfer targets), so the
    # picker is no way to browse the whole federation's structure.
    anywhere = request.GET.get("anywhere") == "1"
    nodes = selectors.node_search_for_actor(
        request.user, q, members_only=request.GET.get("members") == "1" or anywhere,
        anywhere=anywhere, limit=30)
    parents = parent_names(nodes)
    options = [(str(n.pk), node_label(n, parent=parents[n.path])) for n in nodes]
    return _picker_response(request, options)


@login_required
@require_GET
def enterprise_picker(request):
    field = request.GET.get("field", "q")
    q = request.GET.get(field, "")[:60]
    kind = request.GET.get("kind", "")
    items, _more = selectors.enterprise_picker_choices(request.user, kind=kind, q=q, limit=30)
    return _picker_response(request, [(str(e.pk), e.name) for e in items])


def _picker_response(request, options: list[tuple[str, str]]):
    """<option>s for the htmx search box, or with format=json the searchable picker's results."""
    if request.GET.get("format") == "json":
        return JsonResponse({"results": [{"value": v, "text": t} for v, t in options]})
    return render(request, "orgs/_picker_options.html", {"options": options, "blank": request.GET.get("blank")})


# --- Enterprises -------------------------------------------------------------------------------------

@login_required
@require_GET
def enterprise_list(request):
    staff = require(request.user, Cap.VIEW)
    form = EnterpriseFilterForm(request.GET or None, actor=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.enterprise_list_for_actor(
        request.user, q=filters.get("q", ""), kind=filters.get("kind", ""), node=filters.get("node"),
        industry=filters.get("industry", ""))
    return render(request, "orgs/enterprise_list.html", {
        "form": form, "page_obj": _page(request, qs, ENTERPRISES_PER_PAGE),
        "filtered": any(filters.values()), "can_write": staff.can(Cap.ORG_WRITE),
        "extra_filtered": any(filters.get(k) for k in ("kind", "industry", "node")),
    })


@login_required
@require_GET
def enterprise_detail(request, pk: int):
    staff = require(request.user, Cap.VIEW)
    ent = selectors.enterprise_get_for_actor(request.user, pk)
    return render(request, "orgs/enterprise_detail.html", {
        "ent": ent, "counts": selectors.enterprise_member_counts(ent),
        "union_in_scope": path_in_scope(request.user, ent.union.path),
        "can_write": staff.can(Cap.ORG_WRITE),
    })


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_create(request):
    require(request.user, Cap.ORG_WRITE)
    initial = {}
    if request.GET.get("union"):
        initial["union"] = request.GET["union"]
    form = EnterpriseForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            ent = services.enterprise_create(actor=request.user, **form.cleaned_data)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("已登记单位：%(name)s") % {"name": ent.name})
            return redirect("orgs:enterprise_detail", pk=ent.pk)
    return render(request, "orgs/enterprise_form.html", {"form": form, "ent": None})


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_edit(request, pk: int):
    require(request.user, Cap.ORG_WRITE)
    ent = selectors.enterprise_get_for_actor(request.user, pk)
    initial = {f: getattr(ent, f) for f in services.ENTERPRISE_FIELDS}
    form = EnterpriseForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.enterprise_update(actor=request.user, enterprise=ent, **form.cleaned_data)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("已保存"))
            return redirect("orgs:enterprise_detail", pk=ent.pk)
    return render(request, "orgs/enterprise_form.html", {"form": form, "ent": ent})


# --- Service sites -----------------------------------------------------------------------------------

@login_required
@require_GET
def site_list(request):
    staff = require(request.user, Cap.VIEW)
    form = SiteFilterForm(request.GET or None, actor=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.site_list_for_actor(request.user, kind=filters.get("kind", ""), node=filters.get("node"))
    return render(request, "orgs/site_list.html", {
        "form": form, "page_obj": _page(request, qs, SITES_PER_PAGE),
        "filtered": any(filters.values()), "can_write": staff.can(Cap.ORG_WRITE),
    })


@login_required
@require_http_methods(["GET", "POST"])
def site_create(request):
    require(request.user, Cap.ORG_WRITE)
    initial = {"is_active": True}
    if request.GET.get("union"):
        initial["union"] = request.GET["union"]
    form = SiteForm(request.POST or None, actor=request.user, initial=initial)
    del form.fields["is_active"]  # a new site is open; closing one is an edit
    if request.method == "POST" and form.is_valid():
        try:
            site = services.site_create(actor=request.user, **form.cleaned_data)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("已新建服务阵地：%(name)s") % {"name": site.name})
            return redirect("orgs:site_list")
    return render(request, "orgs/site_form.html", {"form": form, "site": None})


@login_required
@require_http_methods(["GET", "POST"])
def site_edit(request, pk: int):
    require(request.user, Cap.ORG_WRITE)
    site = selectors.site_get_for_actor(request.user, pk)
    initial = {f: getattr(site, f) for f in services.SITE_FIELDS}
    form = SiteForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.site_update(actor=request.user, site=site, **form.cleaned_data)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("已保存"))
            return redirect("orgs:site_list")
    return render(request, "orgs/site_form.html", {"form": form, "site": site})
