"""Test support: a campaign of the shared cast (西湖区 examines 杭州某科技有限公司) at each stage."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from . import services
from .models import Answer


def campaign(actor, node, *, kind="legal", title="2026年西湖区劳动用工法治体检"):
    today = timezone.localdate()
    tpls = [services.template_seed(actor=actor, node=node, kind=k) for k in (("legal", "safety") if kind == "both"
                                                                             else (kind,))]
    return services.campaign_create(actor=actor, node=node, title=title, kind=kind, year=today.year, templates=tpls,
                                    starts_on=today - dt.timedelta(days=60), ends_on=today + dt.timedelta(days=60))


def enrolled(actor, node, enterprise, **kw):
    c = campaign(actor, node, **kw)
    services.campaign_enroll(actor=actor, campaign=c, enterprises=[enterprise])
    return c, c.examinations.get(enterprise=enterprise)


def answers(exam, *, no=(1, 4), partly=(6,)) -> dict:
    """Every item answered: item seqs in `no` are 不符合, in `partly` 部分符合, the rest 符合."""
    out = {}
    for it in services.checklist(exam.campaign):
        a = Answer.NO if it.seq in no else Answer.PARTLY if it.seq in partly else Answer.YES
        out[it.pk] = {"answer": a, "note": f"第{it.seq}项问题" if a != Answer.YES else ""}
    return out


def visited(actor, node, enterprise, *, days_ago=20, **kw):
    c, exam = enrolled(actor, node, enterprise, **kw)
    findings = services.visit_record(actor=actor, exam=exam, visited_on=timezone.localdate() - dt.timedelta(days=days_ago),
                                     team="张律师、王干事", answers=answers(exam))
    exam.refresh_from_db()
    return c, exam, findings
