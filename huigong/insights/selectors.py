"""Reads of KPI figures for a node's subtree and a period, from the rollups or straight from the base
tables (the same sums either way), and the dashboard built from them. Every entry point that takes
an actor checks the view capability and that the node is inside the actor's subtree."""

from __future__ import annotations

import datetime as dt
import os
import threading
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.cache import cache
from django.db import connection, transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from huigong.accounts.models import Cap
from huigong.core.scope import require
from huigong.orgs.models import UnionNode
from huigong.orgs.selectors import node_get_for_actor

from . import kpis as catalogue
from .kpis import FLOW, RATIO, STOCK, Dialect, Kpi
from .models import RollupState
from .periods import Comparison, Period, month_add, month_end, this_month
from .rollups import CUT_TABLE, TABLE, cut_days, rollups_as_of, rollups_generation, tree_depth

ROLLUP, RAW, AUTO = "rollup", "raw", "auto"
STEP = UnionNode.steplen
Span = tuple[list[str], dt.date, dt.date]  # KPIs and the months (first..last) their rows are summed over


def insight_node_for_actor(actor, node_id: int | None) -> UnionNode:
    """The node a KPI page or call is about: the actor's own node by default; 404/403 outside."""
    staff = require(actor, Cap.VIEW)
    if node_id is None:
        return staff.node
    return node_get_for_actor(actor, node_id)


@dataclass
class KpiValue:
    kpi: Kpi
    value: float | int | None
    dims: dict[str, int] = field(default_factory=dict)

    @property
    def dims_labelled(self) -> list[tuple[str, str, int]]:
        dim = self.kpi.dimension
        if dim is None:
            return []
        labels = dim.choices()  # built once, not once per value
        return [(k, dim.label_of(k, labels), v) for k, v in sorted(self.dims.items(), key=lambda kv: -kv[1])]


# --- Low-level sums -----------------------------------------------------------------------------------


def _snapshot_month(period_last: dt.date) -> dt.date:
    return min(period_last, this_month())


def flow_months(period: Period) -> tuple[dt.date, dt.date]:
    """The months a flow KPI sums for the period: nothing has happened after this month yet, so a
    running year or quarter ("本年", "本季度") reads the rollups, which end with this month."""
    return period.first, max(period.first, min(period.last, this_month()))


def _rollup_ready(k: Kpi, first: dt.date, last: dt.date) -> bool:
    state = _states().get(k.name)
    return state is not None and state.built_for_depth() and state.first <= first and last <= state.last


def _cut_ready(k: Kpi, cut: dt.date) -> bool:
    """Whether the KPI's cut rows answer a comparison cut at `cut` (written for that day by the refresh)."""
    state = _states().get(k.name)
    return state is not None and state.built_for_depth() and state.cut_day is not None and cut in cut_days(state.cut_day)


class _Scope(threading.local):
    """What states_scope holds for the thread computing a page (a threaded server runs several)."""

    def __init__(self):
        self.d: dict = {}


_SCOPE = _Scope()


class _State(NamedTuple):
    first: dt.date  # the months the rollup covers
    last: dt.date
    cut_day: dt.date | None  # the day its cut rows were written for
    refreshed_at: dt.datetime
    tree_depth: int  # the depth down to which it has subtree rows

    def built_for_depth(self) -> bool:
        """Whether it has the subtree rows reads now expect: after HUIGONG_INSIGHTS_TREE_DEPTH was raised,
        the new level has none until the KPI is rebuilt (its figures come from the base tables till then)."""
        return self.tree_depth >= tree_depth()


def _states() -> dict[str, _State]:
    """What each KPI's rollup holds. Read once per dashboard or call (see states_scope)."""
    if "v" in _SCOPE.d:
        return _SCOPE.d["v"]
    return {
        kpi: _State(*rest)
        for kpi, *rest in RollupState.objects.values_list(
            "kpi", "first_month", "last_month", "cut_day", "refreshed_at", "tree_depth"
        )
    }


class states_scope:
    """Reads the rollup states once for everything computed inside (a dashboard asks dozens of times).

    On PostgreSQL the reads inside run in one transaction without parallel workers: they are small
    index reads, and for a UNION of two such reads the planner would start two workers, whose start-up
    (about 10 ms) is many times the read itself."""

    def __enter__(self):
        self._atomic = None
        if connection.vendor == "postgresql":
            self._atomic = transaction.atomic()
            self._atomic.__enter__()
            with connection.cursor() as cur:
                cur.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        _SCOPE.d = {}
        _SCOPE.d["v"] = _states()
        _SCOPE.d["nodes"] = {}  # subtree node lists, read once each (see _subtree_nodes)
        _SCOPE.d["children"] = {}  # child unions, read once each (see node_children_list)
        _SCOPE.d["sums"] = {}  # sums read ahead for several KPIs at once (see _prefetch_by_path)

    def __exit__(self, *exc):
        _SCOPE.d = {}
        if self._atomic is not None:
            return self._atomic.__exit__(*exc)


def _group_exprs(group: str, node: UnionNode, d: Dialect, *, raw: bool) -> str:
    if group == "total":
        return "'all'"
    if group == "dim":
        return "COALESCE(NULLIF(e.dim, ''), '-')" if raw else "r.dim"
    if group == "child":
        return f"substr(n.path, 1, {len(node.path) + STEP})"
    if group == "grandchild":
        return f"substr(n.path, 1, {len(node.path) + 2 * STEP})"
    if group == "month":
        return d.month_of("e.day") if raw else "r.month"
    raise ValueError(group)


def _subtree_nodes(node: UnionNode, max_depth: int | None = None) -> list[tuple[int, str, int, str]]:
    """(id, path, depth, name) of node and its descendants (down to max_depth)."""
    memo = _SCOPE.d.get("nodes")
    key = (node.path, max_depth)
    if memo is not None and key in memo:
        return memo[key]
    qs = UnionNode.objects.filter(path__startswith=node.path)
    if max_depth is not None:
        qs = qs.filter(depth__lte=max_depth)
    found = list(qs.values_list("id", "path", "depth", "name"))
    if memo is not None:
        memo[key] = found
    return found


def _ids_in(ids: list[int]) -> tuple[str, list]:
    """`= ANY(%s)` with one array parameter on PostgreSQL (the planner then walks the node index for
    exactly these nodes, instead of reading a KPI's rows nationwide and joining); an IN list elsewhere."""
    if connection.vendor == "postgresql":
        return "= ANY(%s)", [list(ids)]
    if not ids:
        return "IN (NULL)", []
    return f"IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _scope_where(node: UnionNode) -> tuple[str, list]:
    """The condition on rows (of the rollups or the cut rows) that add up to node's subtree: its
    subtree row when it is near the top of the tree, else the own rows of every node in the subtree
    (listed by id)."""
    if node.depth <= tree_depth():
        return "r.subtree AND r.node_id = %s", [node.pk]
    cond, params = _ids_in([pk for pk, _path, _depth, _name in _subtree_nodes(node)])
    return f"NOT r.subtree AND r.node_id {cond}", params


def _select_spans(cols: str, where: str, where_p: list, spans: list[Span]) -> tuple[str, list]:
    """SELECT cols of the rollup rows matching `where` in each span, one branch per span joined by
    UNION ALL: each branch keeps its KPIs and months as index conditions (an OR of spans made
    PostgreSQL read every KPI's rows of the nodes and filter)."""
    parts, params = [], []
    for names, first, last in spans:
        if names:
            marks = ", ".join(["%s"] * len(names))
            parts.append(
                f"SELECT {cols} FROM {TABLE} r WHERE {where} AND r.kpi IN ({marks}) "
                "AND r.month >= %s AND r.month <= %s"
            )
            params += [*where_p, *names, first, last]
    return " UNION ALL ".join(parts), params


def _rollup_sum(
    names: list[str], node: UnionNode, *, first: dt.date, last: dt.date, group: str
) -> dict[tuple[str, str], int]:
    return _rollup_spans([(names, first, last)], node, group=group)


def _rollup_spans(spans: list[Span], node: UnionNode, *, group: str) -> dict[tuple[str, str], int]:
    """{(kpi, key): sum} of the rollup rows in the spans over node's subtree, grouped by 'total', 'dim',
    'month', 'child' or 'grandchild' (the key is then a path: the child's, or the node's own rows)."""
    # A KPI with a dimension has a row per value and no total row; one without has one row ('').
    if group in ("total", "dim", "month"):
        g = {"total": "'all'", "dim": "r.dim", "month": "r.month"}[group]
        where, params = _scope_where(node)
        rows, params = _select_spans(f"r.kpi, {g} AS g, r.value", where, params, spans)
        sql = f"SELECT x.kpi, x.g, SUM(x.value) FROM ({rows}) x GROUP BY x.kpi, x.g"
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return {(kpi, str(key)): int(v or 0) for kpi, key, v in cur.fetchall()}
    # By child ('child') or grandchild: sums per node, added up by the path prefix in Python.
    levels = 1 if group == "child" else 2
    target = node.depth + levels
    if target <= tree_depth():
        # Own rows of the nodes above the target level, and the subtree rows of the target level;
        # each keeps its own path as the key.
        nodes = _subtree_nodes(node, max_depth=target)
        own_in, own_p = _ids_in([pk for pk, _p, d, _n in nodes if d < target])
        sub_in, sub_p = _ids_in([pk for pk, _p, d, _n in nodes if d == target])
        where = f"((NOT r.subtree AND r.node_id {own_in}) OR (r.subtree AND r.node_id {sub_in}))"
        params, width = [*own_p, *sub_p], None
    else:
        nodes = _subtree_nodes(node)
        ids_in, params = _ids_in([pk for pk, _p, _d, _n in nodes])
        where, width = f"NOT r.subtree AND r.node_id {ids_in}", len(node.path) + levels * STEP
    paths = {pk: path for pk, path, _d, _n in nodes}
    rows, params = _select_spans("r.kpi, r.node_id, r.value", where, params, spans)
    sql = f"SELECT x.kpi, x.node_id, SUM(x.value) FROM ({rows}) x GROUP BY x.kpi, x.node_id"
    out: dict[tuple[str, str], int] = {}
    with connection.cursor() as cur:
        cur.execute(sql, params)
        for kpi, node_id, v in cur.fetchall():
            key = (kpi, paths[node_id][:width] if width else paths[node_id])
            out[key] = out.get(key, 0) + int(v or 0)
    return out


def _raw_sum(
    k: Kpi, node: UnionNode, *, first: dt.date | None, last_day: dt.date, group: str
) -> dict[str, int]:
    d = Dialect()
    g = _group_exprs(group, node, d, raw=True)
    cond = f"e.day <= {d.date(last_day)}" + (f" AND e.day >= {d.date(first)}" if first else "")
    if group in ("child", "grandchild"):  # grouped by the node's path
        source, params = "JOIN orgs_unionnode n ON n.id = e.node_id WHERE n.path LIKE %s", [node.path + "%"]
    else:
        # Named by id, the subtree's nodes are a condition the planner pushes into the event query
        # (through its UNION ALL): only the subtree's rows are read on, e.g. joined to their people,
        # instead of every row of the days nationwide before a join to the tree drops the others.
        ids, params = _ids_in([pk for pk, _path, _depth, _name in _subtree_nodes(node)])
        source = f"WHERE e.node_id {ids}"
    sql = (
        f"SELECT {g}, SUM(e.amount) FROM ({k.events(d)}) e {source} AND e.day IS NOT NULL AND {cond}"
        + ("" if group == "total" else f" GROUP BY {g}")
    )
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return {str(key): int(v or 0) for key, v in cur.fetchall()}


def kpi_sums(
    k: Kpi, node: UnionNode, period: Period, *, group: str = "total", source: str = AUTO
) -> dict[str, int]:
    """A stored KPI summed over node's subtree for the period (flows) or as of its end (stocks),
    grouped by 'total', 'dim', 'child' (child path prefix) or 'grandchild'."""
    memo = _SCOPE.d.get("sums")
    if memo is not None and (k.name, node.pk, period, group, source) in memo:
        return memo[(k.name, node.pk, period, group, source)]
    first, last = _months_of(k, period)
    if source == AUTO:
        source = ROLLUP if _rollup_ready(k, first, last) else RAW
    if source == ROLLUP:
        rows = _rollup_sum([k.name], node, first=first, last=last, group=group)
        return {key: v for (_kpi, key), v in rows.items()}
    raw_first = period.first if k.kind == FLOW else None
    return _raw_sum(
        k, node, first=raw_first, last_day=month_end(last) if k.kind == STOCK else period.end, group=group
    )



class KpiReader:
    """What a KPI's `compute` may read (core/kpi.py): the stored sums of other KPIs, by name, and periods."""

    @staticmethod
    def sums(name: str, node: UnionNode, period: Period, *, group: str = "total", source: str = AUTO) -> dict[str, int]:
        return kpi_sums(catalogue.CATALOGUE[name], node, period, group=group, source=source)

    @staticmethod
    def period(kind: str, first: dt.date, last: dt.date) -> Period:
        return Period(kind, first, last)


READER = KpiReader()

def _months_of(k: Kpi, period: Period) -> tuple[dt.date, dt.date]:
    """The months of rollup rows a stored KPI's figure for the period adds up."""
    if k.kind == FLOW:
        return flow_months(period)
    snap = _snapshot_month(period.last)
    return snap, snap


def _prefetch_by_path(ks: list[Kpi], node: UnionNode, period: Period, source: str) -> None:
    """Reads the grandchild sums of several stored KPIs in one query (when all are rolled up for the
    period) and keeps them, and the child sums added up from them, for kpi_sums inside states_scope:
    the dashboard's by-child table and treemap then cost one query instead of three."""
    memo = _SCOPE.d.get("sums")
    if memo is None or source == RAW:
        return
    spans = [([k.name], *_months_of(k, period)) for k in ks]
    if source == AUTO and not all(_rollup_ready(k, first, last) for k, (_n, first, last) in zip(ks, spans)):
        return
    rows = _rollup_spans(spans, node, group="grandchild")
    width = len(node.path) + STEP
    for k in ks:
        grand = {key: v for (kpi, key), v in rows.items() if kpi == k.name}
        child: dict[str, int] = {}
        for path, v in grand.items():
            child[path[:width]] = child.get(path[:width], 0) + v
        memo[(k.name, node.pk, period, "grandchild", source)] = grand
        memo[(k.name, node.pk, period, "child", source)] = child


def kpi_value(
    k: Kpi, node: UnionNode, period: Period, *, source: str = AUTO, with_dims: bool = True
) -> KpiValue:
    if k.kind == RATIO:
        if k.compute is not None:
            return KpiValue(k, k.compute(node, period, source, READER), {})
        num_name, num_dims, den_name, den_dims = k.ratio_of
        num = _part(catalogue.CATALOGUE[num_name], num_dims, node, period, source)
        den = _part(catalogue.CATALOGUE[den_name], den_dims, node, period, source)
        return KpiValue(k, round(num * 100 / den, 1) if den else None, {})
    if with_dims and k.dimension is not None:
        dims = kpi_sums(k, node, period, group="dim", source=source)
        return KpiValue(k, sum(dims.values()), {key: v for key, v in dims.items() if v})
    return KpiValue(k, kpi_sums(k, node, period, source=source).get("all", 0), {})


def _part(k: Kpi, dims: frozenset[str] | None, node: UnionNode, period: Period, source: str) -> int:
    if dims is None:
        return kpi_sums(k, node, period, source=source).get("all", 0)
    return sum(v for key, v in kpi_sums(k, node, period, group="dim", source=source).items() if key in dims)


def kpi_values(
    names: list[str], node: UnionNode, period: Period, *, source: str = AUTO
) -> dict[str, KpiValue]:
    return {n: kpi_value(catalogue.CATALOGUE[n], node, period, source=source) for n in names}


def node_children_list(node: UnionNode) -> list[UnionNode]:
    memo = _SCOPE.d.get("children")
    if memo is not None and node.path in memo:
        return memo[node.path]
    found = list(UnionNode.objects.filter(path__startswith=node.path, depth=node.depth + 1).order_by("path"))
    if memo is not None:
        memo[node.path] = found
    return found


def kpi_by_child(k: Kpi, node: UnionNode, period: Period, *, source: str = AUTO) -> list[dict]:
    """The KPI for each child's subtree, and for the node's own rows (本级) when it has any."""
    children = node_children_list(node)
    if k.kind == RATIO:
        out = []
        for child in children:
            v = kpi_value(k, child, period, source=source).value
            out.append({"node": child, "value": v})
        return out
    sums = kpi_sums(k, node, period, group="child", source=source)
    out = [{"node": c, "value": sums.get(c.path, 0)} for c in children]
    own = sums.get(node.path, 0)
    if own:
        out.insert(0, {"node": None, "value": own})
    return out


def kpi_trend(
    names: list[str], node: UnionNode, last_month: dt.date, months: int = 12, *, source: str = AUTO
) -> dict[str, list[tuple[dt.date, int]]]:
    """Month by month values for the `months` months ending with last_month (flows: the month's sum;
    stocks: the month-end value). One query per kind from the rollups."""
    last_month = min(last_month, this_month())
    first = month_add(last_month, -(months - 1))
    series = [month_add(first, i) for i in range(months)]
    out: dict[str, list[tuple[dt.date, int]]] = {}
    stored = [catalogue.CATALOGUE[n] for n in names]
    use_rollup = source == ROLLUP or (
        source == AUTO and all(_rollup_ready(k, first, last_month) for k in stored)
    )
    if use_rollup:
        rows = _rollup_sum([k.name for k in stored], node, first=first, last=last_month, group="month")
        for k in stored:
            out[k.name] = [(m, rows.get((k.name, str(m)), 0)) for m in series]
        return out
    for k in stored:
        if k.kind == FLOW:
            sums = _raw_sum(k, node, first=first, last_day=month_end(last_month), group="month")
            out[k.name] = [(m, sums.get(str(m), 0)) for m in series]
        else:
            base = _raw_sum(k, node, first=None, last_day=first - dt.timedelta(days=1), group="total").get(
                "all", 0
            )
            sums = _raw_sum(k, node, first=first, last_day=month_end(last_month), group="month")
            running, vals = base, []
            for m in series:
                running += sums.get(str(m), 0)
                vals.append((m, running))
            out[k.name] = vals
    return out


def kpi_tree(k: Kpi, node: UnionNode, period: Period, *, source: str = AUTO) -> list[dict]:
    """Two levels of the subtree under node with the KPI's value each (for a treemap)."""
    sums = kpi_sums(k, node, period, group="grandchild", source=source)
    paths = {p for p in sums if len(p) > len(node.path)}
    # The sums read the subtree's nodes (down to the grandchildren) with their names, except from
    # the base tables.
    known = {path: name for _pk, path, depth, name in _SCOPE.d.get("nodes", {}).get((node.path, node.depth + 2), [])}
    if not known:
        known = {path: name for _pk, path, _d, name in _SCOPE.d.get("nodes", {}).get((node.path, None), [])}
    wanted = {p[: len(node.path) + STEP] for p in paths} | paths
    if wanted <= known.keys():
        names = {p: known[p] for p in wanted}
    else:
        names = dict(UnionNode.objects.filter(path__in=wanted).values_list("path", "name"))
    kids: dict[str, dict] = {}
    for path, v in sums.items():
        if len(path) <= len(node.path) or v <= 0:
            continue
        cpath = path[: len(node.path) + STEP]
        child = kids.setdefault(cpath, {"name": names.get(cpath, cpath), "value": 0, "children": []})
        child["value"] += v
        if len(path) > len(cpath):
            child["children"].append({"name": names.get(path, path), "value": v})
    for child in kids.values():
        own = child["value"] - sum(c["value"] for c in child["children"])
        if child["children"] and own > 0:
            child["children"].append({"name": str(_("本级")), "value": own})
        child["children"].sort(key=lambda c: -c["value"])
        if not child["children"]:
            del child["children"]
    return sorted(kids.values(), key=lambda c: -c["value"])


def kpi_source(names: list[str], period: Period) -> str:
    """ROLLUP when every base KPI of names is answered from the rollups for the period, else RAW."""
    bases = {b for n in names for b in catalogue.base_names(catalogue.CATALOGUE[n])}
    for b in bases:
        k = catalogue.CATALOGUE[b]
        if not _rollup_ready(k, *_months_of(k, period)):
            return RAW
    return ROLLUP


def as_of(names: list[str]) -> dt.datetime | None:
    """The oldest refresh among the named KPIs (None when one was never rolled up)."""
    if "v" not in _SCOPE.d:
        return rollups_as_of(names)
    states = {n: st.refreshed_at for n, st in _states().items() if n in names}
    if not names or any(n not in states for n in names):
        return None
    return min(states.values())


# --- The dashboard --------------------------------------------------------------------------------------


def headline_kpis() -> list[Kpi]:
    return [k for k in catalogue.CATALOGUE.values() if k.headline and k.available]


def _change(cur, prev) -> dict:
    if cur is None or prev is None:
        return {"delta": None, "pct": None}
    delta = round(cur - prev, 1) if isinstance(cur, float) or isinstance(prev, float) else cur - prev
    pct = round((cur - prev) * 100 / prev, 1) if prev else None
    return {"delta": delta, "pct": pct}


def answer_cache_on() -> bool:
    """False when HUIGONG_INSIGHTS_CACHE=0: benchmarks measure the rollup queries themselves."""
    return os.environ.get("HUIGONG_INSIGHTS_CACHE", "1") != "0"


def dashboard_data(node: UnionNode, period: Period, *, source: str = AUTO) -> dict:
    """Everything the dashboard shows for node's subtree and the period. Cached per rollup generation:
    the answer only changes when a rollup is rebuilt."""
    if not answer_cache_on():
        return _dashboard_data(node, period, source=source)
    key = f"insights:dash:{node.pk}:{node.path}:{period.key}:{source}:{get_language()}:{rollups_generation()}"
    data = cache.get(key)
    if data is None:
        data = _dashboard_data(node, period, source=source)
        cache.set(key, data, 600)
    return data


def bulk_values(
    names: list[str], node: UnionNode, period: Period, *, source: str = AUTO
) -> dict[str, KpiValue]:
    """kpi_value for many KPIs at once: from the rollups in two queries (flows over the period's months,
    stocks at its end) when all are rolled up for the period, else one KPI at a time."""
    ks = [catalogue.CATALOGUE[n] for n in names]
    bases = {b for k in ks for b in catalogue.base_names(k)}
    stored = [catalogue.CATALOGUE[b] for b in sorted(bases)]
    snap = _snapshot_month(period.last)
    f_first, f_last = flow_months(period)
    ready = source == ROLLUP or (source == AUTO and all(_rollup_ready(k, *_months_of(k, period)) for k in stored))
    if not ready:
        return {n: kpi_value(catalogue.CATALOGUE[n], node, period, source=source) for n in names}
    sums: dict[str, dict[str, int]] = {k.name: {} for k in stored}
    spans = [
        ([k.name for k in stored if k.kind == FLOW], f_first, f_last),
        ([k.name for k in stored if k.kind == STOCK], snap, snap),
    ]
    for kpi, dim, v in _span_sums(node, spans):
        sums[kpi][dim] = v
    return _values_from_sums(ks, sums, node, period, source)


def _span_sums(
    node: UnionNode, spans: list[Span], *, cut: dt.date | None = None, cut_names: list[str] | None = None
) -> list[tuple[str, str, int]]:
    """(kpi, dim, sum) over node's subtree of the rollup rows in the spans, plus, with `cut`, the cut rows
    of cut_names at that cut: one query, however many kinds of period the figures need."""
    parts, params = [], []
    if any(names for names, _a, _b in spans):
        where, where_p = _scope_where(node)
        rows, params = _select_spans("r.kpi, r.dim, r.value", where, where_p, spans)
        parts.append(rows)
    if cut is not None and cut_names:
        where, where_p = _scope_where(node)
        parts.append(
            f"SELECT r.kpi, r.dim, r.value FROM {CUT_TABLE} r WHERE {where} "
            f"AND r.kpi IN ({', '.join(['%s'] * len(cut_names))}) AND r.cut = %s"
        )
        params += [*where_p, *cut_names, cut]
    if not parts:
        return []
    sql = f"SELECT x.kpi, x.dim, SUM(x.value) FROM ({' UNION ALL '.join(parts)}) x GROUP BY x.kpi, x.dim"
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return [(kpi, dim, int(v or 0)) for kpi, dim, v in cur.fetchall()]


def _values_from_sums(
    ks: list[Kpi], sums: dict[str, dict[str, int]], node: UnionNode, period: Period, source: str
) -> dict[str, KpiValue]:
    """KpiValues of `ks` from their stored bases' sums ({kpi: {dim or '' for the total: value}}): stored
    KPIs as summed, ratios from their parts, computed KPIs by their own function over `period`."""
    out: dict[str, KpiValue] = {}
    for k in ks:
        if k.stored:
            got = sums[k.name]
            dims = {d: v for d, v in got.items() if d and v}
            out[k.name] = KpiValue(k, sum(got.values()), dims if k.dimension is not None else {})
        elif k.compute is not None:
            out[k.name] = KpiValue(k, k.compute(node, period, source, READER), {})
        else:
            num_name, num_dims, den_name, den_dims = k.ratio_of

            def part(name, dims):
                got = sums[name]
                return sum(v for d, v in got.items() if dims is None or d in dims)

            num, den = part(num_name, num_dims), part(den_name, den_dims)
            out[k.name] = KpiValue(k, round(num * 100 / den, 1) if den else None, {})
    return out


def comparison_values(
    names: list[str], node: UnionNode, comparison: Comparison, *, source: str = AUTO
) -> dict[str, KpiValue]:
    """The figures a period is compared with (see Period.comparison): bulk_values of the previous
    period, or, when it is cut at a day, flows from its first day to the cut and stocks as of the cut.
    Rollups are by month: the whole months before the cut's month come from them (flows summed, stocks
    at that month's end), the cut month's days up to the cut from the cut rows written for today's cuts
    (rollups.cut_days), else from the base tables."""
    prev, cut = comparison.period, comparison.cut
    if cut is None or cut == prev.end:  # whole months: the rollups alone
        return bulk_values(names, node, prev, source=source)
    ks = [catalogue.CATALOGUE[n] for n in names]
    bases = [catalogue.CATALOGUE[b] for b in sorted({b for k in ks for b in catalogue.base_names(k)})]
    cut_month = cut.replace(day=1)
    before_cut = month_add(cut_month, -1)
    sums: dict[str, dict[str, int]] = {}
    flows = [k.name for k in bases if k.kind == FLOW]
    stocks = [k.name for k in bases if k.kind == STOCK]
    flow_span = (flows, prev.first, before_cut) if cut_month > prev.first else ([], prev.first, before_cut)
    if source != RAW and all(
        _cut_ready(k, cut)
        and (_rollup_ready(k, *flow_span[1:]) if k.kind == FLOW else _rollup_ready(k, before_cut, before_cut))
        for k in bases
    ):
        # The whole months and the cut month's days, all from rows kept for them: one query.
        sums = {k.name: {} for k in bases}
        for kpi, dim, v in _span_sums(node, [flow_span, (stocks, before_cut, before_cut)], cut=cut,
                                      cut_names=[k.name for k in bases]):
            if v:
                sums[kpi][dim] = v
        return _values_from_sums(ks, sums, node, prev, source)
    whole: dict[str, KpiValue] = {}
    if flows and cut_month > prev.first:
        whole.update(bulk_values(flows, node, Period("range", prev.first, before_cut), source=source))
    if stocks:
        whole.update(bulk_values(stocks, node, Period("month", before_cut, before_cut), source=source))
    cut_rows = None
    if source != RAW and all(_cut_ready(k, cut) for k in bases):
        cut_rows = {}
        for kpi, dim, v in _span_sums(node, [], cut=cut, cut_names=[k.name for k in bases]):
            cut_rows.setdefault(kpi, {})[dim] = v
    for k in bases:
        got = whole.get(k.name)
        dims = dict(got.dims) if got is not None else {}
        total = got.value if got is not None else 0
        if cut_rows is not None:
            rows = cut_rows.get(k.name, {})
            days = {d: v for d, v in rows.items() if d} if k.dimension is not None else {"all": rows.get("", 0)}
        else:
            days = _raw_sum(
                k, node, first=cut_month, last_day=cut, group="dim" if k.dimension is not None else "total"
            )
        for key, v in days.items():
            total += v
            if k.dimension is not None:
                dims[key] = dims.get(key, 0) + v
        sums[k.name] = {d: v for d, v in dims.items() if v} if k.dimension is not None else {"": total}
    # A computed ratio defines its own span (budget use: 1 January to the period's end), in whole months:
    # the previous period uncut.
    return _values_from_sums(ks, sums, node, prev, source)


def _dashboard_data(node: UnionNode, period: Period, *, source: str) -> dict:
    with states_scope():
        return _dashboard_data_inner(node, period, source=source)


def _dashboard_data_inner(node: UnionNode, period: Period, *, source: str) -> dict:
    comparison = period.comparison()
    prev = comparison.period
    heads = headline_kpis()
    section_names = [
        k.name
        for g in catalogue.GROUP_LABELS
        if g != "members"
        for k in catalogue.kpis_of_group(g)
        if k.available
    ]
    extra = [
        n
        for n in ("assist.open_files", "assist.open_causes", "members.active")
        if n in catalogue.CATALOGUE and catalogue.CATALOGUE[n].available
    ]
    now_values = bulk_values(
        list(dict.fromkeys([k.name for k in heads] + section_names + extra)), node, period, source=source
    )
    prev_values = comparison_values([k.name for k in heads], node, comparison, source=source)
    cards = []
    for k in heads:
        cur, before = now_values[k.name], prev_values[k.name]
        cards.append(
            {
                "name": k.name,
                "label": str(k.label),
                "unit": k.unit,
                "unit_label": k.unit_label(),
                "kind": k.kind,
                "value": cur.value,
                "previous": before.value,
                **_change(cur.value, before.value),
            }
        )
    trend_names = ["members.active", "members.new"]
    trend = kpi_trend(trend_names, node, period.last, 12, source=source)
    active = catalogue.CATALOGUE["members.active"]
    new = catalogue.CATALOGUE["members.new"]
    # The treemap's grandchild sums give the by-child figures too; new members' by-child figures come
    # along in the same query unless its children have subtree rows and its grandchildren do not (a
    # city): there a separate read of the children's rows is far cheaper than every union's own rows.
    cheap_together = node.depth + 2 <= tree_depth() or node.depth + 1 > tree_depth()
    _prefetch_by_path([active, new] if cheap_together else [active], node, period, source)
    # Merged by union, not zipped: the 本级 row is there only when the KPI has own rows, so it can be
    # in one list and not the other (a union with members but none new in the period).
    children: dict[int | None, dict] = {}
    for field_name, rows in (
        ("active", kpi_by_child(active, node, period, source=source)),
        ("new", kpi_by_child(new, node, period, source=source)),
    ):
        for row in rows:
            c = row["node"]
            entry = children.setdefault(
                c.pk if c else None,
                {
                    "id": c.pk if c else None,
                    "name": c.name if c else str(_("本级")),
                    "has_children": bool(c and c.numchild),
                    "active": 0,
                    "new": 0,
                },
            )
            entry[field_name] = row["value"]
    mix = now_values["members.active"]
    data = {
        "node": {"id": node.pk, "name": node.name},
        "period": {
            "key": period.key,
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "previous_label": prev.label,
            "previous_end": comparison.end.isoformat(),
            "compare_label": comparison.label,
            "change_label": comparison.change_label,
        },
        "cards": cards,
        "trend": {
            "months": [f"{m:%Y-%m}" for m, _v in next(iter(trend.values()), [])],
            "series": [
                {"name": n, "label": str(catalogue.CATALOGUE[n].label), "values": [v for _m, v in vals]}
                for n, vals in trend.items()
            ],
        },
        "children": sorted(children.values(), key=lambda c: c["id"] is not None),
        "treemap": kpi_tree(active, node, period, source=source),
        "mix": [{"key": key, "name": label, "value": v} for key, label, v in mix.dims_labelled],
        "sections": _service_sections(now_values),
        "assist_mix": _assist_mix(now_values),
        "as_of": None,
    }
    stored = [k.name for k in catalogue.stored_kpis() if k.available]
    stamp = as_of(stored)
    data["source"] = source if source != AUTO else kpi_source(stored, period)
    data["as_of"] = stamp.isoformat() if stamp and data["source"] == ROLLUP else None
    return data


def _assist_mix(values: dict[str, KpiValue]) -> dict | None:
    """Open hardship files by level and by cause at the period's end (None without the assistance app)."""
    if "assist.open_files" not in values or "assist.open_causes" not in values:
        return None
    lv, cs = values["assist.open_files"], values["assist.open_causes"]
    return {
        "level": [{"key": a, "name": b, "value": c} for a, b, c in lv.dims_labelled],
        "cause": [{"key": a, "name": b, "value": c} for a, b, c in cs.dims_labelled],
    }


def _service_sections(values: dict[str, KpiValue]) -> list[dict]:
    """KPI tables of the other groups (orgs, assistance, benefits, joining) with their dimension mix."""
    out = []
    for group, label in catalogue.GROUP_LABELS.items():
        if group == "members":
            continue
        ks = [k for k in catalogue.kpis_of_group(group) if k.available]
        if not ks:
            continue
        rows = []
        for k in ks:
            v = values[k.name]
            rows.append(
                {
                    "name": k.name,
                    "label": str(k.label),
                    "unit": k.unit,
                    "unit_label": k.unit_label(),
                    "value": v.value,
                    "dims": [{"key": a, "name": b, "value": c} for a, b, c in v.dims_labelled],
                }
            )
        out.append({"group": group, "label": str(label), "rows": rows})
    return out


# --- Reports ---------------------------------------------------------------------------------------------


def report_list_for_actor(actor, *, node: UnionNode | None = None):
    from huigong.core.scope import root_path

    from .models import Report

    require(actor, Cap.VIEW)
    prefix = node.path if node is not None else root_path(actor)
    return Report.objects.filter(node__path__startswith=prefix).select_related("node", "created_by")


def report_get_for_actor(actor, report_id: int):
    from django.http import Http404

    from huigong.core.scope import ensure_path_in_scope

    from .models import Report

    require(actor, Cap.VIEW)
    try:
        report = Report.objects.select_related("node").get(pk=report_id)
    except (Report.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    ensure_path_in_scope(actor, report.node.path)
    return report
