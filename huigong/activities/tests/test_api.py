"""The API as a worker's phone calls it (portal session + CSRF): register, see the waitlist position,
claim an offer, leave; a full session without a waitlist answers 422 名额已满; a worker starts and
submits a contest attempt. Staff register members of their subtree only."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from huigong.activities import services
from huigong.activities.models import Registration
from huigong.activities.models_contest import Contest, ContestRound, Question, QuestionBank
from huigong.activities.testing import make_event, member, session_of
from huigong.portal.testing import make_worker_account, sign_in

pytestmark = pytest.mark.django_db
TOKEN = "a" * 32


def _worker(person):
    c = Client(enforce_csrf_checks=True)
    sign_in(c, make_worker_account(person=person))
    c.cookies["csrftoken"] = TOKEN

    def post(url, body=None):
        return c.post(url, json.dumps(body or {}), content_type="application/json", headers={"X-CSRFToken": TOKEN})

    c.post_json = post
    return c


def test_worker_registers_waits_claims_and_leaves(cast):
    s = session_of(make_event(cast.city_admin, cast.xihu, total=1, offer_seconds=600))
    first = member(cast.city_admin, cast.tech, "先到者")
    held = services.register(actor=cast.city_admin, session=s, person=first)
    c = _worker(cast.member.person)
    r = c.post_json("/api/v1/event-registrations", {"session_id": s.pk})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "waiting" and body["waitlist_position"] == 1 and body["person_name"] == "李小红"
    assert c.post_json("/api/v1/event-registrations", {"session_id": s.pk}).status_code == 422  # twice
    services.registration_cancel(actor=cast.city_admin, registration=held)
    r = c.post_json(f"/api/v1/event-registrations/{body['id']}/accept")
    assert r.status_code == 200 and r.json()["status"] == "granted"
    mine = c.get("/api/v1/event-registrations").json()
    assert [x["id"] for x in mine["items"]] == [body["id"]]
    r = c.post_json(f"/api/v1/event-registrations/{body['id']}/cancel", {"reason": "临时加班"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"


def test_without_csrf_the_worker_is_refused(cast):
    s = session_of(make_event(cast.city_admin, cast.xihu, total=1))
    c = _worker(cast.member.person)
    r = c.post("/api/v1/event-registrations", json.dumps({"session_id": s.pk}), content_type="application/json")
    assert r.status_code in (401, 403)
    assert not Registration.objects.exists()


def test_full_session_answers_422(cast):
    s = session_of(make_event(cast.city_admin, cast.xihu, total=1, waitlist=False))
    services.register(actor=cast.city_admin, session=s, person=member(cast.city_admin, cast.tech, "甲"))
    r = _worker(cast.member.person).post_json("/api/v1/event-registrations", {"session_id": s.pk})
    assert r.status_code == 422 and "名额已满" in r.json()["detail"][0]["message"]


def test_worker_cannot_register_someone_else_or_see_their_seat(cast):
    s = session_of(make_event(cast.city_admin, cast.xihu, total=3))
    other = services.register(actor=cast.city_admin, session=s, person=cast.rider.person)
    c = _worker(cast.member.person)
    r = c.post_json("/api/v1/event-registrations", {"session_id": s.pk, "person_id": cast.rider.person_id})
    assert r.status_code == 403
    assert c.get(f"/api/v1/event-registrations/{other.pk}").status_code == 404
    assert c.post_json(f"/api/v1/event-registrations/{other.pk}/cancel").status_code == 404


def test_worker_answers_a_round(cast):
    bank = QuestionBank.objects.create(node=cast.xihu, title="题库")
    for i in range(2):
        Question.objects.create(bank=bank, topic="消防", text=f"题{i}", choices=["对", "错"], answer=1)
    contest = Contest.objects.create(node=cast.xihu, bank=bank, title="竞赛", status="open")
    rnd = ContestRound.objects.create(contest=contest, title="比赛", opens_at=timezone.now() - dt.timedelta(hours=1),
                                      closes_at=timezone.now() + dt.timedelta(hours=1), time_limit_seconds=60,
                                      question_count=2)
    c = _worker(cast.member.person)
    r = c.post_json(f"/api/v1/contests/rounds/{rnd.pk}/attempts")
    assert r.status_code == 201
    a = r.json()
    assert len(a["questions"]) == 2 and "answer" not in a["questions"][0]
    r = c.post_json(f"/api/v1/contests/attempts/{a['id']}/submit",
                    {"answers": {str(q["id"]): 1 for q in a["questions"]}})
    assert r.status_code == 200 and r.json()["score"] == 2
    # A Qingdao worker may not answer a 西湖区 round.
    r = _worker(cast.qd_member.person).post_json(f"/api/v1/contests/rounds/{rnd.pk}/attempts")
    assert r.status_code == 422
