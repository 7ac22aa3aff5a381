"""The honours part of the demo (the seed page): Tianjin's model workers, 五一 medal holders and 津门工匠
with their entitlements (check-ups and 慰问 delivered for some, the rest due); a Tianjin nomination
campaign for the 五一劳动奖章 whose 滨海新区 list was blocked by the women's share rule and then fixed,
now in approval; the coal mine's innovations with the seed's figures (+1,600 t per shift, moisture
10 % → 8.5 %, 12 million yuan), verified and adopted, a worker's suggestion with a written reason.

Everything goes through the services (audited, as real work is). Two logins are added where the page
needs a second person: 滨海新区总工会's admin (decides its list's step) and 陕煤集团工会's admin
(reviews the mine's results: nobody reviews what they entered)."""

from __future__ import annotations

import datetime as dt
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from huigong.accounts.models import Role, StaffProfile
from huigong.members.models import Gender, Membership, MembershipStatus, Person
from huigong.orgs.models import NodeLevel, UnionNode

from . import clock, services
from .models import Attribute, Gain, InnovationKind, RuleOp, TitleLevel, TitleType
from .services.register import person_union


def _user(username: str):
    return get_user_model().objects.filter(username=username).select_related("staff__node").first()


def _login(builder, username: str, role: str, node: UnionNode, display: str):
    user = get_user_model().objects.create(username=username, password=make_password(builder.password))
    StaffProfile.objects.create(user=user, node=node, role=role, display_name=display)
    builder.report.logins.append((username, str(Role(role).label), node.name))
    return user


def _people(node: UnionNode, n: int, *, gender: str | None = None, skip=()) -> list[Person]:
    qs = (Person.objects.filter(memberships__union__path__startswith=node.path,
                                memberships__status=MembershipStatus.ACTIVE)
          .exclude(pk__in=list(skip)).order_by("pk"))
    if gender:
        qs = qs.filter(gender=gender)
    return list(qs.distinct()[:n])


def build_tianjin(builder, year: int) -> list[str]:
    tianjin = UnionNode.objects.filter(level=NodeLevel.PROVINCE, name="天津市总工会").first()
    admin = _user("tianjin_admin")
    if tianjin is None or admin is None:
        return []
    used: set[int] = set()
    titles = [(TitleType.MODEL_WORKER, TitleLevel.NATIONAL, 2020, "国务院", 3),
              (TitleType.MAY_DAY_MEDAL, TitleLevel.NATIONAL, 2023, "中华全国总工会", 3),
              (TitleType.MODEL_WORKER, TitleLevel.PROVINCE, 2021, "天津市人民政府", 6),
              (TitleType.CRAFTSMAN, TitleLevel.PROVINCE, 2024, "天津市总工会（津门工匠）", 4)]
    honours = []
    for title_type, level, y, body, n in titles:
        for i, p in enumerate(_people(tianjin, n, skip=used)):
            used.add(p.pk)
            honours.append(services.honour_create(
                actor=admin, union=person_union(p), title_type=title_type, level=level, year=y, granting_body=body,
                certificate_no=f"TJ{y}-{title_type[:2].upper()}{len(honours) + 1:04d}", person=p,
                source="import" if y < 2024 else "manual"))
    delivered = 0
    for h in honours[: len(honours) // 2]:
        for e in h.entitlements.filter(kind__in=["checkup", "visit"], period=str(year)):
            if e.due_on <= clock.today():
                services.entitlement_deliver(actor=admin, entitlement=e, delivered_on=e.due_on,
                                             note="市总工会统一组织")
                delivered += 1
    return [f"Tianjin honours {len(honours)}, entitlements delivered {delivered}"]


def build_campaign(builder, year: int) -> list[str]:
    tianjin = UnionNode.objects.filter(level=NodeLevel.PROVINCE, name="天津市总工会").first()
    admin = _user("tianjin_admin")
    binhai = UnionNode.objects.filter(name="滨海新区总工会").first()
    heping = UnionNode.objects.filter(name="和平区总工会").first()
    if not (tianjin and admin and binhai and heping):
        return []
    staff = _login(builder, "binhai_staff", Role.STAFF, binhai, "滨海新区总工会工作人员")
    _login(builder, "binhai_admin", Role.ADMIN, binhai, "滨海新区总工会管理员")
    c = services.campaign_create(
        actor=admin, node=tianjin, title=f"{year}年天津市五一劳动奖章推荐评选", title_type=TitleType.MAY_DAY_MEDAL,
        level=TitleLevel.PROVINCE, year=year, granting_body="天津市总工会",
        levels=[NodeLevel.DISTRICT, NodeLevel.PROVINCE], departments=["市委组织部", "市纪委监委", "市公安局", "市人社局"],
        rules=[(Attribute.INDUSTRIAL, RuleOp.MIN, 35), (Attribute.MIGRANT, RuleOp.MIN, 10),
               (Attribute.NON_PUBLIC, RuleOp.MIN, 35), (Attribute.UNIT_HEAD, RuleOp.MAX, 15),
               (Attribute.FEMALE, RuleOp.MIN, 20)],
        quotas=[(binhai, 5), (heping, 3)])
    nl = services.list_open(actor=staff, campaign=c, node=binhai)
    men = _people(binhai, 5, gender=Gender.MALE)
    attrs = [[Attribute.INDUSTRIAL, Attribute.NON_PUBLIC], [Attribute.INDUSTRIAL, Attribute.MIGRANT, Attribute.NON_PUBLIC],
             [Attribute.INDUSTRIAL, Attribute.FRONTLINE], [Attribute.TECHNICAL, Attribute.NON_PUBLIC],
             [Attribute.UNIT_HEAD]]
    deeds = ["码头装卸工艺革新，单船作业效率提高两成", "货车司机安全行车三十万公里无事故，带出一支安全车队",
             "汽车零部件产线关键工序改进，废品率下降", "新材料配方攻关，获发明专利两项", "企业负责人，推进职工创新工作室建设"]
    for p, a, d in zip(men, attrs, deeds):
        services.nominee_add(actor=staff, nomination_list=nl, person=p, attributes=a, deeds=d)
    blocked = services.meter_of(nl)
    refused = ""
    try:
        services.list_submit(actor=staff, nomination_list=nl)
    except Exception as e:  # noqa: BLE001 - the demo shows the refusal's text
        refused = "; ".join(getattr(e, "messages", [str(e)]))
    # Fixed: the unit head leaves the list and a woman who leads a frontline team joins it.
    women = _people(binhai, 1, gender=Gender.FEMALE)
    broken = len([r for r in blocked.rows if not r.ok])
    if not women:  # a world without a woman in 滨海新区 cannot fix the list: it stays a draft
        return [f"campaign {c.pk}: 滨海新区 list blocked ({broken} rule broken), no woman to fix it"]
    if men:
        services.nominee_remove(actor=staff, nominee=nl.nominees.get(person=men[-1]))
    services.nominee_add(actor=staff, nomination_list=nl, person=women[0],
                         attributes=[Attribute.INDUSTRIAL, Attribute.FRONTLINE, Attribute.NON_PUBLIC],
                         deeds="化工装置班长，带领班组实现连续五年安全生产零事故")
    _meet_minimums(staff, nl)
    services.list_submit(actor=staff, nomination_list=nl)
    return [f"campaign {c.pk}: 滨海新区 list blocked ({broken} rule broken: {refused[:60]}…), fixed and submitted"]


def _meet_minimums(staff, nl) -> None:
    """On a small world (fewer than five men in 滨海新区) the list left after the fix can miss a minimum share
    (e.g. the only 农民工 was the man who left): the category goes to nominees in list order until the
    rule holds. The women's share is the record's, never written; the fix's woman already meets it."""
    for row in services.meter_of(nl).rows:
        if row.ok or row.rule.op != RuleOp.MIN or row.rule.attribute == Attribute.FEMALE:
            continue
        missing = row.bound - row.count
        for n in nl.nominees.order_by("pk"):
            if missing <= 0:
                break
            if row.rule.attribute not in (n.attributes or []):
                services.nominee_set_attributes(actor=staff, nominee=n,
                                                attributes=[*(n.attributes or []), row.rule.attribute])
                missing -= 1


GAINS = [
    ("分级筛精准分流改造", InnovationKind.TECH,
     "在分级筛下加装可调节闸板，配套新增旁通溜槽直连入洗煤皮带，通过闸板开度精准控制入洗原煤量。",
     [("每班入洗量（较改造前增加）", "吨/班", "0", "1600", 0, "改造前后各三个月班报入洗量对比"),
      ("选煤环节新增效益（截至10月底）", "万元", "0", "1200", 1_200_000_000, "财务科按当期市场价核算，系列技改合计")]),
    ("闲置设备再利用降低商品煤水分", InnovationKind.TECH,
     "在脱水筛下管路新增旁通接口，将部分物料分流至闲置的分级旋流器组，经弧形筛预脱水后再进入离心机脱水。",
     [("商品煤水分", "%", "10", "8.5", 0, "化验室逐批全水分检测月均值"),
      ("商品煤热值（提升）", "kcal/kg", "0", "200", 0, "化验室发热量检测")]),
    ("205原煤分级筛旁通溜槽改造", InnovationKind.FIVE_SMALL,
     "在205原煤分级筛下方增设旁通溜槽，将原煤分流至302皮带，同步增大分级筛入料量。",
     [("原煤入洗量（提升）", "%", "0", "15", 0, "皮带秤计量对比")]),
]


def build_coalmine(builder) -> list[str]:
    mine = UnionNode.objects.filter(name__contains="二号煤矿").order_by("path").first()
    group = UnionNode.objects.filter(name="陕煤集团工会").first()
    clerk = _user("coalmine_staff")
    if not (mine and group and clerk):
        return []
    reviewer = _login(builder, "shaanmei_admin", Role.ADMIN, group, "陕煤集团工会管理员")
    workers = _people(mine, 6)
    if not workers:  # a world without members at the mine: no innovations to record
        return []
    workers = [workers[i % len(workers)] for i in range(6)]  # a small world: the few workers do it all
    made = []
    for i, (title, kind, summary, gains) in enumerate(GAINS):
        inv = services.innovation_submit(actor=clerk, union=mine, title=title, kind=kind, summary=summary,
                                         person=workers[i], team=[p.name for p in workers[3:6]],
                                         studio="选煤厂职工创新工作室", implemented_on=dt.date(clock.today().year, 4, 1))
        services.innovation_review(actor=reviewer, innovation=inv, decision="accept",
                                   reason="材料齐全，进入效益核实与评审")
        for metric, unit, before, after, value, method in gains:
            g = services.gain_add(actor=clerk, innovation=inv, metric=metric, unit=unit, baseline=before, after=after,
                                  annual_value_fen=value, method=method, verifier="选煤厂生产技术科、财务科")
            services.gain_verify(actor=reviewer, gain=g, verifier="选煤厂生产技术科、财务科",
                                 verified_on=clock.today() - dt.timedelta(days=7))
        services.innovation_review(actor=reviewer, innovation=inv, decision="adopt",
                                   reason="实测效益经生产技术科、财务科核实，予以采纳并在集团内推广")
        made.append(inv)
    # A worker's own suggestion from the portal, answered with a reason (no 石沉大海).
    s = services.innovation_submit(actor=None, via_portal=True, person=workers[4], title="井口候车室加装取暖设施",
                                   kind=InnovationKind.SUGGESTION,
                                   summary="冬季夜班交接时井口候车室温度低，建议加装电暖器并延长开放时间。")
    services.innovation_review(actor=reviewer, innovation=s, decision="accept", reason="已转矿后勤部门研究")
    services.innovation_review(actor=reviewer, innovation=s, decision="adopt",
                               reason="后勤部门已采购电暖器 6 台，本月底前安装，候车室夜班全时开放")
    value = sum(g.annual_value_fen for g in Gain.objects.filter(innovation__in=made))
    return [f"coal mine innovations {len(made)} verified, {value // 100:,} yuan, suggestion answered"]


def build(builder) -> str:
    started = time.monotonic()
    year = clock.today().year
    lines = build_tianjin(builder, year) + build_campaign(builder, year) + build_coalmine(builder)
    return "honours: " + "; ".join(lines) + f" in {time.monotonic() - started:.1f} s"


__all__ = ["build", "Membership"]
