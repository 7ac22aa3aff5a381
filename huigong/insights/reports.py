"""What the PDF report and the .xlsx exports contain: the same KPI figures the dashboard shows."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from huigong.core.money import format_yuan
from huigong.orgs.models import UnionNode

from . import kpis as catalogue
from .charts import bar_chart, line_chart
from .periods import Period, this_month
from .selectors import as_of, comparison_values, kpi_by_child, kpi_trend, kpi_value, states_scope


def display(value, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "fen":
        return format_yuan(int(value))
    if unit == "percent":
        return f"{value:.1f}%"
    return f"{value:,}"


def display_change(change, unit: str) -> str:
    """A change: percentage points for a percent KPI (35.0% → 37.5% is +2.5 个百分点, not +2.5%)."""
    if change is None:
        return "—"
    sign = "+" if change > 0 else ""
    if unit == "percent":
        return sign + _("%(v).1f 个百分点") % {"v": change}
    return sign + display(change, unit)


def kpi_table(node: UnionNode, period: Period) -> list[dict]:
    """Every available KPI for the period and what it is compared with (Period.comparison: the previous
    period, cut at the same day while this one runs, as on the dashboard), with the change."""
    available = [k for k in catalogue.CATALOGUE.values() if k.available]
    before_values = comparison_values([k.name for k in available], node, period.comparison())
    rows = []
    for k in available:
        cur = kpi_value(k, node, period)
        before = before_values[k.name]
        change = None
        if cur.value is not None and before.value is not None:
            change = round(cur.value - before.value, 1) if k.unit == "percent" else cur.value - before.value
        rows.append(
            {
                "kpi": k,
                "group": str(catalogue.GROUP_LABELS.get(k.group, k.group)),
                "value": cur.value,
                "previous": before.value,
                "change": change,
                # Each part: its key, label, text in the KPI's own unit (money in yuan, not fen) as the
                # dashboard shows it, and its value (a number, for the spreadsheet).
                "dims": [(key, label, display(v, k.unit), v) for key, label, v in cur.dims_labelled],
                "value_text": display(cur.value, k.unit),
                "previous_text": display(before.value, k.unit),
                "change_text": display_change(change, k.unit),
            }
        )
    return rows


def child_table(node: UnionNode, period: Period, names: list[str]) -> tuple[list[str], list[dict]]:
    ks = [
        catalogue.CATALOGUE[n] for n in names if n in catalogue.CATALOGUE and catalogue.CATALOGUE[n].available
    ]
    columns = [str(k.label) for k in ks]
    per_kpi = [kpi_by_child(k, node, period) for k in ks]
    rows: dict[object, dict] = {}
    for k, col in zip(ks, per_kpi, strict=True):
        for r in col:
            key = r["node"].pk if r["node"] else None
            row = rows.setdefault(key, {"name": r["node"].name if r["node"] else _("本级"), "cells": {}})
            row["cells"][k.name] = display(r["value"], k.unit)
    out = [{"name": r["name"], "cells": [r["cells"].get(k.name, "—") for k in ks]} for r in rows.values()]
    return columns, out


CHILD_KPIS = [
    "members.active",
    "members.new",
    "members.new_form_share",
    "assist.open_files",
    "assist.paid_fen",
    "benefits.slots_claimed",
]


def report_context(node: UnionNode, period: Period) -> dict:
    """Everything the PDF shows; the rollup states are read once for the whole report (review #17)."""
    with states_scope():
        return _report_context(node, period)


def _report_context(node: UnionNode, period: Period) -> dict:
    comparison = period.comparison()
    table = kpi_table(node, period)
    columns, children = child_table(node, period, CHILD_KPIS)
    active = catalogue.CATALOGUE["members.active"]
    by_child = kpi_by_child(active, node, period)
    bars = (
        bar_chart(
            [r["node"].name if r["node"] else str(_("本级")) for r in by_child],
            [r["value"] for r in by_child],
        )
        if by_child
        else ""
    )
    trend = kpi_trend(["members.active", "members.new"], node, period.last, 12)
    months = [f"{m:%Y-%m}" for m, _v in trend["members.active"]]
    running = period.last == this_month()
    lines = line_chart(
        months,
        [(str(catalogue.CATALOGUE[n].label), [v for _m, v in vals]) for n, vals in trend.items()],
        running_label=(_("%(month)s 尚未结束，数据截至 %(day)s") % {
            "month": months[-1], "day": f"{timezone.localdate():%m-%d}"}) if running and months else "",
    )
    stamp = as_of([k.name for k in catalogue.stored_kpis() if k.available])
    return {
        "node": node,
        "period": period,
        "compare_label": comparison.label,
        "column_label": comparison.column_label,
        "table": table,
        "child_columns": columns,
        "children": children,
        "bar_svg": bars,
        "line_svg": lines,
        "as_of": stamp,
        "generated_at": timezone.localtime(),
    }


def kpi_table_xlsx(node: UnionNode, period: Period) -> bytes:
    """The KPI table (and each KPI's breakdown by child union and by dimension) as an .xlsx workbook.
    The rollup states are read once for the whole workbook (review #17)."""
    with states_scope():
        return _kpi_table_xlsx(node, period)


def _kpi_table_xlsx(node: UnionNode, period: Period) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False})
    bold = wb.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    cell = wb.add_format({"border": 1})
    num = wb.add_format({"border": 1, "num_format": "#,##0"})
    money = wb.add_format({"border": 1, "num_format": "#,##0.00"})
    pct = wb.add_format({"border": 1, "num_format": "0.0"})

    def fmt(unit: str):
        return money if unit == "fen" else pct if unit == "percent" else num

    def val(v, unit: str):
        if v is None:
            return ""
        return v / 100 if unit == "fen" else v

    ws = wb.add_worksheet(_("指标"))
    comparison = period.comparison()
    ws.write_row(0, 0, [_("工会"), node.name, _("期间"), period.label, comparison.label], bold)
    heads = [_("分类"), _("指标"), _("编码"), pgettext("unit of measure", "单位"), _("本期"), comparison.column_label,
             _("变化")]
    ws.write_row(2, 0, heads, bold)
    rows = kpi_table(node, period)
    for i, r in enumerate(rows, start=3):
        k = r["kpi"]
        ws.write_row(i, 0, [r["group"], str(k.label), k.name, k.unit_label()], cell)
        for j, key in enumerate(("value", "previous", "change")):
            ws.write(i, 4 + j, val(r[key], k.unit), fmt(k.unit))
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 22)
    ws.set_column(2, 2, 26)
    ws.set_column(3, 6, 12)

    ws2 = wb.add_worksheet(_("下级工会"))
    names = [k.name for k in catalogue.CATALOGUE.values() if k.available]
    ks = [catalogue.CATALOGUE[n] for n in names]
    ws2.write_row(0, 0, [_("工会")] + [f"{k.label}（{k.unit_label()}）" for k in ks], bold)
    per = [kpi_by_child(k, node, period) for k in ks]
    order: dict[object, str] = {}
    cells: dict[tuple[object, str], object] = {}
    for k, col in zip(ks, per, strict=True):
        for r in col:
            key = r["node"].pk if r["node"] else None
            order.setdefault(key, r["node"].name if r["node"] else _("本级"))
            cells[(key, k.name)] = r["value"]
    for i, (key, name) in enumerate(order.items(), start=1):
        ws2.write(i, 0, name, cell)
        for j, k in enumerate(ks, start=1):
            ws2.write(i, j, val(cells.get((key, k.name)), k.unit), fmt(k.unit))
    ws2.set_column(0, 0, 28)
    ws2.set_column(1, len(ks), 14)

    ws3 = wb.add_worksheet(_("分维度"))
    ws3.write_row(0, 0, [_("指标"), _("维度"), _("取值"), _("本期")], bold)
    i = 1
    for r in rows:
        k = r["kpi"]
        for _key, label, _text, v in r["dims"]:
            ws3.write_row(i, 0, [str(k.label), str(k.dimension.label), label], cell)
            ws3.write(i, 3, val(v, k.unit), fmt(k.unit))
            i += 1
    ws3.set_column(0, 2, 20)
    wb.close()
    return buf.getvalue()
