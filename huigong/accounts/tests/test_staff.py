"""Staff accounts: services scoped to the actor's subtree and audited; pages for Cap.STAFF_MANAGE."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from huigong.accounts import selectors, services
from huigong.accounts.models import ApiToken, Role, StaffProfile
from huigong.core.models import AuditEvent

User = get_user_model()
STRONG = "Strong-Pass-2024!"


# --- services -------------------------------------------------------------------------------------

def test_admin_creates_staff_in_its_subtree_with_audit(cast):
    staff, password = services.staff_create(actor=cast.city_admin, node=cast.riders, username="rider_union_1",
                                            role=Role.STAFF, display_name="骑手工会干事")
    assert staff.node == cast.riders and staff.role == Role.STAFF
    assert staff.user.check_password(password) and len(password) >= 12
    assert staff.user.password.startswith(("argon2", "md5"))  # hashed, never plain
    ev = AuditEvent.objects.get(verb="staff.create", object_id=str(staff.pk))
    assert ev.node_path == cast.riders.path and ev.new["role"] == "staff" and ev.new["username"] == "rider_union_1"
    assert password not in str(ev.new)


def test_given_password_is_validated(cast):
    with pytest.raises(ValidationError) as e:
        services.staff_create(actor=cast.city_admin, node=cast.xihu, username="weak1", role=Role.VIEWER,
                              password="12345678")
    assert "password" in e.value.message_dict and "密码不符合要求" in e.value.message_dict["password"][0]
    assert not User.objects.filter(username="weak1").exists()


@pytest.mark.parametrize("node_attr", ["qingdao", "zhejiang", "root", "qd_ent"])
def test_admin_cannot_create_staff_outside_or_above_its_subtree(cast, node_attr):
    with pytest.raises(PermissionDenied):
        services.staff_create(actor=cast.city_admin, node=getattr(cast, node_attr), username="x_" + node_attr,
                              role=Role.ADMIN, password=STRONG)
    assert not User.objects.filter(username="x_" + node_attr).exists()


@pytest.mark.parametrize("who", ["district_staff", "viewer", "finance", "leader", "tech_staff"])
def test_roles_without_staff_manage_cannot_create(cast, who):
    with pytest.raises(PermissionDenied):
        services.staff_create(actor=getattr(cast, who), node=cast.tech, username="nope_" + who, role=Role.STAFF,
                              password=STRONG)


def test_duplicate_username_and_bad_role_are_field_errors(cast):
    with pytest.raises(ValidationError) as e:
        services.staff_create(actor=cast.city_admin, node=cast.xihu, username="CITY_ADMIN", role="boss")
    assert set(e.value.message_dict) == {"username", "role"}


def test_update_role_is_scoped_audited_and_not_for_oneself(cast):
    target = cast.district_staff.staff
    services.staff_update_role(actor=cast.city_admin, staff=target, role=Role.VIEWER, node=cast.riders)
    target.refresh_from_db()
    assert (target.role, target.node_id) == (Role.VIEWER, cast.riders.pk)
    ev = AuditEvent.objects.filter(verb="staff.update").latest("id")
    assert ev.old["role"] == "staff" and ev.new["role"] == "viewer" and ev.new["node"] == cast.riders.pk
    with pytest.raises(PermissionDenied):
        services.staff_update_role(actor=cast.city_admin, staff=cast.city_admin.staff, role=Role.VIEWER)
    with pytest.raises(PermissionDenied):  # moving staff to a node outside the subtree
        services.staff_update_role(actor=cast.city_admin, staff=target, role=Role.STAFF, node=cast.qingdao)
    with pytest.raises(PermissionDenied):  # the outsider cannot touch Hangzhou's staff
        services.staff_update_role(actor=cast.outsider, staff=target, role=Role.ADMIN)
    target.refresh_from_db()
    assert target.role == Role.VIEWER


def test_deactivate_revokes_tokens_and_blocks_sign_in(client, cast):
    token, _raw = services.api_token_create(actor=cast.tech_staff, name="对接")
    services.staff_deactivate(actor=cast.city_admin, staff=cast.tech_staff.staff)
    cast.tech_staff.refresh_from_db()
    token.refresh_from_db()
    assert cast.tech_staff.is_active is False and token.revoked_at is not None
    ev = AuditEvent.objects.get(verb="staff.deactivate")
    assert ev.new == {"is_active": False, "tokens_revoked": 1, "sessions_ended": 0}
    resp = client.post(reverse("accounts:login"), {"username": "tech_staff", "password": "pw-Test-12345"})
    assert resp.status_code == 200
    services.staff_activate(actor=cast.city_admin, staff=cast.tech_staff.staff)
    cast.tech_staff.refresh_from_db()
    assert cast.tech_staff.is_active is True
    with pytest.raises(PermissionDenied):
        services.staff_deactivate(actor=cast.city_admin, staff=cast.city_admin.staff)


def test_reset_password_returns_new_one_and_clears_the_authenticator(cast):
    TOTPDevice.objects.create(user=cast.district_staff, name="default", confirmed=True)
    password = services.staff_reset_password(actor=cast.city_admin, staff=cast.district_staff.staff)
    cast.district_staff.refresh_from_db()
    assert cast.district_staff.check_password(password)
    assert not TOTPDevice.objects.filter(user=cast.district_staff).exists()
    ev = AuditEvent.objects.get(verb="staff.reset_password")
    assert password not in str(ev.new) and ev.node_path == cast.xihu.path
    with pytest.raises(PermissionDenied):
        services.staff_reset_password(actor=cast.outsider, staff=cast.district_staff.staff)


def test_selectors_are_scoped(cast):
    names = set(selectors.staff_list_for_actor(cast.city_admin).values_list("user__username", flat=True))
    assert {"city_admin", "district_staff", "tech_staff", "city_viewer"} <= names and "qd_admin" not in names
    assert set(selectors.staff_list_for_actor(cast.outsider).values_list("user__username", flat=True)) == {"qd_admin"}
    with pytest.raises(PermissionDenied):
        selectors.staff_get_for_actor(cast.outsider, cast.district_staff.staff.pk)
    with pytest.raises(Http404):
        selectors.staff_get_for_actor(cast.city_admin, 999999)
    with pytest.raises(PermissionDenied):
        selectors.staff_list_for_actor(cast.leader)


# --- pages ----------------------------------------------------------------------------------------

def test_staff_list_page_shows_the_subtree_only(client, cast, django_assert_max_num_queries):
    from huigong.testing import make_staff

    client.force_login(cast.city_admin)
    for i in range(25):  # the query count must not grow with the number of rows
        make_staff(cast.riders, Role.VIEWER, f"extra_{i}")
    with django_assert_max_num_queries(10):
        resp = client.get(reverse("accounts:staff_list"))
    html = resp.content.decode()
    assert resp.status_code == 200 and "district_staff" in html and "qd_admin" not in html
    filtered = client.get(reverse("accounts:staff_list"), {"role": "viewer"}).content.decode()
    assert "city_viewer" in filtered and "district_staff" not in filtered


@pytest.mark.parametrize("who", ["viewer", "district_staff", "leader", "finance"])
@pytest.mark.parametrize("name", ["accounts:staff_list", "accounts:staff_create"])
def test_staff_pages_refuse_roles_without_staff_manage(client, cast, who, name):
    client.force_login(getattr(cast, who))
    assert client.get(reverse(name)).status_code == 403


def test_outsider_cannot_see_or_change_hangzhou_staff(client, cast):
    client.force_login(cast.outsider)
    pk = cast.district_staff.staff.pk
    assert client.get(reverse("accounts:staff_detail", args=[pk])).status_code == 404
    assert client.post(reverse("accounts:staff_detail", args=[pk]),
                       {"role": "admin", "node": cast.xihu.pk}).status_code == 404
    for name in ("accounts:staff_deactivate", "accounts:staff_activate", "accounts:staff_reset_password"):
        assert client.post(reverse(name, args=[pk])).status_code == 404
    cast.district_staff.refresh_from_db()
    assert cast.district_staff.is_active and cast.district_staff.staff.role == Role.STAFF
    assert not AuditEvent.objects.filter(verb__startswith="staff.").exists()


def test_create_page_shows_subtree_nodes_and_the_password_once(client, cast):
    client.force_login(cast.city_admin)
    form = client.get(reverse("accounts:staff_create")).content.decode()
    assert "西湖区骑手联合工会" in form and "青岛" not in form and "浙江省总工会" not in form
    resp = client.post(reverse("accounts:staff_create"), {
        "username": "xihu_viewer", "display_name": "王查看", "node": cast.xihu.pk, "role": "viewer", "password": ""})
    html = resp.content.decode()
    assert resp.status_code == 200 and "只显示这一次" in html
    staff = StaffProfile.objects.get(user__username="xihu_viewer")
    import re

    shown = re.search(r'data-testid="one-time-password">([^<]+)<', html).group(1)
    assert staff.user.check_password(shown) and staff.node == cast.xihu
    # The detail page never shows it again.
    assert shown not in client.get(reverse("accounts:staff_detail", args=[staff.pk])).content.decode()


def test_create_page_refuses_a_node_outside_the_subtree(client, cast):
    client.force_login(cast.city_admin)
    resp = client.post(reverse("accounts:staff_create"), {
        "username": "sneaky", "display_name": "x", "node": cast.qingdao.pk, "role": "admin", "password": STRONG})
    assert resp.status_code == 200 and "sneaky" not in set(User.objects.values_list("username", flat=True))
    assert 'class="error"' in resp.content.decode()


def test_detail_page_changes_role_and_deactivates(client, cast):
    client.force_login(cast.city_admin)
    pk = cast.tech_staff.staff.pk
    resp = client.post(reverse("accounts:staff_detail", args=[pk]),
                       {"role": "viewer", "node": cast.tech.pk, "display_name": "技术工会"})
    assert resp.status_code == 302
    assert StaffProfile.objects.get(pk=pk).role == "viewer"
    assert client.post(reverse("accounts:staff_deactivate", args=[pk])).status_code == 302
    assert User.objects.get(pk=cast.tech_staff.pk).is_active is False
    page = client.get(reverse("accounts:staff_detail", args=[pk])).content.decode()
    assert "已停用" in page and "重新启用" in page
    reset = client.post(reverse("accounts:staff_reset_password", args=[pk]))
    assert reset.status_code == 200 and "密码已重置" in reset.content.decode()
    assert client.get(reverse("accounts:staff_deactivate", args=[pk])).status_code == 405


def test_own_detail_page_hides_self_destructive_actions(client, cast):
    client.force_login(cast.city_admin)
    html = client.get(reverse("accounts:staff_detail", args=[cast.city_admin.staff.pk])).content.decode()
    assert "停用账号" not in html and "重置密码" not in html
    assert ApiToken.objects.count() == 0
