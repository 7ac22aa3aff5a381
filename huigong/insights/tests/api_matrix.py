"""Rows of the API route × role matrix (huigong/api/tests/test_matrix.py) for the KPI routes.
Declared in the app's contributions (apps.py). Objects named by a row are built inside each role's
rolled-back savepoint, so every role meets the same world."""

from __future__ import annotations


def matrix_rows(Row, expect) -> dict:
    everyone = dict.fromkeys(("admin", "staff", "viewer", "finance", "leader"), 200)
    READ = expect(everyone)
    LIST = expect(everyone, outsider=200)
    return {
        # KPIs (insights): the catalogue for every staff role; a Hangzhou node's figures are refused to Qingdao.
        ("GET", "/api/v1/kpis"): Row(LIST),
        ("GET", "/api/v1/kpis/{name}"): Row(
            READ, params=lambda w: {"name": f"members.active?node={w.xihu.pk}&period=2025-Q1"}
        ),
    }
