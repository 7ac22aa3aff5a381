"""The claim endpoint as a signed-in worker drives it (portal session + CSRF header), and the
refusals the API gives."""

import json

import pytest
from django.test import Client

from huigong.benefits.models import BenefitClaim, ClaimStatus
from huigong.members.models import Person

pytestmark = pytest.mark.django_db


def test_worker_session_claims_for_themself(worker_api, cast, hz_programme):
    r = worker_api.post_json("/api/v1/benefit-claims", {"programme_id": hz_programme.pk})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "granted" and body["person_id"] == cast.rider.person_id
    r = worker_api.get("/api/v1/benefit-claims")
    assert [c["id"] for c in r.json()["items"]] == [body["id"]]


def test_worker_needs_the_csrf_header(cast, hz_programme):
    from huigong.portal.testing import make_worker_account, sign_in

    c = Client(enforce_csrf_checks=True)
    sign_in(c, make_worker_account(person=cast.rider.person))
    r = c.post("/api/v1/benefit-claims", json.dumps({"programme_id": hz_programme.pk}), content_type="application/json")
    assert r.status_code == 403 and not BenefitClaim.objects.exists()


def test_worker_cannot_claim_for_someone_else(worker_api, cast, hz_programme):
    r = worker_api.post_json("/api/v1/benefit-claims", {"programme_id": hz_programme.pk,
                                                        "person_id": cast.member.person_id})
    assert r.status_code == 403 and not BenefitClaim.objects.exists()


def test_full_is_a_422_naming_the_programme(worker_api, cast, hz_programme):
    from huigong.benefits import services

    services.programme_update(actor=cast.city_admin, programme=hz_programme, quota_total=1)
    services.claim_create(actor=cast.city_admin, programme=hz_programme, person=Person.objects.get(pk=cast.member.person_id))
    r = worker_api.post_json("/api/v1/benefit-claims", {"programme_id": hz_programme.pk})
    assert r.status_code == 422
    assert r.json()["detail"] == [{"field": "programme", "message": "名额已满"}]


def test_worker_cannot_reach_staff_routes_or_other_subtrees(worker_api, cast, hz_programme, qd_programme):
    assert worker_api.get("/api/v1/benefit-programmes").status_code in (401, 403)
    assert worker_api.get("/api/v1/reimbursements").status_code in (401, 403)
    r = worker_api.post_json("/api/v1/benefit-claims", {"programme_id": qd_programme.pk})
    assert r.status_code == 422 and "仅限" in r.json()["detail"][0]["message"]


def test_worker_cancels_own_claim_only(worker_api, cast, hz_programme):
    from huigong.benefits import services

    other = services.claim_create(actor=cast.city_admin, programme=hz_programme,
                                  person=Person.objects.get(pk=cast.member.person_id))
    r = worker_api.post_json(f"/api/v1/benefit-claims/{other.pk}/cancel", {})
    assert r.status_code == 404
    mine = worker_api.post_json("/api/v1/benefit-claims", {"programme_id": hz_programme.pk}).json()
    r = worker_api.post_json(f"/api/v1/benefit-claims/{mine['id']}/cancel", {"reason": "没空"})
    assert r.status_code == 200 and r.json()["status"] == ClaimStatus.CANCELLED


def test_outsider_token_cannot_read_hangzhou_claims(cast, hz_programme):
    from huigong.api.tests.conftest import ApiClient, make_token

    api = ApiClient(make_token(cast.outsider))
    assert api.get("/api/v1/benefit-claims", {"programme_id": hz_programme.pk}).status_code == 404
    assert api.get(f"/api/v1/benefit-programmes/{hz_programme.pk}").status_code == 404
    r = api.post("/api/v1/benefit-claims", {"programme_id": hz_programme.pk, "person_id": cast.member.person_id})
    assert r.status_code == 404


def test_the_worker_identity_is_one_query_and_follows_the_membership(worker_api, cast, hz_programme):
    """The claim path reads the session's user with the account, member, active membership and union
    in one query (accounts.backends, services.WorkerJoin) and the programme in one more; a membership
    ended since sign-in is seen at the next request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from huigong.members.models import Membership, MembershipStatus

    worker_api.get("/api/v1/benefit-claims")  # the first request after sign-in stamps the session
    with CaptureQueriesContext(connection) as q:
        r = worker_api.post_json("/api/v1/benefit-claims", {"programme_id": hz_programme.pk})
    assert r.status_code == 201, r.content
    identity = [x["sql"] for x in q.captured_queries if "auth_user" in x["sql"]]
    assert len(identity) == 1 and "portal_workeraccount" in identity[0] and "members_membership" in identity[0]
    reads = [x["sql"] for x in q.captured_queries if x["sql"].startswith("SELECT")]
    assert len([sql for sql in reads if "benefits_benefitprogramme" in sql]) == 1
    assert not [x for x in q.captured_queries if x["sql"].startswith('SELECT "members_membership"')]
    assert not [x for x in q.captured_queries if "UPDATE \"django_session\"" in x["sql"]]  # no session write
    BenefitClaim.objects.all().delete()
    Membership.objects.filter(person_id=cast.rider.person_id).update(status=MembershipStatus.WITHDRAWN)
    r = worker_api.post_json("/api/v1/benefit-claims", {"programme_id": hz_programme.pk})
    assert r.status_code == 422 and "在会会员" in r.json()["detail"][0]["message"]


def test_the_claim_statements_are_prepared_on_postgresql(on_postgres, worker_api, cast, hz_programme):
    """The claim's session user, programme read and claim statement run on core.rawread.hot_cursor:
    bound on the server and prepared once per connection, so PostgreSQL stops planning them on every
    claim. The ORM's own statements stay client-bound and unprepared."""
    from django.db import connection

    for _ in range(3):
        r = worker_api.post_json("/api/v1/benefit-claims", {"programme_id": hz_programme.pk})
        assert r.status_code in (201, 422), r.content
        BenefitClaim.objects.all().delete()
    with connection.cursor() as cur:
        cur.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cur.fetchall()]
    assert any("portal_workeraccount" in s and "auth_user" in s for s in prepared), prepared
    assert any("benefits_benefitprogramme p JOIN" in s for s in prepared), prepared
    # The capacity engine's claim statement (core.capacity.services.take), with the claim's audit CTE.
    assert any('INSERT INTO "benefits_benefitclaim"' in s and "INSERT INTO core_auditevent" in s
               for s in prepared), prepared
    assert not any(s.startswith('SELECT "benefits_benefitclaim"') or 'FROM "django_session"' in s for s in prepared)
