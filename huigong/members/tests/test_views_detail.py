"""Member detail and the audited reveal of personal data."""

import pytest
from django.urls import reverse

from huigong.core.models import AccessLog
from huigong.members.services import membership_transfer, person_update
from huigong.orgs.models import NodeLevel
from huigong.testing import make_node


def get(client, user, pk):
    client.force_login(user)
    return client.get(reverse("members:detail", args=[pk]))


def reveal(client, user, pk, field):
    client.force_login(user)
    return client.post(reverse("members:reveal", args=[pk, field]), HTTP_HX_REQUEST="true")


@pytest.mark.parametrize("who", ["city_admin", "viewer", "leader", "finance", "district_staff", "tech_staff"])
def test_detail_for_roles_in_scope(client, cast, who):
    person = cast.member.person
    r = get(client, getattr(cast, who), person.pk)
    html = r.content.decode()
    assert r.status_code == 200
    assert "李小红" in html and "杭州某科技公司工会" in html and "杭州某科技有限公司" in html
    assert person.id_number_mask in html and person.phone_mask in html


@pytest.mark.parametrize("who", ["outsider", "tech_staff"])
def test_detail_outside_scope_is_denied(client, cast, who):
    target = cast.rider.person if who == "tech_staff" else cast.member.person
    r = get(client, getattr(cast, who), target.pk)
    assert r.status_code == 404
    assert target.name not in r.content.decode()


def test_unknown_person_is_404(client, cast):
    assert get(client, cast.city_admin, 424242).status_code == 404


def test_viewer_sees_masks_and_no_reveal_button(client, cast):
    person = cast.member.person
    person_update(actor=cast.city_admin, person=person, bank_account="6222020200112233445")
    person.refresh_from_db()
    html = get(client, cast.viewer, person.pk).content.decode()
    assert person.id_number not in html and person.phone not in html and "6222020200112233445" not in html
    assert person.id_number_mask in html and person.bank_account_mask in html
    assert reverse("members:reveal", args=[person.pk, "id_number"]) not in html
    assert "显示完整" not in html


def test_roles_with_pii_capability_get_reveal_buttons(client, cast):
    person = cast.member.person
    for who in ("city_admin", "finance", "tech_staff"):
        html = get(client, getattr(cast, who), person.pk).content.decode()
        assert reverse("members:reveal", args=[person.pk, "id_number"]) in html
        assert reverse("members:reveal", args=[person.pk, "phone"]) in html
        assert person.id_number not in html  # nothing is revealed until asked
    assert AccessLog.objects.count() == 0


@pytest.mark.parametrize("field", ["id_number", "phone", "bank_account"])
def test_reveal_returns_the_value_and_writes_exactly_one_access_row(client, cast, field):
    person = cast.member.person
    person_update(actor=cast.city_admin, person=person, bank_account="6222020200112233445")
    person.refresh_from_db()
    r = reveal(client, cast.tech_staff, person.pk, field)
    assert r.status_code == 200
    expected = {"id_number": person.id_number, "phone": person.phone, "bank_account": "6222020200112233445"}[field]
    assert expected in r.content.decode()
    rows = list(AccessLog.objects.all())
    assert len(rows) == 1
    row = rows[0]
    assert (row.actor_id, row.object_type, row.object_id, row.fields) == (
        cast.tech_staff.pk, "members.person", str(person.pk), field)
    assert row.node_path == cast.tech.path and row.purpose


@pytest.mark.parametrize("who", ["viewer", "leader"])
def test_reveal_is_forbidden_without_pii_capability(client, cast, who):
    person = cast.member.person
    r = reveal(client, getattr(cast, who), person.pk, "id_number")
    assert r.status_code == 403
    assert person.id_number not in r.content.decode()
    assert AccessLog.objects.count() == 0


def test_reveal_by_outsider_is_denied_and_not_logged(client, cast):
    person = cast.member.person
    r = reveal(client, cast.outsider, person.pk, "id_number")
    assert r.status_code == 404 and person.id_number not in r.content.decode()
    assert AccessLog.objects.count() == 0


def test_reveal_needs_post_and_a_known_field(client, cast):
    person = cast.member.person
    client.force_login(cast.city_admin)
    assert client.get(reverse("members:reveal", args=[person.pk, "id_number"])).status_code == 405
    assert reveal(client, cast.city_admin, person.pk, "name").status_code == 404
    assert reveal(client, cast.city_admin, person.pk, "password").status_code == 404
    assert AccessLog.objects.count() == 0


def test_reveal_needs_csrf_token(cast):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(cast.city_admin)
    r = csrf_client.post(reverse("members:reveal", args=[cast.member.person_id, "id_number"]))
    assert r.status_code == 403
    assert AccessLog.objects.count() == 0


def test_history_lists_memberships_transfers_and_reasons(client, cast):
    person = cast.member.person
    other = make_node(cast.xihu, "西湖区另一家公司工会", NodeLevel.GRASSROOTS)
    membership_transfer(actor=cast.city_admin, person=person, to_union=other, reason="更换工作单位")
    r = get(client, cast.city_admin, person.pk)
    html = r.content.decode()
    history = r.context["history"]
    assert [(m.union_id, m.status) for m in history] == [(cast.tech.pk, "transferred"), (other.pk, "active")]
    assert history[0].transfer_out.reason == "更换工作单位"
    assert history[1].transfer_in is not None
    assert "更换工作单位" in html and "转出至 西湖区另一家公司工会" in html and "自 杭州某科技公司工会 转入" in html
    assert r.context["membership"].union_id == other.pk


def test_history_of_a_member_who_came_from_another_subtree(client, cast):
    """A transfer into our subtree is visible with where it came from; the old union is not linked."""
    person = cast.qd_member.person
    membership_transfer(actor=cast.outsider, person=person, to_union=cast.tech, reason="来杭工作")
    r = get(client, cast.city_admin, person.pk)
    assert r.status_code == 200
    first = r.context["history"][0]
    assert first.union_id == cast.qd_ent.pk and first.in_scope is False
    assert reverse("orgs:node_detail", args=[cast.qd_ent.pk]) not in r.content.decode()
    # The source subtree no longer sees the person.
    assert get(client, cast.outsider, person.pk).status_code == 404


def test_withdrawn_member_detail_shows_status_and_no_actions(client, cast):
    from huigong.members.services import membership_withdraw

    person = cast.member.person
    membership_withdraw(actor=cast.city_admin, person=person, reason="退休")
    r = get(client, cast.city_admin, person.pk)
    html = r.content.decode()
    assert r.status_code == 200 and "退会" in html
    assert r.context["history"][0].withdraw_reason == "退休" and "原因：退休" in html
    assert reverse("members:transfer", args=[person.pk]) not in html
    assert reverse("members:withdraw", args=[person.pk]) not in html
