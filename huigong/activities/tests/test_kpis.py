"""The app's KPIs in the insights catalogue, computed from the raw tables for a node and a period: events
held, registrations, turnout and the attendance rate, no-shows, participants by unit, contest attempts;
a unit sees its own subtree's figures (drill-down)."""

import datetime as dt

import pytest
from django.utils import timezone

from huigong.activities import services
from huigong.activities.models import EventSession, Registration
from huigong.activities.models_contest import Attempt, Contest, ContestRound, QuestionBank
from huigong.activities.testing import make_event, member, session_of
from huigong.insights import kpis as catalogue
from huigong.insights.periods import Period
from huigong.insights.selectors import RAW, kpi_value

pytestmark = pytest.mark.django_db


def _value(name, node, period):
    return kpi_value(catalogue.CATALOGUE[name], node, period, source=RAW)


def test_event_kpis_roll_up_and_drill_down(cast):
    e = make_event(cast.city_admin, cast.xihu, total=10, days=1)
    s = session_of(e)
    tech = [member(cast.city_admin, cast.tech, f"技术{i}") for i in range(3)]
    rider = member(cast.city_admin, cast.riders, "骑手")
    regs = [services.register(actor=cast.city_admin, session=s, person=p) for p in [*tech, rider]]
    # The session took place: two came, two did not.
    start = timezone.now() - dt.timedelta(hours=3)
    EventSession.objects.filter(pk=s.pk).update(starts_at=start, ends_at=start + dt.timedelta(hours=2))
    Registration.objects.filter(pk__in=[regs[0].pk, regs[3].pk]).update(checked_in_at=start)
    services.no_shows_mark(actor=cast.city_admin, session=EventSession.objects.get(pk=s.pk))
    bank = QuestionBank.objects.create(node=cast.xihu, title="题库")
    contest = Contest.objects.create(node=cast.xihu, bank=bank, title="竞赛", status="open")
    rnd = ContestRound.objects.create(contest=contest, title="比赛", opens_at=start, closes_at=start + dt.timedelta(days=2),
                                      time_limit_seconds=60, question_count=1)
    Attempt.objects.create(round=rnd, person=tech[1], union=cast.tech, number=1, questions=[], answers={},
                           started_at=start, deadline=start, finished_at=start, score=0, duration_ms=1000)
    month = start.date().replace(day=1)
    period = Period("month", month, month)
    assert _value("activities.events_held", cast.hangzhou, period).value == 1
    assert _value("activities.registrations", cast.hangzhou, period).value == 4
    turnout = _value("activities.turnout", cast.xihu, period)
    assert turnout.value == 4 and turnout.dims == {"attended": 2, "no_show": 2}
    assert _value("activities.attendance_rate", cast.xihu, period).value == 50.0
    assert _value("activities.no_shows", cast.xihu, period).value == 2
    assert _value("activities.participants", cast.xihu, period).value == 2
    # Drill-down: the tech union's own figures.
    assert _value("activities.participants", cast.tech, period).value == 1
    assert _value("activities.no_shows", cast.tech, period).value == 2
    assert _value("activities.contest_attempts", cast.tech, period).value == 1
    # Another subtree sees nothing of it.
    assert _value("activities.registrations", cast.qingdao, period).value == 0
