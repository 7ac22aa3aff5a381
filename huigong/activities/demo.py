"""The events part of the demo: Liaoyuan's 大国工匠进辽源 lecture tour (four sessions, 500+ workers checked
in), Shijiazhuang's 思政课 alliance (110+ performances and 180+ events held), Qingdao 高新区's 10th
safety-knowledge contest (a question bank, a before test, the contest, an after test) and its singles
mixers (2,800+ young workers over the year), plus events open now for registration.

Past events are history: their seats are bulk-written (counters set to match, one audit event per
city). Open events take their registrations through the services, so those are audited and on the
capacity engine like real ones."""

from __future__ import annotations

import datetime as dt
import random
import time

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from huigong.core.audit import audit
from huigong.members.models import Membership, MembershipStatus, Person
from huigong.orgs.models import ServiceSite, UnionNode

from . import services
from .models import Event, EventKind, EventSession, EventStatus, Registration, Source
from .models_contest import Attempt, Contest, ContestRound, ContestStatus, Phase, Question, QuestionBank

SAFETY_QUESTIONS = [
    ("消防", "发现火灾后，应立即拨打的报警电话是？", ["110", "119", "120", "122"], 1),
    ("消防", "干粉灭火器使用时，喷嘴应对准？", ["火焰顶部", "火焰根部", "烟雾处", "任意位置"], 1),
    ("消防", "电器着火时，首先应当？", ["用水浇灭", "切断电源", "打开窗户", "继续观察"], 1),
    ("消防", "高层建筑发生火灾时，不应使用？", ["疏散楼梯", "普通电梯", "防烟楼梯间", "安全出口"], 1),
    ("消防", "身上衣服着火时，正确的做法是？", ["奔跑呼救", "就地打滚", "用手拍打", "脱衣后继续奔跑"], 1),
    ("用电", "安全电压一般不超过多少伏？", ["36 伏", "110 伏", "220 伏", "380 伏"], 0),
    ("用电", "发现有人触电，首先应当？", ["直接用手拉开", "切断电源", "泼水", "大声呼救后离开"], 1),
    ("用电", "检修电气设备前必须做到？", ["戴手套即可", "停电、验电、挂牌上锁", "通知同事", "带电作业加快进度"], 1),
    ("用电", "临时用电线路应当？", ["随意拖地", "由电工按规范架设", "缠绕在金属管上", "用铁丝绑扎"], 1),
    ("法规", "《安全生产法》规定，从业人员有权拒绝？", ["加班", "违章指挥和强令冒险作业", "参加培训", "接受检查"], 1),
    ("法规", "生产经营单位的主要负责人对本单位安全生产工作？", ["不负责任", "全面负责", "部分负责", "协助负责"], 1),
    ("法规", "发现事故隐患或不安全因素，从业人员应当？", ["自行处理", "立即报告", "视而不见", "下班后再说"], 1),
    ("法规", "安全生产工作坚持的方针是？", ["效益第一", "安全第一、预防为主、综合治理", "速度优先", "先生产后安全"], 1),
    ("防护", "进入施工现场必须佩戴？", ["安全帽", "耳机", "手表", "围巾"], 0),
    ("防护", "高处作业的高度一般是指坠落高度基准面多少米以上？", ["1 米", "2 米", "3 米", "5 米"], 1),
    ("防护", "有限空间作业前必须？", ["直接进入", "先通风、再检测、后作业", "只戴口罩", "一人进入"], 1),
    ("防护", "使用砂轮机时应佩戴？", ["防护眼镜", "耳环", "项链", "手链"], 0),
    ("急救", "心肺复苏胸外按压的频率为每分钟？", ["60–80 次", "100–120 次", "140–160 次", "40–60 次"], 1),
    ("急救", "烧伤后应立即？", ["涂牙膏", "用凉水冲洗降温", "挑破水泡", "涂酱油"], 1),
    ("急救", "怀疑颈椎损伤的伤员，搬运时应？", ["随意搬动", "保持头颈躯干成一直线", "让其自己走", "背起就跑"], 1),
]

SZ_VENUES = ["河北师范大学", "石家庄铁道大学", "冀中轨道车辆装备有限公司车间", "石家庄市工人文化宫剧场",
             "井陉矿区工业遗址", "石家庄数智信息职业学院", "裕华区社区文化中心", "长安区职工书屋"]
SZ_TOPICS = ["劳模精神进校园", "工匠精神宣讲", "红色故事会", "职工思政课", "安全生产第一课", "非遗技艺展演"]


def _nodes(builder) -> dict[str, UnionNode]:
    return {spec.key: node for spec, node in builder.tree if spec.key}


def _staff(username: str):
    return get_user_model().objects.filter(username=username).select_related("staff__node").first()


def _members(node: UnionNode, limit: int, *, rng: random.Random, where=None) -> list[tuple[int, int, int]]:
    """(person id, membership id, union id) of active members of the subtree, shuffled."""
    qs = Membership.objects.filter(status=MembershipStatus.ACTIVE, union__path__startswith=node.path)
    if where:
        qs = qs.filter(**where)
    rows = list(qs.values_list("person_id", "pk", "union_id")[: limit * 3])
    rng.shuffle(rows)
    return rows[:limit]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _history(event: Event, sessions: list[tuple[EventSession, list]], rng: random.Random, *, show: float) -> tuple[int, int]:
    """Seats of past sessions: granted, checked in (share `show`) or marked no-show; counters set to match."""
    regs, attended = [], 0
    for session, people in sessions:
        for person_id, membership_id, union_id in people:
            came = rng.random() < show
            created = session.starts_at - dt.timedelta(days=rng.randint(3, 12), minutes=rng.randint(0, 600))
            regs.append(Registration(
                session=session, person_id=person_id, membership_id=membership_id, union_id=union_id, seq=0,
                status="granted" if came else "no_show", source=Source.PORTAL, created_at=created, granted_at=created,
                checked_in_at=session.starts_at - dt.timedelta(minutes=rng.randint(1, 40)) if came else None,
                ended_at=None if came else session.ends_at, end_reason="" if came else "未签到"))
            attended += came
        EventSession.objects.filter(pk=session.pk).update(remaining=(session.total or 0) - len(people))
    Registration.objects.bulk_create(regs, batch_size=2000)
    # auto_now_add overrides created_at on insert: put the registration times back.
    return len(regs), attended


def _fix_created(event_ids: list[int]) -> None:
    from django.db.models import F

    Registration.objects.filter(session__event_id__in=event_ids).update(created_at=F("granted_at"))


def build_liaoyuan(builder, nodes, today) -> list[str]:
    city, actor = nodes.get("liaoyuan"), _staff("liaoyuan_staff")
    if city is None or actor is None:
        return []
    rng = builder.rng
    site = ServiceSite.objects.filter(union=city).first()
    tour = Event.objects.create(
        node=city, kind=EventKind.CRAFTSMEN, title="大国工匠进辽源", status=EventStatus.CLOSED, site=site,
        address="" if site else "辽源市职工之家", description="大国工匠走进辽源企业车间，讲技艺、解难题、带徒弟。",
        registration_opens_at=_at(today - dt.timedelta(days=50), 9), registration_closes_at=_at(today - dt.timedelta(days=32), 18),
        created_by=actor)
    districts = list(UnionNode.objects.filter(path__startswith=city.path, depth=city.depth + 1).order_by("path"))[:4]
    sessions, total_people = [], 0
    for i, d in enumerate(districts or [city]):
        day = today - dt.timedelta(days=30 - i * 3)
        s = EventSession.objects.create(event=tour, title=f"第 {i + 1} 站 · {d.name}", starts_at=_at(day, 9),
                                        ends_at=_at(day, 11, 30), total=160, remaining=160, is_open=False, waitlist=True)
        people = _members(d, 145, rng=rng)
        if len(people) < 145:  # a small district (or a small demo world): workers of the whole city fill the stop
            seen = {p[0] for p in people}
            people += [p for p in _members(city, 400, rng=rng) if p[0] not in seen][: 145 - len(people)]
        total_people += len(people)
        sessions.append((s, people))
    n, came = _history(tour, sessions, rng, show=0.93)
    # And one open now: the next stop, on the capacity engine through the services.
    nxt = services.event_create(actor=actor, node=city, kind=EventKind.LECTURE, title="大国工匠进辽源 · 精工汽车站",
                                site=site, address="" if site else "辽源市职工之家", max_companions=1,
                                registration_closes_at=_at(today + dt.timedelta(days=9), 18))
    s = services.session_add(actor=actor, event=nxt, title="现场授课", starts_at=_at(today + dt.timedelta(days=12), 9),
                             ends_at=_at(today + dt.timedelta(days=12), 11, 30), total=120, waitlist=True,
                             offer_seconds=24 * 3600)
    services.event_publish(actor=actor, event=nxt)
    live = 0
    for person_id, _m, _u in _members(city, 40, rng=rng):
        try:
            services.register(actor=actor, session=s, person=Person.objects.get(pk=person_id), source=Source.STAFF)
            live += 1
        except (ValidationError, PermissionDenied):  # a member outside the audience is simply not registered
            continue
    return [f"liaoyuan tour {n} seats, {came} checked in; open stop {live} registered"]


def build_shijiazhuang(builder, nodes, today) -> list[str]:
    city, actor = nodes.get("shijiazhuang"), _staff("shijiazhuang_staff")
    if city is None or actor is None:
        return []
    rng = builder.rng
    pool = _members(city, 4000, rng=rng)
    events, sessions = [], []
    tour = Event(node=city, kind=EventKind.PERFORMANCE, title="思政课文艺巡演（112 场）", status=EventStatus.CLOSED,
                 address="石家庄市各高校、企业与工业遗址", created_by=actor,
                 description="石家庄思政课联盟走进学校、企业和工业遗址的文艺巡演。")
    tour.save()
    for i in range(112):
        day = today - dt.timedelta(days=360 - i * 3)
        sessions.append(EventSession(event=tour, title=f"第 {i + 1} 场 · {SZ_VENUES[i % len(SZ_VENUES)]}",
                                     starts_at=_at(day, 14, 30), ends_at=_at(day, 16, 30), total=60, remaining=60))
    for i in range(72):
        day = today - dt.timedelta(days=355 - i * 5)
        events.append(Event(node=city, kind=[EventKind.LECTURE, EventKind.TRAINING, EventKind.VOLUNTEER][i % 3],
                            title=f"{SZ_TOPICS[i % len(SZ_TOPICS)]} · 第 {i // len(SZ_TOPICS) + 1} 期",
                            status=EventStatus.CLOSED, address=SZ_VENUES[(i * 3) % len(SZ_VENUES)], created_by=actor))
    Event.objects.bulk_create(events)
    for i, e in enumerate(events):
        day = today - dt.timedelta(days=355 - i * 5)
        sessions.append(EventSession(event=e, title="主场", starts_at=_at(day, 9), ends_at=_at(day, 11), total=50,
                                     remaining=50))
    EventSession.objects.bulk_create(sessions)
    plan, k = [], 0
    for s in sessions:
        size = rng.randint(18, 40)
        people = [pool[(k + j) % len(pool)] for j in range(min(size, len(pool)))] if pool else []
        k += size
        plan.append((s, people))
    n, came = _history(tour, plan, rng, show=0.9)
    return [f"shijiazhuang {len(events) + 1} events, {len(sessions)} sessions, {n} seats, {came} checked in"]


def build_qingdao(builder, nodes, today) -> list[str]:
    gaoxin, actor = nodes.get("qingdao_gaoxin"), _staff("qingdao_admin")
    if gaoxin is None or actor is None:
        return []
    rng = builder.rng
    out = []
    # Singles mixers: one a month over the past year, ~240 young workers each.
    young_from = today.replace(year=today.year - 35)
    young = _members(gaoxin, 3200, rng=rng, where={"person__birth_date__gte": young_from})
    plan, events = [], []
    for m in range(12):
        day = today - dt.timedelta(days=30 * (12 - m))
        e = Event.objects.create(node=gaoxin, kind=EventKind.MIXER, title=f"高新区单身青年联谊会 · {day:%Y 年 %m 月}",
                                 status=EventStatus.CLOSED, address="青岛高新区职工之家", age_min=22, age_max=35,
                                 created_by=actor)
        s = EventSession.objects.create(event=e, title="联谊会", starts_at=_at(day, 14), ends_at=_at(day, 17), total=250,
                                        remaining=250)
        people = young[m * 240:(m + 1) * 240]
        plan.append((s, people))
        events.append(e)
    n = came = 0
    for s, people in plan:
        a, b = _history(s.event, [(s, people)], rng, show=0.96)
        n, came = n + a, came + b
    out.append(f"qingdao mixers {n} seats, {came} singles checked in")
    # The next mixer, open now, with a waitlist and a claim window.
    nxt = services.event_create(actor=actor, node=gaoxin, kind=EventKind.MIXER, title="高新区单身青年联谊会 · 七夕专场",
                                address="青岛高新区职工之家", age_min=22, age_max=35,
                                registration_closes_at=_at(today + dt.timedelta(days=6), 18))
    s = services.session_add(actor=actor, event=nxt, title="联谊会", starts_at=_at(today + dt.timedelta(days=8), 14),
                             ends_at=_at(today + dt.timedelta(days=8), 17), total=30, waitlist=True,
                             offer_seconds=12 * 3600)
    services.event_publish(actor=actor, event=nxt)
    seated = 0
    for person_id, _m, _u in young[-36:]:
        try:
            services.register(actor=actor, session=s, person=Person.objects.get(pk=person_id), source=Source.STAFF)
            seated += 1
        except (ValidationError, PermissionDenied):
            continue
    out.append(f"open mixer {seated} registered (30 places, the rest waiting)")
    # The 10th safety-knowledge contest: a bank, a before test, the contest, an after test.
    bank = QuestionBank.objects.create(node=gaoxin, title="安全生产知识题库", created_by=actor)
    qs = Question.objects.bulk_create([Question(bank=bank, topic=t, text=x, choices=c, answer=a)
                                       for t, x, c, a in SAFETY_QUESTIONS])
    contest = Contest.objects.create(node=gaoxin, bank=bank, title="第十届安全生产知识竞赛", status=ContestStatus.OPEN,
                                     created_by=actor)
    rounds = []
    for i, (phase, title, days) in enumerate(((Phase.BEFORE, "培训前测", 40), (Phase.MAIN, "正式比赛", 20),
                                              (Phase.AFTER, "培训后测", 2))):
        rounds.append(ContestRound.objects.create(
            contest=contest, phase=phase, title=title, opens_at=_at(today - dt.timedelta(days=days), 8),
            closes_at=_at(today - dt.timedelta(days=days) + dt.timedelta(days=7 if phase != Phase.AFTER else 9), 20),
            time_limit_seconds=600, attempts_limit=2 if phase == Phase.MAIN else 1, question_count=10))
    everyone = _members(gaoxin, 900, rng=rng)
    ids = [q.pk for q in qs]
    answer = {q.pk: q.answer for q in qs}
    attempts = []
    for rnd in rounds:
        skill = {Phase.BEFORE: 0.55, Phase.MAIN: 0.72, Phase.AFTER: 0.84}[rnd.phase]
        takers = everyone[: 700 if rnd.phase == Phase.MAIN else 420]
        for person_id, _m, union_id in takers:
            picked = rng.sample(ids, rnd.question_count)
            given = {str(q): (answer[q] if rng.random() < skill else (answer[q] + 1) % 4) for q in picked}
            start = rnd.opens_at + dt.timedelta(minutes=rng.randint(0, 6000))
            ms = rng.randint(90_000, 590_000)
            attempts.append(Attempt(round=rnd, person_id=person_id, union_id=union_id, number=1, questions=picked,
                                    answers=given, started_at=start, deadline=start + dt.timedelta(seconds=600),
                                    finished_at=start + dt.timedelta(milliseconds=ms),
                                    score=sum(1 for q in picked if given[str(q)] == answer[q]), duration_ms=ms))
    Attempt.objects.bulk_create(attempts, batch_size=2000)
    out.append(f"safety contest {len(attempts)} attempts by {len(everyone)} workers")
    # An upcoming knowledge round open to everyone in 高新区 for the portal.
    ContestRound.objects.create(contest=contest, phase=Phase.MAIN, title="线上复赛", opens_at=_at(today, 0),
                                closes_at=_at(today + dt.timedelta(days=20), 20), time_limit_seconds=300,
                                attempts_limit=3, question_count=10)
    return out


def build(builder) -> str:
    started = time.monotonic()
    today = timezone.localdate()
    nodes = _nodes(builder)
    lines = []
    lines += build_liaoyuan(builder, nodes, today)
    lines += build_shijiazhuang(builder, nodes, today)
    lines += build_qingdao(builder, nodes, today)
    _fix_created(list(Event.objects.filter(status=EventStatus.CLOSED).values_list("pk", flat=True)))
    from .checkin_demo import build as checkin_build  # check-in's rows for the attended seats

    lines.append(checkin_build(list(Event.objects.filter(status=EventStatus.CLOSED).values_list("pk", flat=True))))
    audit(actor=None, verb="demo.activities", object_type="activities.event", object_repr="demo",
          new={"summary": lines})
    return "activities: " + "; ".join(lines) + f" in {time.monotonic() - started:.1f} s"
