"""The claims route's front door (benefits.api_fast): a worker's own claim gets the same answers as
through the API's view, without any ninja operation; everything else still goes to the API's view."""

import json
from unittest import mock

import pytest
from ninja.operation import Operation

from huigong.benefits import services
from huigong.benefits.models import BenefitClaim, BenefitProgramme
from huigong.members.models import Person

pytestmark = pytest.mark.django_db

URL = "/api/v1/benefit-claims"
VARYING = ("id", "created_at", "granted_at")  # differ between two runs of the same claim


def _answers(client, cast, hz, qd) -> list:
    """Every kind of answer a worker's claim can get, in order, from a fresh start."""
    BenefitClaim.objects.all().delete()
    BenefitProgramme.objects.filter(pk=hz.pk).update(quota_total=5, remaining=5)
    csrf = {"X-CSRFToken": "a" * 32}
    member = Person.objects.get(pk=cast.member.person_id)
    sent = [
        lambda: client.post_json(URL, {"programme_id": 999_999}),  # no such programme
        lambda: client.post_json(URL, {"programme_id": qd.pk}),  # another city's: not eligible
        lambda: client.post_json(URL, {"programme_id": hz.pk, "person_id": cast.member.person_id}),  # someone else
        lambda: client.post_json(URL, {"programme_id": "abc"}),  # refused by the schema
        lambda: client.post_json(URL, {"programme_id": hz.pk, "extra": 1}),  # granted (unknown keys ignored)
        lambda: client.post_json(URL, [hz.pk]),  # not an object
        lambda: client.post(URL, "{not json", content_type="application/json", headers=csrf),
        lambda: client.post(URL, json.dumps({"programme_id": hz.pk}), content_type="application/json"),  # no CSRF
        lambda: client.post_json(URL, {"programme_id": hz.pk}),  # already claimed
        lambda: client.post_json(URL, {"programme_id": hz.pk}),  # already claimed
        lambda: client.post_json(URL, {"programme_id": str(hz.pk)}),  # the same, as a numeric string
    ]
    out = [_answer(send()) for send in sent]
    BenefitClaim.objects.all().delete()
    BenefitProgramme.objects.filter(pk=hz.pk).update(quota_total=1, remaining=1)
    services.claim_create(actor=cast.city_admin, programme=hz, person=member)
    out.append(_answer(client.post_json(URL, {"programme_id": hz.pk})))  # 名额已满
    return out


def _answer(r) -> tuple:
    body = r.content.decode()
    if r["Content-Type"].startswith("application/json"):
        body = json.loads(body)
        if isinstance(body, dict):
            body = {k: ("·" if k in VARYING else v) for k, v in body.items()}
    return r.status_code, body


def test_a_workers_claim_gets_the_same_answers_through_the_door(worker_api, cast, hz_programme,
                                                                 qd_programme, settings):
    settings.HUIGONG_CLAIM_FAST_PATH = False
    api_view = _answers(worker_api, cast, hz_programme, qd_programme)
    settings.HUIGONG_CLAIM_FAST_PATH = True
    door = _answers(worker_api, cast, hz_programme, qd_programme)
    assert door == api_view
    statuses = [status for status, _ in door]
    assert statuses == [422, 422, 403, 422, 201, 422, 400, 403, 422, 422, 422, 422], door
    assert door[4][1]["status"] == "granted"
    assert door[-1][1]["detail"][0]["message"] == "名额已满"


def test_the_door_answers_a_workers_claim_without_ninja_and_passes_the_rest_on(worker_api, cast,
                                                                                hz_programme):
    from huigong.api.tests.conftest import ApiClient, make_token

    with mock.patch.object(Operation, "run", side_effect=AssertionError("through ninja")):
        r = worker_api.post_json(URL, {"programme_id": hz_programme.pk})
        assert r.status_code == 201 and BenefitClaim.objects.filter(person_id=cast.rider.person_id).exists()
        r = worker_api.post_json(URL, {"programme_id": hz_programme.pk})
        assert r.status_code == 422 and "已申领" in r.json()["detail"][0]["message"]
        # A token call (staff, for a member) and a listing are the API view's.
        token_client = ApiClient(make_token(cast.city_admin))
        with pytest.raises(AssertionError, match="through ninja"):
            token_client.post(URL, {"programme_id": hz_programme.pk, "person_id": cast.member.person_id})
        with pytest.raises(AssertionError, match="through ninja"):
            worker_api.get(URL)
