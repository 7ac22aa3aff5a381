"""Every selector called with `for_write=True` is walked through the page or API call that calls it: none
answers 500, and none takes a row lock outside the view's own transaction (PostgreSQL refuses that with
TransactionManagementError; it once made deactivating a staff account impossible).

The call sites are found in the source, so a new `for_write=True` lookup is walked without anyone adding
it here; one that no URL reaches fails the test until it is mapped below."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

import huigong
from huigong.core.db import for_update, in_own_transaction

ROOT = Path(huigong.__file__).parent
MISSING = "999999999"  # an id nothing has: the lookup (and its lock) still runs, then answers 404


def _callers(tree: ast.Module) -> dict[str, set[str]]:
    """Top-level function -> the module's top-level functions that call it by name."""
    out: dict[str, set[str]] = {}
    for top in tree.body:
        if isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(top):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    out.setdefault(node.func.id, set()).add(top.name)
    return out


def for_write_call_sites() -> list[tuple[str, str, str, str]]:
    """(module, top-level function, name the selector module is bound to, selector) of every call with
    for_write=True outside tests. A call inside a module's private helper (`_action`) is listed under
    each function of the module that calls the helper (the views)."""
    sites = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent)
        if "tests" in rel.parts or "migrations" in rel.parts:
            continue
        tree = ast.parse(path.read_text(), str(path))
        module = ".".join(rel.with_suffix("").parts)
        for top in tree.body:
            if not isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(top):
                if not isinstance(node, ast.Call):
                    continue
                if not any(k.arg == "for_write" and isinstance(k.value, ast.Constant) and k.value.value is True
                           for k in node.keywords):
                    continue
                func = node.func
                assert isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name), (
                    f"{module}.{top.name}: call the selector as module.function so the walk can watch it")
                callers = _callers(tree)
                names, seen = [top.name], set()
                while names:
                    name = names.pop()
                    if name in seen:
                        continue
                    seen.add(name)
                    if name.startswith("_") and callers.get(name):
                        names.extend(callers[name])
                    else:
                        sites.append((module, name, func.value.id, func.attr))
    return sorted(set(sites))


def _path_view(callback):
    for cell in getattr(callback, "__closure__", None) or ():
        if type(cell.cell_contents).__name__ == "PathView":
            return cell.cell_contents
    return None


def url_index() -> dict[tuple[str, str], tuple[str, list[str], object]]:
    """(module, function) of every page view and API operation -> (route, methods, API operation)."""
    out: dict[tuple[str, str], tuple[str, list[str], object]] = {}

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                pv = _path_view(p.callback)
                if pv is not None:
                    for op in pv.operations:
                        f = inspect.unwrap(op.view_func)
                        out.setdefault((f.__module__, f.__name__), (route, list(op.methods), op))
                else:
                    f = inspect.unwrap(p.callback)
                    out.setdefault((getattr(f, "__module__", ""), getattr(f, "__name__", "")),
                                   (route, ["POST", "GET"], None))

    walk(get_resolver().url_patterns, "/")
    return out


def _value(schema: dict, defs: dict):
    """A value the schema accepts (the smallest that passes validation), for a body the view can read."""
    if "$ref" in schema:
        return _value(defs[schema["$ref"].split("/")[-1]], defs)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return _value(next((x for x in schema[key] if x.get("type") != "null"), schema[key][0]), defs)
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {k: _value(v, defs) for k, v in schema.get("properties", {}).items()
                if k in schema.get("required", [])}
    if kind == "array":
        return [_value(schema.get("items", {}), defs) for _ in range(schema.get("minItems", 0))]
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return "2025-01-01"
    if schema.get("format") == "date-time":
        return "2025-01-01T09:00:00"
    if schema.get("pattern", "").startswith("^(") and schema["pattern"].endswith(")$"):
        return schema["pattern"][2:-2].split("|")[0]  # a choice written as a pattern: its first option
    return "x" * max(1, schema.get("minLength", 1))


def _body(op) -> str:
    """A JSON body for an API operation: every required field of its body schema, valid but minimal."""
    import json

    body = {}
    for model in getattr(op, "models", []) or []:
        if getattr(model, "__ninja_param_source__", "") != "body":
            continue
        schema = model.model_json_schema()
        defs = schema.get("$defs", {})
        for name, sub in schema.get("properties", {}).items():
            if name in schema.get("required", []):
                value = _value(sub, defs)
                if len(schema["properties"]) == 1:
                    body = value  # ninja takes a lone body parameter as the whole body
                else:
                    body[name] = value
    return json.dumps(body)


def _fill(route: str) -> str:
    route = re.sub(r"<(?:\w+:)?\w+>", MISSING, route)
    return route.replace("^", "").replace("$", "")


SITES = for_write_call_sites()


def test_the_walk_finds_the_call_sites():
    assert len(SITES) >= 30 and ("huigong.accounts.views", "staff_deactivate", "selectors",
                                 "staff_get_for_actor") in SITES


def _walk(cast, monkeypatch) -> list[str]:
    index = url_index()
    problems = []
    client = Client(raise_request_exception=False)
    client.force_login(cast.city_admin)
    for module, func, binding, selector in SITES:
        if (module, func) not in index:
            problems.append(f"{module}.{func}: no URL reaches it; map it in this test")
            continue
        route, methods, op = index[(module, func)]
        sel_module = getattr(importlib.import_module(module), binding)
        original = getattr(sel_module, selector)
        hits = []

        def spy(*args, _original=original, _hits=hits, **kwargs):
            if kwargs.get("for_write"):
                _hits.append(in_own_transaction() or not _locks(_original))
            return _original(*args, **kwargs)

        monkeypatch.setattr(sel_module, selector, spy)
        url = _fill(route) + "?help=" + MISSING
        try:
            for method in methods:
                resp = getattr(client, method.lower())(url, content_type="application/json", data=_body(op)) \
                    if method != "GET" else client.get(url)
                if resp.status_code >= 500:
                    problems.append(f"{module}.{func}: {method} {url} answered {resp.status_code}")
                if hits:
                    break
            if not hits:
                problems.append(f"{module}.{func}: {methods} {url} never reached {selector}(for_write=True) "
                                f"({resp.status_code} {resp.content[:200]!r}, body {_body(op)})")
            elif not all(hits):
                problems.append(f"{module}.{func}: {selector} locked outside the view's transaction")
        finally:
            monkeypatch.setattr(sel_module, selector, original)
    return problems


def _locks(selector) -> bool:
    """Whether the selector takes a row lock when for_write (only those need the transaction)."""
    src = inspect.getsource(inspect.unwrap(selector))
    return "for_update(" in src or "select_for_update(" in src


def test_every_for_write_call_site_is_walked_without_error(cast, monkeypatch):
    problems = _walk(cast, monkeypatch)
    assert problems == [], "\n".join(problems)


@pytest.mark.django_db(transaction=True)
def test_every_for_write_call_site_on_postgresql_in_autocommit(on_postgres, monkeypatch):
    """As production runs: no test transaction around the request, so a lock taken outside the view's own
    transaction is PostgreSQL's TransactionManagementError (a 500), as it was for the staff pages."""
    from huigong.testing import Cast

    assert _walk(Cast().build(), monkeypatch) == []


def test_for_update_refuses_outside_a_transaction_of_ones_own(cast):
    from huigong.accounts.models import StaffProfile

    with pytest.raises(transaction.TransactionManagementError):
        list(for_update(StaffProfile.objects.all()))  # on SQLite too, inside the test's own transaction
    with transaction.atomic():
        assert list(for_update(StaffProfile.objects.filter(pk=cast.city_admin.staff.pk)))
