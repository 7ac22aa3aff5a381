"""Enterprise pages: list filters, detail counts, create/edit with USCC validation, scope."""

import pytest
from django.urls import reverse

from huigong.core import uscc
from huigong.core.models import AuditEvent
from huigong.orgs.models import Enterprise, EnterpriseKind
from huigong.testing import make_enterprise, make_member, new_uscc


def get(client, user, name, *args, data=None):
    client.force_login(user)
    return client.get(reverse(name, args=args), data or {})


def post(client, user, name, *args, data=None):
    client.force_login(user)
    return client.post(reverse(name, args=args), data or {})


def form_data(cast, **kw):
    data = {"name": "杭州新开物流有限公司", "uscc": new_uscc(), "kind": EnterpriseKind.ENTERPRISE,
            "union": cast.tech.pk, "industry": "物流", "size": "small", "employee_count": "120",
            "region_code": "330106", "address": "西湖区文三路1号"}
    data.update(kw)
    return data


@pytest.mark.parametrize("who", ["city_admin", "viewer", "district_staff", "tech_staff", "leader"])
def test_list_shows_enterprises_of_the_subtree(client, cast, who):
    r = get(client, getattr(cast, who), "orgs:enterprise_list")
    html = r.content.decode()
    assert r.status_code == 200
    assert "杭州某科技有限公司" in html and "青岛某制造有限公司" not in html
    if who == "tech_staff":
        assert "某外卖平台" not in html  # covered by the riders' union, a sibling


def test_outsider_sees_only_their_own(client, cast):
    html = get(client, cast.outsider, "orgs:enterprise_list").content.decode()
    assert "青岛某制造有限公司" in html and "杭州某科技有限公司" not in html


def test_list_search_by_name_and_credit_code_and_filters(client, cast):
    courier = make_enterprise(cast.riders, "某快递公司")
    Enterprise.objects.filter(pk=courier.pk).update(industry="快递")
    r = get(client, cast.city_admin, "orgs:enterprise_list", data={"q": "外卖"})
    assert [e.pk for e in r.context["page_obj"]] == [cast.platform.pk]
    r = get(client, cast.city_admin, "orgs:enterprise_list", data={"q": cast.enterprise.uscc.lower()})
    assert [e.pk for e in r.context["page_obj"]] == [cast.enterprise.pk]
    r = get(client, cast.city_admin, "orgs:enterprise_list", data={"kind": "platform"})
    assert [e.pk for e in r.context["page_obj"]] == [cast.platform.pk]
    r = get(client, cast.city_admin, "orgs:enterprise_list", data={"industry": "快递"})
    assert [e.pk for e in r.context["page_obj"]] == [courier.pk]
    assert ("快递", "快递") in r.context["form"].fields["industry"].choices
    r = get(client, cast.city_admin, "orgs:enterprise_list", data={"node": cast.tech.pk})
    assert [e.pk for e in r.context["page_obj"]] == [cast.enterprise.pk]


def test_list_node_filter_outside_scope_is_ignored_not_leaked(client, cast):
    r = get(client, cast.city_admin, "orgs:enterprise_list", data={"node": cast.qd_ent.pk})
    assert r.status_code == 200
    assert "node" in r.context["form"].errors
    assert "青岛某制造有限公司" not in r.content.decode()


def test_list_is_paginated_with_bounded_queries(client, cast, django_assert_max_num_queries):
    for i in range(3):
        make_enterprise(cast.tech, f"小公司{i}")
    client.force_login(cast.city_admin)
    url = reverse("orgs:enterprise_list")
    with django_assert_max_num_queries(20) as small:
        client.get(url)
    for i in range(40):
        make_enterprise(cast.tech, f"大公司{i}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        r = client.get(url)
    assert r.context["page_obj"].paginator.count == 45 and len(r.context["page_obj"].object_list) == 30
    assert "page=2" in r.content.decode()


def test_detail_shows_facts_and_member_counts(client, cast):
    make_member(cast.city_admin, cast.tech, "钱多多", employer=cast.enterprise)
    r = get(client, cast.viewer, "orgs:enterprise_detail", cast.enterprise.pk)
    html = r.content.decode()
    assert r.status_code == 200
    assert cast.enterprise.uscc in html and "杭州某科技公司工会" in html
    assert r.context["counts"] == {"employees": 2, "platform_workers": 0}
    assert f'{reverse("members:list")}?enterprise={cast.enterprise.pk}' in html
    assert reverse("orgs:enterprise_edit", args=[cast.enterprise.pk]) not in html  # viewer: no edit
    r = get(client, cast.city_admin, "orgs:enterprise_detail", cast.platform.pk)
    assert r.context["counts"]["platform_workers"] == 1


def test_detail_outside_scope_is_denied(client, cast):
    assert get(client, cast.outsider, "orgs:enterprise_detail", cast.enterprise.pk).status_code == 404
    assert get(client, cast.tech_staff, "orgs:enterprise_detail", cast.platform.pk).status_code == 404
    assert get(client, cast.city_admin, "orgs:enterprise_detail", 987654).status_code == 404


def test_create_validates_credit_code_check_character_and_writes_nothing(client, cast):
    good = new_uscc()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    r = post(client, cast.city_admin, "orgs:enterprise_create", data=form_data(cast, uscc=bad, name=""))
    assert r.status_code == 200
    errors = r.context["form"].errors
    assert "校验位" in errors["uscc"][0] and "check character" not in errors["uscc"][0]
    assert errors["name"][0] == "单位名称不能为空"
    assert "校验位" in r.content.decode()
    assert not Enterprise.objects.filter(uscc__in=[good, bad]).exists()


def test_create_refuses_duplicate_credit_code_from_the_service(client, cast):
    r = post(client, cast.city_admin, "orgs:enterprise_create", data=form_data(cast, uscc=cast.qd_enterprise.uscc))
    assert r.status_code == 200
    assert "已登记" in r.context["form"].errors["uscc"][0]
    assert Enterprise.objects.filter(uscc=cast.qd_enterprise.uscc).count() == 1


def test_create_by_admin_is_audited(client, cast):
    code = uscc.make("91330106MA2H00001")
    r = post(client, cast.city_admin, "orgs:enterprise_create", data=form_data(cast, uscc=code.lower()))
    ent = Enterprise.objects.get(uscc=code)
    assert r.status_code == 302 and r["Location"] == reverse("orgs:enterprise_detail", args=[ent.pk])
    assert ent.union_id == cast.tech.pk and ent.employee_count == 120
    assert AuditEvent.objects.filter(verb="enterprise.create", object_id=str(ent.pk)).exists()


def test_covering_union_must_be_inside_the_subtree(client, cast):
    before = Enterprise.objects.count()
    r = post(client, cast.city_admin, "orgs:enterprise_create", data=form_data(cast, union=cast.qd_ent.pk))
    assert r.status_code == 200 and "union" in r.context["form"].errors
    assert Enterprise.objects.count() == before


@pytest.mark.parametrize("who", ["viewer", "district_staff", "leader", "finance"])
def test_create_and_edit_need_org_write(client, cast, who):
    user = getattr(cast, who)
    assert get(client, user, "orgs:enterprise_create").status_code == 403
    assert get(client, user, "orgs:enterprise_edit", cast.enterprise.pk).status_code == 403
    data = form_data(cast)
    assert post(client, user, "orgs:enterprise_create", data=data).status_code == 403
    assert not Enterprise.objects.filter(uscc=data["uscc"]).exists()
    r = post(client, user, "orgs:enterprise_edit", cast.enterprise.pk, data=form_data(cast, name="改名"))
    assert r.status_code == 403 and Enterprise.objects.get(pk=cast.enterprise.pk).name != "改名"


def test_outsider_cannot_edit(client, cast):
    assert get(client, cast.outsider, "orgs:enterprise_edit", cast.enterprise.pk).status_code == 404
    r = post(client, cast.outsider, "orgs:enterprise_edit", cast.enterprise.pk,
             data=form_data(cast, name="被改", union=cast.qd_ent.pk, uscc=cast.enterprise.uscc))
    assert r.status_code == 404 and Enterprise.objects.get(pk=cast.enterprise.pk).name != "被改"


def test_edit_changes_covering_union_and_audits(client, cast):
    r = get(client, cast.city_admin, "orgs:enterprise_edit", cast.enterprise.pk)
    assert r.context["form"]["union"].value() == cast.tech.pk
    r = post(client, cast.city_admin, "orgs:enterprise_edit", cast.enterprise.pk,
             data=form_data(cast, name=cast.enterprise.name, uscc=cast.enterprise.uscc, union=cast.riders.pk))
    assert r.status_code == 302
    ent = Enterprise.objects.get(pk=cast.enterprise.pk)
    assert ent.union_id == cast.riders.pk and ent.industry == "物流"
    ev = AuditEvent.objects.get(verb="enterprise.update", object_id=str(ent.pk))
    assert ev.old["union"] == cast.tech.pk and ev.new["union"] == cast.riders.pk
