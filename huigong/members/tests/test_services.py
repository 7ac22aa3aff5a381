import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from huigong.core.models import AccessLog, AuditEvent
from huigong.members import selectors, services
from huigong.members.models import EmploymentForm, Membership, MembershipStatus, Person
from huigong.testing import make_member, new_id_number


def test_register_derives_gender_birth_and_masks(cast):
    number = "11010519491231002X"
    m = services.member_register(actor=cast.city_admin, union=cast.tech, name="孙丽", id_number=number.lower(),
                                 phone="138 1234 5678")
    p = Person.objects.get(pk=m.person_id)
    assert (p.gender, str(p.birth_date), p.id_number, p.id_number_mask) == (
        "F", "1949-12-31", number, "110105********002X")
    assert (p.phone, p.phone_mask, p.name_pinyin, p.name_initials) == ("13812345678", "138****5678", "sunli", "sl")
    assert AuditEvent.objects.filter(verb="membership.create", object_id=str(m.pk)).exists()


def test_register_refuses_bad_input_naming_fields_and_writes_nothing(cast):
    before = Person.objects.count()
    with pytest.raises(ValidationError) as e:
        services.member_register(actor=cast.city_admin, union=cast.tech, name="", id_number="110105194912310021",
                                 phone="12345", employment_form="astronaut")
    assert set(e.value.message_dict) == {"name", "id_number", "phone", "employment_form"}
    assert "校验位" in e.value.message_dict["id_number"][0]
    assert Person.objects.count() == before


def test_register_refuses_a_current_member_of_another_union(cast):
    number = cast.qd_member.person.id_number
    with pytest.raises(ValidationError) as e:
        services.member_register(actor=cast.city_admin, union=cast.tech, name="赵青岛", id_number=number)
    msg = e.value.message_dict["id_number"][0]
    assert "转接" in msg and "青岛" not in msg  # no leak of the other subtree's union name


def test_register_outside_scope_or_wrong_role_is_denied(cast):
    with pytest.raises(PermissionDenied):
        make_member(cast.outsider, cast.tech)
    with pytest.raises(PermissionDenied):
        make_member(cast.viewer, cast.tech)


def test_register_at_a_level_that_cannot_hold_members(cast):
    with pytest.raises(ValidationError) as e:
        make_member(cast.city_admin, cast.hangzhou)
    assert "union" in e.value.message_dict


def test_blind_index_makes_id_numbers_unique(cast):
    from django.db import IntegrityError, transaction

    p = cast.member.person
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.create(name="冒名", id_number=p.id_number, id_number_hash=p.id_number_hash,
                              id_number_mask="x", gender="M", birth_date=p.birth_date)


def test_search_by_name_pinyin_initials_id_and_phone(cast):
    p = cast.member.person  # 李小红
    for q in ["李小", "lixiaohong", "lixiao", "lxh", p.id_number, p.phone]:
        names = [m.person.name for m in selectors.member_list_for_actor(cast.city_admin, q=q)]
        assert names == ["李小红"], q
    assert list(selectors.member_list_for_actor(cast.outsider, q=p.id_number)) == []


def test_reveal_needs_capability_and_leaves_an_access_row(cast):
    person = cast.member.person
    with pytest.raises(PermissionDenied):
        selectors.person_reveal(cast.viewer, person, ["id_number"], purpose="查看")
    with pytest.raises(PermissionDenied):
        selectors.person_reveal(cast.outsider, person, ["id_number"], purpose="查看")
    assert AccessLog.objects.count() == 0
    values = selectors.person_reveal(cast.district_staff, person, ["id_number", "phone"], purpose="核对身份")
    assert values["id_number"] == Person.objects.get(pk=person.pk).id_number
    row = AccessLog.objects.get()
    assert (row.actor_label, row.fields, row.object_id) == ("district_staff", "id_number,phone", str(person.pk))


def test_person_get_is_scoped(cast):
    with pytest.raises(PermissionDenied):
        selectors.person_get_for_actor(cast.city_admin, cast.qd_member.person_id)
    with pytest.raises(Http404):
        selectors.person_get_for_actor(cast.city_admin, 999999)
    person, membership = selectors.person_get_for_actor(cast.tech_staff, cast.member.person_id)
    assert membership.union_id == cast.tech.pk


def test_transfer_keeps_history_and_moves_scope(cast):
    person = cast.member.person
    services.membership_transfer(actor=cast.tech_staff, person=person, to_union=cast.riders, reason="换工作")
    history = selectors.membership_history(person)
    assert [(m.union_id, m.status) for m in history] == [
        (cast.tech.pk, MembershipStatus.TRANSFERRED), (cast.riders.pk, MembershipStatus.ACTIVE)]
    assert history[1].card_no == history[0].card_no
    with pytest.raises(PermissionDenied):  # the old grassroots union no longer sees the person
        selectors.person_get_for_actor(cast.tech_staff, person.pk)
    selectors.person_get_for_actor(cast.district_staff, person.pk)


def test_transfer_refusals(cast):
    person = cast.member.person
    with pytest.raises(PermissionDenied):
        services.membership_transfer(actor=cast.outsider, person=person, to_union=cast.qd_ent)
    with pytest.raises(ValidationError):
        services.membership_transfer(actor=cast.city_admin, person=person, to_union=cast.tech)
    assert Membership.objects.filter(person=person).count() == 1


def test_transfer_across_subtrees_by_the_releasing_union(cast):
    person = cast.member.person
    services.membership_transfer(actor=cast.city_admin, person=person, to_union=cast.qd_ent, reason="迁居青岛")
    selectors.person_get_for_actor(cast.outsider, person.pk)
    assert AuditEvent.objects.filter(verb="membership.transfer_in", node_path=cast.qd_ent.path).exists()


def test_withdraw_needs_reason_and_ends_membership(cast):
    person = cast.rider.person
    with pytest.raises(ValidationError):
        services.membership_withdraw(actor=cast.city_admin, person=person, reason=" ")
    m = services.membership_withdraw(actor=cast.city_admin, person=person, reason="本人申请")
    assert m.status == MembershipStatus.WITHDRAWN and m.ended_on is not None
    assert person.pk not in [x.person_id for x in selectors.member_list_for_actor(cast.city_admin)]


def test_rejoin_after_withdrawal_reuses_the_person(cast):
    person = cast.rider.person
    services.membership_withdraw(actor=cast.city_admin, person=person, reason="本人申请")
    m = services.member_register(actor=cast.city_admin, union=cast.tech, name=person.name,
                                 id_number=person.id_number, employment_form=EmploymentForm.COURIER)
    assert m.person_id == person.pk and Person.objects.filter(pk=person.pk, employment_form="courier").exists()


def test_update_rehashes_phone_and_audits_masked_values_only(cast):
    person = cast.member.person
    services.person_update(actor=cast.tech_staff, person=person, phone="13900001111")
    p = Person.objects.get(pk=person.pk)
    assert p.phone_mask == "139****1111"
    assert [m.person.name for m in selectors.member_list_for_actor(cast.tech_staff, q="13900001111")] == ["李小红"]
    ev = AuditEvent.objects.filter(verb="person.update").latest("id")
    assert ev.new == {"phone_mask": "139****1111"}
    assert "13900001111" not in str(ev.old) + str(ev.new)


def test_new_id_number_helper_makes_valid_numbers():
    from huigong.core import idnumber

    assert all(idnumber.is_valid(new_id_number()) for _ in range(50))


def test_employer_must_be_a_unit_of_the_actors_subtree(cast):
    with pytest.raises(ValidationError) as e:
        make_member(cast.city_admin, cast.tech, "钱某", employer=cast.qd_enterprise)
    assert "employer" in e.value.message_dict
    with pytest.raises(ValidationError):
        services.person_update(actor=cast.city_admin, person=cast.member.person, employer=cast.qd_enterprise)


def test_a_very_long_latin_name_fits_the_search_columns(cast):
    m = make_member(cast.city_admin, cast.tech, "Maximilian Alexander Christopher Fitzgerald")
    p = Person.objects.get(pk=m.person_id)
    assert len(p.name_initials) <= 20 and p.name_pinyin.startswith("maximilian")
