"""The per-process copy of an open programme that claims read (HUIGONG_CLAIM_PROGRAMME_SECONDS): a full
programme answers 名额已满 without touching the database, changes made in this process are seen at
once, changes made elsewhere within the copy's lifetime, and the claim statement itself never grants a
place the database does not have."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from huigong.benefits import services
from huigong.benefits.models import BenefitClaim, BenefitProgramme, ClaimStatus, ProgrammeStatus
from huigong.benefits.testing import bulk_members, make_programme
from huigong.members.models import EmploymentForm

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept():
    services._claim_programmes.clear()
    with override_settings(HUIGONG_CLAIM_PROGRAMME_SECONDS=60):
        yield
    services._claim_programmes.clear()


def _claim(cast, programme, person):
    return services.claim_create(actor=cast.city_admin, programme=programme.pk, person=person)


def _programme_reads(queries) -> list[str]:
    return [q["sql"] for q in queries if "benefits_benefitprogramme" in q["sql"]]


def test_a_full_programme_answers_from_memory(kept, cast):
    programme = make_programme(cast.city_admin, cast.hangzhou, quota=1)
    first, second, third = bulk_members(cast.tech, 3)
    assert _claim(cast, programme, first).status == ClaimStatus.GRANTED
    with pytest.raises(services.QuotaFull):  # read a moment ago with a place left: the statement says no
        _claim(cast, programme, second)
    with CaptureQueriesContext(connection) as q, pytest.raises(services.QuotaFull):
        _claim(cast, programme, third)
    assert _programme_reads(q.captured_queries) == []
    assert not [x for x in q.captured_queries if "benefits_benefitclaim" in x["sql"]]
    assert BenefitClaim.objects.filter(programme=programme).count() == 1


def test_a_cancellation_here_gives_the_place_back_at_once(kept, cast):
    programme = make_programme(cast.city_admin, cast.hangzhou, quota=1)
    first, second = bulk_members(cast.tech, 2)
    claim = _claim(cast, programme, first)
    with pytest.raises(services.QuotaFull):
        _claim(cast, programme, second)
    services.claim_cancel(actor=cast.city_admin, claim=claim, reason="没空")
    assert _claim(cast, programme, second).status == ClaimStatus.GRANTED


def test_staff_edits_here_are_seen_by_the_next_claim(kept, cast):
    programme = make_programme(cast.city_admin, cast.hangzhou, quota=5)
    first, second = bulk_members(cast.tech, 2, employment_form=EmploymentForm.CONTRACT)
    _claim(cast, programme, first)
    services.programme_update(actor=cast.city_admin, programme=programme,
                              employment_forms=[EmploymentForm.RIDER])
    with pytest.raises(services.ValidationError) as exc:
        _claim(cast, programme, second)
    assert "名额已满" not in " ".join(exc.value.messages)
    services.programme_update(actor=cast.city_admin, programme=programme, employment_forms=[])
    services.programme_close(actor=cast.city_admin, programme=programme)
    with pytest.raises(services.ValidationError) as exc:
        _claim(cast, programme, second)
    assert "名额已满" not in " ".join(exc.value.messages)  # the closed programme's own reason
    assert BenefitClaim.objects.filter(programme=programme).count() == 1


def test_changes_from_another_process_land_within_the_lifetime_and_never_oversell(cast):
    programme = make_programme(cast.city_admin, cast.hangzhou, quota=5)
    first, second, third = bulk_members(cast.tech, 3)
    services._claim_programmes.clear()
    with override_settings(HUIGONG_CLAIM_PROGRAMME_SECONDS=0.3):
        _claim(cast, programme, first)
        # Closed elsewhere (no signal reaches this process): this copy still says open, but the claim
        # statement checks the row, so no place is granted after closing.
        BenefitProgramme.objects.filter(pk=programme.pk).update(status=ProgrammeStatus.CLOSED)
        with pytest.raises(services.QuotaFull):
            _claim(cast, programme, second)
        time.sleep(0.35)
        with pytest.raises(services.ValidationError) as exc:  # past the lifetime: read afresh
            _claim(cast, programme, third)
        assert "名额已满" not in " ".join(exc.value.messages)
    services._claim_programmes.clear()
    assert BenefitClaim.objects.filter(programme=programme).count() == 1
