"""The research programme's KPIs (declared in apps.py, collected into the insights catalogue): topics
undertaken, reports accepted, money paid in tranches, fieldwork reach, and, over the outcome tracker's
items of kind "research.recommendation" (outcomes.py), recommendations adopted and still open. Each event counts at the
project's union, so a city's figure rolls up its districts' teams."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from huigong.core.kpi import FLOW, STOCK, Dialect, Kpi
from huigong.core.outcomes import kpis as tracked

KIND = "research.recommendation"


def kpis() -> list[Kpi]:
    def topics(d: Dialect) -> str:
        return (f"SELECT p.node_id, '' AS dim, {d.to_date('p.approved_at')} AS day, 1 AS amount "
                "FROM research_project p WHERE p.approved_at IS NOT NULL")

    def reports(d: Dialect) -> str:
        return (f"SELECT p.node_id, '' AS dim, {d.to_date('r.decided_at')} AS day, 1 AS amount "
                "FROM research_report r JOIN research_project p ON p.id = r.project_id "
                "WHERE r.status = 'accepted' AND r.decided_at IS NOT NULL")

    def paid(d: Dialect) -> str:
        return (f"SELECT p.node_id, '' AS dim, {d.to_date('m.paid_at')} AS day, m.amount_fen AS amount "
                "FROM research_tranchepayment m JOIN research_tranche t ON t.id = m.tranche_id "
                "JOIN research_project p ON p.id = t.project_id WHERE m.status = 'paid' AND m.paid_at IS NOT NULL")

    def orders(d: Dialect) -> str:
        return ("SELECT p.node_id, '' AS dim, f.occurred_on AS day, f.people AS amount "
                "FROM research_fieldworklog f JOIN research_project p ON p.id = f.project_id")

    req = ("research",)
    return [
        Kpi("research.topics", _("调研课题立项"), "count", _("期内立项的调研课题数（按立项时间）。"), FLOW, "research",
            ("research_project",), None, topics, requires=req, headline=True),
        Kpi("research.reports", _("调研报告验收"), "count", _("期内验收通过的调研报告数（资政报告）。"), FLOW,
            "research", ("research_report", "research_project"), None, reports, requires=req),
        Kpi("research.paid_fen", _("调研经费发放"), "fen", _("期内到账的调研经费（按分期发放）。"), FLOW, "research",
            ("research_tranchepayment", "research_tranche", "research_project"), None, paid, requires=req),
        Kpi("research.people_reached", _("调研接触职工"), "visit", _("期内调研日志记录的走访、访谈、座谈接触人次。"),
            FLOW, "research", ("research_fieldworklog", "research_project"), None, orders, requires=req),
        Kpi("research.policies_adopted", _("调研建议被采纳"), "count",
            _("期内被采纳落实的调研对策建议数：出台政策（文号）或领导批示为证，经成效确认办结。"), FLOW, "research",
            ("outcomes_trackeditem",), None, tracked.closed(KIND), requires=("outcomes", "research"), headline=True),
        Kpi("research.recommendations_open", _("调研建议待采纳"), "count",
            _("期末仍在跟踪、尚未采纳或撤销的调研对策建议数。"), STOCK, "research", ("outcomes_trackeditem",), None,
            tracked.open_stock(KIND), requires=("outcomes", "research")),
    ]
