"""Builders for the research programme's tests and matrices (on the standard cast of huigong/testing.py):
Hangzhou's programme at 杭州市总工会, a 西湖区 team applying, the city deciding."""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from . import services
from .models import MemberRole, RuleKind

# A report's text that passes the default limits when `min_chars` is small (tests set 200).
PARAGRAPHS = [
    "外卖骑手在高峰时段需要在二十分钟内完成取餐和送达，老旧小区缺少电梯与门禁引导，爬楼送货占用大量时间。",
    "调研队在三个商圈跟跑一周，记录等餐时长、电动车充电与停放、午间休息场所等问题，并访谈站点负责人。",
    "骑手普遍反映健康证办理需要往返指定医院，耽误接单收入，建议推行不限医院先办后补的方式减轻负担。",
    "平台企业建会意愿不高的原因在于担心用工成本上升，应以协商恳谈推动算法规则和劳动定额公开透明。",
    "建议在商圈设立暖心驿站，提供饮水、充电、休息和应急药品，由工会与街道、物业共同运营维护。",
]


def report_text(seed: int = 0, repeat: int = 3) -> str:
    """A distinct report for each seed (different sentences in different orders and a numbered tail)."""
    order = PARAGRAPHS[seed % 5:] + PARAGRAPHS[:seed % 5]
    parts = []
    for r in range(repeat):
        for i, p in enumerate(order):
            parts.append(f"第{seed}号课题第{r + 1}部分之{i + 1}：{p[(seed + i) % 7:]}{'样本编号' + str(seed * 97 + r * 13 + i)}")
    return "\n".join(parts)


def fresh_text(seed: int, n: int = 600) -> str:
    """Text with no 5-character run in common with another seed's (pseudo-random characters)."""
    import random

    rng = random.Random(seed * 7919 + 17)
    return "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(n))


def upload(text: str, name: str = "report.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/plain")


def docx(text: str) -> SimpleUploadedFile:
    import zipfile

    body = "".join(f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>" for line in text.splitlines())
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document '
           'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
           f"{body}</w:body></w:document>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", xml)
    return SimpleUploadedFile("report.docx", out.getvalue())


def make_programme(c, *, budget_fen: int = 1_000_000, levels=("city",), min_chars: int = 200, topics=2,
                   open_=True, brand: str = "新音台", year: int | None = None, actor=None, node=None):
    actor, node = actor or c.city_admin, node or c.hangzhou
    p = services.programme_create(actor=actor, node=node, brand=brand,
                                  year=year or timezone.localdate().year, title=f"{brand}年轻干部调研",
                                  budget_fen=budget_fen, min_chars=min_chars, approval_levels=list(levels))
    for i in range(topics):
        services.topic_add(actor=actor, programme=p, title=["低空经济", "新就业形态劳动者建会入会", "人工智能"][i],
                           area="新质生产力", max_fen=200_000)
    services.rule_set(actor=actor, programme=p, kind=RuleKind.YOUNG_SHARE, value=60, age_limit=35)
    services.rule_set(actor=actor, programme=p, kind=RuleKind.SIZE_MIN, value=3)
    services.rule_set(actor=actor, programme=p, kind=RuleKind.MENTOR, value=1)
    if open_:
        p = services.programme_transition(actor=actor, programme=p, action="open")
    return p


def make_project(c, programme, *, actor=None, node=None, team=True, requested_fen: int = 100_000, topic=None,
                 team_name: str = "骑手调研先锋队"):
    actor, node = actor or c.district_staff, node or c.xihu
    year = programme.year
    p = services.project_create(actor=actor, programme=programme, topic=topic or programme.topics.first(), node=node,
                                team_name=team_name, plan="注册成为骑手，沉浸式跑单，访谈站长与骑手。",
                                requested_fen=requested_fen, payee_name="西湖区总工会", bank_name="杭州银行",
                                bank_account="6222020000004321")
    if team:
        for name, role, age, front in (("周队长", MemberRole.LEADER, 29, True), ("吴队员", MemberRole.MEMBER, 27, True),
                                       ("郑队员", MemberRole.MEMBER, 41, False),
                                       ("王导师", MemberRole.MENTOR, 50, False)):
            services.team_member_add(actor=actor, project=p, name=name, role=role, birth_year=year - age,
                                     front_line=front)
    return p


def approved_project(c, programme, **kw):
    p = make_project(c, programme, **kw)
    p = services.project_submit(actor=kw.get("actor") or c.district_staff, project=p)
    decider = c.leader if kw.get("actor") == c.city_admin else c.city_admin
    return services.project_decide(actor=decider, project=p, decision="approved")


def ride(c, project, orders: int = 642, actor=None):
    return services.fieldwork_record(actor=actor or c.district_staff, project=project, kind="ride_along",
                                     occurred_on=timezone.localdate() - dt.timedelta(days=1), place="西湖区文三路商圈",
                                     cadre="周队长", people=35, orders=orders, hours=120)


def reported_project(c, programme, seed: int = 1, accept: bool = False, **kw):
    p = approved_project(c, programme, **kw)
    ride(c, p)
    p = services.midterm_check(actor=c.city_admin, project=p, verdict="pass")
    r = services.report_submit(actor=kw.get("actor") or c.district_staff, project=p, title="关于骑手配送时效的调研报告",
                               upload=upload(fresh_text(seed)),
                               recommendations="市城管局：在老旧小区设置外卖取餐点\n市总工会：推行健康证先办后补")
    if accept:
        r = services.report_decide(actor=c.city_admin, report=r, accept=True)
    return p, r
