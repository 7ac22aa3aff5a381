"""Members and memberships through the API: masked reads, search, register, update, reveal (with its
access row), transfer and withdrawal, and the scoping of each."""

import re

import pytest

from huigong.core.models import AccessLog, AuditEvent
from huigong.members.models import Membership, MembershipStatus, MembershipTransfer, Person
from huigong.testing import make_member, new_id_number

pytestmark = pytest.mark.django_db

FULL_ID = re.compile(r"\d{17}[\dX]")


def _raw(membership):
    person = Person.objects.get(pk=membership.person_id)
    return person.id_number, person.phone


def _assert_no_full_pii(response, *memberships):
    text = response.content.decode()
    assert not FULL_ID.search(text), "a full ID number left the API unmasked"
    for m in memberships:
        id_number, phone = _raw(m)
        assert id_number not in text and id_number[6:14] not in text  # nor the birth date it carries
        assert phone not in text


def test_member_list_is_masked_and_scoped(cast, api_as):
    r = api_as(cast.city_admin).get("members")
    assert r.status_code == 200
    items = r.json()["items"]
    assert {i["person_id"] for i in items} == {cast.member.person_id, cast.rider.person_id}
    row = next(i for i in items if i["person_id"] == cast.member.person_id)
    id_number, phone = _raw(cast.member)
    assert row["id_number_mask"] == id_number[:6] + "********" + id_number[-4:]
    assert row["phone_mask"] == phone[:3] + "****" + phone[-4:]
    assert row["employer"] == {"id": cast.enterprise.pk, "name": cast.enterprise.name}
    assert row["union"]["id"] == cast.tech.pk
    assert "birth_date" not in row
    _assert_no_full_pii(r, cast.member, cast.rider)
    assert {i["person_id"] for i in api_as(cast.tech_staff).get("members").json()["items"]} == {
        cast.member.person_id
    }
    assert {i["person_id"] for i in api_as(cast.outsider).get("members").json()["items"]} == {
        cast.qd_member.person_id
    }


@pytest.mark.parametrize("query", ["李小", "lixiaohong", "lxh", "LXH"])
def test_member_search_by_name_pinyin_initials(cast, api_as, query):
    r = api_as(cast.viewer).get("members", {"q": query})
    assert [i["person_id"] for i in r.json()["items"]] == [cast.member.person_id]


def test_member_search_by_full_id_and_phone_uses_the_blind_index(cast, api_as):
    # Numbers go in the body of POST /members/search (never in a URL) and need the full-PII capability.
    id_number, phone = _raw(cast.rider)
    c = api_as(cast.city_admin)
    assert [i["person_id"] for i in c.post("members/search", {"q": id_number}).json()["items"]] == [
        cast.rider.person_id
    ]
    assert [i["person_id"] for i in c.post("members/search", {"q": phone}).json()["items"]] == [
        cast.rider.person_id
    ]
    qd_id, _ = _raw(cast.qd_member)
    assert c.post("members/search", {"q": qd_id}).json()["count"] == 0


def test_member_list_filters(cast, api_as):
    c = api_as(cast.city_admin)

    def ids(r):
        return [i["person_id"] for i in r.json()["items"]]

    assert ids(c.get("members", {"employment_form": "rider"})) == [cast.rider.person_id]
    assert ids(c.get("members", {"enterprise": cast.platform.pk})) == [cast.rider.person_id]
    assert ids(c.get("members", {"union": cast.tech.pk})) == [cast.member.person_id]
    assert c.get("members", {"union": cast.qd_ent.pk}).status_code == 404
    assert c.get("members", {"employment_form": "astronaut"}).status_code == 422
    c.post(f"members/{cast.member.person_id}/withdraw", {"reason": "退休"})
    assert ids(c.get("members")) == [cast.rider.person_id]
    assert ids(c.get("members", {"status": "withdrawn"})) == [cast.member.person_id]
    assert set(ids(c.get("members", {"status": "all"}))) == {cast.member.person_id, cast.rider.person_id}


def test_member_detail_with_history(cast, api_as):
    r = api_as(cast.leader).get(f"members/{cast.member.person_id}")
    assert r.status_code == 200
    body = r.json()
    assert (body["name"], body["status"], body["employment_form_label"]) == ("李小红", "active", "劳动合同")
    assert [h["union"]["id"] for h in body["history"]] == [cast.tech.pk]
    _assert_no_full_pii(r, cast.member)
    assert api_as(cast.outsider).get(f"members/{cast.member.person_id}").status_code == 404
    assert api_as(cast.tech_staff).get(f"members/{cast.rider.person_id}").status_code == 404
    assert api_as(cast.city_admin).get("members/999999").status_code == 404


def test_member_register(cast, api_as):
    number = new_id_number(gender="F")
    r = api_as(cast.district_staff).post(
        "members",
        {
            "union_id": cast.riders.pk,
            "name": "陈新人",
            "id_number": number,
            "phone": "139 0000 1111",
            "employment_form": "rider",
            "platform_id": cast.platform.pk,
            "joined_on": "2025-06-01",
            "education": "college",
            "bank_account": "6222020202020202",
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["gender"], body["union"]["id"], body["platform"]["id"]) == (
        "F",
        cast.riders.pk,
        cast.platform.pk,
    )
    assert (body["phone_mask"], body["bank_account_mask"], body["education"]) == (
        "139****1111",
        "**** **** 0202",
        "college",
    )
    assert number not in r.content.decode()
    person = Person.objects.get(pk=body["person_id"])
    assert person.id_number == number and person.phone == "13900001111"
    verbs = set(
        AuditEvent.objects.filter(object_id__in=[str(person.pk), str(body["membership_id"])]).values_list(
            "verb", flat=True
        )
    )
    assert verbs == {"person.create", "membership.create"}


def test_member_register_validation_is_bilingual_and_writes_nothing(cast, api_as):
    c = api_as(cast.city_admin)
    bad_check = new_id_number()
    bad_check = bad_check[:17] + ("0" if bad_check[17] != "0" else "1")
    r = c.post("members", {"union_id": cast.tech.pk, "name": "", "id_number": bad_check, "phone": "12345"})
    assert r.status_code == 422
    errors = {e["field"]: e["message"] for e in r.json()["detail"]}
    assert set(errors) == {"name", "id_number", "phone"}
    assert errors["phone"] == "手机号格式不正确"
    assert "校验位" in errors["id_number"] and "check digit" not in errors["id_number"]
    r = c.post(
        "members",
        {"union_id": cast.tech.pk, "name": "某", "id_number": new_id_number(), "employer_id": 999999},
    )
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "employer_id"
    r = c.post(
        "members",
        {
            "union_id": cast.tech.pk,
            "name": "某",
            "id_number": new_id_number(),
            "platform_id": cast.enterprise.pk,
        },
    )
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "platform_id"
    r = c.post("members", {"union_id": cast.xihu.pk, "name": "某", "id_number": new_id_number()})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "union_id"
    assert Person.objects.count() == 3


def test_member_register_twice_points_to_transfer(cast, api_as):
    id_number, _ = _raw(cast.member)
    r = api_as(cast.city_admin).post(
        "members", {"union_id": cast.riders.pk, "name": "李小红", "id_number": id_number}
    )
    assert r.status_code == 422
    err = r.json()["detail"][0]
    assert err["field"] == "id_number" and "会员关系转接" in err["message"]


def test_member_register_into_another_subtree_is_denied(cast, api_as):
    r = api_as(cast.city_admin).post(
        "members", {"union_id": cast.qd_ent.pk, "name": "某", "id_number": new_id_number()}
    )
    assert r.status_code == 422
    r = api_as(cast.tech_staff).post(
        "members", {"union_id": cast.riders.pk, "name": "某", "id_number": new_id_number()}
    )
    assert r.status_code == 422
    assert Person.objects.count() == 3


def test_member_patch(cast, api_as):
    c = api_as(cast.district_staff)
    r = c.patch(
        f"members/{cast.member.person_id}",
        {"phone": "13811112222", "employer_id": None, "job_title": "工程师"},
    )
    assert r.status_code == 200, r.content
    assert (r.json()["phone_mask"], r.json()["employer"], r.json()["job_title"]) == (
        "138****2222",
        None,
        "工程师",
    )
    ev = AuditEvent.objects.get(verb="person.update", object_id=str(cast.member.person_id))
    assert ev.new["phone_mask"] == "138****2222" and "13811112222" not in str(ev.new)
    r = c.patch(f"members/{cast.member.person_id}", {"phone": "999"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "phone"
    r = c.patch(f"members/{cast.member.person_id}", {"name": None})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "name"
    assert (
        api_as(cast.viewer).patch(f"members/{cast.member.person_id}", {"job_title": "x"}).status_code == 403
    )
    assert (
        api_as(cast.outsider).patch(f"members/{cast.member.person_id}", {"job_title": "x"}).status_code == 404
    )


def test_reveal_returns_full_values_and_writes_an_access_row(cast, api_as):
    id_number, phone = _raw(cast.member)
    r = api_as(cast.finance).post(
        f"members/{cast.member.person_id}/reveal",
        {"fields": ["id_number", "phone"], "purpose": "发放补助核对身份"},
    )
    assert r.status_code == 200
    assert r.json() == {
        "person_id": cast.member.person_id,
        "values": {"id_number": id_number, "phone": phone},
    }
    assert "no-store" in r["Cache-Control"]
    log = AccessLog.objects.get()
    assert (log.actor_id, log.object_id, log.fields, log.purpose) == (
        cast.finance.pk,
        str(cast.member.person_id),
        "id_number,phone",
        "发放补助核对身份",
    )
    assert log.node_path == cast.tech.path


@pytest.mark.parametrize("who", ["viewer", "leader", "outsider"])
def test_reveal_denied_writes_no_access_row(cast, api_as, who):
    r = api_as(getattr(cast, who)).post(
        f"members/{cast.member.person_id}/reveal", {"fields": ["id_number"], "purpose": "看看"}
    )
    assert r.status_code == (404 if who == "outsider" else 403)
    assert AccessLog.objects.count() == 0
    assert not FULL_ID.search(r.content.decode())


def test_reveal_validation(cast, api_as):
    c = api_as(cast.city_admin)
    path = f"members/{cast.member.person_id}/reveal"
    r = c.post(path, {"fields": ["id_number"], "purpose": "  "})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "purpose"
    r = c.post(path, {"fields": ["name_pinyin"], "purpose": "核对"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "fields.0"
    r = c.post(path, {"fields": [], "purpose": "核对"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "fields"
    assert AccessLog.objects.count() == 0


def test_transfer_keeps_history(cast, api_as):
    c = api_as(cast.city_admin)
    r = c.post(
        f"members/{cast.member.person_id}/transfer",
        {"to_union_id": cast.riders.pk, "reason": "转岗骑手", "on": "2025-05-01"},
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["from_membership"]["status"], body["to_membership"]["status"]) == ("transferred", "active")
    assert body["to_membership"]["union"]["id"] == cast.riders.pk
    assert MembershipTransfer.objects.filter(person_id=cast.member.person_id).count() == 1
    detail = c.get(f"members/{cast.member.person_id}").json()
    assert [h["union"]["id"] for h in detail["history"]] == [cast.tech.pk, cast.riders.pk]
    assert [h["status"] for h in detail["history"]] == ["transferred", "active"]
    r = c.post(f"members/{cast.member.person_id}/transfer", {"to_union_id": cast.riders.pk})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "to_union_id"


def test_transfer_out_of_the_subtree_hands_the_member_over(cast, api_as):
    c = api_as(cast.city_admin)
    r = c.post(
        f"members/{cast.rider.person_id}/transfer", {"to_union_id": cast.qd_ent.pk, "reason": "迁居青岛"}
    )
    assert r.status_code == 200
    assert c.get(f"members/{cast.rider.person_id}").status_code == 404
    assert api_as(cast.outsider).get(f"members/{cast.rider.person_id}").status_code == 200
    # The released membership stays in Hangzhou's history.
    ms = c.get("memberships", {"person": cast.rider.person_id}).json()["items"]
    assert [(m["union"]["id"], m["status"]) for m in ms] == [(cast.riders.pk, "transferred")]


def test_transfer_rules(cast, api_as):
    assert (
        api_as(cast.outsider)
        .post(f"members/{cast.member.person_id}/transfer", {"to_union_id": cast.qd_ent.pk})
        .status_code
        == 404
    )
    assert (
        api_as(cast.viewer)
        .post(f"members/{cast.member.person_id}/transfer", {"to_union_id": cast.riders.pk})
        .status_code
        == 403
    )
    r = api_as(cast.city_admin).post(f"members/{cast.member.person_id}/transfer", {"to_union_id": 999999})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "to_union_id"
    r = api_as(cast.city_admin).post(
        f"members/{cast.member.person_id}/transfer", {"to_union_id": cast.xihu.pk}
    )
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "to_union_id"
    assert Membership.objects.get(pk=cast.member.pk).status == MembershipStatus.ACTIVE


def test_withdraw(cast, api_as):
    c = api_as(cast.district_staff)
    r = c.post(f"members/{cast.rider.person_id}/withdraw", {"reason": " "})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "reason"
    r = c.post(f"members/{cast.rider.person_id}/withdraw", {"reason": "本人申请", "on": "2025-02-03"})
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["ended_on"]) == ("withdrawn", "2025-02-03")
    assert AuditEvent.objects.filter(verb="membership.withdraw", object_id=str(cast.rider.pk)).exists()
    # Withdrawn members stay readable; a second withdrawal is refused.
    assert c.get(f"members/{cast.rider.person_id}").json()["status"] == "withdrawn"
    r = c.post(f"members/{cast.rider.person_id}/withdraw", {"reason": "again"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "person"


def test_membership_list_filters(cast, api_as):
    extra = make_member(
        cast.city_admin, cast.tech, "孙早入", joined_on=__import__("datetime").date(2020, 1, 1)
    )
    c = api_as(cast.city_admin)

    def ids(r):
        return {i["id"] for i in r.json()["items"]}

    assert ids(c.get("memberships")) == {cast.member.pk, cast.rider.pk, extra.pk}
    assert ids(c.get("memberships", {"joined_to": "2021-01-01"})) == {extra.pk}
    assert ids(c.get("memberships", {"joined_from": "2021-01-01"})) == {cast.member.pk, cast.rider.pk}
    assert ids(c.get("memberships", {"union": cast.riders.pk})) == {cast.rider.pk}
    assert ids(c.get("memberships", {"status": "withdrawn"})) == set()
    assert c.get("memberships", {"joined_from": "yesterday"}).json()["detail"][0]["field"] == "joined_from"
    assert ids(api_as(cast.outsider).get("memberships")) == {cast.qd_member.pk}
    assert ids(api_as(cast.outsider).get("memberships", {"person": cast.member.person_id})) == set()
    _assert_no_full_pii(c.get("memberships"), cast.member, cast.rider)


def test_audit_trail_of_api_writes_holds_no_full_pii(cast, api_as):
    c = api_as(cast.city_admin)
    c.post(
        "members",
        {
            "union_id": cast.tech.pk,
            "name": "周审计",
            "id_number": new_id_number(),
            "phone": "13700001234",
            "bank_account": "6222000011112222",
        },
    )
    r = c.get("audit", {"limit": 500})
    assert r.status_code == 200
    text = r.content.decode()
    assert "13700001234" not in text and "6222000011112222" not in text
    assert not FULL_ID.search(text)
