"""A generated matrix over every console page of the orgs and members (people) apps × roles: the
anonymous are sent to sign in, the outsider (another subtree) never gets a page or a byte of ours,
roles without a capability get 403. A new route fails the first test until it is placed here."""

import copy

import pytest
from django.urls import URLPattern, URLResolver, reverse

from huigong.core.models import AccessLog, AuditEvent
from huigong.members import urls as member_urls
from huigong.members import urls_roster
from huigong.orgs import urls as org_urls
from huigong.orgs.models import ServiceSite, SiteKind

# name -> (args builder, capability the page needs beyond VIEW, methods)
ROUTES = {
    "orgs:tree": (lambda c: [], None, "GET"),
    "orgs:tree_children": (lambda c: [c.xihu.pk], None, "GET"),
    "orgs:node_detail": (lambda c: [c.xihu.pk], None, "GET"),
    "orgs:node_create": (lambda c: [c.xihu.pk], "org_write", "GET POST"),
    "orgs:node_edit": (lambda c: [c.xihu.pk], "org_write", "GET POST"),
    "orgs:node_move": (lambda c: [c.tech.pk], "org_write", "GET POST"),
    "orgs:node_picker": (lambda c: [], None, "GET"),
    "orgs:enterprise_picker": (lambda c: [], None, "GET"),
    "orgs:enterprise_list": (lambda c: [], None, "GET"),
    "orgs:enterprise_create": (lambda c: [], "org_write", "GET POST"),
    "orgs:enterprise_detail": (lambda c: [c.enterprise.pk], None, "GET"),
    "orgs:enterprise_edit": (lambda c: [c.enterprise.pk], "org_write", "GET POST"),
    "orgs:site_list": (lambda c: [], None, "GET"),
    "orgs:site_create": (lambda c: [], "org_write", "GET POST"),
    "orgs:site_edit": (lambda c: [c.site.pk], "org_write", "GET POST"),
    "members:list": (lambda c: [], None, "GET"),
    "members:create": (lambda c: [], "member_write", "GET POST"),
    "members:detail": (lambda c: [c.member.person_id], None, "GET"),
    "members:edit": (lambda c: [c.member.person_id], "member_write", "GET POST"),
    "members:transfer": (lambda c: [c.member.person_id], "member_write", "GET POST"),
    "members:withdraw": (lambda c: [c.member.person_id], "member_write", "GET POST"),
    "members:reveal": (lambda c: [c.member.person_id, "id_number"], "pii_full", "POST"),
}
OURS = ("李小红", "王骑手", "西湖区", "杭州某科技", "某外卖平台", "西湖区职工之家")
ROLES = ["city_admin", "district_staff", "viewer", "finance", "leader"]


def _names(patterns, namespace):
    out = set()
    for p in patterns:
        if isinstance(p, URLResolver):
            continue  # included modules (roster routes) are another helper's matrix
        if isinstance(p, URLPattern) and p.name:
            out.add(f"{namespace}:{p.name}")
    return out


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


def test_every_route_is_in_the_matrix():
    roster = {f"members:{p.name}" for p in urls_roster.urlpatterns if getattr(p, "name", None)}
    declared = _names(org_urls.urlpatterns, "orgs") | (_names(member_urls.urlpatterns, "members") - roster)
    assert declared == set(ROUTES)


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
