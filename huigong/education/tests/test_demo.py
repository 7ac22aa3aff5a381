"""The education part of the demo on a small world: Guangdong's round is there and consistent (the
full demo's figures, 84 graduated / 80 enrolled / 680 in all, need the 50,000-member world)."""

import pytest

from huigong.education import services
from huigong.education.models import Enrolment, EnrolmentStatus, Programme, ProgrammeStatus
from huigong.education.services import payments

pytestmark = pytest.mark.slow  # seeds a 6,000-member demo world


@pytest.fixture(scope="module")
def demo(demo_world):
    """The demo world every app's demo tests share (conftest's `demo_world`: built once, rolled back)."""
    return demo_world


def test_demo_education(demo, db):
    assert "education: Guangdong" in demo
    drawn = Programme.objects.get(status=ProgrammeStatus.DRAWN)
    assert services.draw_verify(drawn)[1] == []
    assert drawn.notices.get().status == "ended"
    r = payments.reconcile()
    assert r.ok and r.paid_fen > 0 and r.paid_twice == 0
    assert Enrolment.objects.filter(status=EnrolmentStatus.DROPPED, clawbacks__isnull=False).exists()
    assert Enrolment.objects.filter(status=EnrolmentStatus.STOPPED, end_reason__contains="离开工会").exists()
    assert Enrolment.objects.filter(status=EnrolmentStatus.GRADUATED).exists()
    assert Programme.objects.filter(status=ProgrammeStatus.OPEN).exists()
