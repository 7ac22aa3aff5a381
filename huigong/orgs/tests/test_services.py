import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from huigong.core.models import AuditEvent
from huigong.orgs import selectors, services
from huigong.orgs.models import Enterprise, NodeLevel, SiteKind, UnionNode
from huigong.testing import make_member, new_uscc


def test_node_create_under_own_subtree_is_audited(cast):
    node = services.node_create(actor=cast.city_admin, parent=cast.xihu, code="HZ-XH-NEW", name="新工会",
                                level=NodeLevel.GRASSROOTS, region_code="330106")
    assert UnionNode.objects.get_parent(node).pk == cast.xihu.pk
    ev = AuditEvent.objects.get(verb="node.create", object_id=str(node.pk))
    assert ev.actor_label == "city_admin" and ev.node_path == node.path


def test_node_create_outside_subtree_is_denied(cast):
    with pytest.raises(PermissionDenied):
        services.node_create(actor=cast.outsider, parent=cast.xihu, code="X1", name="x",
                             level=NodeLevel.GRASSROOTS)
    assert not UnionNode.objects.filter(code="X1").exists()


def test_node_create_needs_org_write_capability(cast):
    with pytest.raises(PermissionDenied):
        services.node_create(actor=cast.viewer, parent=cast.xihu, code="X2", name="x", level=NodeLevel.GRASSROOTS)


def test_node_create_refuses_duplicate_code_and_bad_region(cast):
    with pytest.raises(ValidationError) as e:
        services.node_create(actor=cast.city_admin, parent=cast.xihu, code=cast.tech.code, name="x",
                             level=NodeLevel.GRASSROOTS, region_code="33")
    assert set(e.value.message_dict) == {"code", "region_code"}


def test_move_subtree_rolls_counts_up_to_new_parent(cast):
    other = services.node_create(actor=cast.city_admin, parent=cast.hangzhou, code="HZ-BJ", name="滨江区总工会",
                                 level=NodeLevel.DISTRICT, region_code="330108")
    counts = selectors.member_counts_by_path(cast.hangzhou)
    assert counts[cast.xihu.path] == 2 and counts.get(other.path, 0) == 0
    moved = services.node_move(actor=cast.city_admin, node=cast.tech, new_parent=other)
    other.refresh_from_db()
    assert moved.path.startswith(other.path)
    counts = selectors.member_counts_by_path(UnionNode.objects.get(pk=cast.hangzhou.pk))
    assert counts[other.path] == 1
    assert counts[UnionNode.objects.get(pk=cast.xihu.pk).path] == 1
    assert counts[cast.hangzhou.path] == 2
    assert AuditEvent.objects.filter(verb="node.move", object_id=str(cast.tech.pk)).exists()


def test_move_under_own_descendant_or_own_node_is_refused(cast):
    with pytest.raises(ValidationError):
        services.node_move(actor=cast.city_admin, node=cast.xihu, new_parent=cast.tech)
    with pytest.raises(PermissionDenied):
        services.node_move(actor=cast.city_admin, node=cast.hangzhou, new_parent=cast.zhejiang)
    with pytest.raises(PermissionDenied):
        services.node_move(actor=cast.city_admin, node=cast.tech, new_parent=cast.gaoxin)


def test_counts_include_descendants(cast):
    make_member(cast.city_admin, cast.tech, "钱多多")
    counts = selectors.member_counts_by_path(cast.root)
    assert counts[cast.tech.path] == 2
    assert counts[cast.xihu.path] == 3
    assert counts[cast.root.path] == 4  # + the Qingdao member


def test_enterprise_create_validates_credit_code(cast):
    with pytest.raises(ValidationError) as e:
        services.enterprise_create(actor=cast.city_admin, union=cast.tech, name="坏代码公司",
                                   uscc="91350100M000100Y44")
    assert "uscc" in e.value.message_dict and "校验位" in e.value.message_dict["uscc"][0]
    ent = services.enterprise_create(actor=cast.city_admin, union=cast.tech, name=" 好公司 ", uscc=new_uscc())
    assert ent.name == "好公司"
    with pytest.raises(ValidationError):
        services.enterprise_create(actor=cast.city_admin, union=cast.tech, name="重复", uscc=ent.uscc)
    assert Enterprise.objects.filter(name="重复").count() == 0


def test_enterprise_update_is_diffed_in_audit(cast):
    services.enterprise_update(actor=cast.city_admin, enterprise=cast.enterprise, industry="制造业")
    ev = AuditEvent.objects.filter(verb="enterprise.update").latest("id")
    assert ev.old == {"industry": "信息技术"} and ev.new == {"industry": "制造业"}


def test_enterprise_selectors_are_scoped(cast):
    assert cast.qd_enterprise not in selectors.enterprise_list_for_actor(cast.city_admin)
    with pytest.raises(PermissionDenied):
        selectors.enterprise_get_for_actor(cast.city_admin, cast.qd_enterprise.pk)


def test_site_create_validates_coordinates(cast):
    with pytest.raises(ValidationError) as e:
        services.site_create(actor=cast.city_admin, union=cast.xihu, name="站点", kind=SiteKind.OUTDOOR_STATION,
                             address="西湖区某路1号", latitude=120, longitude=30)
    assert "latitude" in e.value.message_dict
    site = services.site_create(actor=cast.city_admin, union=cast.xihu, name="站点",
                                kind=SiteKind.OUTDOOR_STATION, address="西湖区某路1号", latitude=30.27,
                                longitude=120.15)
    assert site in selectors.site_list_for_actor(cast.district_staff)
    assert site not in selectors.site_list_for_actor(cast.outsider)
