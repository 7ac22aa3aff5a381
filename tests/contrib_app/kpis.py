import datetime as dt

from huigong.core.kpi import FLOW, Dialect, Kpi


def _events(d: Dialect) -> str:
    # A real app reads its own tables; this one has none, so each union of the tree is one event.
    return f"SELECT n.id AS node_id, '' AS dim, {d.date(dt.date(2025, 1, 15))} AS day, 1 AS amount FROM orgs_unionnode n"


def kpis() -> list[Kpi]:
    return [Kpi("contribdemo.entries", "示例活动报名", "person", "期内报名人数。", FLOW, "contribdemo",
                ("orgs_unionnode",), events=_events)]
