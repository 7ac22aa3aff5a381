"""Console pages: the leader's dashboard, the KPI workbook export and the PDF reports."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import escape
from django.utils.http import content_disposition_header, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from huigong.accounts.models import Cap
from huigong.core.audit import audit
from huigong.core.files import file_response
from huigong.core.scope import path_in_scope, require
from huigong.orgs.selectors import node_ancestors, node_picker_choices

from . import selectors, services
from .forms import node_id_from_query, period_from_query
from .models import ReportStatus
from .periods import Period, default_period, month_add, this_month
from .rollups import rollups_generation, rollups_pending


def _node_and_period(request):
    errors = []
    try:
        node_id = node_id_from_query(request.GET)
    except ValidationError as e:
        errors += e.messages
        node_id = None
    node = selectors.insight_node_for_actor(request.user, node_id)
    try:
        period = period_from_query(request.GET)
    except ValidationError as e:
        errors += e.messages
        period = default_period()
    return node, period, errors


def quick_periods() -> list[tuple[str, Period]]:
    m = this_month()
    last = month_add(m, -1)
    q_first = m.replace(month=(m.month - 1) // 3 * 3 + 1)
    return [
        (_("本月"), Period("month", m, m)),
        (_("上月"), Period("month", last, last)),
        (_("本季度"), Period("quarter", q_first, month_add(q_first, 2))),
        (_("上季度"), Period("quarter", month_add(q_first, -3), month_add(q_first, -1))),
        (_("本年"), Period("year", m.replace(month=1), m.replace(month=12))),
        (
            _("上年"),
            Period("year", m.replace(year=m.year - 1, month=1), m.replace(year=m.year - 1, month=12)),
        ),
    ]


PICKER_LIMIT = 200


def _dashboard_body(node, period, generation: str) -> dict:
    """The data part of the dashboard as HTML, with what the page around it needs (freshness, the
    period it is compared with): computed and rendered once per node, period, language and rollup
    generation, then served from the cache shared by the workers until a rollup is rebuilt."""
    cached = selectors.answer_cache_on()
    key = f"insights:body:{node.pk}:{node.path}:{period.key}:{get_language()}:{generation}"
    part = cache.get(key) if cached else None
    if part is None:
        data = selectors.dashboard_data(node, period)
        # What the charts' script needs besides the data, handed over as JSON (no inline script).
        config = {"nodeUrl": f"?{urlencode({'period': period.key})}&node=",
                  "labels": {"active": _("在会会员"), "new": _("新入会"), "own": _("本级")}}
        html = render_to_string("insights/_dashboard_body.html",
                                {"data": data, "config": config, "node": node, "period": period})
        part = {"html": html, "as_of": data["as_of"], "compare_label": data["period"]["compare_label"]}
        if cached:
            cache.set(key, part, 600)
    return part


def dashboards_warm() -> int:
    """Renders the default page's data part ("本年", in the default language) of every node that keeps
    subtree rows (national, provinces, cities), right after a refresh has started a new generation: the
    pages leaders open first then answer from the cache instead of paying for the first look. Returns
    how many were rendered; a node that fails is logged and skipped (the page computes it on demand)."""
    import logging

    from django.conf import settings
    from django.utils import translation

    from huigong.orgs.models import UnionNode

    from .rollups import tree_depth

    if not selectors.answer_cache_on():
        return 0
    generation, period, done = rollups_generation(), default_period(), 0
    with translation.override(settings.LANGUAGE_CODE):
        for node in UnionNode.objects.filter(depth__lte=tree_depth()).order_by("path"):
            try:
                _dashboard_body(node, period, generation)
                done += 1
            except Exception:  # warming is best effort: the page computes it on demand
                logging.getLogger(__name__).exception("warming the dashboard of node %s failed", node.pk)
    return done


def rollups_refresh_and_warm() -> list:
    """The periodic job: the rollups of whatever changed, then the top levels' default pages."""
    from .rollups import rollups_refresh_if_changed

    done = rollups_refresh_if_changed()
    if done:
        dashboards_warm()
    return done


@login_required
@require_GET
def dashboard(request):
    staff = require(request.user, Cap.VIEW)
    node, period, errors = _node_and_period(request)
    generation = rollups_generation()
    part = _dashboard_body(node, period, generation)
    trail = [a for a in node_ancestors(node) if path_in_scope(request.user, a.path)]
    picker, picker_more = node_picker_choices(request.user, selected=node, limit=PICKER_LIMIT, pairs=True)
    return render(
        request,
        "insights/dashboard.html",
        {
            "node": node,
            "period": period,
            "body": mark_safe(part["html"]),  # rendered by our own template above
            "compare_label": part["compare_label"],
            "errors": errors,
            "trail": trail,
            # Built here from (id, name) pairs, not by a template loop over nodes: 200 options were
            # most of the page's rendering time. Names are escaped; ids are integers.
            "picker_options": mark_safe("".join(
                f'<option value="{pk}"{" selected" if pk == node.pk else ""}>{escape(name)}</option>'
                for pk, name in picker)),
            "picker_more": picker_more,
            "picker_limit": PICKER_LIMIT,
            "quick": quick_periods(),
            "can_export": staff.can(Cap.EXPORT),
            "can_refresh": staff.can(Cap.ORG_WRITE),
            "reports": list(selectors.report_list_for_actor(request.user, node=node)[:5]),
            "as_of": parse_datetime(part["as_of"]) if part["as_of"] else None,
            # Checked at most every 30 s per rollup generation: a page view should not scan the audit log.
            "pending": cache.get_or_set(f"insights:pending:{generation}", rollups_pending, 30),
        },
    )


@login_required
@require_GET
def export_xlsx(request):
    from .reports import kpi_table_xlsx

    require(request.user, Cap.EXPORT)
    node, period, errors = _node_and_period(request)
    if errors:
        return HttpResponse("; ".join(errors), status=400, content_type="text/plain; charset=utf-8")
    body = kpi_table_xlsx(node, period)
    audit(
        actor=request.user,
        verb="insights.export",
        object_type="orgs.unionnode",
        object_id=str(node.pk),
        object_repr=node.name,
        node_path=node.path,
        new={"period": period.key},
    )
    resp = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    resp["Content-Disposition"] = content_disposition_header(
        True, f"工作数据-{node.name}-{period.label}-{timezone.localdate():%Y%m%d}.xlsx")
    return resp


@login_required
@require_POST
def report_create(request):
    node, period, errors = _node_and_period(request)
    if errors:
        for e in errors:
            messages.error(request, e)
    else:
        report = services.report_request(actor=request.user, node=node, period=period)
        messages.success(request, _("已开始生成报告：%(n)s %(p)s") % {"n": node.name, "p": period.label})
        return redirect("insights:report_detail", pk=report.pk)
    return redirect(f"{reverse('insights:dashboard')}?{urlencode({'node': node.pk, 'period': period.key})}")


@login_required
@require_GET
def report_list(request):
    require(request.user, Cap.VIEW)
    reports = list(selectors.report_list_for_actor(request.user)[:100])
    return render(request, "insights/report_list.html", {"reports": reports})


@login_required
@require_GET
def report_detail(request, pk: int):
    report = selectors.report_get_for_actor(request.user, pk)
    template = (
        "insights/_report_status.html" if request.headers.get("HX-Request") else "insights/report_detail.html"
    )
    return render(request, template, {"report": report})


@login_required
@require_GET
def report_download(request, pk: int):
    report = selectors.report_get_for_actor(request.user, pk)
    if report.status != ReportStatus.DONE or not report.file:
        raise Http404
    return file_response(report.file, actor=request.user, object_type="insights.report", object_id=report.pk,
                         node_path=report.node.path, purpose="下载报告", content_type="application/pdf",
                         filename=f"工作数据报告-{report.node.name}-{report.period_key.replace(':', '至')}.pdf")


@login_required
@require_POST
def refresh(request):
    """Rebuilds every rollup in the background (admins): after a bulk change, when the schedule is not soon enough."""
    require(request.user, Cap.ORG_WRITE)
    services.rollups_refresh_soon()
    messages.success(request, _("已开始刷新汇总数据，完成后看板即显示最新数字"))
    nxt = str(request.POST.get("next", ""))
    return redirect(nxt if nxt.startswith("/insights/") else reverse("insights:dashboard"))
