"""Tree and node pages: scope, capabilities, counts and the move flow."""

import pytest
from django.urls import reverse

from huigong.core.models import AuditEvent
from huigong.orgs import selectors
from huigong.orgs.models import Enterprise, NodeLevel, UnionNode
from huigong.testing import make_member, make_node, new_uscc


def get(client, user, name, *args, data=None):
    client.force_login(user)
    return client.get(reverse(name, args=args), data or {})


def post(client, user, name, *args, data=None):
    client.force_login(user)
    return client.post(reverse(name, args=args), data or {})


def test_anonymous_is_sent_to_sign_in(client, cast):
    r = client.get(reverse("orgs:tree"))
    assert r.status_code == 302 and "login" in r["Location"]


def test_tree_starts_at_the_actors_node_with_rolled_up_counts(client, cast):
    make_member(cast.city_admin, cast.riders, "周骑手")
    r = get(client, cast.city_admin, "orgs:tree")
    html = r.content.decode()
    assert r.status_code == 200
    assert "杭州市总工会" in html and "西湖区总工会" in html
    assert "浙江省总工会" not in html and "青岛" not in html
    # 3 active members under Hangzhou (李小红, 王骑手, 周骑手); the district row rolls them up.
    xihu = r.context["children"][0]
    assert xihu.pk == cast.xihu.pk and xihu.member_count == 3 and xihu.numchild == 2
    assert r.context["root"].member_count == 3
    # Grandchildren are not rendered until the row is expanded.
    assert "西湖区骑手联合工会" not in html
    assert reverse("orgs:tree_children", args=[cast.xihu.pk]) in html


def test_tree_counts_take_one_query_whatever_the_size(client, cast, django_assert_max_num_queries):
    for i in range(5):
        make_node(cast.xihu, f"街道工会{i}", NodeLevel.TOWNSHIP)
    client.force_login(cast.city_admin)
    client.get(reverse("orgs:tree_children", args=[cast.xihu.pk]))  # the first request stamps the session
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("orgs:tree_children", args=[cast.xihu.pk]))
    for i in range(30):
        make_node(cast.xihu, f"更多工会{i}", NodeLevel.TOWNSHIP)
    with django_assert_max_num_queries(len(small.captured_queries)) as big:
        r = client.get(reverse("orgs:tree_children", args=[cast.xihu.pk]))
    assert len(r.context["children"]) == 37
    assert len(big.captured_queries) == len(small.captured_queries)


def test_tree_children_lazy_loads_one_level(client, cast):
    r = get(client, cast.district_staff, "orgs:tree_children", cast.xihu.pk)
    html = r.content.decode()
    assert r.status_code == 200
    assert "西湖区骑手联合工会" in html and "杭州某科技公司工会" in html
    rows = {n.pk: n for n in r.context["children"]}
    assert rows[cast.riders.pk].member_count == 1 and rows[cast.tech.pk].member_count == 1


def test_tree_children_outside_scope_is_denied(client, cast):
    assert get(client, cast.outsider, "orgs:tree_children", cast.xihu.pk).status_code == 404
    # A district staff member cannot open the city above them either.
    assert get(client, cast.district_staff, "orgs:tree_children", cast.hangzhou.pk).status_code == 404


def test_tree_search_finds_nodes_inside_scope_only(client, cast):
    r = get(client, cast.city_admin, "orgs:tree", data={"q": "骑手"})
    assert [n.pk for n in r.context["matches"]] == [cast.riders.pk]
    assert r.context["matches"][0].trail == ["杭州市总工会", "西湖区总工会"]
    r = get(client, cast.outsider, "orgs:tree", data={"q": "骑手"})
    assert r.context["matches"] == []
    r = get(client, cast.city_admin, "orgs:tree", data={"q": "青岛"})
    assert r.context["matches"] == []


def test_node_detail_shows_facts_children_and_scoped_breadcrumbs(client, cast):
    r = get(client, cast.district_staff, "orgs:node_detail", cast.xihu.pk)
    html = r.content.decode()
    assert r.status_code == 200
    assert r.context["member_count"] == 2 and r.context["direct_member_count"] == 0
    assert r.context["facts"]["enterprises"] == 2 and r.context["facts"]["platforms"] == 1
    assert r.context["facts"]["staff"] == 1
    # Ancestors above the actor's own node are not shown.
    assert r.context["ancestors"] == []
    assert "西湖区骑手联合工会" in html and "某外卖平台" in html
    assert f'{reverse("members:list")}?node={cast.xihu.pk}' in html
    # Staff role has no ORG_WRITE: no edit buttons; a district cannot hold members: no register button.
    assert reverse("orgs:node_edit", args=[cast.xihu.pk]) not in html
    assert f'{reverse("members:create")}?union=' not in html
    html = get(client, cast.district_staff, "orgs:node_detail", cast.riders.pk).content.decode()
    assert f'{reverse("members:create")}?union={cast.riders.pk}' in html

    r = get(client, cast.city_admin, "orgs:node_detail", cast.tech.pk)
    assert [a.pk for a in r.context["ancestors"]] == [cast.hangzhou.pk, cast.xihu.pk]
    assert reverse("orgs:node_move", args=[cast.tech.pk]) in r.content.decode()


@pytest.mark.parametrize("who", ["outsider", "district_staff"])
def test_node_detail_outside_scope_is_denied(client, cast, who):
    target = cast.hangzhou if who == "district_staff" else cast.xihu
    assert get(client, getattr(cast, who), "orgs:node_detail", target.pk).status_code == 404


def test_unknown_node_is_404(client, cast):
    assert get(client, cast.city_admin, "orgs:node_detail", 999999).status_code == 404


def test_node_create_by_admin(client, cast):
    r = post(client, cast.city_admin, "orgs:node_create", cast.xihu.pk, data={
        "name": "西湖区快递员联合工会", "code": "HZ-XH-KD", "level": NodeLevel.JOINT, "region_code": "330106"})
    node = UnionNode.objects.get(code="HZ-XH-KD")
    assert r.status_code == 302 and r["Location"] == reverse("orgs:node_detail", args=[node.pk])
    assert UnionNode.objects.get_parent(node).pk == cast.xihu.pk
    assert AuditEvent.objects.filter(verb="node.create", object_id=str(node.pk), actor=cast.city_admin).exists()


def test_node_create_shows_bilingual_errors_and_writes_nothing(client, cast):
    before = UnionNode.objects.count()
    r = post(client, cast.city_admin, "orgs:node_create", cast.xihu.pk, data={
        "name": "新工会", "code": cast.tech.code, "level": NodeLevel.JOINT, "region_code": "33"})
    assert r.status_code == 200
    errors = r.context["form"].errors
    assert "already used" not in errors["code"][0] and "已被使用" in errors["code"][0]
    assert "6" in errors["region_code"][0]
    assert "已被使用" in r.content.decode()
    assert UnionNode.objects.count() == before
    r = post(client, cast.city_admin, "orgs:node_create", cast.xihu.pk, data={"level": "nope"})
    assert set(r.context["form"].errors) == {"name", "code", "level"}
    assert r.context["form"].errors["name"][0] == "名称不能为空"
    assert UnionNode.objects.count() == before


@pytest.mark.parametrize("who", ["viewer", "district_staff", "leader", "finance"])
def test_node_writes_need_org_write(client, cast, who):
    user = getattr(cast, who)
    for name, pk in [("orgs:node_create", cast.tech.pk), ("orgs:node_edit", cast.tech.pk),
                     ("orgs:node_move", cast.tech.pk)]:
        assert get(client, user, name, pk).status_code == 403
    r = post(client, user, "orgs:node_create", cast.tech.pk,
             data={"name": "x", "code": "DENIED-1", "level": NodeLevel.GROUP})
    assert r.status_code == 403 and not UnionNode.objects.filter(code="DENIED-1").exists()
    r = post(client, user, "orgs:node_edit", cast.tech.pk,
             data={"name": "改名", "code": cast.tech.code, "level": cast.tech.level})
    assert r.status_code == 403 and UnionNode.objects.get(pk=cast.tech.pk).name == "杭州某科技公司工会"


def test_outsider_cannot_create_edit_or_move_in_another_subtree(client, cast):
    assert get(client, cast.outsider, "orgs:node_create", cast.xihu.pk).status_code == 404
    r = post(client, cast.outsider, "orgs:node_create", cast.xihu.pk,
             data={"name": "x", "code": "QD-EVIL", "level": NodeLevel.GROUP})
    assert r.status_code == 404 and not UnionNode.objects.filter(code="QD-EVIL").exists()
    r = post(client, cast.outsider, "orgs:node_edit", cast.tech.pk,
             data={"name": "被改", "code": cast.tech.code, "level": cast.tech.level})
    assert r.status_code == 404 and UnionNode.objects.get(pk=cast.tech.pk).name != "被改"
    r = post(client, cast.outsider, "orgs:node_move", cast.tech.pk, data={"new_parent": cast.gaoxin.pk})
    assert r.status_code == 404
    # And the outsider cannot pull a node of their own under ours.
    r = post(client, cast.outsider, "orgs:node_move", cast.qd_ent.pk, data={"new_parent": cast.xihu.pk})
    assert r.status_code == 200 and "new_parent" in r.context["form"].errors
    assert UnionNode.objects.get(pk=cast.qd_ent.pk).path.startswith(cast.gaoxin.path)


def test_node_edit_saves_and_audits(client, cast):
    r = post(client, cast.city_admin, "orgs:node_edit", cast.tech.pk, data={
        "name": "杭州某科技公司工会委员会", "code": cast.tech.code, "level": NodeLevel.GRASSROOTS,
        "region_code": "330106", "contact_name": "陈主席", "contact_phone": "0571-88888888"})
    assert r.status_code == 302
    node = UnionNode.objects.get(pk=cast.tech.pk)
    assert node.name == "杭州某科技公司工会委员会" and node.contact_name == "陈主席"
    ev = AuditEvent.objects.get(verb="node.update", object_id=str(node.pk))
    assert ev.new["name"] == "杭州某科技公司工会委员会"


def test_move_subtree_through_the_page_updates_counts(client, cast):
    binjiang = make_node(cast.hangzhou, "滨江区总工会", NodeLevel.DISTRICT, "330108")
    r = post(client, cast.city_admin, "orgs:node_move", cast.riders.pk, data={"new_parent": binjiang.pk})
    assert r.status_code == 302
    riders = UnionNode.objects.get(pk=cast.riders.pk)
    assert UnionNode.objects.get_parent(riders).pk == binjiang.pk
    r = get(client, cast.city_admin, "orgs:tree")
    rows = {n.pk: n.member_count for n in r.context["children"]}
    assert rows == {cast.xihu.pk: 1, binjiang.pk: 1}
    r = get(client, cast.city_admin, "orgs:node_detail", binjiang.pk)
    assert r.context["member_count"] == 1
    assert AuditEvent.objects.filter(verb="node.move", object_id=str(riders.pk)).exists()


def test_move_under_own_descendant_is_refused_on_the_form(client, cast):
    r = post(client, cast.city_admin, "orgs:node_move", cast.xihu.pk, data={"new_parent": cast.tech.pk})
    assert r.status_code == 200
    assert "不能移动到自己的下级" in r.context["form"].errors["new_parent"][0]
    assert UnionNode.objects.get_parent(UnionNode.objects.get(pk=cast.xihu.pk)).pk == cast.hangzhou.pk


def test_moving_the_actors_own_node_is_denied(client, cast):
    assert get(client, cast.city_admin, "orgs:node_move", cast.hangzhou.pk).status_code == 403
    r = post(client, cast.city_admin, "orgs:node_move", cast.hangzhou.pk, data={"new_parent": cast.xihu.pk})
    assert r.status_code == 403


def test_node_picker_searches_scope_or_whole_tree_for_transfers(client, cast):
    r = get(client, cast.city_admin, "orgs:node_picker", data={"field": "x__search", "x__search": "工会"})
    html = r.content.decode()
    assert "西湖区总工会" in html and "青岛" not in html
    r = get(client, cast.city_admin, "orgs:node_picker",
            data={"field": "x__search", "x__search": "青岛", "members": "1", "anywhere": "1"})
    html = r.content.decode()
    assert "青岛某企业工会" in html and "青岛市总工会" not in html  # a city union cannot hold members
    # Searching the whole tree is only for roles that can transfer members.
    r = get(client, cast.viewer, "orgs:node_picker", data={"field": "q", "q": "青岛", "anywhere": "1"})
    assert r.status_code == 403
    r = get(client, cast.outsider, "orgs:node_picker", data={"field": "q", "q": "西湖"})
    assert "西湖" not in r.content.decode()


def test_enterprise_picker_is_scoped(client, cast):
    r = get(client, cast.city_admin, "orgs:enterprise_picker", data={"field": "q", "q": "某"})
    html = r.content.decode()
    assert "杭州某科技有限公司" in html and "青岛某制造" not in html
    r = get(client, cast.city_admin, "orgs:enterprise_picker", data={"field": "q", "q": "", "kind": "platform"})
    assert "某外卖平台" in r.content.decode() and "杭州某科技有限公司" not in r.content.decode()


def test_member_counts_selector_agrees_with_page(client, cast):
    r = get(client, cast.city_admin, "orgs:node_detail", cast.hangzhou.pk)
    assert r.context["member_count"] == selectors.member_counts_by_path(cast.hangzhou)[cast.hangzhou.path]


def test_pickers_offer_a_search_box_only_when_the_list_is_incomplete(client, cast):
    from huigong.orgs.selectors import PICKER_LIMIT

    r = get(client, cast.city_admin, "orgs:enterprise_create")
    assert 'name="union__search"' not in r.content.decode()  # the whole subtree fits in the list
    for i in range(PICKER_LIMIT):
        make_node(cast.xihu, f"社区工会{i:03d}", NodeLevel.GROUP)
    r = get(client, cast.city_admin, "orgs:enterprise_create")
    html = r.content.decode()
    assert 'name="union__search"' in html and reverse("orgs:node_picker") in html
    # The first PICKER_LIMIT nodes are listed; a node beyond them is still a valid choice.
    last = UnionNode.objects.filter(name="社区工会099").get()
    assert f'value="{last.pk}"' not in html
    r = post(client, cast.city_admin, "orgs:enterprise_create", data={
        "name": "末位工会覆盖的公司", "uscc": new_uscc(), "kind": "enterprise", "union": last.pk,
        "employee_count": "3"})
    assert r.status_code == 302 and Enterprise.objects.get(name="末位工会覆盖的公司").union_id == last.pk
    # Transfers search the whole tree, so their picker always has the box.
    r = get(client, cast.city_admin, "members:transfer", cast.member.person_id)
    assert 'name="to_union__search"' in r.content.decode()
