"""网上入会: routing rules, duplicates (transfer offered, pending refused), ID check digit, the deciding
union's accept / reject, and scope (outsiders and other workers see nothing)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from huigong.core import idnumber
from huigong.members.models import EmploymentForm, Membership, MembershipStatus, MembershipTransfer
from huigong.portal import join
from huigong.portal.models import JoinApplication, JoinStatus, Message, RouteRule
from huigong.testing import new_id_number

pytestmark = pytest.mark.django_db


def draft(**kw):
    kw.setdefault("name", "陈骑手")
    kw.setdefault("id_number", new_id_number())
    kw.setdefault("employment_form", EmploymentForm.RIDER)
    return join.Draft(**kw)


def test_employee_of_an_enterprise_with_a_union_goes_to_that_union(cast):
    r = join.join_route(employer=cast.enterprise)
    assert (r.union, r.rule) == (cast.tech, RouteRule.EMPLOYER)


def test_rider_of_a_platform_goes_to_the_platform_union(cast):
    r = join.join_route(platform=cast.platform)
    assert (r.union, r.rule) == (cast.riders, RouteRule.PLATFORM)


def test_rider_without_platform_goes_to_the_area_joint_union(cast):
    r = join.join_route(area=cast.xihu)
    assert (r.union, r.rule) == (cast.riders, RouteRule.AREA_JOINT)


def test_area_without_joint_union_goes_to_the_district(cast):
    r = join.join_route(area=cast.gaoxin)
    assert (r.union, r.rule) == (cast.gaoxin, RouteRule.AREA_DISTRICT)


def test_employer_without_own_union_falls_back_to_its_area(cast):
    from huigong.testing import make_enterprise

    covered = make_enterprise(cast.xihu, "无工会小店")  # covered by the district, no union of its own
    r = join.join_route(employer=covered)
    assert (r.union, r.rule) == (cast.riders, RouteRule.AREA_JOINT)


def test_nothing_to_route_by_is_a_clear_error(cast):
    with pytest.raises(ValidationError) as e:
        join.join_route()
    assert "area" in e.value.message_dict


def test_bad_check_digit_names_the_field(cast, make_worker):
    account, _ = make_worker()
    good = new_id_number()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ValidationError) as e:
        join.join_submit(account=account, draft=draft(id_number=bad, platform=cast.platform))
    assert "身份证号校验位错误" in e.value.message_dict["id_number"][0]
    assert not JoinApplication.objects.exists()


def test_submit_then_accept_makes_a_member_with_a_card(cast, make_worker):
    account, _ = make_worker()
    app = join.join_submit(account=account, draft=draft(platform=cast.platform))
    assert app.status == JoinStatus.SUBMITTED and app.routed_to == cast.riders
    assert app.id_number_mask != app.id_number and len(app.id_number_hash) == 64
    join.join_accept(actor=cast.district_staff, application=app)
    app.refresh_from_db()
    account.refresh_from_db()
    assert app.status == JoinStatus.ACCEPTED and account.person is not None
    m = Membership.objects.get(person=account.person, status=MembershipStatus.ACTIVE)
    assert m.union == cast.riders and m.card_no and m.source == "online"
    assert Message.objects.filter(account=account, title__contains="入会申请已通过").exists()


def test_member_elsewhere_is_offered_a_transfer_not_a_second_membership(cast, make_worker):
    person = cast.member.person  # 李小红, member of the tech company union
    account, _ = make_worker(person.phone)  # her own phone: the record is provably hers
    d = draft(name=person.name, id_number=person.id_number, employment_form=EmploymentForm.RIDER,
              platform=cast.platform)
    check = join.join_check(account=account, draft=d)
    assert check.current == cast.member
    app = join.join_submit(account=account, draft=d)
    assert app.status == JoinStatus.TRANSFER_OFFERED and app.transfer_from == cast.member
    join.join_accept(actor=cast.district_staff, application=app)
    assert Membership.objects.filter(person=person, status=MembershipStatus.ACTIVE).get().union == cast.riders
    t = MembershipTransfer.objects.get(person=person)
    assert t.from_membership == cast.member and t.to_membership.card_no == cast.member.card_no


def test_transfer_across_subtrees_waits_for_the_releasing_union(cast, make_worker):
    person = cast.qd_member.person  # a Qingdao member now riding in Hangzhou
    account, _ = make_worker(person.phone)
    app = join.join_submit(account=account, draft=draft(name=person.name, id_number=person.id_number,
                                                        platform=cast.platform))
    join.join_accept(actor=cast.district_staff, application=app)
    app.refresh_from_db()
    assert app.status == JoinStatus.TRANSFER_REQUESTED
    assert Membership.objects.get(person=person, status=MembershipStatus.ACTIVE) == cast.qd_member
    join.transfer_request_answer(actor=cast.outsider, request=app.transfer_request, accept=True)
    assert Membership.objects.get(person=person, status=MembershipStatus.ACTIVE).union == cast.riders
    account.refresh_from_db()
    app.refresh_from_db()
    assert app.status == JoinStatus.ACCEPTED and account.person == person


def test_second_pending_application_by_the_same_id_is_refused(cast, make_worker):
    a1, _ = make_worker("13900000001")
    a2, _ = make_worker("13900000002")
    number = new_id_number()
    join.join_submit(account=a1, draft=draft(id_number=number, platform=cast.platform))
    with pytest.raises(ValidationError) as e:
        join.join_submit(account=a2, draft=draft(id_number=number, area=cast.xihu))
    assert e.value.message_dict["id_number"] == [join.CANNOT_SUBMIT]
    # The applicant themself is told plainly: it is their own application.
    with pytest.raises(ValidationError) as e:
        join.join_submit(account=a1, draft=draft(id_number=number, platform=cast.platform))
    assert e.value.message_dict["id_number"] == [join.OWN_PENDING]


def test_a_name_that_differs_from_the_record_is_not_revealed_but_needs_verification(cast, make_worker):
    person = cast.member.person
    account, _ = make_worker(person.phone)  # even with the record's phone, a wrong name proves nothing
    check = join.join_check(account=account, draft=draft(name="别人", id_number=person.id_number,
                                                         platform=cast.platform))
    assert check.current is None and check.needs_verification


def test_already_member_of_the_routed_union_is_told_so(cast, make_worker):
    person = cast.rider.person
    account, _ = make_worker(person.phone)
    with pytest.raises(ValidationError) as e:
        join.join_submit(account=account, draft=draft(name=person.name, id_number=person.id_number,
                                                      platform=cast.platform))
    assert "无需重复入会" in e.value.message_dict["id_number"][0]


def test_reject_needs_a_reason_and_tells_the_worker(cast, make_worker):
    account, _ = make_worker()
    app = join.join_submit(account=account, draft=draft(area=cast.xihu))
    with pytest.raises(ValidationError) as e:
        join.join_reject(actor=cast.district_staff, application=app, reason="  ")
    assert "reason" in e.value.message_dict
    join.join_reject(actor=cast.district_staff, application=app, reason="请补充平台接单截图")
    app.refresh_from_db()
    assert app.status == JoinStatus.REJECTED and app.reason == "请补充平台接单截图"
    assert Message.objects.get(account=account).body.endswith("请补充平台接单截图")
    with pytest.raises(ValidationError):  # decided once
        join.join_accept(actor=cast.district_staff, application=app)


def test_district_union_places_the_member_below_it(cast, make_worker):
    account, _ = make_worker()
    qd_admin = cast.outsider  # Qingdao city admin: gaoxin is theirs
    app = join.join_submit(account=account, draft=draft(area=cast.gaoxin))
    with pytest.raises(ValidationError) as e:
        join.join_accept(actor=qd_admin, application=app)
    assert "union" in e.value.message_dict
    join.join_accept(actor=qd_admin, application=app, union=cast.qd_ent)
    assert Membership.objects.get(person__worker_accounts=account).union == cast.qd_ent


def test_outsider_and_read_only_roles_cannot_decide(cast, make_worker):
    account, _ = make_worker()
    app = join.join_submit(account=account, draft=draft(platform=cast.platform))
    with pytest.raises(PermissionDenied):
        join.join_accept(actor=cast.outsider, application=app)
    with pytest.raises(PermissionDenied):
        join.join_reject(actor=cast.viewer, application=app, reason="x")
    with pytest.raises(PermissionDenied):
        join.join_accept(actor=cast.tech_staff, application=app)  # tech union is not above the riders' union
    assert JoinApplication.objects.get().status == JoinStatus.SUBMITTED


def test_worker_withdraws_only_their_own(cast, make_worker):
    a1, _ = make_worker("13900000001")
    a2, _ = make_worker("13900000002")
    app = join.join_submit(account=a1, draft=draft(platform=cast.platform))
    with pytest.raises(PermissionDenied):
        join.join_withdraw(account=a2, application=app)
    join.join_withdraw(account=a1, application=app)
    assert JoinApplication.objects.get().status == JoinStatus.WITHDRAWN
    # Withdrawn frees the ID number for a new application.
    join.join_submit(account=a1, draft=draft(name=app.name, id_number=app.id_number, platform=cast.platform))


def test_id_number_is_encrypted_at_rest(cast, make_worker):
    from django.db import connection

    account, _ = make_worker()
    number = new_id_number()
    join.join_submit(account=account, draft=draft(id_number=number, platform=cast.platform))
    with connection.cursor() as cur:
        cur.execute("SELECT id_number, id_number_mask FROM portal_joinapplication")
        raw, mask = cur.fetchone()
    assert number not in str(raw) and mask == idnumber.mask(number)


def test_area_with_several_joint_unions_picks_the_one_of_the_workers_trade(cast):
    from huigong.orgs.models import NodeLevel
    from huigong.testing import make_member, make_node

    couriers = make_node(cast.xihu, "西湖区快递员联合工会", NodeLevel.JOINT)
    make_member(cast.city_admin, couriers, "快递甲", employment_form=EmploymentForm.COURIER)
    assert join.join_route(area=cast.xihu, employment_form=EmploymentForm.COURIER).union == couriers
    assert join.join_route(area=cast.xihu, employment_form=EmploymentForm.RIDER).union == cast.riders


def test_acceptance_links_earlier_consents_to_the_person(cast, make_worker):
    from huigong.portal import services
    from huigong.portal.models import Consent

    account, _ = make_worker()
    services.consent_give(account=account, purpose="id_number")
    app = join.join_submit(account=account, draft=draft(platform=cast.platform))
    join.join_accept(actor=cast.district_staff, application=app)
    account.refresh_from_db()
    assert Consent.objects.get(account=account, purpose="id_number").person == account.person
