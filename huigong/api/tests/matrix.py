"""The route × role matrix's parts (test_matrix.py runs it): a row type, the expected statuses, and
the collection of every app's rows from its declaration (contributions.api_matrix, core/contrib.py).

An app's matrix module has `matrix_rows(Row, expect) -> {(method, path): Row}` and may list in
NAMED_IN_BODY the routes that name a Hangzhou object in the body or query rather than the path: the
outsider gets the 422 "does not exist" that an unknown id gets (an out-of-scope id is not told apart
from a missing one)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from huigong.core import contrib

from .conftest import ROLES

API_ROOT = "/api/v1"


def expect(ok: dict[str, int], *, outsider: int = 404) -> dict[str, int]:
    # outsider: an admin of another subtree; a Hangzhou object is "not found" for them (404, like an
    # unknown id); a Hangzhou object named in a body or query is a 422 "does not exist"
    out = {role: 403 for role in ROLES}
    out.update(ok)
    out["outsider"] = outsider
    out["anonymous"] = 401
    return out


ALL_OK = dict.fromkeys(("admin", "staff", "viewer", "finance", "leader"), 200)


@dataclass
class Row:
    expect: dict[str, int]
    params: Callable = lambda w: {}
    body: Callable | None = None
    markers: tuple[str, str] | None = None  # (Hangzhou's, Qingdao's) for list routes
    upload: Callable | None = None  # multipart routes: w -> (data dict incl. files)
    extra: dict = field(default_factory=dict)


def rows_of(module_names) -> dict[tuple[str, str], Row]:
    rows: dict[tuple[str, str], Row] = {}
    for name in module_names:
        module = importlib.import_module(name)
        got = module.matrix_rows(Row, expect)
        for key in getattr(module, "NAMED_IN_BODY", ()):
            got[key].expect = {**got[key].expect, "outsider": 422}
        twice = set(rows) & set(got)
        assert not twice, f"rows declared twice: {sorted(twice)}"
        rows.update(got)
    return rows


def app_rows() -> dict[str, dict[tuple[str, str], Row]]:
    """{app label: its rows} for every installed app that declares API routers or matrix rows."""
    return {config.label: rows_of(c.api_matrix) for config, c in contrib.declared() if c.api_routers or c.api_matrix}


def all_rows() -> dict[tuple[str, str], Row]:
    out: dict[tuple[str, str], Row] = {}
    for rows in app_rows().values():
        out.update(rows)
    return out


def operations(doc: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in doc["paths"].items() for method in item}


def coverage_problems(doc: dict) -> list[str]:
    """What is wrong between the published operations and the apps' declared rows: a route an app's
    routers expose without a row of that app, a route no app declares, a row for no route."""
    published = operations(doc)
    rows = app_rows()
    problems: list[str] = []
    owned: set[tuple[str, str]] = set()
    for config, c in contrib.declared():
        prefixes = tuple(API_ROOT + r.prefix for r in c.api_routers)
        mine = {op for op in published if op[1] in prefixes or op[1].startswith(tuple(p + "/" for p in prefixes))}
        owned |= mine
        missing = sorted(mine - set(rows.get(config.label, {})))
        if missing:
            problems.append(f"{config.label}: routes without a row in the role matrix: {missing}")
    if stray := sorted(published - owned):
        problems.append(f"routes no app declares: {stray}")
    declared_rows = {key for r in rows.values() for key in r}
    if stale := sorted(declared_rows - published):
        problems.append(f"matrix rows for routes the API does not have: {stale}")
    return problems
