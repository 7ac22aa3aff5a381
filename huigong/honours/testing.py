"""Test builders for the honours app (its tests and its rows of the route x role matrices)."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from huigong.accounts.models import Role
from huigong.members.models import EmploymentForm, Gender
from huigong.orgs.models import NodeLevel
from huigong.testing import make_member, make_staff, new_id_number

from . import services
from .models import Attribute, RuleOp, TitleLevel, TitleType

DEPARTMENTS = ["组织部", "纪委监委"]


def pdf_file(name: str = "evidence.pdf") -> SimpleUploadedFile:
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def xihu_admin(cast):
    """An admin of 西湖区总 (decides the district step of a chain)."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username="xihu_admin").first()
    return user or make_staff(cast.xihu, Role.ADMIN, "xihu_admin")


def worker(cast, name: str, gender: str = Gender.MALE, *, bank: bool = True, node=None):
    m = make_member(cast.city_admin, node or cast.tech, name, employer=cast.enterprise,
                    id_number=new_id_number("330106", gender=gender), employment_form=EmploymentForm.CONTRACT)
    p = m.person
    if bank:
        p.bank_name, p.bank_account, p.bank_account_mask = "中国工商银行", "6222020000001234", "**** **** 1234"
        p.save(update_fields=["bank_name", "bank_account", "bank_account_mask"])
    return p


def make_campaign(cast, *, places: int = 5, title: str = "2026年杭州市劳动模范评选"):
    return services.campaign_create(
        actor=cast.city_admin, node=cast.hangzhou, title=title, title_type=TitleType.MODEL_WORKER,
        level=TitleLevel.CITY, year=2026, granting_body="杭州市人民政府", levels=[NodeLevel.DISTRICT, NodeLevel.CITY],
        departments=DEPARTMENTS,
        rules=[(Attribute.INDUSTRIAL, RuleOp.MIN, 35), (Attribute.FEMALE, RuleOp.MIN, 20),
               (Attribute.UNIT_HEAD, RuleOp.MAX, 15)],
        quotas=[(cast.xihu, places)])


def fill_list(cast, campaign, *, women: int = 1, men: int = 3, industrial: int = 2):
    """西湖区's list: `men` men and `women` women, the first `industrial` of them industrial workers."""
    nl = services.list_open(actor=cast.district_staff, campaign=campaign, node=cast.xihu)
    people = [worker(cast, f"男职工{i}") for i in range(men)] + [worker(cast, f"女职工{i}", Gender.FEMALE)
                                                              for i in range(women)]
    for i, p in enumerate(people):
        services.nominee_add(actor=cast.district_staff, nomination_list=nl, person=p,
                             attributes=[Attribute.INDUSTRIAL] if i < industrial else [], deeds="扎根一线，技术革新成果显著")
    return nl


def approved_list(cast, campaign=None, **kw):
    campaign = campaign or make_campaign(cast)
    nl = fill_list(cast, campaign, **kw)
    services.list_submit(actor=cast.district_staff, nomination_list=nl)
    services.list_decide(actor=xihu_admin(cast), nomination_list=nl, decision="approved")
    services.list_decide(actor=cast.city_admin, nomination_list=nl, decision="approved")
    return nl


def vetted(cast, nl):
    for n in nl.nominees.all():
        for d in DEPARTMENTS:
            services.opinion_record(actor=cast.city_admin, nominee=n, department=d, verdict="agree")


def make_honour(cast, person=None, *, level=TitleLevel.CITY, title_type=TitleType.MODEL_WORKER, year=2024,
                actor=None, cert=""):
    person = person or worker(cast, "劳模甲")
    from .services.register import person_union

    return services.honour_create(actor=actor or cast.city_admin, union=person_union(person), title_type=title_type,
                                  level=level, year=year, granting_body="杭州市人民政府", certificate_no=cert,
                                  person=person)


def make_innovation(cast, *, person=None, title="分级筛精准分流改造"):
    person = person or worker(cast, "马小红", Gender.FEMALE)
    return services.innovation_submit(actor=cast.district_staff, union=cast.tech, title=title, kind="tech",
                                      summary="在分级筛下加装可调节闸板，配套旁通溜槽直连入洗煤皮带", person=person,
                                      team=["韩涛"], implemented_on=dt.date(2026, 3, 1))
