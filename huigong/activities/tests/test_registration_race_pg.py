"""Registration under contention on PostgreSQL, real threads each on its own connection (the way a
server's workers run): never over capacity, groups all or none, one live seat per person and seq, and
cancellations racing registrations keep the counters exact with nobody waiting while a place is free."""

from collections import Counter

import pytest
from django.db.models import Count

from huigong.activities import services
from huigong.activities.models import EventSession, Registration
from huigong.activities.testing import bulk_members, make_event, session_of
from huigong.testing import Cast, run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def _live(session):
    return Registration.objects.filter(session=session, status__in=["granted", "offered"]).count()


@pytest.mark.xfail(strict=False, reason=(
    "known bug, open in issue 17: _queue puts a group's seats on the waitlist one at a time and the engine "
    "promotes the queue's head after each, so a place freed in between seats the lead without its companions"))
def test_300_workers_and_groups_on_60_places(on_postgres):
    cast = Cast().build()
    s = session_of(make_event(cast.city_admin, cast.xihu, total=60, max_companions=2))
    people = bulk_members(cast.tech, 300)
    # Every fifth worker brings one or two companions.
    items = [(p, ["随行甲", "随行乙"][: (i % 10 == 0) + 1] if i % 5 == 0 else []) for i, p in enumerate(people)]
    # The same worker twice at once: exactly one seat.
    items += [(people[1], []), (people[2], [])]
    results = run_in_threads(lambda it: services.register(actor=cast.city_admin, session=s, person=it[0],
                                                          companions=it[1]), items, 16)
    refused = [r for k, r in results if k == "refused"]
    assert len(refused) == 2 and all("已报名" in r for r in refused)
    s = EventSession.objects.get(pk=s.pk)
    assert s.remaining == 0 and _live(s) == 60
    # A group is granted whole or waits whole.
    for lead in Registration.objects.filter(session=s, seq=0).annotate(n=Count("companion_seats")).filter(n__gt=0):
        assert {lead.status} == set(Registration.objects.filter(lead=lead).values_list("status", flat=True))
    dup = (Registration.objects.filter(session=s, status__in=["granted", "waiting"]).values("person", "seq")
           .annotate(n=Count("id")).filter(n__gt=1))
    assert not dup.exists()
    seats_wanted = sum(1 + len(c) for _p, c in items[:300])
    assert Registration.objects.filter(session=s).count() == seats_wanted


def test_registrations_racing_cancellations_keep_the_counters_exact(on_postgres):
    cast = Cast().build()
    s = session_of(make_event(cast.city_admin, cast.xihu, total=40))
    first = bulk_members(cast.tech, 40)
    held = [services.register(actor=cast.city_admin, session=s, person=p) for p in first]
    later = bulk_members(cast.tech, 160)

    def act(item):
        kind, value = item
        if kind == "cancel":
            return services.registration_cancel(actor=cast.city_admin, registration=value)
        return services.register(actor=cast.city_admin, session=s, person=value)

    cancels = [("cancel", r) for r in held[:25]]
    registers = [("register", p) for p in later]
    items = [x for pair in zip(cancels, registers[:25], strict=True) for x in pair] + registers[25:]
    results = run_in_threads(act, items, 16)
    assert Counter(k for k, _ in results) == {"ok": len(items)}
    s = EventSession.objects.get(pk=s.pk)
    assert _live(s) == 40 and s.remaining == 0
    assert Registration.objects.filter(session=s, status="waiting").count() == 160 - 25
