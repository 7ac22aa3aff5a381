"""Unions, enterprises and service sites through the API: scoping, filters, validation, audit."""

import pytest

from huigong.core.models import AuditEvent
from huigong.orgs.models import Enterprise, ServiceSite, UnionNode
from huigong.testing import make_member, new_uscc

pytestmark = pytest.mark.django_db


def _ids(response):
    return {item["id"] for item in response.json()["items"]}


# --- Unions ------------------------------------------------------------------------------------------


def test_union_list_is_the_actors_subtree_in_tree_order(cast, api_as):
    r = api_as(cast.city_admin).get("unions")
    assert r.status_code == 200
    assert _ids(r) == {cast.hangzhou.pk, cast.xihu.pk, cast.riders.pk, cast.tech.pk}
    assert [i["name"] for i in r.json()["items"]][:2] == ["杭州市总工会", "西湖区总工会"]
    by_id = {i["id"]: i for i in r.json()["items"]}
    assert by_id[cast.tech.pk]["parent_id"] == cast.xihu.pk
    assert by_id[cast.xihu.pk]["child_count"] == 2
    assert _ids(api_as(cast.district_staff).get("unions")) == {cast.xihu.pk, cast.riders.pk, cast.tech.pk}


def test_union_list_filters(cast, api_as):
    c = api_as(cast.city_admin)
    assert _ids(c.get("unions", {"parent": cast.xihu.pk})) == {cast.riders.pk, cast.tech.pk}
    assert _ids(c.get("unions", {"level": "joint"})) == {cast.riders.pk}
    assert _ids(c.get("unions", {"q": "骑手"})) == {cast.riders.pk}
    assert c.get("unions", {"parent": cast.qingdao.pk}).status_code == 404
    assert c.get("unions", {"parent": 999999}).status_code == 404


def test_union_list_pagination(cast, api_as):
    c = api_as(cast.city_admin)
    r = c.get("unions", {"limit": 2, "offset": 1})
    body = r.json()
    assert (body["count"], body["limit"], body["offset"], len(body["items"])) == (4, 2, 1, 2)
    r = c.get("unions", {"limit": 501})
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "limit"
    assert c.get("unions", {"offset": -1}).status_code == 422
    assert c.get("unions", {"limit": 500}).status_code == 200


def test_union_detail_rolls_up_member_counts(cast, api_as):
    c = api_as(cast.city_admin)
    assert c.get(f"unions/{cast.hangzhou.pk}").json()["member_count"] == 2
    xihu = c.get(f"unions/{cast.xihu.pk}").json()
    assert (xihu["member_count"], xihu["child_count"], xihu["parent_id"]) == (2, 2, cast.hangzhou.pk)
    assert c.get(f"unions/{cast.tech.pk}").json()["member_count"] == 1


def test_union_outside_the_subtree_is_denied(cast, api_as):
    assert api_as(cast.outsider).get(f"unions/{cast.tech.pk}").status_code == 404
    assert api_as(cast.district_staff).get(f"unions/{cast.hangzhou.pk}").status_code == 404
    assert api_as(cast.city_admin).get("unions/999999").status_code == 404


def test_union_create_writes_node_and_audit(cast, api_as):
    body = {
        "parent_id": cast.xihu.pk,
        "code": "XH-ST-01",
        "name": "文新街道工会",
        "level": "township",
        "region_code": "330106",
    }
    r = api_as(cast.city_admin).post("unions", body)
    assert r.status_code == 201, r.content
    out = r.json()
    node = UnionNode.objects.get(pk=out["id"])
    assert UnionNode.objects.get_parent(node).pk == cast.xihu.pk
    assert (out["parent_id"], out["member_count"], out["level_label"]) == (cast.xihu.pk, 0, "乡镇/街道工会")
    ev = AuditEvent.objects.get(verb="node.create", object_id=str(node.pk))
    assert ev.actor_id == cast.city_admin.pk and ev.new["code"] == "XH-ST-01"


def test_union_create_validation_names_fields(cast, api_as):
    c = api_as(cast.city_admin)
    r = c.post(
        "unions",
        {
            "parent_id": cast.xihu.pk,
            "code": cast.tech.code,
            "name": " ",
            "level": "township",
            "region_code": "33",
        },
    )
    assert r.status_code == 422
    fields = {e["field"]: e["message"] for e in r.json()["detail"]}
    assert set(fields) == {"code", "name", "region_code"}
    assert "已被使用" in fields["code"] and "already used" not in fields["code"]
    r = c.post("unions", {"parent_id": 999999, "code": "X1", "name": "某", "level": "township"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "parent_id"
    r = c.post("unions", {"parent_id": cast.xihu.pk, "code": "X1", "name": "某", "level": "planet"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "level"
    r = c.post("unions", {"code": "X1", "name": "某", "level": "township"})
    assert r.status_code == 422
    assert r.json()["detail"] == [{"field": "parent_id", "message": "parent_id：必填"}]
    assert not UnionNode.objects.filter(code="X1").exists()


def test_union_create_elsewhere_is_denied(cast, api_as):
    body = {"parent_id": cast.qingdao.pk, "code": "QD-X", "name": "某工会", "level": "township"}
    assert api_as(cast.city_admin).post("unions", body).status_code == 422
    assert not UnionNode.objects.filter(code="QD-X").exists()


def test_union_patch_changes_only_what_was_sent(cast, api_as):
    c = api_as(cast.city_admin)
    r = c.patch(f"unions/{cast.tech.pk}", {"contact_name": "周联络", "contact_phone": "0571-88888888"})
    assert r.status_code == 200
    cast.tech.refresh_from_db()
    assert (cast.tech.contact_name, cast.tech.name) == ("周联络", "杭州某科技公司工会")
    ev = AuditEvent.objects.get(verb="node.update", object_id=str(cast.tech.pk))
    assert ev.old == {"contact_name": "", "contact_phone": ""}
    r = c.patch(f"unions/{cast.tech.pk}", {"name": None})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "name"
    assert c.patch(f"unions/{cast.tech.pk}", {"name": ""}).json()["detail"][0]["field"] == "name"


def test_union_move_moves_the_subtree(cast, api_as):
    c = api_as(cast.city_admin)
    r = c.post(f"unions/{cast.tech.pk}/move", {"new_parent_id": cast.riders.pk})
    assert r.status_code == 200, r.content
    assert r.json()["parent_id"] == cast.riders.pk
    assert c.get(f"unions/{cast.riders.pk}").json()["member_count"] == 2
    assert AuditEvent.objects.filter(verb="node.move", object_id=str(cast.tech.pk)).exists()


def test_union_move_rules(cast, api_as):
    c = api_as(cast.city_admin)
    r = c.post(f"unions/{cast.xihu.pk}/move", {"new_parent_id": cast.tech.pk})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "new_parent_id"
    assert c.post(f"unions/{cast.hangzhou.pk}/move", {"new_parent_id": cast.xihu.pk}).status_code == 403
    assert c.post(f"unions/{cast.tech.pk}/move", {"new_parent_id": cast.qingdao.pk}).status_code == 422
    cast.tech.refresh_from_db()
    assert UnionNode.objects.get_parent(cast.tech).pk == cast.xihu.pk


# --- Enterprises -------------------------------------------------------------------------------------


def test_enterprise_list_filters_and_scope(cast, api_as):
    c = api_as(cast.city_admin)
    assert _ids(c.get("enterprises")) == {cast.enterprise.pk, cast.platform.pk}
    assert _ids(c.get("enterprises", {"kind": "platform"})) == {cast.platform.pk}
    assert _ids(c.get("enterprises", {"q": cast.enterprise.uscc})) == {cast.enterprise.pk}
    assert _ids(c.get("enterprises", {"union": cast.riders.pk})) == {cast.platform.pk}
    assert c.get("enterprises", {"union": cast.qd_ent.pk}).status_code == 404
    assert _ids(api_as(cast.outsider).get("enterprises")) == {cast.qd_enterprise.pk}


def test_enterprise_get(cast, api_as):
    r = api_as(cast.viewer).get(f"enterprises/{cast.platform.pk}")
    assert r.status_code == 200
    assert (r.json()["kind"], r.json()["kind_label"], r.json()["union"]["id"]) == (
        "platform",
        "平台企业",
        cast.riders.pk,
    )
    assert api_as(cast.outsider).get(f"enterprises/{cast.enterprise.pk}").status_code == 404
    assert api_as(cast.city_admin).get(f"enterprises/{cast.qd_enterprise.pk}").status_code == 404


def test_enterprise_create_and_uscc_check(cast, api_as):
    c = api_as(cast.city_admin)
    code = new_uscc()
    r = c.post(
        "enterprises",
        {
            "union_id": cast.tech.pk,
            "name": "西湖新设有限公司",
            "uscc": code.lower(),
            "kind": "enterprise",
            "size": "small",
            "employee_count": 12,
        },
    )
    assert r.status_code == 201, r.content
    assert r.json()["uscc"] == code
    assert AuditEvent.objects.filter(verb="enterprise.create", object_id=str(r.json()["id"])).exists()
    bad = code[:17] + ("0" if code[17] != "0" else "1")
    r = c.post("enterprises", {"union_id": cast.tech.pk, "name": "坏代码公司", "uscc": bad})
    assert r.status_code == 422
    err = r.json()["detail"][0]
    assert err["field"] == "uscc" and "校验位" in err["message"] and "check character" not in err["message"]
    r = c.post("enterprises", {"union_id": cast.tech.pk, "name": "重复公司", "uscc": code})
    assert r.status_code == 422 and "已登记" in r.json()["detail"][0]["message"]
    assert Enterprise.objects.filter(name__in=["坏代码公司", "重复公司"]).count() == 0


def test_enterprise_patch(cast, api_as):
    c = api_as(cast.city_admin)
    r = c.patch(
        f"enterprises/{cast.enterprise.pk}", {"employee_count": 88, "union_id": cast.xihu.pk, "size": None}
    )
    assert r.status_code == 200, r.content
    cast.enterprise.refresh_from_db()
    assert (cast.enterprise.employee_count, cast.enterprise.union_id, cast.enterprise.size) == (
        88,
        cast.xihu.pk,
        "",
    )
    r = c.patch(f"enterprises/{cast.enterprise.pk}", {"union_id": cast.qd_ent.pk})
    assert r.status_code == 422
    r = c.patch(f"enterprises/{cast.enterprise.pk}", {"union_id": None})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "union_id"
    assert (
        api_as(cast.district_staff).patch(f"enterprises/{cast.enterprise.pk}", {"industry": "x"}).status_code
        == 403
    )


# --- Sites -------------------------------------------------------------------------------------------


def test_site_create_get_patch(cast, api_as):
    c = api_as(cast.city_admin)
    r = c.post(
        "sites",
        {
            "union_id": cast.riders.pk,
            "name": "骑手驿站",
            "kind": "outdoor_station",
            "address": "文一路2号",
            "latitude": "30.28",
            "longitude": "120.12",
        },
    )
    assert r.status_code == 201, r.content
    site_id = r.json()["id"]
    assert r.json()["kind_label"] == "户外劳动者服务站"
    got = c.get(f"sites/{site_id}").json()
    assert (float(got["latitude"]), got["union"]["id"]) == (30.28, cast.riders.pk)
    r = c.patch(f"sites/{site_id}", {"is_active": False, "latitude": None})
    assert r.status_code == 200
    site = ServiceSite.objects.get(pk=site_id)
    assert (site.is_active, site.latitude) == (False, None)
    assert AuditEvent.objects.filter(verb="site.update", object_id=str(site_id)).exists()
    assert api_as(cast.outsider).get(f"sites/{site_id}").status_code == 404


def test_site_validation(cast, api_as):
    c = api_as(cast.city_admin)
    r = c.post(
        "sites",
        {"union_id": cast.tech.pk, "name": "", "kind": "workers_home", "address": "某路", "latitude": "95"},
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["detail"]} == {"name", "latitude"}
    r = c.post("sites", {"union_id": cast.tech.pk, "name": "某", "kind": "spa", "address": "某路"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "kind"
    assert ServiceSite.objects.count() == 0


def test_site_list_filters(cast, api_as):
    from huigong.orgs.services import site_create

    a = site_create(actor=cast.city_admin, union=cast.tech, name="职工之家", kind="workers_home", address="1")
    b = site_create(
        actor=cast.city_admin, union=cast.riders, name="妈妈小屋", kind="mothers_room", address="2"
    )
    c = api_as(cast.viewer)
    assert _ids(c.get("sites")) == {a.pk, b.pk}
    assert _ids(c.get("sites", {"kind": "mothers_room"})) == {b.pk}
    assert _ids(c.get("sites", {"union": cast.tech.pk})) == {a.pk}
    assert _ids(api_as(cast.outsider).get("sites")) == set()


def test_lists_do_not_grow_queries_with_rows(cast, api_as):
    """One COUNT and one page query (plus auth) however many rows: no per-row lookups."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = api_as(cast.city_admin)

    def count(path):
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(path).status_code == 200
        return len(ctx)

    c.get("unions")  # the first call also stamps the token's last use
    before = {p: count(p) for p in ("unions", "enterprises", "members", "memberships", "audit")}
    for i in range(6):
        UnionNode.objects.add_child(UnionNode.objects.get(pk=cast.xihu.pk), dict(code=f"QC{i}", name=f"街道{i}", level="township"))
        Enterprise.objects.create(name=f"公司{i}", uscc=new_uscc(), union=cast.tech)
        make_member(cast.city_admin, cast.tech, f"成员{i}")
    after = {p: count(p) for p in before}
    assert after == before


# --- Hostile input ------------------------------------------------------------------------------------


def test_out_of_range_ids_are_422_not_a_database_error(cast, api_as):
    c = api_as(cast.city_admin)
    huge = 2**70
    assert c.get(f"unions/{huge}").status_code == 422
    assert c.get("members", {"union": huge}).status_code == 422
    r = c.post("unions", {"parent_id": huge, "code": "X", "name": "某", "level": "township"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "parent_id"
    r = c.post("enterprises", {"union_id": cast.tech.pk, "name": "某", "uscc": new_uscc(), "employee_count": 2**40})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "employee_count"
    assert c.get("unions", {"offset": 10**15}).status_code == 422


def test_nul_characters_are_refused_with_the_field_named(cast, api_as):
    c = api_as(cast.city_admin)
    r = c.post("unions", {"parent_id": cast.xihu.pk, "code": "NUL-1", "name": "某\x00工会", "level": "township"})
    assert r.status_code == 422
    assert r.json()["detail"] == [{"field": "name", "message": "不能包含空字符"}]
    assert c.get("members", {"q": "李\x00"}).json()["detail"][0]["field"] == "q"
    assert not UnionNode.objects.filter(code="NUL-1").exists()


def test_a_body_that_is_not_json_is_a_bilingual_400(cast, api_as):
    c = api_as(cast.city_admin)
    r = c.client.post("/api/v1/unions", b"\xff{not json", content_type="application/json", headers=c.headers)
    assert r.status_code == 400
    assert r.json()["detail"] == "请求体无法解析，应为 JSON"
