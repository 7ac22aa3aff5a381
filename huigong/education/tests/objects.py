"""Education objects in the shared cast's world, written straight to the tables (a few inserts: the
route x role matrices call these once per test or per role), each in the state its page or route
needs. Built at 西湖区 so that every Hangzhou role sees them and the Qingdao outsider does not."""

from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile
from django.utils import timezone

from huigong.core.capacity import lottery
from huigong.core.capacity.models import Draw
from huigong.education.models import (
    Application,
    ApplicationStep,
    EduNotice,
    EduNoticeEntry,
    Enrolment,
    Institution,
    Major,
    Programme,
    SubsidyBatch,
    SubsidyPayment,
    Tranche,
)
from huigong.education.testing import TRANCHES
from huigong.members.models import Person

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def programme(w, *, node=None, title="西湖区求学圆梦", status="drawn", **kw) -> Programme:
    node = node or w.xihu
    today = timezone.localdate()
    inst = Institution.objects.get_or_create(node=node, name=f"{node.name}合作院校",
                                             defaults={"node_path": node.path})[0]
    p = Programme.objects.create(node=node, node_path=node.path, title=title, year=today.year, status=status,
                                 opens_on=today - dt.timedelta(days=10), closes_on=today + dt.timedelta(days=10),
                                 total=5, remaining=5, is_open=status == "open", allocation="lottery",
                                 levels=["district", "city"], tranches=TRANCHES, **kw)
    Major.objects.create(programme=p, institution=inst, name="机电一体化", level="college", seats=10, tuition_fen=600000)
    return p


def application(w, p: Programme | None = None, *, status="confirmed", place="granted", member=None, **kw) -> Application:
    p = p or programme(w)
    member = member or w.member
    person = Person.objects.get(pk=member.person_id)
    now = timezone.now()
    return Application.objects.create(
        programme=p, person=person, union=member.union, node_path=member.union.path, major=p.majors.first(),
        level="college", status=status, place=place, submitted_at=now, checked_at=now,
        admission_letter=ContentFile(PDF, name="admission_letter.pdf"), **kw)


def in_review(w) -> Application:
    app = application(w, programme(w, status="open"), status="in_review", place="")
    ApplicationStep.objects.create(application=app, round=1, seq=0, node=w.xihu, node_path=w.xihu.path, level="district")
    ApplicationStep.objects.create(application=app, round=1, seq=1, node=w.hangzhou, node_path=w.hangzhou.path,
                                   level="city")
    return app


def closed_round(w) -> Programme:
    p = programme(w, status="closed")
    application(w, p, status="approved", place="entered")
    return p


def drawn_round(w) -> Programme:
    p = programme(w)
    app = application(w, p, status="won", place="granted", draw_rank=1)
    ids = [app.pk]
    Draw.objects.create(purpose=f"education.programme:{p.pk}", kind="lottery", seed="20251001",
                        entrants_hash=lottery.entrants_hash(ids), entrants=ids, places={"total": 5},
                        result=[[app.pk, "granted"]])
    return p


def enrolment(w, app: Application | None = None) -> Enrolment:
    app = app or application(w)
    return Enrolment.objects.create(application=app, programme=app.programme, person=app.person, major=app.major,
                                    node_path=app.node_path, enrolled_on=timezone.localdate(), confirmed_by="union")


def notice(w, app: Application | None = None) -> EduNotice:
    app = app or application(w, status="notice")
    today = timezone.localdate()
    n = EduNotice.objects.create(programme=app.programme, node=app.programme.node, node_path=app.programme.node_path,
                                 title="西湖区求学圆梦公示", starts_on=today, ends_on=today + dt.timedelta(days=5))
    EduNoticeEntry.objects.create(notice=n, application=app, masked_name="李*红", unit_label="机电一体化",
                                  amount_fen=300000)
    return n


def payment(w, *, status="pending") -> SubsidyPayment:
    app = application(w)
    enrolment(w, app)
    t = Tranche.objects.create(application=app, seq=1, trigger="enrolment", amount_fen=100000, status="paying",
                               node_path=app.node_path)
    b = SubsidyBatch.objects.create(programme=app.programme, node_path=w.hangzhou.path, title="西湖区补贴发放")
    return SubsidyPayment.objects.create(tranche=t, batch=b, attempt=1, amount_fen=100000, status=status,
                                         idempotency_key=f"hg-edu-{t.pk}-1", payee_name=app.person.name,
                                         bank_account="6222020000001111", bank_account_mask="**** 1111",
                                         bank_name="工商银行")


def memo(w, name, fn):
    """One object per world (per test): a page's URL is built more than once in a test."""
    cache = w.__dict__.setdefault("_edu_objects", {})
    if name not in cache:
        cache[name] = fn(w)
    return cache[name]
