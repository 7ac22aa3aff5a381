"""Benefit quotas run on the kernel's capacity engine (benefits/places.py): what the engine decides on
its own (a promotion) reaches the claim's audit trail and the worker through this app's hooks, and the
waitlist position a worker sees is the engine's."""

import pytest

from huigong.benefits import selectors, services
from huigong.benefits.models import BenefitClaim, ClaimStatus
from huigong.benefits.places import CLAIMS
from huigong.benefits.testing import bulk_members, make_programme
from huigong.core.capacity import services as cap
from huigong.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_promotion_is_audited_and_told_to_the_worker(cast):
    from huigong.portal.models import Message

    programme = make_programme(cast.city_admin, cast.hangzhou, quota=1, waitlist=True)
    first, second = bulk_members(cast.tech, 2, employer=cast.enterprise)
    held = services.claim_create(actor=cast.city_admin, programme=programme, person=first)
    waiting = services.claim_create(actor=cast.city_admin, programme=programme, person=second)
    assert waiting.status == ClaimStatus.WAITLISTED
    services.claim_cancel(actor=cast.city_admin, claim=held, reason="另有安排")
    waiting.refresh_from_db()
    assert waiting.status == ClaimStatus.GRANTED and waiting.granted_at is not None
    event = AuditEvent.objects.get(verb="benefit_claim.promote", object_id=str(waiting.pk))
    assert event.node_path == cast.tech.path and event.new == {"status": "granted"}
    assert Message.objects.filter(person=second, title__startswith="候补成功").count() == 1
    # The cancellation was audited before the promotion it caused.
    cancel = AuditEvent.objects.get(verb="benefit_claim.cancel", object_id=str(held.pk))
    assert cancel.pk < event.pk


def test_waitlist_positions_are_the_engines_and_move_up(cast):
    programme = make_programme(cast.city_admin, cast.hangzhou, quota=1, waitlist=True)
    people = bulk_members(cast.tech, 4, employer=cast.enterprise)
    claims = [services.claim_create(actor=cast.city_admin, programme=programme, person=p) for p in people]
    queued = claims[1:]
    assert [selectors.waitlist_position(c) for c in queued] == [1, 2, 3]
    assert cap.waitlist_positions(CLAIMS, queued) == {c.pk: n for n, c in enumerate(queued, 1)}
    services.claim_cancel(actor=cast.city_admin, claim=queued[0], reason="不去了")  # leaves the waitlist
    rest = list(BenefitClaim.objects.filter(pk__in=[c.pk for c in queued[1:]]).order_by("id"))
    assert [selectors.waitlist_position(c) for c in rest] == [1, 2]
    programme.refresh_from_db()
    assert programme.remaining == 0  # a waitlisted claim held no place: nothing was given back
    assert selectors.waitlist_position(claims[0]) is None  # granted, not waiting
