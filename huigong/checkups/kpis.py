"""The check-ups' KPIs (apps.py declares them; the insights catalogue collects them): enterprises examined,
workers covered, issues found, rectified and overdue (the findings are the outcome tracker's items, so the
issue KPIs use its helpers over `outcomes_trackeditem`), by category."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from huigong.core.kpi import FLOW, STOCK, Dialect, Dimension, Kpi, choices_of
from huigong.core.outcomes import kpis as tracked

KIND = "checkups.finding"


def _categories() -> dict[str, str]:
    from .models import Category

    return choices_of(Category)()


def kpis() -> list[Kpi]:
    category = Dimension("category", _("问题类别"), _categories)

    def examined(d: Dialect) -> str:
        return ("SELECT e.union_id AS node_id, c.kind AS dim, e.visited_on AS day, 1 AS amount "
                "FROM checkups_examination e JOIN checkups_campaign c ON c.id = e.campaign_id "
                "WHERE e.visited_on IS NOT NULL")

    def workers(d: Dialect) -> str:
        return ("SELECT e.union_id AS node_id, '' AS dim, e.visited_on AS day, e.workers_covered AS amount "
                "FROM checkups_examination e WHERE e.visited_on IS NOT NULL")

    def return_visits(d: Dialect) -> str:
        return ("SELECT e.union_id AS node_id, '' AS dim, e.return_visited_on AS day, 1 AS amount "
                "FROM checkups_examination e WHERE e.return_visited_on IS NOT NULL")

    req = ("checkups",)
    items = ("outcomes_trackeditem",)
    return [
        Kpi("checkups.examined", _("完成体检企业"), "count", _("期内完成现场体检的企业数（法治、安全或综合体检）。"),
            FLOW, "checkups", ("checkups_examination",), events=examined, requires=req, headline=True),
        Kpi("checkups.workers_covered", _("体检覆盖职工"), "person", _("期内完成现场体检的企业的职工人数之和。"),
            FLOW, "checkups", ("checkups_examination",), events=workers, requires=req),
        Kpi("checkups.findings", _("体检发现问题"), "count", _("期内体检发现的问题数，按问题类别分。"),
            FLOW, "checkups", items, category, tracked.opened(KIND), requires=req),
        Kpi("checkups.findings_closed", _("问题整改完成"), "count",
            _("期内经回访核实整改成效而办结的问题数，按问题类别分。"),
            FLOW, "checkups", items, category, tracked.closed(KIND), requires=req),
        Kpi("checkups.findings_open", _("待整改问题"), "count", _("期末尚未办结的体检问题数。"),
            STOCK, "checkups", items, category, tracked.open_stock(KIND), requires=req),
        Kpi("checkups.findings_overdue", _("逾期未整改问题"), "count", _("期末已过整改期限仍未办结的体检问题数。"),
            STOCK, "checkups", items, category, tracked.overdue_stock(KIND), requires=req),
        Kpi("checkups.return_visits", _("完成回访企业"), "count", _("期内完成回访的企业数。"),
            FLOW, "checkups", ("checkups_examination",), events=return_visits, requires=req),
    ]
