"""Rebuilding the rollup rows from the KPI event sources: one set-based INSERT … SELECT … GROUP BY per
KPI. On PostgreSQL the new rows go to a temporary table and only the difference is written (UPDATE
where the value changed, DELETE of rows that vanished, INSERT … ON CONFLICT of new ones), under a
transaction-level advisory lock per KPI so that concurrent refreshes of one KPI queue; on SQLite the
KPI's rows are deleted and re-inserted. Either way a node whose figure fell to zero loses its row.
On PostgreSQL a KPI already rolled up for the current window is refreshed incrementally
(_refresh_pg_delta): only the cells its changes since the stored rows reach are written."""

from __future__ import annotations

import datetime as dt
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from huigong.orgs.models import UnionNode

from . import kpis as catalogue
from .kpis import FLOW, Dialect, Kpi
from .models import RollupState
from .periods import month_add, month_end, months_between, this_month

TABLE = "insights_kpirollup"
CUT_TABLE = "insights_kpicutrollup"


def tree_depth() -> int:
    """Nodes down to this depth (national, province, city, district by default) also get subtree rows."""
    return int(getattr(settings, "HUIGONG_INSIGHTS_TREE_DEPTH", 4))


def _tree_sql(source: str, target: str, where: str = "", *, date_col: str = "month") -> str:
    """Subtree rows of the top nodes (depth <= tree_depth()) from own rows, in two steps: the own rows
    are summed once per node at the deepest kept level (their ancestor there, or the node itself when
    it is higher up), then those few sums are added up for every kept ancestor by an equi-join on the
    path prefix. (Joining every own row to each of its kept ancestors read the own rows once per level.)"""
    depth, step = tree_depth(), UnionNode.steplen
    levels = ", ".join(f"({i})" for i in range(1, depth + 1))
    return (
        f"WITH lv(d) AS (VALUES {levels}), "
        f"g AS (SELECT o.kpi, o.dim, o.{date_col} AS at, a.id, a.depth, a.path, SUM(o.value) AS value "
        f"  FROM {source} o JOIN orgs_unionnode nn ON nn.id = o.node_id "
        f"  JOIN orgs_unionnode a ON a.path = substr(nn.path, 1, {depth * step}) "
        f"  {where} GROUP BY o.kpi, o.dim, o.{date_col}, a.id, a.depth, a.path) "
        f"INSERT INTO {target} (kpi, dim, {date_col}, node_id, value, subtree) "
        f"SELECT g.kpi, g.dim, g.at, x.id, SUM(g.value), TRUE FROM g JOIN lv ON g.depth >= lv.d "
        f"JOIN orgs_unionnode x ON x.path = substr(g.path, 1, lv.d * {step}) "
        "GROUP BY g.kpi, g.dim, g.at, x.id"
    )


def cut_months_back() -> tuple[int, ...]:
    """How many months back from this month a running period's comparison is cut: 1 (本月 against
    last month), 3 (本季度) and 12 (本年). A running custom range of another length is compared from
    the base tables."""
    return tuple(sorted(set(getattr(settings, "HUIGONG_INSIGHTS_CUT_MONTHS", (1, 3, 12)))))


def cut_days(day: dt.date) -> list[dt.date]:
    """The days a running period's comparison is cut at on `day`: that day of the month in each of the
    months cut_months_back() before it (the month's last day when it is shorter)."""
    month = day.replace(day=1)
    out = []
    for n in cut_months_back():
        m = month_add(month, -n)
        out.append(m.replace(day=min(day.day, month_end(m).day)))
    return out


def cut_aggregate_sql(k: Kpi, d: Dialect, cuts: list[dt.date]) -> str:
    """SELECT of the KPI's cut rows (kpi, dim, cut, node_id, value): its events from each cut's first
    day of the month to the cut, per node and dimension value. Each range is an index condition on
    the source's day column where it has one."""
    dim = dim_expr(k, "e.dim")
    ranges = [(d.date(c.replace(day=1)), d.date(c)) for c in cuts]
    whens = " ".join(f"WHEN e.day >= {a} AND e.day <= {b} THEN {b}" for a, b in ranges)
    where = " OR ".join(f"(e.day >= {a} AND e.day <= {b})" for a, b in ranges)
    return (
        f"SELECT '{k.name}' AS kpi, {dim} AS dim, CASE {whens} END AS cut, e.node_id AS node_id, "
        f"SUM(e.amount) AS value FROM ({k.events(d)}) e WHERE {where} "
        "GROUP BY 2, 3, 4 HAVING SUM(e.amount) <> 0"
    )


def _refresh_cuts(cur, k: Kpi, d: Dialect, cuts: list[dt.date]) -> int:
    """Rewrites the KPI's cut rows: own rows per node and dimension value, subtree rows of the top
    levels. A few months' days, so deleted and inserted whole."""
    cur.execute(f"DELETE FROM {CUT_TABLE} WHERE kpi = %s", [k.name])
    cur.execute(
        f"INSERT INTO {CUT_TABLE} (kpi, dim, cut, node_id, value, subtree) "
        f"SELECT q.*, FALSE FROM ({cut_aggregate_sql(k, d, cuts)}) q"
    )
    rows = max(cur.rowcount, 0)
    cur.execute(
        _tree_sql(CUT_TABLE, CUT_TABLE, "WHERE o.kpi = %s AND NOT o.subtree", date_col="cut"), [k.name]
    )
    return rows + max(cur.rowcount, 0)


def window() -> tuple[dt.date, dt.date]:
    """The months rollups cover: from January HUIGONG_INSIGHTS_YEARS-1 years back to this month.
    Older periods are answered from the base tables."""
    years = int(getattr(settings, "HUIGONG_INSIGHTS_YEARS", 6))
    last = this_month()
    return dt.date(last.year - years + 1, 1, 1), last


@dataclass
class Refreshed:
    kpi: str
    rows: int
    seconds: float


BLANK_DIM = "-"


def dim_expr(k: Kpi, col: str) -> str:
    """A KPI without a dimension has dim '' (its one row per node and month); with one, a row per value
    and no total row (a total is the sum of the values' rows: storing it too made every refresh write,
    join and compare a sixth more rows). A blank value is stored as '-'."""
    if k.dimension is None:
        return "''"
    return f"COALESCE(NULLIF({col}, ''), '{BLANK_DIM}')"


def aggregate_sql(k: Kpi, d: Dialect, first: dt.date, last: dt.date) -> tuple[str, str]:
    """(WITH-prefix, SELECT) producing the KPI's rollup rows (kpi, dim, month, node_id, value) from its
    event source. The refresh inserts them; the benchmark runs the bare SELECT as the floor."""
    dim = dim_expr(k, "e.dim")
    if k.kind == FLOW:
        return "", (
            f"SELECT '{k.name}' AS kpi, {dim} AS dim, {d.month_of('e.day')} AS month, "
            f"e.node_id AS node_id, SUM(e.amount) AS value "
            f"FROM ({k.events(d)}) e WHERE e.day >= {d.date(first)} AND e.day <= {d.date(month_end(last))} "
            "GROUP BY 2, 3, 4 HAVING SUM(e.amount) <> 0"
        )
    # Stock: events before the window count in its first month; a running sum per (node, dim) over the
    # window's months then gives each month-end's value, months without events included.
    months = ", ".join([f"({d.date(m)})" for m in months_between(first, last)])
    month_expr = f"CASE WHEN e.day < {d.date(first)} THEN {d.date(first)} ELSE {d.month_of('e.day')} END"
    with_ = (
        f"WITH months(month) AS (VALUES {months}), "
        f"ev AS (SELECT e.node_id, {dim} AS dim, {month_expr} AS month, SUM(e.amount) AS amount "
        f"  FROM ({k.events(d)}) e WHERE e.day <= {d.date(month_end(last))} "
        f"  GROUP BY 1, 2, 3), "
        f"pairs AS (SELECT DISTINCT node_id, dim FROM ev), "
        f"cum AS (SELECT g.node_id, g.dim, mo.month, "
        f"  SUM(COALESCE(ev.amount, 0)) OVER (PARTITION BY g.node_id, g.dim ORDER BY mo.month) AS value "
        f"  FROM pairs g CROSS JOIN months mo "
        f"  LEFT JOIN ev ON ev.node_id = g.node_id AND ev.dim = g.dim AND ev.month = mo.month) "
    )
    return with_, f"SELECT '{k.name}' AS kpi, dim, month, node_id, value FROM cum WHERE value <> 0"


def _insert_sql(k: Kpi, d: Dialect, first: dt.date, last: dt.date) -> str:
    with_, select = aggregate_sql(k, d, first, last)
    return f"{with_}INSERT INTO {TABLE} (kpi, dim, month, node_id, value, subtree) SELECT q.*, FALSE FROM ({select}) q"


def refresh_kpi(k: Kpi, *, first: dt.date | None = None, last: dt.date | None = None) -> Refreshed:
    if not k.stored or k.events is None:
        raise ValueError(f"{k.name} is not a rolled-up KPI")
    w_first, w_last = window()
    first, last = first or w_first, last or w_last
    d = Dialect()
    started, t0 = timezone.now(), time.perf_counter()
    today = timezone.localdate()
    mark, recent = _audit_state(k, started)
    with transaction.atomic(), connection.cursor() as cur:
        if d.pg and _incremental_ok(k, first, last):
            rows = _refresh_pg_delta(cur, k, d, first, last, cut_days(today))
        elif d.pg:
            rows = _refresh_pg(cur, k, d, first, last, cut_days(today))
        else:
            cur.execute(f"DELETE FROM {TABLE} WHERE kpi = %s", [k.name])
            cur.execute(_insert_sql(k, d, first, last))
            rows = max(cur.rowcount, 0)
            cur.execute(_tree_sql(TABLE, TABLE, "WHERE o.kpi = %s AND NOT o.subtree"), [k.name])
            rows += max(cur.rowcount, 0)
            rows += _refresh_cuts(cur, k, d, cut_days(today))
        seconds = time.perf_counter() - t0
        RollupState.objects.update_or_create(
            kpi=k.name,
            defaults={
                "refreshed_at": started,
                "seconds": seconds,
                "rows": rows,
                "first_month": first,
                "last_month": last,
                "audit_mark": mark,
                "audit_recent": recent,
                "cut_day": today,
                "tree_depth": tree_depth(),
            },
        )
    return Refreshed(k.name, rows, seconds)


def _refresh_pg(cur, k: Kpi, d: Dialect, first: dt.date, last: dt.date, cuts: list[dt.date]) -> int:
    """Computes the new rows into a temporary table, then writes only the difference (found by one full
    join): rows whose value changed, rows that vanished, rows that appeared. A refresh after a small
    change rewrites little, and the rollup table does not fill with dead rows that later inserts step over."""
    cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [4711, zlib.crc32(k.name.encode()) & 0x7FFFFFFF])
    # Memory for this transaction's sorts and hash tables: with the server's default (4 MB) the million-row
    # aggregate, the subtree rows and the full join spill to disk in batches.
    cur.execute("SELECT set_config('work_mem', %s, true)",
                [getattr(settings, "HUIGONG_INSIGHTS_REFRESH_WORK_MEM", "256MB")])
    # The cut rows first, while nested loops are allowed: a few days' events looked up by index.
    cut_rows = _refresh_cuts(cur, k, d, cuts)
    # CREATE TABLE … AS, not INSERT … SELECT: PostgreSQL may run the aggregate's scans and joins in
    # parallel workers for the former (never for an INSERT), as it does for the bare SELECT.
    cur.execute("DROP TABLE IF EXISTS hg_rollup_new")
    with_, select = aggregate_sql(k, d, first, last)
    cur.execute(
        f"CREATE TEMP TABLE hg_rollup_new ON COMMIT DROP AS {with_}"
        "SELECT CAST(q.kpi AS varchar(48)) AS kpi, CAST(q.dim AS varchar(32)) AS dim, q.month, "
        "CAST(q.node_id AS bigint) AS node_id, CAST(q.value AS bigint) AS value, FALSE AS subtree "
        f"FROM ({select}) q"
    )
    new_rows = max(cur.rowcount, 0)
    cur.execute(_tree_sql("hg_rollup_new", "hg_rollup_new", "WHERE NOT o.subtree"))
    new_rows += max(cur.rowcount, 0)
    # Hash joins only: the rollup table's statistics lag behind refreshes, and a nested loop planned for an
    # "empty" table that is in fact large (or filling up under the INSERT itself) goes quadratic.
    cur.execute("SET LOCAL enable_nestloop = off")
    cur.execute(f"SELECT EXISTS (SELECT 1 FROM {TABLE} WHERE kpi = %s)", [k.name])
    if not cur.fetchone()[0]:  # first build: nothing to compare with
        cur.execute(
            f"INSERT INTO {TABLE} (kpi, dim, month, node_id, value, subtree) "
            "SELECT kpi, dim, month, node_id, value, subtree FROM hg_rollup_new"
        )
    else:
        # One full join finds every difference (changed, vanished, new); usually few rows, applied by key.
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS hg_rollup_diff (id bigint, dim varchar(32), month date, "
            "node_id bigint, value bigint, subtree boolean) ON COMMIT DELETE ROWS"
        )
        cur.execute("TRUNCATE hg_rollup_diff")
        cur.execute(
            "INSERT INTO hg_rollup_diff (id, dim, month, node_id, value, subtree) "
            "SELECT r.id, COALESCE(n.dim, r.dim), COALESCE(n.month, r.month), COALESCE(n.node_id, r.node_id), "
            "n.value, COALESCE(n.subtree, r.subtree) FROM hg_rollup_new n FULL JOIN "
            f"(SELECT id, dim, month, node_id, value, subtree FROM {TABLE} WHERE kpi = %s) r "
            "ON n.dim = r.dim AND n.month = r.month AND n.node_id = r.node_id AND n.subtree = r.subtree "
            "WHERE n.value IS DISTINCT FROM r.value",
            [k.name],
        )
        cur.execute(f"DELETE FROM {TABLE} WHERE id IN (SELECT id FROM hg_rollup_diff WHERE value IS NULL)")
        cur.execute(
            f"UPDATE {TABLE} r SET value = d.value FROM hg_rollup_diff d "
            "WHERE r.id = d.id AND d.value IS NOT NULL"
        )
        cur.execute(
            f"INSERT INTO {TABLE} (kpi, dim, month, node_id, value, subtree) "
            "SELECT %s, dim, month, node_id, value, subtree FROM hg_rollup_diff WHERE id IS NULL "
            "ON CONFLICT (kpi, dim, month, node_id, subtree) DO UPDATE SET value = EXCLUDED.value",
            [k.name],
        )
    return new_rows + cut_rows


def _incremental_ok(k: Kpi, first: dt.date, last: dt.date) -> bool:
    """Whether the stored rows can be brought up to date by their difference alone: they were built for
    the same window and tree depth, and no node moved since (a move changes subtree rows, not own rows)."""
    state = RollupState.objects.filter(kpi=k.name).first()
    if state is None or (state.first_month, state.last_month) != (first, last) or state.tree_depth != tree_depth():
        return False
    with connection.cursor() as cur:
        cur.execute(
            "SELECT 1 FROM core_auditevent WHERE verb LIKE %s AND (id > %s OR at >= %s) LIMIT 1",
            ["node.%", state.audit_mark, state.refreshed_at - lookback()],
        )
        return cur.fetchone() is None


def _refresh_pg_delta(cur, k: Kpi, d: Dialect, first: dt.date, last: dt.date, cuts: list[dt.date]) -> int:
    """The refresh of a KPI already rolled up for this window: only the rollup cells its changes reach.
    The events are aggregated per (node, dimension value, month) as the full refresh does; the stored own
    rows give the same aggregate as of the last refresh (a flow's own rows are it; a stock's own rows
    are its running sum, whose month-to-month differences are it). Where the two differ, a flow's cell
    changes by the difference in that month, a stock's cells of that (node, value) pair in that month
    and every later one. The subtree rows change by the sums of their nodes' changes. Returns the number
    of own and subtree cells changed plus the cut rows: after a day's changes dated today, a stock's
    changes reach the current month alone, a flow's the months of the changed rows' dates."""
    cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [4711, zlib.crc32(k.name.encode()) & 0x7FFFFFFF])
    cur.execute("SELECT set_config('work_mem', %s, true)",
                [getattr(settings, "HUIGONG_INSIGHTS_REFRESH_WORK_MEM", "256MB")])
    cut_rows = _refresh_cuts(cur, k, d, cuts)
    dim = dim_expr(k, "e.dim")
    month_expr = f"CASE WHEN e.day < {d.date(first)} THEN {d.date(first)} ELSE {d.month_of('e.day')} END"
    lower = "" if k.kind != FLOW else f"e.day >= {d.date(first)} AND "
    for t in ("hg_ev_new", "hg_ev_delta", "hg_rollup_delta"):
        cur.execute(f"DROP TABLE IF EXISTS {t}")
    cur.execute(
        "CREATE TEMP TABLE hg_ev_new ON COMMIT DROP AS "
        f"SELECT CAST(e.node_id AS bigint) AS node_id, CAST({dim} AS varchar(32)) AS dim, {month_expr} AS month, "
        f"CAST(SUM(e.amount) AS bigint) AS amount FROM ({k.events(d)}) e "
        f"WHERE {lower}e.day <= {d.date(month_end(last))} GROUP BY 1, 2, 3"
    )
    if k.kind == FLOW:
        old = f"SELECT node_id, dim, month, value FROM {TABLE} WHERE kpi = %s AND NOT subtree"
        params = [k.name]
    else:
        # A stock row (pair, m, v) adds v to month m's difference and takes it from month m+1's.
        # (One read of the rows, each giving both.)
        old = (
            "SELECT r.node_id, r.dim, x.month, x.value "
            f"FROM {TABLE} r CROSS JOIN LATERAL (VALUES (r.month, r.value), "
            "(CAST(r.month + interval '1 month' AS date), -r.value)) x(month, value) "
            "WHERE r.kpi = %s AND NOT r.subtree AND x.month <= %s"
        )
        params = [k.name, last]
    # The whole-KPI comparison by hash joins (see _refresh_pg); the few changed cells then by index.
    cur.execute("SET LOCAL enable_nestloop = off")
    cur.execute(
        "CREATE TEMP TABLE hg_ev_delta ON COMMIT DROP AS "
        "SELECT COALESCE(n.node_id, o.node_id) AS node_id, COALESCE(n.dim, o.dim) AS dim, "
        "COALESCE(n.month, o.month) AS month, COALESCE(n.amount, 0) - COALESCE(o.value, 0) AS amount "
        f"FROM hg_ev_new n FULL JOIN (SELECT node_id, dim, month, SUM(value) AS value FROM ({old}) x "
        "GROUP BY 1, 2, 3) o ON n.node_id = o.node_id AND n.dim = o.dim AND n.month = o.month "
        "WHERE COALESCE(n.amount, 0) <> COALESCE(o.value, 0)",
        params,
    )
    if k.kind == FLOW:
        cells = "SELECT node_id, dim, month, amount AS value FROM hg_ev_delta"
    else:
        months = ", ".join(f"({d.date(m)})" for m in months_between(first, last))
        cells = (
            f"SELECT x.node_id, x.dim, mo.month, SUM(x.amount) AS value FROM hg_ev_delta x "
            f"JOIN (VALUES {months}) mo(month) ON mo.month >= x.month GROUP BY 1, 2, 3"
        )
    cur.execute(
        "CREATE TEMP TABLE hg_rollup_delta ON COMMIT DROP AS "
        "SELECT CAST(%s AS varchar(48)) AS kpi, CAST(c.dim AS varchar(32)) AS dim, c.month, "
        "CAST(c.node_id AS bigint) AS node_id, CAST(c.value AS bigint) AS value, FALSE AS subtree "
        f"FROM ({cells}) c WHERE c.value <> 0",
        [k.name],
    )
    # Usually a few rows: with statistics and nested loops the subtree sums look their nodes up by key
    # (a hash join read the whole node table, ~1 s per KPI at 1M members, changes or not).
    cur.execute("SET LOCAL enable_nestloop = on")
    cur.execute("ANALYZE hg_rollup_delta")
    cur.execute(_tree_sql("hg_rollup_delta", "hg_rollup_delta", "WHERE NOT o.subtree"))
    # Apply: add each change to its row (a missing row counted zero); rows that fall to zero go.
    cur.execute(
        f"INSERT INTO {TABLE} AS r (kpi, dim, month, node_id, value, subtree) "
        "SELECT kpi, dim, month, node_id, value, subtree FROM hg_rollup_delta WHERE value <> 0 "
        "ON CONFLICT (kpi, dim, month, node_id, subtree) DO UPDATE SET value = r.value + EXCLUDED.value"
    )
    changed = max(cur.rowcount, 0)
    cur.execute(
        f"DELETE FROM {TABLE} r USING hg_rollup_delta x WHERE r.kpi = %s AND r.value = 0 AND r.dim = x.dim "
        "AND r.month = x.month AND r.node_id = x.node_id AND r.subtree = x.subtree",
        [k.name],
    )
    return changed + cut_rows


def rollups_refresh(
    *, kpis: Iterable[str] | None = None, groups: Iterable[str] | None = None
) -> list[Refreshed]:
    """Rebuilds the rollups of the named KPIs (or of the KPI groups, or all). Each KPI commits on its own."""
    chosen = catalogue.stored_kpis()
    if kpis is not None:
        names = set(kpis)
        chosen = [k for k in chosen if k.name in names]
    if groups is not None:
        gs = set(groups)
        chosen = [k for k in chosen if k.group in gs]
    done = [refresh_kpi(k) for k in chosen if k.available]
    if done and connection.vendor == "postgresql":
        # Fresh statistics: without them the planner takes the rebuilt table for tiny and reads every
        # row of a KPI nationwide for a by-child breakdown (review #6).
        with connection.cursor() as cur:
            cur.execute(f"ANALYZE {TABLE}, {CUT_TABLE}")
    return done


def rollups_as_of(names: Iterable[str] | None = None) -> dt.datetime | None:
    """The oldest refresh among the named KPIs (None when one was never rolled up)."""
    names = list(names) if names is not None else [k.name for k in catalogue.stored_kpis() if k.available]
    states = dict(RollupState.objects.filter(kpi__in=names).values_list("kpi", "refreshed_at"))
    if not names or any(n not in states for n in names):
        return None
    return min(states.values())


def rollups_generation() -> str:
    """Changes whenever any rollup is rebuilt: part of every cache key of rollup answers."""
    latest = RollupState.objects.order_by("-refreshed_at").values_list("refreshed_at", flat=True).first()
    return latest.isoformat() if latest else "none"


def covered(first: dt.date, last: dt.date) -> bool:
    w_first, w_last = window()
    return w_first <= first and last <= month_add(w_last, 0)


# Audit verbs that change nothing a KPI counts (exports, report requests).
READ_ONLY_VERBS = ("%export%", "insights.%")


def lookback() -> dt.timedelta:
    """How long a writing transaction may run between writing its audit event and committing."""
    return dt.timedelta(minutes=int(getattr(settings, "HUIGONG_INSIGHTS_AUDIT_LOOKBACK_MINUTES", 120)))


def audit_apps(k: Kpi) -> tuple[str, ...]:
    """The apps whose writes can change the KPI: those of its source tables, and orgs (node moves)."""
    apps = {t.split("_", 1)[0] for t in k.sources} | {"orgs"}
    if "members" in apps:
        apps.add("portal")  # an accepted online application makes a membership
    return tuple(sorted(apps))


def _audit_query(apps: tuple[str, ...]) -> tuple[str, list]:
    types = " OR ".join(["object_type LIKE %s"] * len(apps))
    verbs = " AND ".join(["verb NOT LIKE %s"] * len(READ_ONLY_VERBS))
    return f"FROM core_auditevent WHERE ({types}) AND {verbs}", [*(f"{a}.%" for a in apps), *READ_ONLY_VERBS]


def _audit_state(k: Kpi, started: dt.datetime) -> tuple[int, int]:
    """(newest relevant audit id, relevant events since started − lookback) as the refresh starts."""
    where, params = _audit_query(audit_apps(k))
    with connection.cursor() as cur:
        cur.execute(f"SELECT MAX(id) {where}", params)
        mark = cur.fetchone()[0] or 0
        cur.execute(f"SELECT COUNT(*) {where} AND at >= %s AND id <= %s", [*params, started - lookback(), mark])
        return mark, cur.fetchone()[0]


def _changed_since(k: Kpi, state: RollupState, cache: dict) -> bool:
    """A relevant audit event committed since the refresh read the tables: a newer id, or one more in
    the look-back window below the mark (a long transaction that took its id before and committed after)."""
    key = (audit_apps(k), state.audit_mark, state.audit_recent, state.refreshed_at)
    if key not in cache:
        where, params = _audit_query(key[0])
        with connection.cursor() as cur:
            cur.execute(f"SELECT 1 {where} AND id > %s LIMIT 1", [*params, state.audit_mark])
            newer = cur.fetchone() is not None
            late = False
            if not newer:
                cur.execute(
                    f"SELECT COUNT(*) {where} AND at >= %s AND id <= %s",
                    [*params, state.refreshed_at - lookback(), state.audit_mark],
                )
                late = cur.fetchone()[0] > state.audit_recent
        cache[key] = newer or late
    return cache[key]


def rollups_refresh_if_changed() -> list[Refreshed]:
    """The periodic job: rebuilds the KPIs whose source apps wrote something since their rollup was read
    (an import, a payout, a claim: every write leaves an audit event; exports and report requests do not
    count), those whose rollup ends before the current month, whose cut rows are of another day or
    whose subtree rows stop above HUIGONG_INSIGHTS_TREE_DEPTH, and those never rolled up."""
    month, today = this_month(), timezone.localdate()
    states = {s.kpi: s for s in RollupState.objects.all()}
    seen: dict = {}
    stale = [
        k.name
        for k in catalogue.stored_kpis()
        if k.available
        and (
            k.name not in states
            or states[k.name].last_month < month
            or states[k.name].cut_day != today
            or states[k.name].tree_depth < tree_depth()
            or _changed_since(k, states[k.name], seen)
        )
    ]
    return rollups_refresh(kpis=stale) if stale else []


def rollups_pending(names: Iterable[str] | None = None) -> bool:
    """Whether a write not yet rolled up may change the named KPIs (the pages say "待汇总")."""
    wanted = set(names) if names is not None else None
    ks = [k for k in catalogue.stored_kpis() if k.available and (wanted is None or k.name in wanted)]
    states = {s.kpi: s for s in RollupState.objects.filter(kpi__in=[k.name for k in ks])}
    seen: dict = {}
    return any(k.name not in states or _changed_since(k, states[k.name], seen) for k in ks)
