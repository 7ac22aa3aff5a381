"""A hypothesis state machine over register / cancel / decline / claim / expire on one small session
(3 places, a waitlist, a claim window, workers with or without a companion). After every step:
never over capacity and the counter equals the seats held; nobody waits while a place is free; the
waitlist keeps its order (a promotion takes the head of the queue, never someone behind it); one live
seat per person and seq; a group's seats stay together on registration."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from huigong.activities import services
from huigong.activities.models import EventSession, Registration
from huigong.activities.testing import bulk_members, make_event, session_of
from huigong.core.capacity import services as cap

pytestmark = pytest.mark.django_db

TOTAL = 3
PEOPLE = 7


def _queue(session) -> list[int]:
    return list(Registration.objects.filter(session=session, status="waiting")
                .order_by("created_at", "id").values_list("pk", flat=True))


class Seats(RuleBasedStateMachine):
    cast = None

    def __init__(self):
        super().__init__()
        c = self.cast
        self.session = session_of(make_event(c.city_admin, c.xihu, total=TOTAL, offer_seconds=3600, max_companions=1))
        self.people = bulk_members(c.tech, PEOPLE)
        self.ended_now: set[int] = set()

    def _before(self):
        self.queue = _queue(self.session)
        self.ended_now = set()

    def _lead(self, i):
        return Registration.objects.filter(session=self.session, person=self.people[i], seq=0,
                                           status__in=["entered", "waiting", "offered", "granted"]).first()

    @rule(i=st.integers(0, PEOPLE - 1), companion=st.booleans())
    def register(self, i, companion):
        self._before()
        try:
            services.register(actor=self.cast.city_admin, session=self.session, person=self.people[i],
                              companions=["家属"] if companion else [])
        except ValidationError as e:
            assert "已报名" in " ".join(e.messages)

    @rule(i=st.integers(0, PEOPLE - 1))
    def cancel(self, i):
        self._before()
        lead = self._lead(i)
        if lead is None:
            return
        self.ended_now = {lead.pk, *Registration.objects.filter(lead=lead).values_list("pk", flat=True)}
        services.registration_cancel(actor=self.cast.city_admin, registration=lead)

    def _offered(self):
        return Registration.objects.filter(session=self.session, status="offered").order_by("pk")

    @precondition(lambda self: self._offered().exists())
    @rule(data=st.data())
    def claim_or_decline(self, data):
        self._before()
        offers = list(self._offered())
        reg = data.draw(st.sampled_from(offers))
        if data.draw(st.booleans()):
            services.offer_accept(actor=self.cast.city_admin, registration=reg)
        else:
            self.ended_now = {reg.pk}
            services.offer_decline(actor=self.cast.city_admin, registration=reg)

    @precondition(lambda self: self._offered().exists())
    @rule()
    def expire(self):
        self._before()
        offers = list(self._offered().values_list("pk", flat=True))
        self.ended_now = set(offers)
        Registration.objects.filter(pk__in=offers).update(offer_expires_at=timezone.now() - dt.timedelta(seconds=1))
        assert cap.offers_expire_due() >= len(offers)

    @invariant()
    def never_over_capacity(self):
        s = EventSession.objects.get(pk=self.session.pk)
        held = Registration.objects.filter(session=s, status__in=["granted", "offered"]).count()
        assert 0 <= s.remaining <= TOTAL and held == TOTAL - s.remaining

    @invariant()
    def nobody_waits_while_a_place_is_free(self):
        s = EventSession.objects.get(pk=self.session.pk)
        if s.remaining > 0:
            assert not Registration.objects.filter(session=s, status="waiting").exists()

    @invariant()
    def the_queue_keeps_its_order(self):
        old = getattr(self, "queue", None)
        if old is None:
            return
        now = _queue(self.session)
        left = [pk for pk in old if pk not in self.ended_now]
        # Whoever left the queue (other than by this step's own cancellation) was promoted from its head.
        promoted = [pk for pk in left if pk not in now]
        assert promoted == left[: len(promoted)], (old, now)
        assert [pk for pk in now if pk in left] == left[len(promoted):]

    @invariant()
    def one_live_seat_per_person_and_seq(self):
        from django.db.models import Count

        assert not (Registration.objects.filter(session=self.session, status__in=["waiting", "offered", "granted"])
                    .values("person", "seq").annotate(n=Count("id")).filter(n__gt=1).exists())


def _run(cast, examples, steps):
    Seats.cast = cast
    run_state_machine_as_test(Seats, settings=settings(
        max_examples=examples, stateful_step_count=steps, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))


def test_seats_state_machine(cast):
    _run(cast, 6, 18)


@pytest.mark.slow
def test_seats_state_machine_long(cast):
    _run(cast, 40, 40)
