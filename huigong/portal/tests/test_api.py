"""/api/v1/join-applications: scoped list, masked detail, accept and reject through the same services."""

import pytest

from huigong.members.models import Membership, MembershipStatus
from huigong.portal.models import JoinApplication, JoinStatus
from huigong.portal.testing import submit_join
from huigong.testing import new_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def apps(cast):
    return (submit_join(name="陈杭骑", platform=cast.platform),
            submit_join(name="赵青申", area=cast.gaoxin, id_number=new_id_number("370213")))


def test_list_is_scoped_and_masked(cast, api_as, apps):
    hz, _qd = apps
    r = api_as(cast.district_staff).get("join-applications", {"status": "submitted"})
    assert r.status_code == 200
    body = r.json()
    assert [i["name"] for i in body["items"]] == ["陈杭骑"]
    assert body["items"][0]["id_number_mask"] == hz.id_number_mask and hz.id_number not in r.content.decode()
    assert body["items"][0]["routed_to"]["name"] == "西湖区骑手联合工会"
    assert api_as(cast.outsider).get(f"join-applications/{hz.pk}").status_code == 404
    assert api_as(cast.district_staff).get("join-applications/999999").status_code == 404


def test_accept_and_reject(cast, api_as, apps):
    hz, qd = apps
    r = api_as(cast.district_staff).post(f"join-applications/{hz.pk}/accept", {})
    assert r.status_code == 200 and r.json()["status"] == "accepted" and r.json()["card_no"]
    assert Membership.objects.filter(union=cast.riders, status=MembershipStatus.ACTIVE,
                                     person__name="陈杭骑").exists()
    r = api_as(cast.district_staff).post(f"join-applications/{hz.pk}/reject", {"reason": "晚了"})
    assert r.status_code == 422  # already decided
    # A district union must name where the member goes.
    r = api_as(cast.outsider).post(f"join-applications/{qd.pk}/accept", {})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "union_id"
    r = api_as(cast.outsider).post(f"join-applications/{qd.pk}/reject", {"reason": ""})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "reason"
    r = api_as(cast.outsider).post(f"join-applications/{qd.pk}/accept", {"union_id": cast.qd_ent.pk})
    assert r.status_code == 200
    assert JoinApplication.objects.get(pk=qd.pk).status == JoinStatus.ACCEPTED
