"""Rows of the API route × role matrix (huigong/api/tests/test_matrix.py) for the audit log's routes
(the API surface's own router, api/audit.py).
Declared in the app's contributions (apps.py). Objects named by a row are built inside each role's
rolled-back savepoint, so every role meets the same world."""

from __future__ import annotations


def matrix_rows(Row, expect) -> dict:
    everyone = dict.fromkeys(("admin", "staff", "viewer", "finance", "leader"), 200)
    AUDIT = expect({"admin": 200, "leader": 200}, outsider=200)
    del everyone
    return {
        # Audit
        ("GET", "/api/v1/audit"): Row(AUDIT, markers=("李小红", "赵青岛")),
        ("GET", "/api/v1/audit/access-log"): Row(AUDIT, markers=("杭州核对", "青岛核对")),
    }
