"""The session user's one-query load (accounts.backends.ModelBackend) and the worker join."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist

from huigong.accounts.backends import ModelBackend
from huigong.benefits import services
from huigong.members.models import Membership, MembershipStatus


def test_a_staff_user_loads_in_one_query_and_has_no_worker_account(cast, django_assert_num_queries):
    with django_assert_num_queries(1):
        user = ModelBackend().get_user(cast.city_admin.pk)
    assert user.username == "city_admin" and user.password == cast.city_admin.password
    with django_assert_num_queries(0):  # "no account" is known already
        with pytest.raises(ObjectDoesNotExist):
            user.worker_account  # noqa: B018
        assert services.worker_person_id(user) is None


def test_a_staff_users_profile_and_node_come_with_the_same_query(cast, django_assert_num_queries):
    from huigong.accounts.models import StaffProfile
    from huigong.core.scope import require, root_path

    expected = StaffProfile.objects.select_related("node").get(user=cast.city_admin)
    with django_assert_num_queries(1):
        user = ModelBackend().get_user(cast.city_admin.pk)
    with django_assert_num_queries(0):  # the scope checks read the role and the node's path
        staff = user.staff
        assert (staff.pk, staff.role, staff.display_name, staff.created_at, staff.node_id) == (
            expected.pk, expected.role, expected.display_name, expected.created_at, expected.node_id)
        assert staff.node.path == expected.node.path and staff.node.name == expected.node.name
        assert staff.user is user and root_path(user) == expected.node.path
        assert require(user, next(iter(expected.caps))) is staff


def test_a_worker_loads_with_member_membership_and_union_in_the_same_query(cast, django_assert_num_queries):
    from huigong.portal.testing import make_worker_account

    account = make_worker_account(person=cast.rider.person)
    membership = Membership.objects.select_related("union").get(person_id=cast.rider.person_id,
                                                                status=MembershipStatus.ACTIVE)
    with django_assert_num_queries(1):
        user = ModelBackend().get_user(str(account.user_id))  # sessions hold the id as text
    with django_assert_num_queries(0):
        assert services.worker_person_id(user) == cast.rider.person_id
        person = user.worker_account.person
        assert person.name == cast.rider.person.name
        loaded = services.active_membership(person)
        assert (loaded.pk, loaded.union_id, loaded.union.path) == (membership.pk, membership.union_id,
                                                                   membership.union.path)
        assert loaded.joined_on == membership.joined_on


def test_a_worker_without_an_active_membership_or_member(cast):
    from huigong.portal.testing import make_worker_account

    account = make_worker_account(person=cast.rider.person)
    Membership.objects.filter(person_id=cast.rider.person_id).update(status=MembershipStatus.WITHDRAWN)
    user = ModelBackend().get_user(account.user_id)
    assert services.active_membership(user.worker_account.person) is None
    bare = make_worker_account()  # signed up, not yet a member
    user = ModelBackend().get_user(bare.user_id)
    assert user.worker_account.pk == bare.pk and user.worker_account.person_id is None
    assert services.worker_person_id(user) is None


def test_unknown_malformed_and_inactive_users_are_nobody(cast):
    backend = ModelBackend()
    assert backend.get_user(987654321) is None
    assert backend.get_user("not-a-number") is None
    get_user_model().objects.filter(pk=cast.city_admin.pk).update(is_active=False)
    assert backend.get_user(cast.city_admin.pk) is None


def test_a_user_without_a_staff_profile_is_known_to_have_none(cast, django_assert_num_queries):
    """The staff-security middleware asks every unverified session `hasattr(user, "staff")`: for a worker
    that is answered by the session user's own query, not by one more query per request."""
    from huigong.portal.testing import make_worker_account

    account = make_worker_account(person=cast.rider.person)
    with django_assert_num_queries(1):
        user = ModelBackend().get_user(account.user_id)
    with django_assert_num_queries(0):
        assert not hasattr(user, "staff")
    staff = ModelBackend().get_user(cast.city_admin.pk)
    with django_assert_num_queries(0):  # a profile that exists came whole with the user, its node too
        assert staff.staff.role == "admin" and staff.staff.node_id == cast.hangzhou.pk
    with django_assert_num_queries(0):
        assert hasattr(staff, "staff")


def test_a_workers_request_asks_nothing_about_staff(cast, django_assert_num_queries):
    """A worker's whole API request (session, user, middleware, claim list) never reads the staff table,
    and a staff member's reads the profile (the TOTP check needs the role) with the user, not on its own."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from huigong.portal.testing import make_worker_account, sign_in

    c = Client()
    sign_in(c, make_worker_account(person=cast.rider.person))
    with CaptureQueriesContext(connection) as ctx:
        assert c.get("/api/v1/benefit-claims").status_code == 200
    profile_reads = [q for q in ctx.captured_queries if 'FROM "accounts_staffprofile"' in (q["sql"] or "")]
    assert ctx.captured_queries and not profile_reads
    c = Client()
    c.force_login(cast.viewer)
    with CaptureQueriesContext(connection) as ctx:
        assert c.get("/api/v1/benefit-programmes").status_code == 200
    assert not [q for q in ctx.captured_queries if 'FROM "accounts_staffprofile"' in (q["sql"] or "")]
    assert not [q for q in ctx.captured_queries if 'FROM "orgs_unionnode"' in (q["sql"] or "")]
