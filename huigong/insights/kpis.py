"""The KPI catalogue: every installed app's KPI definitions, collected from its declaration
(contributions.kpis, core/contrib.py). Each KPI is defined once, in its app (huigong/<app>/kpis.py): its
name, label, unit, meaning, dimension and one SQL *event source* over the app's tables (the types and the
meaning of flow, stock and ratio KPIs: huigong/core/kpi.py).

Rollups (rollups.py) store the same sums per node (own rows only), month and dimension value; the
selectors (selectors.py) answer from the rollups or straight from the sources, with one SQL shape for
both. Pages, the API, exports and the PDF report all go through `CATALOGUE`.
"""

from __future__ import annotations

from typing import Any

from huigong.core import contrib
from huigong.core.kpi import FLOW, RATIO, STOCK, UNIT_LABELS, Dialect, Dimension, Kpi

__all__ = ["CATALOGUE", "FLOW", "GROUP_LABELS", "RATIO", "STOCK", "UNIT_LABELS", "Dialect", "Dimension", "Kpi"]


def _modules() -> list:
    return contrib.ordered("kpis")


def _build() -> dict[str, Kpi]:
    out: dict[str, Kpi] = {}
    for module in _modules():
        for k in contrib.resolve(f"{module.module}.kpis")():
            if k.name in out:
                raise ValueError(f"KPI {k.name} defined twice")
            out[k.name] = k
    for k in out.values():
        if (
            k.kind == RATIO
            and k.compute is None
            and (k.ratio_of is None or k.ratio_of[0] not in out or k.ratio_of[2] not in out)
        ):
            raise ValueError(f"ratio KPI {k.name} needs its base KPIs")
    return out


def _group_labels() -> dict[str, Any]:
    modules = sorted(_modules(), key=lambda m: m.group_order if m.group_order is not None else m.order)
    return {group: label for m in modules for group, label in m.groups.items()}


CATALOGUE: dict[str, Kpi] = _build()
GROUP_LABELS: dict[str, Any] = _group_labels()


def rebuild() -> None:
    """Collects the catalogue again, in place (a test that installs or removes an app)."""
    CATALOGUE.clear()
    CATALOGUE.update(_build())
    GROUP_LABELS.clear()
    GROUP_LABELS.update(_group_labels())


def base_names(k: Kpi) -> list[str]:
    """The stored KPIs a KPI's value comes from (for freshness)."""
    if k.stored:
        return [k.name]
    if k.ratio_of is not None:
        return sorted({k.ratio_of[0], k.ratio_of[2]})
    return list(k.extra.get("bases", []))


def get(name: str) -> Kpi | None:
    return CATALOGUE.get(name)


def stored_kpis() -> list[Kpi]:
    return [k for k in CATALOGUE.values() if k.stored]


def kpis_of_group(group: str) -> list[Kpi]:
    return [k for k in CATALOGUE.values() if k.group == group]
