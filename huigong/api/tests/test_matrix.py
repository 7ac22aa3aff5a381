"""Route × role matrix, generated from the OpenAPI document.

Every operation the API publishes must have a row, declared by the app whose router publishes it
(contributions.api_matrix in its apps.py; a new route without one fails test_matrix_covers_every_route).
Each row says how to call the route against the standard cast and what status each role gets; list routes also name a Hangzhou marker and a Qingdao marker, and each
role must see its own subtree's marker and never the other's. Every role's call runs in a savepoint
that is rolled back, so the roles all meet the same world. The world and the roles' tokens are built once
for the module (conftest's `module_world`); each test has its own copy of it and its writes rolled back."""

from __future__ import annotations

import copy

import pytest
from django.db import transaction

from huigong.api.api import api

from .conftest import ROLES, ApiClient, build_world, make_token, role_users
from .matrix import Row, all_rows, coverage_problems

# Every installed app's rows, as its AppConfig declares them (contributions.api_matrix).
MATRIX: dict[tuple[str, str], Row] = all_rows()


def test_matrix_covers_every_route(db):
    problems = coverage_problems(api.get_openapi_schema())
    assert not problems, problems


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
