"""KPIs over the service apps (assistance, benefits, portal). Each reads its app's tables; the list
grows as those apps' models land."""

from __future__ import annotations


def kpis() -> list:
    return []
