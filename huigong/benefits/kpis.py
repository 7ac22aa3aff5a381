"""The benefits app's KPIs (declared in apps.py, collected into the insights catalogue): places granted,
reimbursements paid, visits and site usage. Event sources read this app's tables (and the sites of orgs)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from huigong.core.kpi import FLOW, Dialect, Dimension, Kpi, choices_of
from huigong.orgs.kpis import SITE_KIND


def _choices(import_path: str, name: str):
    def get() -> dict[str, str]:
        import importlib

        return choices_of(getattr(importlib.import_module(import_path), name))()

    return get


def kpis() -> list[Kpi]:
    board = Dimension("board", _("服务板块"), _choices("huigong.benefits.models", "ServiceBoard"))

    def slots(d: Dialect) -> str:
        return (
            f"SELECT c.union_id AS node_id, g.board AS dim, {d.to_date('c.granted_at')} AS day, 1 AS amount "
            "FROM benefits_benefitclaim c JOIN benefits_benefitprogramme g ON g.id = c.programme_id "
            "WHERE c.status = 'granted' AND c.granted_at IS NOT NULL"
        )

    def reimbursed(d: Dialect) -> str:
        return (
            f"SELECT r.union_id AS node_id, g.board AS dim, {d.to_date('p.settled_at')} AS day, "
            "p.amount_fen AS amount FROM benefits_reimbursementpayment p "
            "JOIN benefits_reimbursement r ON r.id = p.reimbursement_id "
            "JOIN benefits_benefitprogramme g ON g.id = r.programme_id "
            "WHERE p.status = 'paid' AND p.settled_at IS NOT NULL"
        )

    def visits(d: Dialect) -> str:
        return "SELECT v.node_id, '' AS dim, v.visited_on AS day, v.headcount AS amount FROM benefits_visit v"

    def goods(d: Dialect) -> str:
        return "SELECT v.node_id, '' AS dim, v.visited_on AS day, v.value_fen AS amount FROM benefits_visit v"

    def usage(d: Dialect) -> str:
        return (
            "SELECT s.union_id AS node_id, s.kind AS dim, u.day AS day, u.visitors AS amount "
            "FROM benefits_siteusage u JOIN orgs_servicesite s ON s.id = u.site_id"
        )

    req = ("benefits",)
    return [
        Kpi(
            "benefits.slots_claimed",
            _("普惠名额领取"),
            "slot",
            _("期内领取成功（未取消）的普惠名额数（如免费体检），按服务板块分。"),
            FLOW,
            "benefits",
            ("benefits_benefitclaim",),
            board,
            slots,
            requires=req,
            headline=True,
        ),
        Kpi(
            "benefits.reimbursed_fen",
            _("先办后补发放"),
            "fen",
            _("期内到账的报销补贴金额（按到账时间），按服务板块分。"),
            FLOW,
            "benefits",
            ("benefits_reimbursementpayment", "benefits_reimbursement"),
            board,
            reimbursed,
            requires=req,
        ),
        Kpi(
            "benefits.visits",
            _("送温暖/送清凉慰问"),
            "visit",
            _("期内走访慰问的职工人次。"),
            FLOW,
            "benefits",
            ("benefits_visit",),
            None,
            visits,
            requires=req,
        ),
        Kpi(
            "benefits.goods_value_fen",
            _("慰问物资价值"),
            "fen",
            _("期内走访慰问送出的物资与慰问金价值。"),
            FLOW,
            "benefits",
            ("benefits_visit",),
            None,
            goods,
            requires=req,
        ),
        Kpi(
            "sites.usage",
            _("服务阵地使用"),
            "visit",
            _("期内服务阵地登记的服务人次，按阵地类型分。"),
            FLOW,
            "orgs",
            ("benefits_siteusage", "orgs_servicesite"),
            SITE_KIND,
            usage,
            requires=req,
        ),
    ]
