"""The worker's event pages: every page has a row here (WORLD = "own": the console matrix counts these
rows for coverage only). Anonymous visitors go to the portal's sign-in, a worker of another subtree gets
nothing of ours, and the worker registers, sees the waitlist position, claims an offer, leaves, and
answers a contest round on the phone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from huigong.activities import attendance, services
from huigong.activities.models import Registration
from huigong.activities.models_contest import Attempt, Contest, ContestRound, Question, QuestionBank
from huigong.activities.testing import make_event, member, session_of
from huigong.portal.testing import make_worker_account, sign_in

WORLD = "own"
pytestmark = pytest.mark.django_db


def _event(c):
    if not hasattr(c, "_ev"):
        c._ev = make_event(c.city_admin, c.xihu, total=1, title="西湖区工匠讲座", max_companions=1)
    return c._ev


def _reg(c):
    if not hasattr(c, "_reg"):
        c._reg = services.register(actor=c.city_admin, session=session_of(_event(c)), person=c.member.person)
    return c._reg


def _contest(c):
    if not hasattr(c, "_contest"):
        bank = QuestionBank.objects.create(node=c.xihu, title="题库")
        for i in range(3):
            Question.objects.create(bank=bank, topic="消防", text=f"第{i}题", choices=["对", "错"], answer=0)
        c._contest = Contest.objects.create(node=c.xihu, bank=bank, title="西湖区安全知识竞赛", status="open")
        c._round = ContestRound.objects.create(contest=c._contest, title="正式比赛", opens_at=timezone.now() - dt.timedelta(hours=1),
                                               closes_at=timezone.now() + dt.timedelta(days=1), time_limit_seconds=60,
                                               attempts_limit=1, question_count=3)
    return c._contest


def _attempt(c):
    from huigong.activities import services_contest

    _contest(c)
    if not hasattr(c, "_attempt"):
        c._attempt = services_contest.attempt_start(actor=c.city_admin, round=c._round, person=c.member.person)
    return c._attempt


# name -> (args builder, whose object it is: True when another subtree's worker must not see it, methods)
ROUTES = {
    "activities_portal:events": (lambda c: [], None, "GET"),
    "activities_portal:event": (lambda c: [_event(c).pk], None, "GET"),
    "activities_portal:ballot": (lambda c: [_event(c).pk], None, "POST"),
    "activities_portal:register": (lambda c: [session_of(_event(c)).pk], None, "POST"),
    "activities_portal:mine": (lambda c: [], None, "GET"),
    "activities_portal:registration": (lambda c: [_reg(c).pk], None, "GET"),
    "activities_portal:registration_action": (lambda c: [_reg(c).pk, "cancel"], None, "POST"),
    "activities_portal:certificate": (lambda c: [_reg(c).pk], None, "GET"),
    "activities_portal:certificate_verify": (lambda c: ["not-a-token"], None, "GET"),
    "activities_portal:contest": (lambda c: [_contest(c).pk], None, "GET"),
    "activities_portal:contest_start": (lambda c: [(_contest(c), c._round)[1].pk], None, "POST"),
    "activities_portal:attempt": (lambda c: [_attempt(c).pk], None, "GET POST"),
    "activities_portal:contest_board": (lambda c: [_contest(c).pk], None, "GET"),
}
PUBLIC = {"activities_portal:certificate_verify"}
LISTS = {"activities_portal:events", "activities_portal:mine"}


@pytest.fixture
def worker(cast, client):
    account = make_worker_account(person=cast.member.person)
    sign_in(client, account)
    client.user = account.user
    return client


@pytest.mark.parametrize("name", sorted(set(ROUTES) - PUBLIC))
def test_anonymous_goes_to_the_portal_sign_in(client, cast, name):
    args = ROUTES[name][0](cast)
    for method in ROUTES[name][2].split():
        r = getattr(client, method.lower())(reverse(name, args=args))
        assert r.status_code == 302 and "/portal/" in r["Location"] and "login" in r["Location"], (name, method)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_a_worker_of_another_subtree_gets_nothing_of_ours(client, cast, name):
    args = ROUTES[name][0](cast)
    sign_in(client, make_worker_account(person=cast.qd_member.person))
    before = Registration.objects.count(), Attempt.objects.count()
    for method in ROUTES[name][2].split():
        r = getattr(client, method.lower())(reverse(name, args=args))
        if name in LISTS:
            assert r.status_code == 200
        else:
            assert r.status_code == 404, (name, method, r.status_code)
        body = r.content.decode()
        assert "西湖区工匠讲座" not in body and "李小红" not in body, name
    assert (Registration.objects.count(), Attempt.objects.count()) == before


def test_register_waitlist_position_offer_and_leave(cast, client):
    e = make_event(cast.city_admin, cast.xihu, total=1, offer_seconds=3600, title="西湖区工匠讲座")
    s = session_of(e)
    first = member(cast.city_admin, cast.tech, "先到者")
    held = services.register(actor=cast.city_admin, session=s, person=first)
    account = make_worker_account(person=cast.member.person)
    sign_in(client, account)
    r = client.get(reverse("activities_portal:events"))
    assert "西湖区工匠讲座" in r.content.decode()
    r = client.post(reverse("activities_portal:register", args=[s.pk]))
    mine = Registration.objects.get(person=cast.member.person, session=s)
    assert r.status_code == 302 and r["Location"].endswith(reverse("activities_portal:registration", args=[mine.pk]))
    page = client.get(r["Location"]).content.decode()
    assert mine.status == "waiting" and "候补第 1 位" in page
    # The first one leaves: the place is offered to her, she claims it in time.
    services.registration_cancel(actor=cast.city_admin, registration=held)
    page = client.get(reverse("activities_portal:registration", args=[mine.pk])).content.decode()
    assert "候补名额待您确认" in page
    client.post(reverse("activities_portal:registration_action", args=[mine.pk, "accept"]))
    mine.refresh_from_db()
    assert mine.status == "granted"
    page = client.get(reverse("activities_portal:registration", args=[mine.pk])).content.decode()
    assert 'data-testid="ticket"' in page  # the check-in slot is shown beside a granted seat
    client.post(reverse("activities_portal:registration_action", args=[mine.pk, "cancel"]))
    mine.refresh_from_db()
    assert mine.status == "cancelled"


def test_companions_from_the_phone(cast, client):
    e = make_event(cast.city_admin, cast.xihu, total=5, max_companions=1, title="亲子活动")
    s = session_of(e)
    sign_in(client, make_worker_account(person=cast.member.person))
    client.post(reverse("activities_portal:register", args=[s.pk]), {"companion_1": "小明"})
    seats = list(Registration.objects.filter(session=s).order_by("seq").values_list("seq", "companion_name", "status"))
    assert seats == [(0, "", "granted"), (1, "小明", "granted")]


def test_companions_on_a_ranked_ballot_and_a_lottery_from_the_phone(cast, client):
    from huigong.core.capacity.models import Allocation, Ballot

    ranked = make_event(cast.city_admin, cast.xihu, total=2, sessions=2, max_companions=1, title="职工联谊会",
                        allocation=Allocation.RANKED)
    sign_in(client, make_worker_account(person=cast.member.person))
    page = client.get(reverse("activities_portal:event", args=[ranked.pk])).content.decode()
    assert 'name="companion_1"' in page
    client.post(reverse("activities_portal:ballot", args=[ranked.pk]),
                {"choice": [session_of(ranked, 1).pk], "companion_1": "小明"})
    ballot = Ballot.objects.get(group=f"activities.event:{ranked.pk}", person_id=cast.member.person.pk)
    assert (ballot.size, ballot.extra, ballot.choices) == (2, {"companions": ["小明"]}, [session_of(ranked, 1).pk])
    assert 'value="小明"' in client.get(reverse("activities_portal:event", args=[ranked.pk])).content.decode()
    services.event_ranked_draw(actor=cast.city_admin, event=ranked, seed="s")
    seats = list(Registration.objects.filter(session__event=ranked).order_by("seq")
                 .values_list("session_id", "seq", "companion_name", "status"))
    assert seats == [(session_of(ranked, 1).pk, 0, "", "granted"), (session_of(ranked, 1).pk, 1, "小明", "granted")]
    lottery = make_event(cast.city_admin, cast.xihu, total=1, max_companions=1, title="抽签观影",
                         allocation=Allocation.LOTTERY)
    client.post(reverse("activities_portal:register", args=[session_of(lottery).pk]), {"companion_1": "小红"})
    assert list(Registration.objects.filter(session__event=lottery).values_list("status", flat=True)) == ["entered"] * 2
    services.session_draw(actor=cast.city_admin, session=session_of(lottery), seed="s")
    # Two seats wanted, one place: the group loses whole (no waitlist split).
    assert set(Registration.objects.filter(session__event=lottery).values_list("status", flat=True)) == {"waiting"}


def test_certificate_only_after_check_in_and_it_verifies(cast, client):
    reg = _reg(cast)
    sign_in(client, make_worker_account(person=cast.member.person))
    r = client.get(reverse("activities_portal:certificate", args=[reg.pk]))
    assert r.status_code == 302  # not checked in yet: back to the registration with the reason
    Registration.objects.filter(pk=reg.pk).update(checked_in_at=timezone.now())
    reg.refresh_from_db()
    token = attendance.certificate_token(reg)
    r = client.get(reverse("activities_portal:certificate_verify", args=[token]))
    assert r.status_code == 200 and "证明真实有效" in r.content.decode() and "李小红" not in r.content.decode()
    r = client.get(reverse("activities_portal:certificate_verify", args=[token[:-2] + "xx"]))
    assert r.status_code == 404


def test_a_timed_round_on_the_phone(cast, client):
    _contest(cast)
    sign_in(client, make_worker_account(person=cast.member.person))
    r = client.post(reverse("activities_portal:contest_start", args=[cast._round.pk]))
    a = Attempt.objects.get(person=cast.member.person)
    assert r["Location"].endswith(reverse("activities_portal:attempt", args=[a.pk]))
    client.post(reverse("activities_portal:attempt", args=[a.pk]), {f"q_{q}": "0" for q in a.questions})
    a.refresh_from_db()
    assert a.score == 3 and a.duration_ms is not None
    r = client.post(reverse("activities_portal:contest_start", args=[cast._round.pk]))
    assert Attempt.objects.filter(person=cast.member.person).count() == 1  # the limit is one
    board = client.get(reverse("activities_portal:contest_board", args=[cast._contest.pk])).content.decode()
    assert "第 1 名" in board
