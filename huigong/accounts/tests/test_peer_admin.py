import pytest
from django.core.exceptions import PermissionDenied

from huigong.accounts import services
from huigong.accounts.models import Role
from huigong.testing import make_staff


def test_a_peer_admin_cannot_reset_or_demote_another_admin_of_the_same_node(cast):
    peer = make_staff(cast.hangzhou, Role.ADMIN, "hz_admin_2")
    with pytest.raises(PermissionDenied):
        services.staff_reset_password(actor=cast.city_admin, staff=peer.staff)
    with pytest.raises(PermissionDenied):
        services.staff_update_role(actor=cast.city_admin, staff=peer.staff, role=Role.VIEWER)
    peer.staff.refresh_from_db()
    assert peer.staff.role == Role.ADMIN


def test_an_admin_above_still_manages_the_district_admin(cast):
    district_admin = make_staff(cast.xihu, Role.ADMIN, "xihu_admin")
    services.staff_update_role(actor=cast.city_admin, staff=district_admin.staff, role=Role.STAFF)
    district_admin.staff.refresh_from_db()
    assert district_admin.staff.role == Role.STAFF
