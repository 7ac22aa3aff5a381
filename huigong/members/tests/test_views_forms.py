"""Register, edit, transfer and withdraw through the pages: services do the work, errors land on
the right fields in both languages, nothing is half-written, and scope and roles are enforced."""

import datetime as dt

import pytest
from django.urls import reverse

from huigong.core.models import AccessLog, AuditEvent
from huigong.members.models import EmploymentForm, Membership, MembershipStatus, MembershipTransfer, Person
from huigong.testing import new_id_number


def get(client, user, name, *args):
    client.force_login(user)
    return client.get(reverse(name, args=args))


def post(client, user, name, *args, data=None):
    client.force_login(user)
    return client.post(reverse(name, args=args), data or {})


def register_data(cast, **kw):
    data = {"union": cast.riders.pk, "name": "周快跑", "id_number": new_id_number(), "phone": "139 1234 5678",
            "employment_form": EmploymentForm.RIDER, "platform": cast.platform.pk, "joined_on": "2025-06-01",
            "ethnicity": "汉族", "education": "senior", "job_title": "骑手"}
    data.update(kw)
    return data


# --- Register ----------------------------------------------------------------------------------------

def test_register_a_rider(client, cast):
    data = register_data(cast)
    r = post(client, cast.district_staff, "members:create", data=data)
    person = Person.objects.get(name="周快跑")
    assert r.status_code == 302 and r["Location"] == reverse("members:detail", args=[person.pk])
    assert person.phone == "13912345678" and person.platform_id == cast.platform.pk
    m = person.memberships.get()
    assert (m.union_id, m.status, m.joined_on) == (cast.riders.pk, "active", dt.date(2025, 6, 1))
    assert AuditEvent.objects.filter(verb="person.create", object_id=str(person.pk)).exists()


def test_register_form_preselects_the_union_from_the_link(client, cast):
    client.force_login(cast.district_staff)
    r = client.get(reverse("members:create"), {"union": cast.riders.pk})
    assert r.context["form"]["union"].value() == str(cast.riders.pk)
    assert f'<option value="{cast.riders.pk}" selected>' in r.content.decode()


def test_register_form_offers_only_unions_that_hold_members(client, cast):
    r = get(client, cast.city_admin, "members:create")
    assert r.status_code == 200
    options = [v for v, _label in r.context["form"].fields["union"].widget.options(None) if v]
    assert set(options) == {str(cast.riders.pk), str(cast.tech.pk)}
    before = Person.objects.count()
    r = post(client, cast.city_admin, "members:create", data=register_data(cast, union=cast.xihu.pk))
    assert r.status_code == 200 and "union" in r.context["form"].errors
    assert Person.objects.count() == before


def test_register_shows_every_field_error_in_both_languages_and_writes_nothing(client, cast):
    before = (Person.objects.count(), Membership.objects.count(), AuditEvent.objects.count())
    bad_id = "110105194912310021"  # wrong check digit
    r = post(client, cast.city_admin, "members:create", data=register_data(
        cast, name="", id_number=bad_id, phone="12345", employment_form="astronaut", joined_on="2025-13-40"))
    assert r.status_code == 200
    errors = r.context["form"].errors
    assert set(errors) == {"name", "id_number", "phone", "employment_form", "joined_on"}
    assert "校验位" in errors["id_number"][0] and "check digit" not in errors["id_number"][0]
    assert "手机号" in errors["phone"][0] and "phone" not in errors["phone"][0]
    html = r.content.decode()
    assert "校验位" in html and "姓名不能为空" in html
    assert (Person.objects.count(), Membership.objects.count(), AuditEvent.objects.count()) == before


def test_register_maps_service_errors_to_fields(client, cast):
    """A current member elsewhere: the service's error lands on the ID field and nothing is written."""
    existing = cast.qd_member.person
    before = Membership.objects.count()
    r = post(client, cast.city_admin, "members:create",
             data=register_data(cast, id_number=existing.id_number, name="赵青岛"))
    assert r.status_code == 200
    msg = r.context["form"].errors["id_number"][0]
    assert "转接" in msg and "transfer" not in msg and "青岛" not in msg
    assert Membership.objects.count() == before
    # A platform field pointing at a non-platform is refused by the form (scoped choices).
    r = post(client, cast.city_admin, "members:create", data=register_data(cast, platform=cast.enterprise.pk))
    assert "platform" in r.context["form"].errors


@pytest.mark.parametrize("who", ["viewer", "leader", "finance"])
def test_register_needs_member_write(client, cast, who):
    user = getattr(cast, who)
    assert get(client, user, "members:create").status_code == 403
    data = register_data(cast)
    assert post(client, user, "members:create", data=data).status_code == 403
    assert not Person.objects.filter(name="周快跑").exists()


def test_outsider_cannot_register_into_our_unions(client, cast):
    r = post(client, cast.outsider, "members:create", data=register_data(cast))
    assert r.status_code == 200 and "union" in r.context["form"].errors
    assert not Person.objects.filter(name="周快跑").exists()


# --- Edit --------------------------------------------------------------------------------------------

def test_edit_form_never_prefills_phone_or_bank_account(client, cast):
    person = cast.member.person
    r = get(client, cast.city_admin, "members:edit", person.pk)
    html = r.content.decode()
    assert r.status_code == 200
    assert person.phone not in html and person.id_number not in html
    assert person.phone_mask in html
    assert AccessLog.objects.count() == 0


def test_edit_keeps_phone_when_blank_and_changes_it_when_given(client, cast):
    person = cast.member.person
    old_phone = person.phone
    data = {"name": "李小红", "phone": "", "employment_form": EmploymentForm.DISPATCH,
            "employer": cast.enterprise.pk, "job_title": "测试工程师"}
    r = post(client, cast.tech_staff, "members:edit", person.pk, data=data)
    assert r.status_code == 302
    person = Person.objects.get(pk=person.pk)
    assert person.phone == old_phone and person.employment_form == EmploymentForm.DISPATCH
    assert person.job_title == "测试工程师"
    r = post(client, cast.tech_staff, "members:edit", person.pk, data={**data, "phone": "13600001111"})
    person = Person.objects.get(pk=person.pk)
    assert person.phone == "13600001111" and person.phone_mask == "136****1111"
    assert AuditEvent.objects.filter(verb="person.update", object_id=str(person.pk)).count() == 2


def test_edit_errors_are_shown_and_nothing_is_saved(client, cast):
    person = cast.member.person
    r = post(client, cast.city_admin, "members:edit", person.pk,
             data={"name": "", "phone": "555", "employment_form": EmploymentForm.CONTRACT, "bank_account": "12ab"})
    assert r.status_code == 200
    errors = r.context["form"].errors
    assert {"name", "phone"} <= set(errors)
    assert Person.objects.get(pk=person.pk).name == "李小红"
    r = post(client, cast.city_admin, "members:edit", person.pk,
             data={"name": "李小红", "employment_form": EmploymentForm.CONTRACT, "bank_account": "12ab"})
    assert "银行账号" in r.context["form"].errors["bank_account"][0]
    assert not Person.objects.get(pk=person.pk).bank_account


@pytest.mark.parametrize("who", ["viewer", "leader", "finance"])
def test_edit_needs_member_write(client, cast, who):
    person = cast.member.person
    assert get(client, getattr(cast, who), "members:edit", person.pk).status_code == 403
    r = post(client, getattr(cast, who), "members:edit", person.pk,
             data={"name": "改名", "employment_form": EmploymentForm.CONTRACT})
    assert r.status_code == 403 and Person.objects.get(pk=person.pk).name == "李小红"


def test_outsider_cannot_edit(client, cast):
    person = cast.member.person
    assert get(client, cast.outsider, "members:edit", person.pk).status_code == 404
    r = post(client, cast.outsider, "members:edit", person.pk,
             data={"name": "改名", "employment_form": EmploymentForm.CONTRACT})
    assert r.status_code == 404 and Person.objects.get(pk=person.pk).name == "李小红"


# --- Transfer ----------------------------------------------------------------------------------------

def test_transfer_within_scope_keeps_history(client, cast):
    person = cast.member.person
    r = post(client, cast.district_staff, "members:transfer", person.pk,
             data={"to_union": cast.riders.pk, "reason": "转为骑手", "on": "2025-07-01"})
    assert r.status_code == 302 and r["Location"] == reverse("members:detail", args=[person.pk])
    ms = list(person.memberships.order_by("id"))
    assert [(m.union_id, m.status) for m in ms] == [(cast.tech.pk, "transferred"), (cast.riders.pk, "active")]
    assert ms[0].ended_on == dt.date(2025, 7, 1)
    assert MembershipTransfer.objects.get(person=person).reason == "转为骑手"


def test_transfer_to_a_union_in_another_subtree(client, cast):
    """The target can be anywhere in the tree; afterwards the member is no longer ours to see."""
    person = cast.member.person
    r = post(client, cast.city_admin, "members:transfer", person.pk,
             data={"to_union": cast.qd_ent.pk, "reason": "赴青岛工作"})
    assert r.status_code == 302 and r["Location"] == reverse("members:list")
    assert person.memberships.get(status=MembershipStatus.ACTIVE).union_id == cast.qd_ent.pk
    assert get(client, cast.city_admin, "members:detail", person.pk).status_code == 404
    assert get(client, cast.outsider, "members:detail", person.pk).status_code == 200


def test_transfer_errors_from_form_and_service(client, cast):
    person = cast.member.person
    r = post(client, cast.city_admin, "members:transfer", person.pk, data={"to_union": cast.xihu.pk, "reason": ""})
    errors = r.context["form"].errors
    assert "to_union" in errors and "reason" in errors  # a district cannot hold members; reason required
    r = post(client, cast.city_admin, "members:transfer", person.pk, data={"to_union": cast.tech.pk, "reason": "x"})
    assert r.status_code == 200 and "转入工会与当前工会相同" in r.context["form"].errors["to_union"][0]
    assert person.memberships.count() == 1 and not MembershipTransfer.objects.exists()


@pytest.mark.parametrize("who", ["viewer", "leader", "finance", "outsider"])
def test_transfer_is_denied(client, cast, who):
    person = cast.member.person
    denied = 404 if who == "outsider" else 403  # outside the subtree: like an unknown id
    assert get(client, getattr(cast, who), "members:transfer", person.pk).status_code == denied
    r = post(client, getattr(cast, who), "members:transfer", person.pk,
             data={"to_union": cast.qd_ent.pk, "reason": "x"})
    assert r.status_code == denied and person.memberships.count() == 1


def test_tech_staff_cannot_transfer_a_member_of_a_sibling_union(client, cast):
    person = cast.rider.person
    r = post(client, cast.tech_staff, "members:transfer", person.pk, data={"to_union": cast.tech.pk, "reason": "x"})
    assert r.status_code == 404 and person.memberships.count() == 1


# --- Withdraw ----------------------------------------------------------------------------------------

def test_withdraw_with_reason(client, cast):
    person = cast.rider.person
    r = post(client, cast.district_staff, "members:withdraw", person.pk, data={"reason": "离开本行业", "on": "2025-08-01"})
    assert r.status_code == 302
    m = person.memberships.get()
    assert m.status == MembershipStatus.WITHDRAWN and m.ended_on == dt.date(2025, 8, 1)
    ev = AuditEvent.objects.get(verb="membership.withdraw", object_id=str(m.pk))
    assert ev.new["reason"] == "离开本行业"


def test_withdraw_needs_a_reason_and_an_active_membership(client, cast):
    person = cast.rider.person
    r = post(client, cast.city_admin, "members:withdraw", person.pk, data={"reason": "  "})
    assert r.status_code == 200 and r.context["form"].errors["reason"][0] == "退会原因不能为空"
    assert person.memberships.get().status == MembershipStatus.ACTIVE
    post(client, cast.city_admin, "members:withdraw", person.pk, data={"reason": "离职"})
    r = post(client, cast.city_admin, "members:withdraw", person.pk, data={"reason": "再次"})
    assert r.status_code == 200
    assert "没有在会会籍" in " ".join(r.context["form"].non_field_errors())
    assert AuditEvent.objects.filter(verb="membership.withdraw").count() == 1


@pytest.mark.parametrize("who", ["viewer", "leader", "finance", "outsider", "tech_staff"])
def test_withdraw_is_denied(client, cast, who):
    person = cast.rider.person
    denied = 404 if who in ("outsider", "tech_staff") else 403  # outside the subtree: like an unknown id
    assert get(client, getattr(cast, who), "members:withdraw", person.pk).status_code == denied
    r = post(client, getattr(cast, who), "members:withdraw", person.pk, data={"reason": "x"})
    assert r.status_code == denied and person.memberships.get().status == MembershipStatus.ACTIVE


def test_edit_records_front_line_and_the_form_shows_it(client, cast):
    person = cast.member.person
    data = {"name": "李小红", "phone": "", "employment_form": EmploymentForm.CONTRACT, "front_line": "1"}
    assert post(client, cast.tech_staff, "members:edit", person.pk, data=data).status_code == 302
    assert Person.objects.get(pk=person.pk).front_line is True
    html = get(client, cast.tech_staff, "members:edit", person.pk).content.decode()
    assert '<option value="1" selected>' in html
    post(client, cast.tech_staff, "members:edit", person.pk, data={**data, "front_line": "0"})
    assert Person.objects.get(pk=person.pk).front_line is False
    assert AuditEvent.objects.filter(verb="person.update", object_id=str(person.pk)).count() == 2
