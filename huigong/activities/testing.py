"""Test helpers of the events app: an event with one session, published, in one call."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from . import services
from .models import EventKind


def make_event(actor, node, *, total: int | None = 10, waitlist: bool = True, offer_seconds: int | None = None,
               publish: bool = True, title: str = "杭州职工讲座", days: int = 7, sessions: int = 1, **fields):
    fields.setdefault("address", "西湖区职工之家")
    event = services.event_create(actor=actor, node=node, kind=fields.pop("kind", EventKind.LECTURE), title=title,
                                  **fields)
    start = timezone.now() + dt.timedelta(days=days)
    for i in range(sessions):
        services.session_add(actor=actor, event=event, title=f"第 {i + 1} 场", starts_at=start + dt.timedelta(days=i),
                             ends_at=start + dt.timedelta(days=i, hours=2), total=total, waitlist=waitlist,
                             offer_seconds=offer_seconds)
    if publish:
        services.event_publish(actor=actor, event=event)
    event.refresh_from_db()
    return event


def session_of(event, n: int = 0):
    return list(event.sessions.order_by("starts_at", "pk"))[n]


def member(actor, union, name: str, **kw):
    from huigong.testing import make_member

    return make_member(actor, union, name, **kw).person


_bulk_seq = __import__("itertools").count(1)


def bulk_members(union, n: int) -> list:
    """`n` synthetic members of `union` (Person + active Membership, written in bulk: race tests and
    benches need thousands). Returns the Person rows."""
    from huigong.members.models import Gender, Membership, MembershipStatus, Person

    tag = next(_bulk_seq)
    people = Person.objects.bulk_create([
        Person(name=f"报名者{tag}-{i}", id_number="000000000000000000", id_number_hash=f"act-{tag}-{i}",
               id_number_mask="000000********0000", gender=Gender.FEMALE if i % 2 else Gender.MALE,
               birth_date=dt.date(1990, 1, 1), employment_form="contract")
        for i in range(n)])
    Membership.objects.bulk_create([Membership(person=p, union=union, status=MembershipStatus.ACTIVE,
                                               joined_on=dt.date(2024, 1, 1)) for p in people])
    return people
