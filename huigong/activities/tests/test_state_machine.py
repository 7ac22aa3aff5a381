"""A hypothesis state machine over register / cancel / decline / claim / expire on one small session
(4 places, a waitlist, a claim window, workers alone or with one or two companions: groups). After
every step: never over capacity and the counter equals the seats held; no waiting unit (a worker, or a
worker with companions) fits the free places; the waitlist keeps its order (a unit promoted past
another still waiting was smaller than it: the one ahead did not fit); one live seat per person and
seq; a group's live seats always share one status (queued, offered, granted and ended together)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q
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

TOTAL = 4
PEOPLE = 7
LIVE = ["entered", "waiting", "offered", "granted"]


def _queue(session) -> list[tuple[int, int]]:
    """The waiting units in queue order: (the unit's first seat, how many seats it waits with)."""
    units: dict[int, int] = {}
    for pk, lead in (Registration.objects.filter(session=session, status="waiting")
                     .order_by("created_at", "id").values_list("pk", "lead_id")):
        units[lead or pk] = units.get(lead or pk, 0) + 1
    return list(units.items())


class Seats(RuleBasedStateMachine):
    cast = None

    def __init__(self):
        super().__init__()
        c = self.cast
        self.session = session_of(make_event(c.city_admin, c.xihu, total=TOTAL, offer_seconds=3600, max_companions=2))
        self.people = bulk_members(c.tech, PEOPLE)
        self.ended_now: set[int] = set()

    def _before(self):
        self.queue = _queue(self.session)
        self.ended_now = set()

    def _lead(self, i):
        return Registration.objects.filter(session=self.session, person=self.people[i], seq=0,
                                           status__in=["entered", "waiting", "offered", "granted"]).first()

    @rule(i=st.integers(0, PEOPLE - 1), companions=st.integers(0, 2))
    def register(self, i, companions):
        self._before()
        try:
            services.register(actor=self.cast.city_admin, session=self.session, person=self.people[i],
                              companions=["家属", "朋友"][:companions])
        except ValidationError as e:
            assert "已报名" in " ".join(e.messages)

    @rule(i=st.integers(0, PEOPLE - 1))
    def cancel_a_companion(self, i):
        self._before()
        lead = self._lead(i)
        seat = lead and Registration.objects.filter(lead=lead, status__in=LIVE).order_by("-seq").first()
        if seat is None:
            return
        self.ended_now = {seat.pk}
        services.registration_cancel(actor=self.cast.city_admin, registration=seat)

    @rule(i=st.integers(0, PEOPLE - 1))
    def cancel(self, i):
        self._before()
        lead = self._lead(i)
        if lead is None:
            return
        self.ended_now = {lead.pk, *Registration.objects.filter(lead=lead).values_list("pk", flat=True)}
        services.registration_cancel(actor=self.cast.city_admin, registration=lead)

    def _offered(self):
        """Offers as the worker sees them: one per worker (their own seat; companions' go with it)."""
        return Registration.objects.filter(session=self.session, status="offered", seq=0).order_by("pk")

    @precondition(lambda self: self._offered().exists())
    @rule(data=st.data())
    def claim_or_decline(self, data):
        self._before()
        offers = list(self._offered())
        reg = data.draw(st.sampled_from(offers))
        group = [reg.pk, *Registration.objects.filter(lead=reg, status="offered").values_list("pk", flat=True)]
        if data.draw(st.booleans()):
            services.offer_accept(actor=self.cast.city_admin, registration=reg)
            assert set(Registration.objects.filter(pk__in=group).values_list("status", flat=True)) == {"granted"}
        else:
            self.ended_now = set(group)
            services.offer_decline(actor=self.cast.city_admin, registration=reg)
            assert set(Registration.objects.filter(pk__in=group).values_list("status", flat=True)) == {"declined"}

    @precondition(lambda self: self._offered().exists())
    @rule()
    def expire(self):
        self._before()
        offers = list(Registration.objects.filter(session=self.session, status="offered").values_list("pk", flat=True))
        self.ended_now = set(offers)
        Registration.objects.filter(pk__in=offers).update(offer_expires_at=timezone.now() - dt.timedelta(seconds=1))
        assert cap.offers_expire_due() >= len(offers)

    @invariant()
    def never_over_capacity(self):
        s = EventSession.objects.get(pk=self.session.pk)
        held = Registration.objects.filter(session=s, status__in=["granted", "offered"]).count()
        assert 0 <= s.remaining <= TOTAL and held == TOTAL - s.remaining

    @invariant()
    def no_waiting_unit_fits_the_free_places(self):
        s = EventSession.objects.get(pk=self.session.pk)
        assert all(n > s.remaining for _unit, n in _queue(s)), (s.remaining, _queue(s))

    @invariant()
    def the_queue_keeps_its_order(self):
        old = getattr(self, "queue", None)
        if old is None:
            return
        now = dict(_queue(self.session))
        left = [(u, n) for u, n in old if u not in self.ended_now]
        still = [u for u, _n in left if u in now]
        # Those still waiting keep their order; a unit promoted past one still waiting was smaller.
        assert [u for u in now if u in dict(left)] == still
        for i, (u, _n) in enumerate(left):
            if u not in now:
                n = Registration.objects.filter(Q(pk=u) | Q(lead_id=u), status__in=["offered", "granted"]).count()
                ahead = [now[v] for v, _m in left[:i] if v in now]
                assert all(m > n for m in ahead), (old, now, u)

    @invariant()
    def a_groups_live_seats_share_one_status(self):
        for lead_id, status in Registration.objects.filter(session=self.session, seq__gt=0,
                                                           status__in=LIVE).values_list("lead_id", "status"):
            assert Registration.objects.get(pk=lead_id).status == status

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
