"""Contests: rounds and their refusals, attempts limit (also under a repeated start), scoring by score
then time, late submissions, the unit leaderboard (最佳组织奖) and the before/after accuracy report."""

import datetime as dt
import random

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from huigong.activities import services_contest as sc
from huigong.activities.models_contest import Attempt, Phase
from huigong.activities.testing import member

pytestmark = pytest.mark.django_db


@pytest.fixture
def contest(cast):
    bank = sc.bank_create(actor=cast.city_admin, node=cast.xihu, title="安全题库")
    for i, topic in enumerate(["消防", "消防", "用电", "用电"]):
        sc.question_add(actor=cast.city_admin, bank=bank, text=f"题{i}", choices=["甲", "乙", "丙"], answer=i % 3,
                        topic=topic)
    c = sc.contest_create(actor=cast.city_admin, node=cast.xihu, bank=bank, title="第十届安全生产知识竞赛")
    now = timezone.now()
    for phase in (Phase.BEFORE, Phase.MAIN, Phase.AFTER):
        sc.round_add(actor=cast.city_admin, contest=c, title=str(phase), phase=phase, opens_at=now - dt.timedelta(hours=1),
                     closes_at=now + dt.timedelta(hours=5), time_limit_seconds=300, question_count=4,
                     attempts_limit=2 if phase == Phase.MAIN else 1)
    return sc.contest_set_status(actor=cast.city_admin, contest=c, status="open")


def _answer_all(a, right: set[int]):
    from huigong.activities.models_contest import Question

    qs = {q.pk: q for q in Question.objects.filter(pk__in=a.questions)}
    return {str(q): (qs[q].answer if i in right else (qs[q].answer + 1) % 3) for i, q in enumerate(a.questions)}


def test_question_and_round_refusals(cast, contest):
    with pytest.raises(ValidationError, match="正确答案"):
        sc.question_add(actor=cast.city_admin, bank=contest.bank, text="x", choices=["a", "b"], answer=5)
    with pytest.raises(ValidationError, match="题库题数"):
        sc.round_add(actor=cast.city_admin, contest=contest, title="x", opens_at=timezone.now(),
                     closes_at=timezone.now() + dt.timedelta(hours=1), time_limit_seconds=60, question_count=50)
    with pytest.raises(PermissionDenied):
        sc.contest_create(actor=cast.outsider, node=cast.xihu, bank=contest.bank, title="x")


def test_attempts_limit_and_scoring(cast, contest):
    main = contest.rounds.get(phase=Phase.MAIN)
    a, b = member(cast.city_admin, cast.tech, "甲"), member(cast.city_admin, cast.riders, "乙")
    t0 = timezone.now()
    first = sc.attempt_start(actor=cast.city_admin, round=main, person=a, now=t0, rng=random.Random(1))
    # Reloading the page resumes the open attempt instead of burning one.
    assert sc.attempt_start(actor=cast.city_admin, round=main, person=a, now=t0).pk == first.pk
    first = sc.attempt_submit(actor=cast.city_admin, attempt=first, answers=_answer_all(first, {0, 1}),
                              now=t0 + dt.timedelta(seconds=50))
    assert (first.score, first.duration_ms) == (2, 50_000)
    again = sc.attempt_start(actor=cast.city_admin, round=main, person=a, now=t0 + dt.timedelta(seconds=60))
    sc.attempt_submit(actor=cast.city_admin, attempt=again, answers=_answer_all(again, {0, 1, 2}),
                      now=t0 + dt.timedelta(seconds=140))
    with pytest.raises(ValidationError, match="已用完"):
        sc.attempt_start(actor=cast.city_admin, round=main, person=a, now=t0 + dt.timedelta(seconds=150))
    # b: the same best score, faster: ranked first; ties on score are broken by time.
    bb = sc.attempt_start(actor=cast.city_admin, round=main, person=b, now=t0)
    sc.attempt_submit(actor=cast.city_admin, attempt=bb, answers=_answer_all(bb, {0, 1, 2}), now=t0 + dt.timedelta(seconds=30))
    rows = sc.ranking(main)
    assert [(r["name"], r["rank"], r["score"]) for r in rows] == [("乙", 1, 3), ("甲", 2, 3)]
    # Submitting twice changes nothing.
    again2 = sc.attempt_submit(actor=cast.city_admin, attempt=bb, answers={}, now=t0 + dt.timedelta(seconds=40))
    assert again2.score == 3


def test_late_submission_scores_zero(cast, contest):
    before = contest.rounds.get(phase=Phase.BEFORE)
    a = member(cast.city_admin, cast.tech, "迟到")
    t0 = timezone.now()
    att = sc.attempt_start(actor=cast.city_admin, round=before, person=a, now=t0)
    att = sc.attempt_submit(actor=cast.city_admin, attempt=att, answers=_answer_all(att, {0, 1, 2, 3}),
                            now=t0 + dt.timedelta(seconds=400))
    assert att.score == 0 and att.duration_ms == 300_000


def test_outside_the_round_window_or_the_audience(cast, contest):
    main = contest.rounds.get(phase=Phase.MAIN)
    with pytest.raises(ValidationError, match="仅限"):
        sc.attempt_start(actor=cast.outsider, round=main, person=cast.qd_member.person)
    a = member(cast.city_admin, cast.tech, "早到")
    with pytest.raises(ValidationError, match="已结束"):
        sc.attempt_start(actor=cast.city_admin, round=main, person=a, now=timezone.now() + dt.timedelta(days=1))


def test_unit_board_and_accuracy_report(cast, contest):
    before, after = contest.rounds.get(phase=Phase.BEFORE), contest.rounds.get(phase=Phase.AFTER)
    tech = [member(cast.city_admin, cast.tech, f"技术{i}") for i in range(3)]
    rider = member(cast.city_admin, cast.riders, "骑手")
    for p in [*tech, rider]:
        a = sc.attempt_start(actor=cast.city_admin, round=before, person=p, rng=random.Random(2))
        sc.attempt_submit(actor=cast.city_admin, attempt=a, answers=_answer_all(a, {0}))
    for p in tech[:2]:
        a = sc.attempt_start(actor=cast.city_admin, round=after, person=p, rng=random.Random(2))
        sc.attempt_submit(actor=cast.city_admin, attempt=a, answers=_answer_all(a, {0, 1, 2, 3}))
    board = sc.unit_board(contest)
    assert [(r["unit"].name, r["participants"]) for r in board][:2] == [("杭州某科技公司工会", 3), ("西湖区骑手联合工会", 1)]
    report = {r["topic"]: r for r in sc.accuracy_report(contest)}
    assert set(report) == {"消防", "用电"}
    total_before = sum(r["before_n"] for r in report.values())
    assert total_before == 16 and sum(r["after_n"] for r in report.values()) == 8
    assert all(r["after"] == 1.0 for r in report.values())
    assert all(r["change"] > 0 for r in report.values())
    assert Attempt.objects.filter(round__contest=contest).count() == 6
