"""Rows of the console page matrix for the honours pages, declared in the app's contributions (apps.py).
WORLD = "own": the builders write objects through the services (audited), so test_page_matrix.py in this
package runs the rows itself, building each page's objects before it measures that an outsider's visit
writes no audit or access row (the shared runner counts before it builds). Objects are made inside 西湖区
(or at 杭州 and seen from below), held by the cast's member 李小红 where a person shows, so an outsider's
page would show her name if it leaked. Each builder runs once per world (`_once`)."""

from __future__ import annotations

import datetime as dt
import functools

WORLD = "own"


def _once(fn):
    @functools.wraps(fn)
    def wrapper(c):
        cache = c.__dict__.setdefault("_honours_built", {})
        if fn.__name__ not in cache:
            cache[fn.__name__] = fn(c)
        return cache[fn.__name__]

    return wrapper


def _t():
    from huigong.honours import testing

    return testing


@_once
def honour(c):
    from huigong.honours.models import Honour

    h = Honour.objects.filter(person=c.member.person).first()
    return h or _t().make_honour(c, c.member.person)


def entitlement(c):
    return honour(c).entitlements.exclude(kind="allowance").first()


@_once
def campaign(c):
    from huigong.honours.models import Campaign

    return Campaign.objects.filter(node=c.hangzhou).first() or _t().make_campaign(c)


@_once
def nlist(c):
    from huigong.honours import services
    from huigong.members.models import Gender

    nl = services.list_open(actor=c.district_staff, campaign=campaign(c), node=c.xihu)
    if not nl.nominees.exists():
        services.nominee_add(actor=c.district_staff, nomination_list=nl, person=c.member.person,
                             attributes=["industrial"], deeds="扎根一线")
        # 李小红's gender comes from a random ID number (the shared generator's state depends on test order):
        # the campaign's women's share rule must hold whatever it is, so a woman joins a list with none.
        if c.member.person.gender != Gender.FEMALE:
            services.nominee_add(actor=c.district_staff, nomination_list=nl,
                                 person=_t().worker(c, "女职工", Gender.FEMALE),
                                 attributes=["industrial"], deeds="扎根一线")
    return nl


def nominee(c):
    return nlist(c).nominees.first()


@_once
def notice(c):
    from huigong.honours import services
    from huigong.honours.testing import DEPARTMENTS, xihu_admin

    nl = nlist(c)
    services.list_submit(actor=c.district_staff, nomination_list=nl)
    services.list_decide(actor=xihu_admin(c), nomination_list=nl, decision="approved")
    services.list_decide(actor=c.city_admin, nomination_list=nl, decision="approved")
    for n in nl.nominees.all():
        for d in DEPARTMENTS:
            services.opinion_record(actor=c.city_admin, nominee=n, department=d, verdict="agree")
    return services.notice_publish(actor=c.city_admin, campaign=nl.campaign, nominees=list(nl.nominees.all()))


@_once
def objection(c):
    from huigong.honours import services

    n = notice(c)
    o = services.objection_record(actor=c.city_admin, notice=n, content="反映材料不实")
    return [n.pk, o.pk]


@_once
def case(c):
    from huigong.honours import services

    return services.revocation_propose(actor=c.district_staff, node=c.xihu, honours=[honour(c)], ground="criminal",
                                       grounds_text="因犯罪被判处刑罚，判决已生效", evidence=_t().pdf_file())


@_once
def reconciliation(c):
    from huigong.honours import services

    honour(c)
    return services.reconciliation_start(actor=c.district_staff, node=c.xihu, period="2026H1")


@_once
def batch(c):
    from huigong.honours import services

    p = c.member.person
    p.bank_name, p.bank_account, p.bank_account_mask = "中国工商银行", "6222020000001234", "**** **** 1234"
    p.save()
    honour(c)
    b, _skipped = services.allowance_batch_create(actor=c.finance, node=c.xihu, year=dt.date.today().year)
    return b


def payment(c):
    return batch(c).payments.first()


@_once
def innovation(c):
    return _t().make_innovation(c, person=c.member.person, title="李小红的闸板改造")


@_once
def gain(c):
    from huigong.honours import services

    inv = innovation(c)
    g = services.gain_add(actor=c.city_admin, innovation=inv, metric="入洗量", unit="吨", baseline="800",
                          after="2400", annual_value_fen=0, method="班报")
    return [inv.pk, g.pk]


@_once
def evidence(c):
    from huigong.honours import services

    inv = innovation(c)
    ev = services.evidence_add(actor=c.city_admin, innovation=inv, upload=_t().pdf_file())
    return [inv.pk, ev.pk]


@_once
def round_(c):
    from huigong.honours import services
    from huigong.testing import make_staff

    inv = innovation(c)
    services.innovation_review(actor=c.city_admin, innovation=inv, decision="accept", reason="材料齐全进入评审")
    services.gain_add(actor=c.city_admin, innovation=inv, metric="入洗量", unit="吨", baseline="800", after="2400",
                      annual_value_fen=0, method="班报")
    services.innovation_review(actor=c.city_admin, innovation=inv, decision="adopt", reason="效益核实予以采纳")
    judges = [make_staff(c.xihu, "viewer", f"hjudge{i}") for i in range(3)]
    return services.round_create(actor=c.city_admin, node=c.xihu, title="西湖区创新成果评审", year=2026,
                                 panel=judges, innovations=[inv], tiers=[("first", 1, 100000)])


def _pk(fn):
    return lambda c: [fn(c).pk]


HONOUR, DECIDE, MONEY = "honour", "honour_decide", "money"

# name -> (args builder, capability the page needs beyond VIEW, methods)
ROUTES = {
    "honours:home": (lambda c: honour(c) and [], None, "GET"),
    "honours:honour_list": (lambda c: honour(c) and [], None, "GET"),
    "honours:honour_create": (lambda c: [], HONOUR, "GET"),
    "honours:honour_import": (lambda c: [], HONOUR, "GET"),
    "honours:honour_detail": (_pk(honour), None, "GET"),
    "honours:honour_certificate": (_pk(honour), None, "GET"),
    "honours:honour_deceased": (_pk(honour), HONOUR, "POST"),
    "honours:reconciliation_start": (lambda c: [c.xihu.pk], HONOUR, "POST"),
    "honours:reconciliation_detail": (_pk(reconciliation), None, "GET POST"),
    "honours:reconciliation_close": (_pk(reconciliation), HONOUR, "POST"),
    "honours:revocations": (lambda c: case(c) and [], None, "GET"),
    "honours:revocation_new": (lambda c: [], HONOUR, "GET"),
    "honours:revocation_detail": (_pk(case), None, "GET POST"),
    "honours:revocation_evidence": (_pk(case), None, "GET"),
    "honours:entitlements": (lambda c: honour(c) and [], None, "GET"),
    "honours:entitlements_schedule": (lambda c: [c.xihu.pk], HONOUR, "POST"),
    "honours:entitlement_deliver": (_pk(entitlement), HONOUR, "POST"),
    "honours:allowance_batch_create": (lambda c: [c.xihu.pk], MONEY, "POST"),
    "honours:batch_detail": (lambda c: ["allowance", batch(c).pk], MONEY, "GET"),
    "honours:batch_sheet": (lambda c: ["allowance", batch(c).pk], MONEY, "POST"),
    "honours:batch_results": (lambda c: ["allowance", batch(c).pk], MONEY, "POST"),
    "honours:payment_action": (lambda c: ["allowance", payment(c).pk, "failed"], MONEY, "POST"),
    "honours:campaigns": (lambda c: campaign(c) and [], None, "GET"),
    "honours:campaign_create": (lambda c: [], HONOUR, "GET"),
    "honours:campaign_detail": (_pk(campaign), None, "GET"),
    "honours:list_open": (_pk(campaign), HONOUR, "POST"),
    "honours:notice_publish": (_pk(campaign), HONOUR, "POST"),
    "honours:campaign_award": (_pk(campaign), DECIDE, "POST"),
    "honours:list_detail": (_pk(nlist), None, "GET"),
    "honours:list_meter": (_pk(nlist), None, "GET"),
    "honours:nominee_add": (_pk(nlist), HONOUR, "POST"),
    "honours:list_submit": (_pk(nlist), HONOUR, "POST"),
    "honours:list_decide": (_pk(nlist), DECIDE, "POST"),
    "honours:nominee_attributes": (_pk(nominee), HONOUR, "POST"),
    "honours:nominee_remove": (_pk(nominee), HONOUR, "POST"),
    "honours:opinion_record": (_pk(nominee), HONOUR, "POST"),
    "honours:notice_detail": (_pk(notice), None, "GET"),
    "honours:notice_pdf": (_pk(notice), None, "GET"),
    "honours:objection_record": (_pk(notice), HONOUR, "POST"),
    "honours:objection_resolve": (objection, HONOUR, "POST"),
    "honours:notice_end": (_pk(notice), HONOUR, "POST"),
    "honours:innovations": (lambda c: innovation(c) and [], None, "GET"),
    "honours:innovation_new": (lambda c: [], HONOUR, "GET"),
    "honours:innovation_detail": (_pk(innovation), None, "GET"),
    "honours:innovation_review": (_pk(innovation), HONOUR, "POST"),
    "honours:gain_add": (_pk(innovation), HONOUR, "POST"),
    "honours:gain_verify": (gain, HONOUR, "POST"),
    "honours:evidence_add": (_pk(innovation), HONOUR, "POST"),
    "honours:evidence_file": (evidence, None, "GET"),
    "honours:round_new": (lambda c: [], HONOUR, "GET"),
    "honours:round_detail": (_pk(round_), None, "GET"),
    "honours:round_score": (_pk(round_), None, "POST"),
    "honours:round_award": (_pk(round_), HONOUR, "POST"),
    "honours:prize_batch_create": (_pk(round_), MONEY, "POST"),
}
