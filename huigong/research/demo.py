"""The research part of the demo: Hangzhou's 新音台 (杭州市总工会's young cadres' research brand). One
year's programme with 25 topics, 25 teams approved, paid in tranches, their fieldwork (a rider cadre's
642 orders over his weekends among it), mid-term checks, 25 accepted reports (资政报告), awards, and 40
recommendations tracked in the outcome tracker, 30 of them adopted as policy measures (a document
number or a leader's 批示 as evidence, confirmed by the leader), the rest in progress.

Everything goes through the services (audited, checked, notified as real work would be). People are
synthetic: the cadres' names are made up, never the page's."""

from __future__ import annotations

import datetime as dt
import time

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from huigong.core.audit import audit
from huigong.core.outcomes import services as outcomes

from . import payments, services
from .models import FieldworkLog, MemberRole, Recommendation, RuleKind, TeamMember

TOPICS = [
    ("低空经济从业者权益保障", "新质生产力"), ("人工智能训练师职业发展", "新质生产力"), ("数字文化产业青年职工", "新质生产力"),
    ("工业机器人运维技能断层", "新质生产力"), ("外卖骑手配送时效与公共配套", "新就业形态"),
    ("平台企业建会入会难点", "新就业形态"), ("网约车司机休息与就餐", "新就业形态"), ("快递员职业伤害保障", "新就业形态"),
    ("货车司机入会与服务", "新就业形态"), ("家政服务员技能认证", "新就业形态"), ("深化产业工人队伍建设改革", "产改"),
    ("工匠人才培育与激励", "产改"), ("职工技能提升与学历教育", "产改"), ("数智化工会建设", "数智化改革"),
    ("职工服务数据互联互通", "数智化改革"), ("户外劳动者服务站点布局", "服务职工"), ("职工心理健康服务", "服务职工"),
    ("女职工权益与爱心妈妈小屋", "服务职工"), ("青年职工婚恋交友", "服务职工"), ("困难职工精准帮扶", "服务职工"),
    ("集体协商提质增效", "劳动关系"), ("平台算法与劳动定额协商", "劳动关系"), ("灵活就业人员社会保险", "劳动关系"),
    ("新业态劳动争议调处", "劳动关系"), ("职工文化阵地建设", "服务职工"),
]
RIDER_TOPIC = 4  # 外卖骑手配送时效与公共配套: the team that became riders
RIDER_ORDERS = 642
SURNAMES = "陈林黄吴刘蔡杨许郑谢洪邱曾廖赖徐周叶苏庄吕江何萧罗高潘简朱钟彭游詹胡施沈余赵卢梁颜柯孙魏翁戴范宋方邓杜傅侯曹薛丁卓马阮董唐温蓝蒋石古纪姚连冯欧程汤黄田康姜汪白邹尤巫钟"
GIVEN = ["子涵", "浩然", "一鸣", "思远", "雨桐", "嘉怡", "俊杰", "梓萱", "宇航", "欣怡", "明轩", "诗涵", "博文", "佳琪", "天佑",
         "若溪", "晨阳", "可欣", "泽宇", "语嫣", "昊天", "静怡", "睿哲", "雅琴", "志远"]
COMMON = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定"
          "行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然"
          "前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系"
          "军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计"
          "别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研质民服务职工会骑手配送平台协商保障")
# The recommendations of the rider team, adopted as the seed page tells: a CPPCC proposal handled, and the
# health-certificate subsidy "先办后补" at any hospital.
RIDER_RECS = [("省政协（工会界别提案）", "关于完善公共配套设施服务，助力提升外卖小哥配送时效的建议"),
              ("市总工会", "骑手健康证体检不限医院、先办后补，发放5000份体检补贴")]
RECS = ["出台专项服务方案", "纳入年度民生实事项目", "建立部门联席会议机制", "设立专项资金予以支持", "开展试点并总结推广",
        "完善相关标准和工作指引"]
OWNERS = ["市人力社保局", "市总工会", "市交通运输局", "市城管局", "市发展改革委", "市经信局", "市卫生健康委", "市市场监管局"]


def _staff(username: str):
    return get_user_model().objects.filter(username=username).select_related("staff__node").first()


def _report_text(rng, topic: str, team: str, n: int) -> str:
    """A report whose body is its own (random common characters), under a readable heading: the
    duplication check compares the body, and no two teams copy each other."""
    body = "".join(rng.choice(COMMON) for _ in range(n))
    lines = [f"关于{topic}的调研报告", f"{team}", "一、调研背景与方法", body[: n // 3], "二、主要问题", body[n // 3: 2 * n // 3],
             "三、对策建议", body[2 * n // 3:]]
    return "\n".join(lines)


def _name(rng, used: set) -> str:
    while True:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        if name not in used:
            used.add(name)
            return name


def build(builder) -> str:
    started = time.monotonic()
    admin, leader, staff, finance = (_staff(u) for u in ("hangzhou_admin", "hangzhou_leader", "hangzhou_staff",
                                                         "hangzhou_finance"))
    node = {spec.key: n for spec, n in builder.tree if spec.key}.get("hangzhou")
    if None in (admin, leader, staff, finance) or node is None:
        return "research: skipped (no Hangzhou logins)"
    rng = builder.rng
    today = timezone.localdate()
    year = today.year
    programme = services.programme_create(
        actor=admin, node=node, brand="新音台", year=year, title=f"“新音台”{year}年度年轻干部沉浸式调研",
        intro="聚焦深化产改、新就业形态劳动者建会入会、数智化改革等重大任务，年轻干部沉下去、迎上去、钻进去、走出去。",
        budget_fen=25 * 50_000_00, min_chars=1500, max_chars=30000, similarity_limit=30, approval_levels=["city"])
    topics = [services.topic_add(actor=admin, programme=programme, title=t, area=a, max_fen=50_000_00)
              for t, a in TOPICS]
    services.rule_set(actor=admin, programme=programme, kind=RuleKind.SIZE_MIN, value=3)
    services.rule_set(actor=admin, programme=programme, kind=RuleKind.SIZE_MAX, value=6)
    services.rule_set(actor=admin, programme=programme, kind=RuleKind.YOUNG_SHARE, value=60, age_limit=35)
    services.rule_set(actor=admin, programme=programme, kind=RuleKind.MENTOR, value=1)
    services.rule_set(actor=admin, programme=programme, kind=RuleKind.ADVISOR, value=1)
    programme = services.programme_transition(actor=admin, programme=programme, action="open")
    used: set[str] = set()
    members: list[TeamMember] = []
    logs: list[FieldworkLog] = []
    rider_cadre = ""
    recs_made = adopted = 0
    projects = []
    for i, topic in enumerate(topics):
        team_name = f"调研先锋队第{i + 1}队"
        p = services.project_create(actor=staff, programme=programme, topic=topic, node=node, team_name=team_name,
                                    plan=f"围绕“{topic.title}”开展蹲点调研、座谈和沉浸式体验，形成资政报告。",
                                    requested_fen=rng.choice((30_000_00, 40_000_00, 50_000_00)),
                                    payee_name="杭州市总工会", bank_name="中国工商银行杭州分行",
                                    bank_account=f"1202{rng.randrange(10**15, 10**16)}")
        size = 5 if i == RIDER_TOPIC else 3
        for k in range(size):
            name = _name(rng, used)
            if i == RIDER_TOPIC and k == 0:
                rider_cadre = name
            members.append(TeamMember(project=p, name=name, role=MemberRole.LEADER if k == 0 else MemberRole.MEMBER,
                                      birth_year=year - (rng.randint(24, 33) if k < size - 1 else rng.randint(30, 40)),
                                      front_line=k % 2 == 0, post="市总工会部室"))
        members.append(TeamMember(project=p, name=_name(rng, used), role=MemberRole.MENTOR,
                                  birth_year=year - rng.randint(42, 52), post="部室负责人"))
        members.append(TeamMember(project=p, name=_name(rng, used), role=MemberRole.ADVISOR,
                                  birth_year=year - rng.randint(50, 58), post="市总领导"))
        projects.append(p)
    # Teams and fieldwork are plain records: written in bulk, with one audit event each (as the benefits
    # demo writes its visits); every decision below goes through the services.
    TeamMember.objects.bulk_create(members)
    audit(actor=staff, verb="research_project.team_bulk", obj=programme, node_path=node.path, node_id=node.pk,
          new={"members": len(members), "projects": len(projects)})
    for n, p in enumerate(projects):
        p = services.project_submit(actor=staff, project=p)
        projects[n] = services.project_decide(actor=leader, project=p, decision="approved")
    # The first tranches (on approval) paid by finance before the fieldwork (the approver pays nothing);
    # the mid-term and completion tranches become payable later and wait for finance's next batch.
    batch, _skipped = payments.batch_create(actor=finance, programme=programme)
    paid = 0
    for pay in batch.payments.all():
        payments.mark_paid(actor=finance, payment=pay, bank_reference=f"ICBC{year}{pay.pk:06d}")
        paid += 1
    for i, (topic, p) in enumerate(zip(topics, projects, strict=True)):
        team_name = p.team_name
        # Fieldwork: the rider team's leader rode weekends and evenings, 642 orders in all.
        if i == RIDER_TOPIC:
            left = RIDER_ORDERS
            for w in range(12):  # a log per month of weekends and evenings
                n = left if w == 11 else rng.randint(50, 56)
                left -= n
                logs.append(FieldworkLog(project=p, kind="ride_along", occurred_on=today - dt.timedelta(days=330 - w * 28),
                                         place=rng.choice(("文三路商圈", "武林商圈", "滨江星光大道", "下沙高教园区")),
                                         cadre=rider_cadre, people=rng.randint(5, 15), orders=n,
                                         hours=rng.choice((40, 45, 50)), recorded_by=staff,
                                         summary="注册成为“蓝骑士”，利用双休日和下班时间跑单。"))
        for _k in range(3):
            logs.append(FieldworkLog(project=p, kind=rng.choice(("visit", "interview", "forum", "survey")),
                                     occurred_on=today - dt.timedelta(days=rng.randint(60, 280)),
                                     place=rng.choice(("滨江区某科技企业", "萧山区物流园", "余杭区直播基地", "钱塘区智能制造园区",
                                                       "拱墅区快递网点", "上城区社区服务中心")),
                                     cadre=rng.choice(sorted(used)), people=rng.randint(8, 60), hours=rng.randint(2, 6),
                                     recorded_by=staff))
    FieldworkLog.objects.bulk_create(logs)
    audit(actor=staff, verb="research_fieldwork.bulk_create", obj=programme, node_path=node.path, node_id=node.pk,
          new={"logs": len(logs), "orders": sum(x.orders for x in logs)})
    for i, (topic, p) in enumerate(zip(topics, projects, strict=True)):
        team_name = p.team_name
        p = services.midterm_check(actor=admin, project=p, verdict="pass")
        text = _report_text(rng, topic.title, team_name, rng.randint(2200, 3600))
        recs = RIDER_RECS if i == RIDER_TOPIC else [
            (rng.choice(OWNERS), f"针对{topic.title}，{rng.choice(RECS)}") for _ in range(2 if i < 15 else 1)]
        report = services.report_submit(
            actor=staff, project=p, title=f"关于{topic.title}的调研报告",
            upload=SimpleUploadedFile("report.txt", text.encode("utf-8"), content_type="text/plain"),
            recommendations="\n".join(f"{o}：{t}" for o, t in recs))
        services.report_decide(actor=admin, report=report, accept=True)
    # Adoption: 30 of the 40 recommendations became policy measures (the rider team's first of all).
    recommendations = list(Recommendation.objects.filter(report__project__programme=programme)
                           .select_related("item", "report__project").order_by("report__project__topic__seq", "seq"))
    recs_made = len(recommendations)
    order = sorted(recommendations, key=lambda r: (r.report.project.topic.seq != RIDER_TOPIC + 1, r.pk))
    for n, rec in enumerate(order):
        item = rec.item
        if n < 30:
            if n % 3 == 2:
                outcomes.evidence_add(actor=admin, item=item, kind="instruction", title="领导批示",
                                      issuer="市委主要领导", text="此建议很有价值，请相关部门研究落实。",
                                      issued_on=today - dt.timedelta(days=rng.randint(10, 120)), of_effect=True)
            else:
                outcomes.evidence_add(actor=admin, item=item, kind="policy", title=rec.text[:60],
                                      doc_number=f"杭政办〔{year}〕{n + 7}号", issuer=rec.owner,
                                      issued_on=today - dt.timedelta(days=rng.randint(10, 120)), of_effect=True)
            outcomes.item_submit(actor=admin, item=item, note="已出台政策举措")
            outcomes.item_verify(actor=leader, item=item, effective=True, comment="确认采纳落实")
            adopted += 1
        elif n % 2 == 0:
            outcomes.item_progress(actor=admin, item=item, progress=rng.choice((30, 50, 70)),
                                   note="相关部门正在研究起草实施办法")
    for k, (level, title) in enumerate((("first", "优秀调研成果"), ("second", "优秀调研成果"), ("second", "优秀调研成果"),
                                        ("third", "优秀调研成果"), ("third", "优秀调研成果"), ("third", "优秀调研成果"))):
        p = projects[RIDER_TOPIC] if k == 0 else projects[(k * 4) % len(projects)]
        if p.awards.exists():
            continue
        p.refresh_from_db()
        services.award_give(actor=admin, project=p, level=level, title=title, awarded_on=today - dt.timedelta(days=20))
    return (f"research: 新音台 {len(topics)} topics, {len(projects)} reports, {recs_made} recommendations "
            f"({adopted} adopted), {paid} tranches paid, rider cadre {RIDER_ORDERS} orders "
            f"in {time.monotonic() - started:.1f} s")
