"""Rows of the API route × role matrix (huigong/api/tests/test_matrix.py) for the orgs routes (unions, enterprises, sites).
Declared in the app's contributions (apps.py). Objects named by a row are built inside each role's
rolled-back savepoint, so every role meets the same world."""

from __future__ import annotations

from huigong.testing import new_uscc

BASE = "/api/v1"
# Named in the body: the outsider's 422 (see huigong/api/tests/matrix.py).
NAMED_IN_BODY = [("POST", f"{BASE}/{r}") for r in ("unions", "enterprises", "sites")]


def matrix_rows(Row, expect) -> dict:
    everyone = dict.fromkeys(("admin", "staff", "viewer", "finance", "leader"), 200)
    READ = expect(everyone)
    LIST = expect(everyone, outsider=200)
    ORG_WRITE = expect({"admin": 200})
    ORG_CREATE = expect({"admin": 201})
    return {
        # Unions
        ("GET", "/api/v1/unions"): Row(LIST, markers=("西湖区总工会", "青岛高新区总工会")),
        ("POST", "/api/v1/unions"): Row(
            ORG_CREATE,
            body=lambda w: {"parent_id": w.xihu.pk, "code": "MX-NEW", "name": "某街道工会", "level": "township"},
        ),
        ("GET", "/api/v1/unions/{union_id}"): Row(READ, params=lambda w: {"union_id": w.tech.pk}),
        ("PATCH", "/api/v1/unions/{union_id}"): Row(
            ORG_WRITE, params=lambda w: {"union_id": w.tech.pk}, body=lambda w: {"contact_name": "周联络"}
        ),
        ("POST", "/api/v1/unions/{union_id}/move"): Row(
            ORG_WRITE, params=lambda w: {"union_id": w.tech.pk}, body=lambda w: {"new_parent_id": w.riders.pk}
        ),
        # Enterprises
        ("GET", "/api/v1/enterprises"): Row(LIST, markers=("杭州某科技有限公司", "青岛某制造有限公司")),
        ("POST", "/api/v1/enterprises"): Row(
            ORG_CREATE,
            body=lambda w: {
                "union_id": w.tech.pk,
                "name": "西湖新设有限公司",
                "uscc": new_uscc(),
                "kind": "enterprise",
            },
        ),
        ("GET", "/api/v1/enterprises/{enterprise_id}"): Row(
            READ, params=lambda w: {"enterprise_id": w.enterprise.pk}
        ),
        ("PATCH", "/api/v1/enterprises/{enterprise_id}"): Row(
            ORG_WRITE, params=lambda w: {"enterprise_id": w.enterprise.pk}, body=lambda w: {"employee_count": 321}
        ),
        # Sites
        ("GET", "/api/v1/sites"): Row(LIST, markers=("西湖职工之家", "高新爱心妈妈小屋")),
        ("POST", "/api/v1/sites"): Row(
            ORG_CREATE,
            body=lambda w: {
                "union_id": w.tech.pk,
                "name": "骑手驿站",
                "kind": "outdoor_station",
                "address": "文一路2号",
            },
        ),
        ("GET", "/api/v1/sites/{site_id}"): Row(READ, params=lambda w: {"site_id": w.site.pk}),
        ("PATCH", "/api/v1/sites/{site_id}"): Row(
            ORG_WRITE, params=lambda w: {"site_id": w.site.pk}, body=lambda w: {"opening_hours": "9:00-21:00"}
        ),
    }
