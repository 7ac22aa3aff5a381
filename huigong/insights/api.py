"""The router this app adds to /api/v1/ (declared in apps.py, mounted by huigong/api/api.py).

GET /api/v1/kpis            the catalogue
GET /api/v1/kpis/{name}     one KPI for a node's subtree and a period: value, previous period, change,
                            dimension values and the breakdown by child union
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema

from huigong.api.auth import actor_of
from huigong.api.schemas import MAX_ID, Input, responses

from . import kpis as catalogue
from .periods import parse_period
from .rollups import rollups_pending
from .selectors import (
    ROLLUP,
    as_of,
    comparison_values,
    insight_node_for_actor,
    kpi_by_child,
    kpi_source,
    kpi_value,
)

router = Router()


class DimensionOut(Schema):
    name: str
    label: str
    values: dict[str, str]


class KpiOut(Schema):
    name: str
    label: str
    unit: str = Field(
        ..., description=gettext_lazy("单位：person、fen（整数，单位为分）、count、percent、household、visit、slot")
    )
    unit_label: str
    kind: str = Field(
        ..., description="flow: sum over the period; stock: value at its end; ratio: percentage"
    )
    group: str
    description: str
    dimension: DimensionOut | None
    sources: list[str]


def _kpi_out(k) -> dict:
    return {
        "name": k.name,
        "label": str(k.label),
        "unit": k.unit,
        "unit_label": k.unit_label(),
        "kind": k.kind,
        "group": k.group,
        "description": str(k.description),
        "sources": list(k.sources),
        "dimension": None
        if k.dimension is None
        else {"name": k.dimension.name, "label": str(k.dimension.label), "values": k.dimension.choices()},
    }


class PeriodOut(Schema):
    key: str
    label: str
    start: str
    end: str


class DimValueOut(Schema):
    key: str
    label: str
    value: float


class ChildValueOut(Schema):
    node_id: int | None = Field(None, description=gettext_lazy("下级工会；null 表示本级直属"))
    name: str
    value: float | None


class KpiValueOut(Schema):
    kpi: KpiOut
    node_id: int
    node_name: str
    period: PeriodOut
    previous_period: PeriodOut = Field(description=(
        gettext_lazy("对比期间；本期尚未结束时截至上期同一天")))
    compare_label: str
    value: float | None
    previous: float | None
    change: float | None
    dimensions: list[DimValueOut]
    children: list[ChildValueOut]
    as_of: str | None = Field(
        None, description=gettext_lazy("汇总数据更新时间；null 表示直接取自业务表")
    )
    source: str = Field(description=gettext_lazy("rollup：取自汇总表；raw：直接取自业务表"))
    pending: bool = Field(description=gettext_lazy("有新数据待汇总"))


class KpiQuery(Input):
    node: int | None = Field(None, ge=1, le=MAX_ID, description=gettext_lazy("工会 id，默认为调用者所在工会"))
    period: str = Field("", max_length=32, description="2025-03、2025-Q1、2025 或 2025-01:2025-06；默认本年")


def _period_out(p) -> dict:
    return {"key": p.key, "label": str(p.label), "start": p.start.isoformat(), "end": p.end.isoformat()}


@router.get("", response=responses({200: list[KpiOut]}), summary=gettext_lazy("指标目录"))
def kpi_catalogue(request):
    insight_node_for_actor(actor_of(request), None)  # any staff role with the view capability
    return [_kpi_out(k) for k in catalogue.CATALOGUE.values() if k.available]


@router.get(
    "/{name}",
    response=responses({200: KpiValueOut}),
    summary=gettext_lazy("某工会及其下级在某期间的指标值"),
)
def kpi_get(request, name: str, filters: Query[KpiQuery]):
    actor = actor_of(request)
    node = insight_node_for_actor(actor, filters.node)
    k = catalogue.get(name)
    if k is None or not k.available:
        raise Http404
    period = parse_period(filters.period)
    comparison = period.comparison()
    cur = kpi_value(k, node, period)
    before = comparison_values([k.name], node, comparison)[k.name]
    change = None
    if cur.value is not None and before.value is not None:
        change = round(cur.value - before.value, 1)
    source = kpi_source([k.name], period)
    stamp = as_of(catalogue.base_names(k)) if source == ROLLUP else None
    return {
        "kpi": _kpi_out(k),
        "node_id": node.pk,
        "node_name": node.name,
        "period": _period_out(period),
        "previous_period": {**_period_out(comparison.period), "end": comparison.end.isoformat()},
        "compare_label": comparison.label,
        "value": cur.value,
        "previous": before.value,
        "change": change,
        "dimensions": [{"key": a, "label": b, "value": c} for a, b, c in cur.dims_labelled],
        "children": [
            {
                "node_id": r["node"].pk if r["node"] else None,
                "name": r["node"].name if r["node"] else _("本级"),
                "value": r["value"],
            }
            for r in kpi_by_child(k, node, period)
        ],
        "as_of": stamp.isoformat() if stamp else None,
        "source": source,
        "pending": rollups_pending(catalogue.base_names(k)),
    }
