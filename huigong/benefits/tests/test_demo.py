"""The benefits part of the demo on a small world: every scenario is there and consistent."""

import pytest
from django.db.models import Sum

from huigong.benefits.models import (
    BenefitClaim,
    BenefitProgramme,
    ClaimStatus,
    ProgrammeKind,
    ProgrammeQuota,
    Reimbursement,
    ReimbursementStatus,
    SiteProfile,
    SiteUsage,
    Visit,
)
from huigong.orgs.models import ServiceSite, UnionNode

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(demo_world, db):
    """The demo world every app's demo tests share (conftest's `demo_world`: built once, rolled back)."""
    return demo_world


def test_demo_benefits(demo):
    assert "benefits:" in demo
    gaoxin = UnionNode.objects.get(name="青岛高新区总工会")
    checkup = BenefitProgramme.objects.get(node=gaoxin, kind=ProgrammeKind.QUOTA, title__contains="健康体检")
    granted = BenefitClaim.objects.filter(programme=checkup, status=ClaimStatus.GRANTED).count()
    assert checkup.quota_total == 5200 and checkup.remaining == 5200 - granted and granted > 0
    quotas = ProgrammeQuota.objects.filter(programme=checkup)
    assert quotas.count() > 10 and quotas.aggregate(s=Sum("slots"))["s"] <= 5200
    mixer = BenefitProgramme.objects.get(node=gaoxin, waitlist=True)
    assert mixer.remaining == 0 or not BenefitClaim.objects.filter(programme=mixer, status="waitlisted").exists()
    # Every Qingdao service site has a profile and a month of usage days.
    sites = ServiceSite.objects.filter(union__path__startswith=gaoxin.path)
    assert sites.count() == 78 and SiteProfile.objects.filter(site__in=sites).count() == 78
    assert SiteUsage.objects.filter(site__in=sites).count() == 78 * 30
    winter = Visit.objects.filter(programme__title__contains="冬送温暖").aggregate(h=Sum("headcount"), v=Sum("value_fen"))
    assert winter["h"] == 16_400 and 450_000 * 100 < winter["v"] < 700_000 * 100
    subsidy = BenefitProgramme.objects.get(kind=ProgrammeKind.REIMBURSEMENT)
    stages = set(Reimbursement.objects.filter(programme=subsidy).values_list("status", flat=True))
    assert stages == set(ReimbursementStatus.values)
    assert subsidy.remaining == 5000 - Reimbursement.objects.filter(programme=subsidy).exclude(
        status=ReimbursementStatus.REJECTED).count()
