"""The honours console pages × roles (the rows of page_matrix.py, WORLD = "own"): the anonymous are sent
to sign in, the outsider (another subtree) never gets a page or a byte of ours and leaves no audit or
access row, roles without the page's capability get 403. As orgs/tests/test_views_matrix.py, but each
page's objects are built before the counting starts."""

import copy

import pytest
from django.urls import reverse

from huigong.core.models import AccessLog, AuditEvent
from huigong.orgs.models import ServiceSite, SiteKind

from .page_matrix import ROUTES

OURS = ("李小红", "王骑手", "西湖区", "杭州某科技", "某外卖平台", "西湖区职工之家")
ROLES = ["city_admin", "district_staff", "viewer", "finance", "leader"]


@pytest.fixture(scope="module")
def _world(module_world):
    def build():
        from huigong.testing import Cast

        cast = Cast().build()
        cast.site = ServiceSite.objects.create(name="西湖区职工之家", kind=SiteKind.WORKERS_HOME, union=cast.xihu,
                                               address="教工路18号")
        return cast

    return module_world(build)


@pytest.fixture
def world(_world, db, pdf_without_typesetting):
    # Who gets a page, not typesetting: PDF pages render their templates, WeasyPrint is skipped (the PDF
    # pages' own tests run it).
    return copy.deepcopy(_world)


def url(world, name):
    return reverse(name, args=ROUTES[name][0](world))


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_page_anonymous_outsider_and_roles(client, world, name):
    """One test per page, its objects built once: anonymous → sign in; outsider → nothing of ours and no
    audit or access row; each role of the subtree → 200, or 403 without the page's capability."""
    target = url(world, name)  # builds the page's objects first
    methods = ROUTES[name][2].split()
    for method in methods:
        r = getattr(client, method.lower())(target)
        assert r.status_code == 302 and "/accounts/login" in r["Location"], ("anonymous", name, method)
    client.force_login(world.outsider)
    events, reads = AuditEvent.objects.count(), AccessLog.objects.count()
    for method in methods:
        r = getattr(client, method.lower())(target, {"q": "西湖"} if method == "GET" else {})
        if ROUTES[name][0](world):
            assert r.status_code in (403, 404), ("outsider", name, method, r.status_code)
        else:
            assert r.status_code == 200, ("outsider", name, method, r.status_code)
        body = r.content.decode(errors="replace")
        assert not any(word in body for word in OURS), ("outsider", name, method)
    assert (AuditEvent.objects.count(), AccessLog.objects.count()) == (events, reads)
    cap = ROUTES[name][1]
    for role in ROLES:
        user = getattr(world, role)
        allowed = cap is None or user.staff.can(cap)
        reads = AccessLog.objects.count()
        client.force_login(user)
        for method in methods:
            if method == "POST" and allowed:
                continue  # allowed writes are exercised with real data in the service and page tests
            r = getattr(client, method.lower())(target)
            assert r.status_code == (200 if allowed else 403), (name, role, method, r.status_code)
        if not allowed:
            assert AccessLog.objects.count() == reads, (name, role)
