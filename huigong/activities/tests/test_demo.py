"""The events part of the demo on a small world: every scenario is there and consistent (counters
match the seats, history checked in, the open events on the capacity engine)."""

import pytest

from huigong.activities.models import Event, EventSession, Registration
from huigong.activities.models_contest import Attempt, Contest

# seed_demo builds the whole world (every app) first: well over 20 s on a shared machine.
pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo(demo_world):
    """The demo world every app's demo tests share (conftest's `demo_world`: built once, rolled back)."""
    return demo_world


def test_demo_events(demo, db):
    assert "activities:" in demo
    tour = Event.objects.get(title="大国工匠进辽源")
    seats = Registration.objects.filter(session__event=tour)
    assert tour.sessions.count() == 4 and seats.count() > 0
    assert seats.filter(checked_in_at__isnull=False).count() >= 0.85 * seats.count()
    # Check-in's rows match the attended seats (one attendance row and one admission each).
    from huigong.activities.models_checkin import CheckIn, Scan

    attended = seats.filter(checked_in_at__isnull=False)
    assert CheckIn.objects.filter(registration__in=attended).count() == attended.count()
    assert Scan.objects.filter(registration__in=attended, result="admitted").count() == attended.count()
    assert tour.gates.count() == 2
    sz = Event.objects.filter(node__name="石家庄市总工会")
    assert sz.count() >= 73 and EventSession.objects.filter(event__in=sz).count() >= 180
    assert EventSession.objects.filter(event__title__startswith="思政课文艺巡演").count() >= 110
    mixers = Event.objects.filter(kind="mixer", status="closed")
    assert mixers.count() == 12
    contest = Contest.objects.get(title="第十届安全生产知识竞赛")
    phases = set(Attempt.objects.filter(round__contest=contest).values_list("round__phase", flat=True))
    assert phases == {"before", "main", "after"}
    # Every session's counter matches its seats; nothing over capacity.
    for s in EventSession.objects.exclude(total=None):
        held = Registration.objects.filter(session=s, status__in=["granted", "offered", "no_show"]).count()
        assert s.remaining == s.total - held and s.remaining >= 0, s
    # The open events took their registrations through the engine (audited).
    live = Event.objects.filter(status="published")
    assert live.count() == 2
    assert Registration.objects.filter(session__event__in=live, source="staff").exists()
