"""The page matrix: every console and portal page × every persona. Each app declares its rows
(contributions.page_matrix in its apps.py: modules with ROUTES and, optionally, `build(world)` that adds
the app's objects to the shared world once per module); a module with WORLD = "own" runs its rows
against its own world (members' roster pages) and counts here only for coverage. A console or portal
page an app exposes without a row fails test_every_declared_page_has_a_row.

A row is `name: (args builder, capability, methods)` or `(args builder, capability, methods, how)`:
- args builder: world -> the URL's arguments; a page about one of our objects (args given) must be a
  403/404 to the outsider, a page without arguments is the outsider's own subtree's page;
- capability: the one the page needs beyond VIEW (None: VIEW is enough); roles without it get 403;
- methods: "GET", "POST" or "GET POST"; allowed POSTs are not sent (per-page tests send real data);
- how (a dict, optional):
  "who": "staff" (a console page: the default), "worker" (a worker's page under /portal/: personas are
         the anonymous, staff (sent to the portal's sign-in), a worker of another union (the outsider)
         and our own worker), "public" (anyone, before sign-in: the anonymous get `ok`, the signed-in
         `ok` or a redirect, and neither the outsider nor another union's worker sees a byte of ours);
  "ok": the status (or statuses) an allowed user gets (default 200);
  "outsider": the statuses the outsider gets on a page without arguments (default (200,));
  "worker": the statuses a signed-in worker gets on a console page (default: 302, 403 or 404; a worker has
            no console, except the pages of any signed-in account's own);
  "as": on a worker's page, the world's attribute holding our worker's account (default "worker": 李小红);
  "ours": False when the arguments name nothing of ours (e.g. a consent's purpose): the outsider then
          gets the page as its own;
  "query": world -> the query string every GET carries (e.g. a card's token);
  "shows": words of ours a public page shows by design (a 公示 names the unions).

Personas of a console page: the anonymous (sent to sign in), a signed-in worker (no console: 403 or
sent away), the outsider (an admin of another subtree: never a byte of ours, no audit event or access
row in our subtree), and our roles (200, or 403 without the capability). Every persona runs in a
savepoint rolled back afterwards, so each meets the same world; the world is built once per module."""

from __future__ import annotations

import copy
import importlib

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, reverse

from huigong.core import contrib
from huigong.core.models import AccessLog, AuditEvent
from huigong.orgs.models import ServiceSite, SiteKind


def _modules(config_filter=None) -> list:
    return [importlib.import_module(m) for config, c in contrib.declared()
            if config_filter is None or config_filter(config) for m in c.page_matrix]


def _routes(*, own_world: bool | None = False) -> dict:
    out: dict = {}
    for module in _modules():
        if own_world is None or (getattr(module, "WORLD", "") == "own") == own_world:
            out.update(module.ROUTES)
    return out


# name -> (args builder, capability the page needs beyond VIEW, methods[, how]): the rows run here.
ROUTES = _routes()


def page_names(urlconf: str) -> set[str]:
    """The namespaced names of a urlconf's pages, through its includes."""
    module = importlib.import_module(urlconf)
    return _names(module.urlpatterns, getattr(module, "app_name", ""))


def _names(patterns, namespace: str) -> set[str]:
    out = set()
    for p in patterns:
        if isinstance(p, URLResolver):
            out |= _names(p.url_patterns, p.namespace or namespace)
        elif isinstance(p, URLPattern) and p.name:
            out.add(f"{namespace}:{p.name}" if namespace else p.name)
    return out


def page_coverage_problems() -> list[str]:
    problems = []
    for config, c in contrib.declared():
        exposed = set()
        for inc in (*c.console_urls, *c.portal_urls):
            exposed |= page_names(inc.urlconf)
        rows = set()
        for m in c.page_matrix:
            rows |= set(importlib.import_module(m).ROUTES)
        if missing := sorted(exposed - rows):
            problems.append(f"{config.label}: pages without a row in the page matrix: {missing}")
        if stale := sorted(rows - exposed):
            problems.append(f"{config.label}: rows for pages it does not expose: {stale}")
    return problems


def test_every_declared_page_has_a_row():
    problems = page_coverage_problems()
    assert not problems, problems


def test_every_row_says_who_and_how():
    """A typo in a row's options would silently run the defaults."""
    for name, row in ROUTES.items():
        how = row[3] if len(row) > 3 else {}
        assert set(how) <= {"who", "ok", "outsider", "worker", "as", "ours", "query", "shows"}, name
        assert how.get("who", "staff") in {"staff", "worker", "public"}, name
        assert set(row[2].split()) <= {"GET", "POST"}, name


OURS = ("李小红", "王骑手", "西湖区", "杭州某科技", "某外卖平台", "西湖区职工之家")
ROLES = ["city_admin", "district_staff", "viewer", "finance", "leader"]


@pytest.fixture(scope="module")
def _world(module_world):
    """Built once for the module (conftest's `module_world`), each app's `build` adding its objects;
    each test gets its own copy."""
    def build():
        from huigong.portal.testing import make_worker_account
        from huigong.testing import Cast

        cast = Cast().build()
        cast.site = ServiceSite.objects.create(name="西湖区职工之家", kind=SiteKind.WORKERS_HOME, union=cast.xihu,
                                               address="教工路18号")
        # 李小红 signed up on the portal (our worker); 赵青岛 is a worker of another union (the outsider).
        cast.worker = make_worker_account(person=cast.member.person)
        cast.qd_worker = make_worker_account(person=cast.qd_member.person)
        for module in _modules():
            if getattr(module, "WORLD", "") != "own" and hasattr(module, "build"):
                module.build(cast)
        cast.sessions = _sessions(cast)
        return cast

    return module_world(build)


@pytest.fixture
def world(_world, db, pdf_without_typesetting):
    # The matrix is about who gets a page, not about typesetting: a PDF page renders its template (so a
    # template error still fails here) and skips WeasyPrint, which the PDF pages' own tests run.
    return copy.deepcopy(_world)


class _Rollback(Exception):
    pass


def _our_trace(world) -> tuple[int, int]:
    """Audit events and access rows in our subtree (杭州): the outsider and another union's worker write none."""
    return (AuditEvent.objects.filter(node_path__startswith=world.hangzhou.path).count(),
            AccessLog.objects.filter(node_path__startswith=world.hangzhou.path).count())


def _sessions(world) -> dict[str, str]:
    """Every persona signed in once for the module (a sign-in costs as much as a page): their session keys."""
    from django.test import Client

    from huigong.portal.testing import sign_in

    out = {}
    extra = {row[3]["as"] for row in ROUTES.values() if len(row) > 3 and "as" in row[3]}
    for who in ("worker", "qd_worker", "outsider", *ROLES, *sorted(extra)):
        c = Client()
        if who not in ("outsider", *ROLES):
            sign_in(c, getattr(world, who))
        else:
            c.force_login(getattr(world, who))
        out[who] = c.session.session_key
    return out


def _client_as(world, who):
    from django.conf import settings
    from django.test import Client

    client = Client()
    if who != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[who]
    return client


def _send(client, method, target, data=None, query=None):
    if method == "GET" and query:
        data = {**(data or {}), **query}
    r = getattr(client, method.lower())(target, data or {})
    body = b"".join(r.streaming_content) if getattr(r, "streaming", False) else r.content
    return r, body.decode("utf-8", "replace")


def _personas(who: str) -> list[str]:
    if who == "worker":
        return ["anonymous", "staff", "qd_worker", "worker"]
    if who == "public":
        return ["anonymous", "outsider", "qd_worker"]
    return ["anonymous", "worker", "outsider", *ROLES]


def _statuses(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _check(world, name, persona, args) -> list[str]:
    _args_of, cap, methods, *rest = ROUTES[name]
    how = rest[0] if rest else {}
    who, ok = how.get("who", "staff"), _statuses(how.get("ok", 200))
    target = reverse(name, args=args)
    query = how["query"](world) if "query" in how else None
    problems = []
    client = _client_as(world, {"staff": "city_admin", "worker": how.get("as", "worker")}.get(persona, persona)
                        if who == "worker" else "city_admin" if persona == "staff" else persona)
    before = _our_trace(world)
    for method in methods.split():
        if persona == "anonymous":
            r, _b = _send(client, method, target, query=query)
            if who == "public":
                if r.status_code not in ok:
                    problems.append(f"anonymous {method}: {r.status_code}, not one of {ok}")
                continue
            login = "/portal/login" if who == "worker" else "/accounts/login"
            if r.status_code != 302 or login not in r["Location"]:
                problems.append(f"anonymous {method}: {r.status_code}, not sent to {login}")
            continue
        if persona in ("outsider", "qd_worker", "staff") or (persona == "worker" and who == "staff"):
            r, body = _send(client, method, target, {"q": "西湖"} if method == "GET" else None, query)
            if who == "public":
                expected = (*ok, 302)  # a page before sign-in may send the signed-in on
            elif persona == "staff":
                expected = (302,)  # staff have no worker account: sent to the portal's sign-in
            elif persona == "worker":
                expected = _statuses(how.get("worker", (302, 403, 404)))  # a worker has no console
            elif args and how.get("ours", True):
                expected = (403, 404)  # one of our objects
            elif cap and who == "staff" and not world.outsider.staff.can(cap):
                expected = (403,)  # a page of its own subtree, but not for its role
            else:
                expected = _statuses(how.get("outsider", 200))  # the outsider's own subtree's page
            if r.status_code not in expected:
                problems.append(f"{persona} {method}: {r.status_code}, not one of {expected}")
            if leaked := [w for w in OURS if w in body and w not in how.get("shows", ())]:
                problems.append(f"{persona} {method}: sees {leaked}")
            continue
        # Our own: a role on a console page, our worker on a worker's page.
        allowed = who == "worker" or cap is None or getattr(world, persona).staff.can(cap)
        if method == "POST" and allowed:
            continue  # allowed writes are exercised with real data in the per-page tests
        r, _b = _send(client, method, target, query=query)
        want = ok if allowed else (403,)
        if r.status_code not in want:
            problems.append(f"{persona} {method}: {r.status_code}, not one of {want}")
    after = _our_trace(world)
    if persona in ("outsider", "qd_worker", "anonymous", "staff") and after != before:
        problems.append(f"{persona}: wrote {after[0] - before[0]} audit events and {after[1] - before[1]} access "
                        "rows in our subtree")
    if persona in ROLES and cap and not getattr(world, persona).staff.can(cap) and after[1] != before[1]:
        problems.append(f"{persona}: refused, yet an access row was written")
    return problems


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_page_for_every_persona(world, name):
    """Each persona in its own rolled-back savepoint; every problem of the page reported at once."""
    who = (ROUTES[name][3] if len(ROUTES[name]) > 3 else {}).get("who", "staff")
    # The page's objects are made (or looked up) once, outside the personas' savepoints: a row whose builder
    # creates its objects lazily keeps them for every persona (and for later pages of the module's world).
    args = ROUTES[name][0](world)
    problems = []
    for persona in _personas(who):
        try:
            with transaction.atomic():
                problems += [f"{name}: {p}" for p in _check(world, name, persona, args)]
                raise _Rollback
        except _Rollback:
            pass
    assert not problems, problems
