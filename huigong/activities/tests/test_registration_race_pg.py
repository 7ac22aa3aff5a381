"""Registration under contention on PostgreSQL, real threads each on its own connection (the way a
server's workers run): never over capacity, groups all or none (granted whole or queued whole), one live
seat per person and seq; cancellations racing registrations keep the counters exact with nobody waiting
while a place is free; seat shares set and released while workers register never oversell."""

from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count

from huigong.activities import services
from huigong.activities.models import EventSession, Registration
from huigong.activities.testing import bulk_members, make_event, session_of
from huigong.testing import Cast, run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def _live(session):
    return Registration.objects.filter(session=session, status__in=["granted", "offered"]).count()


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
    # Queued groups: whole (every companion waits with its worker) and one after another in the queue.
    queue = list(Registration.objects.filter(session=s, status="waiting").order_by("created_at", "id")
                 .values_list("lead_id", "id"))
    units = [lead or pk for lead, pk in queue]
    for u in set(units):
        at = [i for i, x in enumerate(units) if x == u]
        assert at == list(range(at[0], at[0] + len(at))), (u, at)
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


def test_shares_set_and_released_while_workers_register_never_oversell(on_postgres):
    """Workers of the riders' union and of a company register (some with a companion) while staff keep
    places for the riders, change the share, and the release job runs: at the end the shares add up to
    the total, each share's counter equals the seats held from it, and nobody waits who fits."""
    import datetime as dt

    from django.utils import timezone

    from huigong.activities.models import SeatShare

    cast = Cast().build()
    s = session_of(make_event(cast.city_admin, cast.xihu, total=40, max_companions=1))
    tech, riders = bulk_members(cast.tech, 60), bulk_members(cast.riders, 30)
    past = timezone.now() - dt.timedelta(seconds=1)

    def act(item):
        kind, value = item
        if kind == "share":
            try:
                return services.share_set(actor=cast.city_admin, session=s, union=cast.riders, slots=value,
                                          release_at=past if value == 3 else None)
            except ValidationError as exc:  # not enough free open places at that moment: refused whole
                assert "空位" in " ".join(exc.messages) or "已领取" in " ".join(exc.messages)
                return None
        if kind == "release":
            return services.shares_release_due()
        return services.register(actor=cast.city_admin, session=s, person=value, companions=["家属"] * (value.pk % 4 == 0))

    people = [("register", p) for pair in zip(tech, riders + riders[:0], strict=False) for p in pair] + \
        [("register", p) for p in tech[30:]]
    items = people[:10] + [("share", 12)] + people[10:30] + [("share", 8), ("share", 3)] + people[30:50] + \
        [("release", None)] + people[50:] + [("release", None)]
    results = run_in_threads(act, items, 12)
    assert Counter(k for k, _ in results) == {"ok": len(items)}, [r for k, r in results if k != "ok"]
    s = EventSession.objects.get(pk=s.pk)
    shares = list(SeatShare.objects.filter(session=s))
    assert sum(sh.slots for sh in shares) == s.total
    assert sum(sh.remaining for sh in shares) == s.remaining
    for sh in shares:
        held = Registration.objects.filter(session=s, share_union=sh.union, status__in=["granted", "offered"]).count()
        assert sh.slots - sh.remaining == held, (sh.union_id, sh.slots, sh.remaining, held)
    assert _live(s) == s.total - s.remaining
    assert Registration.objects.filter(session=s, share_union__isnull=True, status__in=["granted", "offered"]).count() == 0
