"""Route × role matrix, generated from the OpenAPI document.

Every operation the API publishes must have a row in MATRIX (a new route without one fails
test_matrix_covers_every_route). Each row says how to call the route against the standard cast and
what status each role gets; list routes also name a Hangzhou marker and a Qingdao marker, and each
role must see its own subtree's marker and never the other's. Every role's call runs in a savepoint
that is rolled back, so the roles all meet the same world. The world and the roles' tokens are built once
for the module (conftest's `module_world`); each test has its own copy of it and its writes rolled back."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.db import transaction

from huigong.api.api import api
from huigong.members.roster.testing import person_row, roster_csv, upload
from huigong.testing import new_id_number, new_uscc

from .conftest import ROLES, ApiClient, build_world, make_token, role_users

ALL_OK = dict.fromkeys(("admin", "staff", "viewer", "finance", "leader"), 200)


def _expect(ok: dict[str, int], *, outsider: int = 404) -> dict[str, int]:
    # outsider: an admin of another subtree; a Hangzhou object is "not found" for them (404, like an
    # unknown id); a Hangzhou object named in a body or query is a 422 "does not exist"
    out = {role: 403 for role in ROLES}
    out.update(ok)
    out["outsider"] = outsider
    out["anonymous"] = 401
    return out


READ = _expect(ALL_OK)
LIST = _expect(ALL_OK, outsider=200)
ORG_WRITE = _expect({"admin": 200})
ORG_CREATE = _expect({"admin": 201})
MEMBER_WRITE = _expect({"admin": 200, "staff": 200})
MEMBER_CREATE = _expect({"admin": 201, "staff": 201})
PII = _expect({"admin": 200, "staff": 200, "finance": 200})
AUDIT = _expect({"admin": 200, "leader": 200}, outsider=200)
IMPORT_CREATE = _expect({"admin": 201, "staff": 201})
IMPORT_READ = _expect({"admin": 200, "staff": 200})
IMPORT_READ_LIST = _expect({"admin": 200, "staff": 200}, outsider=200)


@dataclass
class Row:
    expect: dict[str, int]
    params: Callable = lambda w: {}
    body: Callable | None = None
    markers: tuple[str, str] | None = None  # (Hangzhou's, Qingdao's) for list routes
    upload: Callable | None = None  # multipart routes: w -> (data dict incl. files)
    extra: dict = field(default_factory=dict)


MATRIX: dict[tuple[str, str], Row] = {
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
    # Members
    ("GET", "/api/v1/members"): Row(LIST, markers=("李小红", "赵青岛")),
    ("POST", "/api/v1/members/search"): Row(LIST, body=lambda w: {"status": "all"}, markers=("李小红", "赵青岛")),
    ("POST", "/api/v1/members"): Row(
        MEMBER_CREATE,
        body=lambda w: {
            "union_id": w.tech.pk,
            "name": "陈新人",
            "id_number": new_id_number(),
            "phone": "13900001111",
        },
    ),
    ("GET", "/api/v1/members/{person_id}"): Row(READ, params=lambda w: {"person_id": w.member.person_id}),
    ("PATCH", "/api/v1/members/{person_id}"): Row(
        MEMBER_WRITE,
        params=lambda w: {"person_id": w.member.person_id},
        body=lambda w: {"job_title": "工程师"},
    ),
    ("POST", "/api/v1/members/{person_id}/reveal"): Row(
        PII,
        params=lambda w: {"person_id": w.member.person_id},
        body=lambda w: {"fields": ["id_number"], "purpose": "核对身份"},
    ),
    ("POST", "/api/v1/members/{person_id}/transfer"): Row(
        MEMBER_WRITE,
        params=lambda w: {"person_id": w.member.person_id},
        body=lambda w: {"to_union_id": w.riders.pk, "reason": "换工作"},
    ),
    ("POST", "/api/v1/members/{person_id}/withdraw"): Row(
        MEMBER_WRITE,
        params=lambda w: {"person_id": w.member.person_id},
        body=lambda w: {"reason": "本人申请", "on": str(dt.date(2025, 1, 2))},
    ),
    # Memberships
    ("GET", "/api/v1/memberships"): Row(LIST, markers=("李小红", "赵青岛")),
    # Audit
    ("GET", "/api/v1/audit"): Row(AUDIT, markers=("李小红", "赵青岛")),
    ("GET", "/api/v1/audit/access-log"): Row(AUDIT, markers=("杭州核对", "青岛核对")),
    # Roster imports
    ("POST", "/api/v1/imports"): Row(
        IMPORT_CREATE,
        upload=lambda w: {"union_id": w.tech.pk, "file": upload("新名册.csv", roster_csv([person_row()]))},
    ),
    ("GET", "/api/v1/imports"): Row(IMPORT_READ_LIST, markers=("杭州名册.csv", "青岛名册.csv")),
    ("GET", "/api/v1/imports/{import_id}"): Row(IMPORT_READ, params=lambda w: {"import_id": w.hz_import.pk}),
    ("GET", "/api/v1/imports/{import_id}/errors"): Row(
        IMPORT_READ, params=lambda w: {"import_id": w.hz_import.pk}
    ),
    # KPIs (insights): the catalogue for every staff role; a Hangzhou node's figures are refused to Qingdao.
    ("GET", "/api/v1/kpis"): Row(LIST),
    ("GET", "/api/v1/kpis/{name}"): Row(
        READ, params=lambda w: {"name": f"members.active?node={w.xihu.pk}&period=2025-Q1"}
    ),
    # Online join applications (portal): a Hangzhou rider's (riders' union) and a Qingdao worker's.
    ("GET", "/api/v1/join-applications"): Row(LIST, params=lambda w: _join_apps(w) and {},
                                              markers=("陈杭骑", "赵青申")),
    ("GET", "/api/v1/join-applications/{app_id}"): Row(READ, params=lambda w: {"app_id": _join_apps(w)[0].pk}),
    ("POST", "/api/v1/join-applications/{app_id}/accept"): Row(
        MEMBER_WRITE, params=lambda w: {"app_id": _join_apps(w)[0].pk}, body=lambda w: {}
    ),
    ("POST", "/api/v1/join-applications/{app_id}/reject"): Row(
        MEMBER_WRITE, params=lambda w: {"app_id": _join_apps(w)[0].pk}, body=lambda w: {"reason": "材料不全"}
    ),
}


def _join_apps(w):
    """Made inside each role's rolled-back savepoint."""
    from huigong.portal.testing import submit_join

    return [submit_join(name="陈杭骑", platform=w.platform),
            submit_join(name="赵青申", area=w.gaoxin, id_number=new_id_number("370213"))]

# Later apps keep their rows in their own test package.
from huigong.benefits.tests.api_matrix import matrix_rows as _benefits_rows  # noqa: E402

MATRIX.update(_benefits_rows(Row, _expect))
from huigong.assistance.tests.api_matrix_files import matrix_rows as _assist_files_rows  # noqa: E402

MATRIX.update(_assist_files_rows(Row, _expect))
from huigong.assistance.tests.api_matrix_flow import matrix_rows as _assist_flow_rows  # noqa: E402

MATRIX.update(_assist_flow_rows(Row, _expect))

# Routes that name a Hangzhou object in the body or query rather than the path: the outsider gets the
# 422 "does not exist" that an unknown id gets (an out-of-scope id is not told apart from a missing one).
NAMED_IN_BODY = [("POST", f"/api/v1/{r}") for r in (
    "aid-programmes", "enterprises", "hardship-files", "imports", "members", "notices", "payout-batches",
    "screening-rules", "sites", "sweeps", "unions")] + [("PUT", "/api/v1/aid-programmes/household-caps")]
for _key in NAMED_IN_BODY:
    MATRIX[_key].expect = {**MATRIX[_key].expect, "outsider": 422}


def _openapi_operations() -> set[tuple[str, str]]:
    doc = api.get_openapi_schema()
    return {(method.upper(), path) for path, item in doc["paths"].items() for method in item}


def test_matrix_covers_every_route(db):
    published = _openapi_operations()
    missing = sorted(published - set(MATRIX))
    stale = sorted(set(MATRIX) - published)
    assert not missing, f"routes without a row in the role matrix: {missing}"
    assert not stale, f"matrix rows for routes the API no longer has: {stale}"


class _Rollback(Exception):
    pass


def _call(client: ApiClient, method: str, url: str, row: Row, world):
    if row.upload is not None:
        return client.client.post(url, row.upload(world), headers=client.headers)
    body = row.body(world) if row.body else None
    return getattr(client, method.lower())(url, body)


@pytest.fixture(scope="module")
def _shared(module_world):
    def build():
        from huigong.testing import Cast

        world = build_world(Cast().build())
        return world, {role: make_token(user) if user else None for role, user in role_users(world).items()}

    return module_world(build)


@pytest.fixture
def world_and_tokens(_shared, db):
    return copy.deepcopy(_shared)


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_role_matrix(world_and_tokens, route):
    world, tokens = world_and_tokens
    method, template = route
    row = MATRIX[route]
    clients = {role: ApiClient(token) for role, token in tokens.items()}
    got: dict[str, int] = {}
    problems: list[str] = []
    for role in ROLES:
        try:
            with transaction.atomic():
                url = template.format(**row.params(world))
                r = _call(clients[role], method, url, row, world)
                got[role] = r.status_code
                if row.markers and r.status_code == 200:
                    own, other = row.markers if role != "outsider" else row.markers[::-1]
                    text = r.content.decode()
                    if own not in text:
                        problems.append(f"{role} does not see {own!r}")
                    if other in text:
                        problems.append(f"{role} sees {other!r} from another subtree")
                raise _Rollback
        except _Rollback:
            pass
    assert got == row.expect
    assert not problems, problems
