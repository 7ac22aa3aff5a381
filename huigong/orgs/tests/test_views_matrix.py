"""The console page matrix × roles: the anonymous are sent to sign in, the outsider (another subtree)
never gets a page or a byte of ours, roles without a capability get 403. Each app declares its rows
(contributions.page_matrix in its apps.py: modules with ROUTES); a module with WORLD = "own" runs its
rows against its own world (members' roster pages) and counts here only for coverage. A console or
portal page an app exposes without a row fails test_every_declared_page_has_a_row."""

import copy
import importlib

import pytest
from django.urls import URLPattern, URLResolver, reverse

from huigong.core import contrib
from huigong.core.models import AccessLog, AuditEvent
from huigong.orgs.models import ServiceSite, SiteKind

# Apps whose pages predate this matrix: their pages have per-page outsider and role tests in their own
# test packages, not rows here yet. The list may only shrink: any other app (every new one) must
# declare rows for every page it exposes.
PAGE_ROWS_PENDING = {"accounts", "assistance", "benefits", "insights", "portal"}


def _modules(config_filter=None) -> list:
    return [importlib.import_module(m) for config, c in contrib.declared()
            if config_filter is None or config_filter(config) for m in c.page_matrix]


def _routes(*, own_world: bool | None = False) -> dict:
    out: dict = {}
    for module in _modules():
        if own_world is None or (getattr(module, "WORLD", "") == "own") == own_world:
            out.update(module.ROUTES)
    return out


# name -> (args builder, capability the page needs beyond VIEW, methods): the rows run here.
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


def page_coverage_problems(pending=frozenset()) -> list[str]:
    problems = []
    for config, c in contrib.declared():
        exposed = set()
        for inc in (*c.console_urls, *c.portal_urls):
            exposed |= page_names(inc.urlconf)
        rows = set()
        for m in c.page_matrix:
            rows |= set(importlib.import_module(m).ROUTES)
        if config.label in pending:
            if exposed and exposed <= rows:
                problems.append(f"{config.label}: every page has rows now; take it off PAGE_ROWS_PENDING")
            continue
        if missing := sorted(exposed - rows):
            problems.append(f"{config.label}: pages without a row in the page matrix: {missing}")
        if stale := sorted(rows - exposed):
            problems.append(f"{config.label}: rows for pages it does not expose: {stale}")
    return problems


def test_every_declared_page_has_a_row():
    problems = page_coverage_problems(PAGE_ROWS_PENDING)
    assert not problems, problems


OURS = ("李小红", "王骑手", "西湖区", "杭州某科技", "某外卖平台", "西湖区职工之家")
ROLES = ["city_admin", "district_staff", "viewer", "finance", "leader"]


@pytest.fixture(scope="module")
def _world(module_world):
    """Built once for the module (conftest's `module_world`); each test gets its own copy."""
    def build():
        from huigong.testing import Cast

        cast = Cast().build()
        cast.site = ServiceSite.objects.create(name="西湖区职工之家", kind=SiteKind.WORKERS_HOME, union=cast.xihu,
                                               address="教工路18号")
        return cast

    return module_world(build)


@pytest.fixture
def world(_world, db):
    return copy.deepcopy(_world)


def url(world, name):
    return reverse(name, args=ROUTES[name][0](world))


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_anonymous_is_sent_to_sign_in(client, world, name):
    for method in ROUTES[name][2].split():
        r = getattr(client, method.lower())(url(world, name))
        assert r.status_code == 302 and "/accounts/login" in r["Location"], (name, method)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_outsider_gets_nothing_of_ours(client, world, name):
    client.force_login(world.outsider)
    events, reads = AuditEvent.objects.count(), AccessLog.objects.count()
    for method in ROUTES[name][2].split():
        r = getattr(client, method.lower())(url(world, name), {"q": "西湖"} if method == "GET" else {})
        if ROUTES[name][0](world):  # a page about one of our objects: out of the outsider's scope
            assert r.status_code in (403, 404), (name, method, r.status_code)
        else:
            assert r.status_code == 200, (name, method, r.status_code)  # their own subtree's page
        body = r.content.decode()
        assert not any(word in body for word in OURS), (name, method)
    assert (AuditEvent.objects.count(), AccessLog.objects.count()) == (events, reads)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_roles_inside_the_subtree(client, world, name, role):
    user = getattr(world, role)
    cap = ROUTES[name][1]
    allowed = cap is None or user.staff.can(cap)
    client.force_login(user)
    for method in ROUTES[name][2].split():
        if method == "POST" and allowed:
            continue  # allowed writes are exercised with real data in the per-page tests
        r = getattr(client, method.lower())(url(world, name))
        assert r.status_code == (200 if allowed else 403), (name, role, method, r.status_code)
    if not allowed:
        assert not AccessLog.objects.exists()
