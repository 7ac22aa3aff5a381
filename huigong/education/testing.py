"""Test helpers for 求学圆梦 (used by this app's tests, its matrix rows and the bench)."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from huigong.accounts.models import Role
from huigong.members.models import Person
from huigong.orgs.models import NodeLevel
from huigong.testing import make_member, make_staff

from . import services
from .models import DegreeLevel, Institution, Programme
from .services import notices as edu_notices

_seq = itertools.count(1)

TRANCHES = [{"trigger": "enrolment", "fen": 100000}, {"trigger": "term", "term": 2, "fen": 100000},
            {"trigger": "graduation", "fen": 100000}]


def make_programme(actor, node, *, total: int = 2, open_now: bool = True, levels=None, rules=None,
                   majors: int = 1, **kw) -> Programme:
    """An open round at `node` (today inside its window) with one partner institution and a major."""
    today = timezone.localdate()
    kw.setdefault("title", f"求学圆梦{next(_seq)}")
    kw.setdefault("year", today.year)
    kw.setdefault("tranches", TRANCHES)
    p = services.programme_create(
        actor=actor, node=node, total=total, opens_on=today - dt.timedelta(days=5),
        closes_on=today + dt.timedelta(days=20), levels=levels or [NodeLevel.DISTRICT, NodeLevel.CITY],
        rules=rules if rules is not None else {"member_months": 6, "once_per_level": True}, **kw)
    inst = Institution.objects.filter(node=node).first() or services.institution_create(
        actor=actor, node=node, name=f"广东开放大学{next(_seq)}")
    for i in range(majors):
        services.major_add(actor=actor, programme=p, institution=inst, name=f"机电一体化技术{i}",
                           level=DegreeLevel.COLLEGE, seats=100, tuition_fen=600000)
    if open_now:
        p = services.programme_open(actor=actor, programme=p)
    return p


def bank(person: Person) -> Person:
    person.bank_account, person.bank_account_mask, person.bank_name = "6222020000001111", "**** 1111", "工商银行"
    person.save()
    return person


def applicant(actor, union, name: str | None = None, *, joined_on: dt.date | None = None, **kw) -> Person:
    m = make_member(actor, union, name or f"学员{next(_seq)}", joined_on=joined_on or dt.date(2020, 3, 1), **kw)
    return bank(Person.objects.get(pk=m.person_id))


def worker_of(person: Person):
    from huigong.portal.testing import make_worker_account

    return make_worker_account(person=person)


def submit(programme: Programme, person: Person, account=None):
    account = account or worker_of(person)
    return services.application_submit(actor=account.user, programme=programme, person=person,
                                       major=programme.majors.first(), xuexin_code="ABCD1234EFGH")


class World:
    """The cast plus what review needs: a district admin (the district step), the city admin and
    leader (the city step), city finance (pays)."""

    def __init__(self, cast):
        self.c = cast
        self.xihu_admin = make_staff(cast.xihu, Role.ADMIN, f"xihu_admin{next(_seq)}")

    def approve_all(self, app):
        app = services.application_decide(actor=self.xihu_admin, application=app, decision="approved")
        return services.application_decide(actor=self.c.leader, application=app, decision="approved")

    def to_draw(self, programme, people):
        apps = [submit(programme, p) for p in people]
        apps = [self.approve_all(a) for a in apps]
        services.programme_close(actor=self.c.city_admin, programme=programme)
        return apps

    def drawn(self, programme, people, seed="20251001"):
        apps = self.to_draw(programme, people)
        record = services.programme_draw(actor=self.c.city_admin, programme=programme, seed=seed)
        return [type(a).objects.get(pk=a.pk) for a in apps], record

    def confirmed(self, programme, people):
        apps, record = self.drawn(programme, people)
        programme.refresh_from_db()
        notice = edu_notices.notice_publish(actor=self.c.city_admin, programme=programme)
        return apps, notice
