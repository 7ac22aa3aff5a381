"""The honours app's KPIs (declared in apps.py, collected into the insights catalogue): titles held by
level, nominees and their composition (the shares a nomination list's meter shows, over a subtree),
entitlements due and delivered, allowances paid, innovations submitted / adopted / awarded and their
verified annual value. Event sources read this app's tables only."""

from __future__ import annotations

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from huigong.core.kpi import FLOW, RATIO, STOCK, Dialect, Dimension, Kpi, choices_of

# The categories the composition rules count (national 五一 medal: industrial ≥ 35%, migrant ≥ 10%,
# non-public ≥ 35%; cities add unit heads ≤ 15%, women ≥ 20%): one share KPI each.
SHARES = ("industrial", "migrant", "non_public", "unit_head", "female")


def _choices(name: str):
    def get() -> dict[str, str]:
        from . import models

        return choices_of(getattr(models, name))()

    return get


def _attributes():
    from .models import Attribute

    return [(a, Attribute(a).label) for a in SHARES]


def kpis() -> list[Kpi]:
    level = Dimension("level", _("级别"), _choices("TitleLevel"))
    attribute = Dimension("nominee_attribute", _("人选类别"), _choices("Attribute"))
    kind = Dimension("innovation_kind", _("成果类型"), _choices("InnovationKind"))
    ent_kind = Dimension("entitlement_kind", _("待遇"), _choices("EntitlementKind"))

    def held(d: Dialect) -> str:
        # +1 when a title is registered, -1 when it is revoked or its holder dies: titles in force as of a day.
        return (f"SELECT h.union_id AS node_id, h.level AS dim, {d.to_date('h.created_at')} AS day, 1 AS amount "
                "FROM honours_honour h UNION ALL "
                f"SELECT h.union_id, h.level, {d.to_date('h.status_changed_at')}, -1 FROM honours_honour h "
                "WHERE h.status IN ('revoked', 'deceased') AND h.status_changed_at IS NOT NULL")

    def nominees(d: Dialect) -> str:
        # A withdrawn nominee is no longer on the list (the meter leaves her out too).
        return (f"SELECT l.node_id AS node_id, '' AS dim, {d.to_date('n.created_at')} AS day, 1 AS amount "
                "FROM honours_nominee n JOIN honours_nominationlist l ON l.id = n.nomination_list_id "
                "WHERE n.status <> 'withdrawn'")

    def composition(d: Dialect) -> str:
        # One row per nominee and category she carries (attributes is a JSON array of Attribute values).
        each = ("CROSS JOIN LATERAL jsonb_array_elements_text(n.attributes) AS a(value)" if d.pg
                else "CROSS JOIN json_each(n.attributes) AS a")
        return (f"SELECT l.node_id AS node_id, a.value AS dim, {d.to_date('n.created_at')} AS day, 1 AS amount "
                f"FROM honours_nominee n JOIN honours_nominationlist l ON l.id = n.nomination_list_id {each} "
                "WHERE n.status <> 'withdrawn'")

    def due(d: Dialect) -> str:
        # +1 when scheduled, -1 when delivered (never before it existed) or stopped: DUE rows as of a day.
        made = d.to_date("e.created_at")
        base = "FROM honours_entitlement e JOIN honours_honour h ON h.id = e.honour_id"
        return (f"SELECT h.union_id AS node_id, e.kind AS dim, {made} AS day, 1 AS amount {base} UNION ALL "
                f"SELECT h.union_id, e.kind, CASE WHEN e.delivered_on < {made} THEN {made} ELSE e.delivered_on END, "
                f"-1 {base} WHERE e.status = 'delivered' AND e.delivered_on IS NOT NULL UNION ALL "
                f"SELECT h.union_id, e.kind, {d.to_date('e.stopped_at')}, -1 {base} "
                "WHERE e.status = 'stopped' AND e.stopped_at IS NOT NULL")

    def delivered(d: Dialect) -> str:
        return ("SELECT h.union_id AS node_id, e.kind AS dim, e.delivered_on AS day, 1 AS amount "
                "FROM honours_entitlement e JOIN honours_honour h ON h.id = e.honour_id "
                "WHERE e.status = 'delivered' AND e.delivered_on IS NOT NULL")

    def allowance(d: Dialect) -> str:
        return (f"SELECT h.union_id AS node_id, '' AS dim, {d.to_date('p.settled_at')} AS day, p.amount_fen AS amount "
                "FROM honours_allowancepayment p JOIN honours_entitlement e ON e.id = p.entitlement_id "
                "JOIN honours_honour h ON h.id = e.honour_id WHERE p.status = 'paid' AND p.settled_at IS NOT NULL")

    def submitted(d: Dialect) -> str:
        return (f"SELECT i.union_id AS node_id, i.kind AS dim, {d.to_date('i.created_at')} AS day, 1 AS amount "
                "FROM honours_innovation i")

    def adopted(d: Dialect) -> str:
        return (f"SELECT i.union_id AS node_id, i.kind AS dim, {d.to_date('r.at')} AS day, 1 AS amount "
                "FROM honours_innovationreview r JOIN honours_innovation i ON i.id = r.innovation_id "
                "WHERE r.to_status = 'adopted'")

    def awarded(d: Dialect) -> str:
        return (f"SELECT i.union_id AS node_id, i.kind AS dim, {d.to_date('a.awarded_at')} AS day, 1 AS amount "
                "FROM honours_innovationaward a JOIN honours_innovation i ON i.id = a.innovation_id")

    def value(d: Dialect) -> str:
        return ("SELECT i.union_id AS node_id, i.kind AS dim, g.verified_on AS day, g.annual_value_fen AS amount "
                "FROM honours_gain g JOIN honours_innovation i ON i.id = g.innovation_id "
                "WHERE g.verified_on IS NOT NULL")

    req = ("honours",)
    return [
        Kpi("honours.titles_held", _("有效荣誉称号"), "count", _("期末仍有效的劳模、五一奖章、工匠等荣誉称号数（撤销、去世后不再计入），按级别分。"),
            STOCK, "honours", ("honours_honour",), level, held, requires=req),
        Kpi("honours.nominees", _("推荐人选"), "person", _("期内各级推荐名单中新增的人选数（已撤回的不计）。"), FLOW,
            "honours", ("honours_nominee", "honours_nominationlist"), events=nominees, requires=req),
        Kpi("honours.nominee_composition", _("推荐人选结构"), "person",
            _("期内推荐名单中新增人选按类别（产业工人、农民工、非公有制企业、企业负责人、女性等）计的人数；一人可属多类，"
              "已撤回的不计。"), FLOW, "honours", ("honours_nominee", "honours_nominationlist"), attribute, composition,
            requires=req),
        *[Kpi(f"honours.share_{a}", format_lazy(_("推荐人选中{}占比"), label), "percent",
              format_lazy(_("期内推荐名单中新增人选里{}所占的比例（与名单页人选结构表的算法相同，已撤回的不计）。"), label),
              RATIO, "honours", ratio_of=("honours.nominee_composition", frozenset({a}), "honours.nominees", None),
              requires=req) for a, label in _attributes()],
        Kpi("honours.entitlements_due", _("待落实的劳模待遇"), "count",
            _("期末尚待落实的劳模待遇（体检、疗休养、津贴、慰问）项数，按待遇分：生成时 +1，落实或停止时 −1。"), STOCK,
            "honours", ("honours_entitlement", "honours_honour"), ent_kind, due, requires=req),
        Kpi("honours.entitlements_delivered", _("劳模待遇落实"), "count",
            _("期内落实的劳模待遇（体检、疗休养、津贴、慰问）项数，按待遇分。"), FLOW, "honours",
            ("honours_entitlement", "honours_honour"), ent_kind, delivered, requires=req),
        Kpi("honours.allowance_paid", _("荣誉津贴发放"), "fen", _("期内到账的劳模荣誉津贴金额。"), FLOW, "honours",
            ("honours_allowancepayment", "honours_entitlement", "honours_honour"), events=allowance, requires=req),
        Kpi("honours.innovations_submitted", _("创新成果提交"), "count", _("期内职工提交的创新成果与合理化建议数，按类型分。"),
            FLOW, "honours", ("honours_innovation",), kind, submitted, requires=req),
        Kpi("honours.innovations_adopted", _("创新成果采纳"), "count", _("期内被采纳的创新成果数，按类型分。"), FLOW, "honours",
            ("honours_innovationreview", "honours_innovation"), kind, adopted, requires=req),
        Kpi("honours.innovations_awarded", _("创新成果获奖"), "count", _("期内评审获奖的创新成果数，按类型分。"), FLOW, "honours",
            ("honours_innovationaward", "honours_innovation"), kind, awarded, requires=req),
        Kpi("honours.innovation_value", _("创新成果核实效益"), "fen", _("期内核实的创新成果年化效益（按核实日期计），按类型分。"),
            FLOW, "honours", ("honours_gain", "honours_innovation"), kind, value, requires=req),
    ]
