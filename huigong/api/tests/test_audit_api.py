"""The audit trail through the API: who may read it, the subtree it covers, filters, read-only."""

import datetime as dt

import pytest
from django.utils import timezone

from huigong.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _verbs_reprs(response):
    return {(i["verb"], i["object_repr"]) for i in response.json()["items"]}


def test_audit_shows_the_subtree_only(cast, api_as):
    c = api_as(cast.city_admin)
    c.patch(f"unions/{cast.tech.pk}", {"contact_name": "周联络"})
    r = c.get("audit", {"limit": 500})
    assert r.status_code == 200
    seen = _verbs_reprs(r)
    assert ("person.create", "李小红") in seen
    assert ("node.update", "杭州某科技公司工会") in seen
    assert all("青岛" not in rep for _, rep in seen)
    assert ("person.create", "赵青岛") not in seen
    item = next(i for i in r.json()["items"] if i["verb"] == "node.update")
    assert (item["actor_label"], item["old"], item["new"]) == (
        "city_admin",
        {"contact_name": ""},
        {"contact_name": "周联络"},
    )
    outsider = _verbs_reprs(api_as(cast.outsider).get("audit", {"limit": 500}))
    assert ("person.create", "赵青岛") in outsider and ("person.create", "李小红") not in outsider


def test_audit_needs_the_audit_capability(cast, api_as):
    assert api_as(cast.leader).get("audit").status_code == 200
    for who in (cast.viewer, cast.finance, cast.district_staff):
        r = api_as(who).get("audit")
        assert r.status_code == 403
        assert "items" not in r.json()


def test_audit_filters(cast, api_as):
    c = api_as(cast.city_admin)
    c.patch(f"unions/{cast.tech.pk}", {"contact_name": "周联络"})
    assert {i["verb"] for i in c.get("audit", {"verb": "person"}).json()["items"]} == {"person.create"}
    assert {i["verb"] for i in c.get("audit", {"verb": "node.update"}).json()["items"]} == {"node.update"}
    by_type = c.get("audit", {"object_type": "members.membership"}).json()["items"]
    assert by_type and {i["object_type"] for i in by_type} == {"members.membership"}
    assert c.get("audit", {"q": "李小红"}).json()["count"] == 1
    assert c.get("audit", {"actor": "nobody"}).json()["count"] == 0
    assert c.get("audit", {"actor": "city_admin"}).json()["count"] >= 3
    today = timezone.localdate()
    assert c.get("audit", {"since": str(today + dt.timedelta(days=1))}).json()["count"] == 0
    assert c.get("audit", {"until": str(today)}).json()["count"] >= 3
    assert c.get("audit", {"since": "not-a-date"}).status_code == 422


def test_audit_is_read_only_over_the_api(cast, api_as):
    c = api_as(cast.city_admin)
    before = AuditEvent.objects.count()
    for method in ("post", "patch"):
        assert getattr(c, method)("audit", {"verb": "x"}).status_code == 405
    assert c.client.delete("/api/v1/audit", headers=c.headers).status_code == 405
    assert AuditEvent.objects.count() == before


def test_access_log_lists_reveals_of_the_subtree(cast, api_as):
    api_as(cast.finance).post(
        f"members/{cast.member.person_id}/reveal", {"fields": ["id_number", "phone"], "purpose": "补助核对"}
    )
    api_as(cast.outsider).post(
        f"members/{cast.qd_member.person_id}/reveal", {"fields": ["phone"], "purpose": "青岛的查看"}
    )
    r = api_as(cast.leader).get("audit/access-log")
    assert r.status_code == 200
    items = r.json()["items"]
    assert [(i["actor_label"], i["fields"], i["purpose"], i["object_id"]) for i in items] == [
        ("city_finance", ["id_number", "phone"], "补助核对", str(cast.member.person_id))
    ]
    assert api_as(cast.leader).get("audit/access-log", {"actor": "qd_admin"}).json()["count"] == 0
    assert api_as(cast.finance).get("audit/access-log").status_code == 403
    assert [i["purpose"] for i in api_as(cast.outsider).get("audit/access-log").json()["items"]] == [
        "青岛的查看"
    ]
