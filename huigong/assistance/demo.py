"""The assistance part of the demo world, built through the services (every step audited as in real use).

- Golmud (格尔木市总工会): a screening rule (低保 720 yuan/month), a sweep with visits over three of its
  unions, 12 hardship files from the flagged visits, the 三助 programmes (生活救助, 大病救助, 金秋助学) with
  budgets and a household cap, applications approved through grassroots and district, a notice
  published and ended, and a ceremony batch paying the 12 households 138,300.00 yuan in all.
- Hangzhou (西湖区骑手联合工会 → 西湖区总工会 → 杭州市总工会) and Qingdao (高新区): open cases at every stage:
  draft, submitted at each level, returned, rejected, in notice, notice ended awaiting payment, a
  failed payout.

Approvers are extra demo logins created here (their names are in the report with the others)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db.models import Count, Q
from django.utils import timezone

from huigong.accounts.models import Role, StaffProfile
from huigong.core import idnumber
from huigong.members.models import Membership, MembershipStatus
from huigong.orgs.models import UnionNode

from . import clock
from .models import HardshipFile
from .services import aid, approval, files, notices, payouts, screening

# Golmud's ceremony: (union index, causes, [(programme, yuan)]) per household; 138,300 yuan in all.
GOLMUD_HOUSEHOLDS = [
    (0, ["illness", "schooling"], [("living", 8_000), ("education", 5_000)]),
    (0, ["illness"], [("illness", 20_000)]),
    (0, ["low_income"], [("living", 6_000)]),
    (0, ["disability"], [("living", 8_000)]),
    (1, ["illness"], [("illness", 15_000)]),
    (1, ["job_loss", "schooling"], [("living", 10_000), ("education", 5_000)]),
    (1, ["low_income"], [("living", 6_000)]),
    (1, ["illness", "work_injury"], [("illness", 18_000)]),
    (2, ["work_injury"], [("living", 8_000)]),
    (2, ["low_income", "disability"], [("living", 7_300)]),
    (2, ["illness"], [("illness", 12_000)]),
    (2, ["disaster"], [("living", 10_000)]),
]
GOLMUD_TOTAL_FEN = 13_830_000
GOLMUD_UNIONS = ("昆仑盐湖钾肥有限公司工会", "柴达木石油炼化有限公司工会", "格尔木市货车司机联合工会")
PROGRAMMES = {
    "living": ("生活救助", "up_to", 1_000_000, [], [], 12_000_000),
    "illness": ("大病救助", "up_to", 2_000_000, [], ["illness"], 10_000_000),
    "education": ("金秋助学", "fixed", 500_000, [], ["schooling"], 3_000_000),
}


class _Ctx:
    def __init__(self, builder):
        self.b = builder
        self.rng = builder.rng
        self.hashed = make_password(builder.password)
        self.today = timezone.localdate()
        self.year = self.today.year
        self.used: set[int] = set()
        self.counts = {"files": 0, "applications": 0}

    def login(self, node: UnionNode, username: str, role: str, display: str):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create(username=username, password=self.hashed)
            StaffProfile.objects.create(user=user, node=node, role=role, display_name=display)
            self.b.report.logins.append((username, str(Role(role).label), node.name))
        return user

    def existing(self, username: str):
        return get_user_model().objects.filter(username=username).first()

    def members_of(self, union: UnionNode, n: int) -> list:
        ms = list(Membership.objects.filter(union=union, status=MembershipStatus.ACTIVE)
                  .exclude(person_id__in=self.used).select_related("person").order_by("id")[: n * 3])
        picked = [m.person for m in ms if not HardshipFile.objects.filter(head=m.person).exists()][:n]
        self.used.update(p.pk for p in picked)
        return picked

    def bank_account(self) -> str:
        return "6228" + "".join(str(self.rng.randint(0, 9)) for _ in range(15))

    def file(self, actor, person, *, causes, income_fen, size=3, visit=None, level="deep", students=0):
        members = []
        region = person.id_number_mask[:6] if person.id_number_mask[:6].isdigit() else "330106"
        if size >= 2:
            members.append({"name": person.name[0] + self.rng.choice("秀兰桂芳玉梅"), "relation": "配偶",
                            "id_number": idnumber.random_number(self.rng, region, min_age=25, max_age=55)})
        for i in range(students):
            members.append({"name": person.name[0] + self.rng.choice("子晨雨轩浩然"), "relation": "子女",
                            "id_number": idnumber.random_number(self.rng, region, min_age=17, max_age=19),
                            "is_student": True})
        f = files.hardship_file_create(
            actor=actor, head=person, causes=causes, household_size=size, monthly_income_fen=income_fen,
            rigid_expense_fen=80_000 if "illness" in causes else 0, level=level,
            level_reason="" if level == "deep" else "入户核实，家庭刚性支出大",
            situation="家庭收入低，" + ("家人患重病，" if "illness" in causes else "") + "生活困难。",
            members=members, bank_name="中国农业银行", bank_account=self.bank_account(), source_visit=visit)
        f = files.hardship_file_open(actor=actor, file=f, verified_on=self.today - dt.timedelta(days=60),
                                     verification_note="工会干部入户核实，情况属实。")
        self.counts["files"] += 1
        return f

    def programme(self, actor, node, kind, *, levels, notice_days=7):
        name, mode, amount, levels_ok, causes, budget = PROGRAMMES[kind]
        kind_value = {"living": "living", "illness": "illness", "education": "education"}[kind]
        p = aid.programme_create(actor=actor, node=node, kind=kind_value, name=f"{self.year}年{name}", year=self.year,
                                 amount_fen=amount, amount_mode=mode, approval_levels=levels,
                                 eligible_levels=levels_ok, required_causes=causes, notice_days=notice_days,
                                 description=f"{node.name}{self.year}年度{name}项目。")
        aid.programme_open(actor=actor, programme=p)
        aid.programme_budget_set(actor=actor, programme=p, node=node, total_fen=budget)
        return p

    def apply(self, actor, programme, file, amount_fen, submit=True):
        app = aid.aid_application_create(actor=actor, programme=programme, file=file, amount_fen=amount_fen,
                                         reason="经走访核实，家庭生活困难，申请帮扶。")
        self.counts["applications"] += 1
        return aid.aid_application_submit(actor=actor, application=app) if submit else app

    def decide(self, app, approvers: dict, *, until=None, decision="approved", comment="情况属实，同意。"):
        """Approve step by step; `until` = number of approvals to give (None: all). Then `decision` if it
        is not "approved" (returned/rejected at the next step)."""
        given = 0
        while app.status == "submitted" and (until is None or given < until):
            step = approval.current_step(app)
            app = approval.approval_decide(actor=approvers[step.node_id], application=app, decision="approved",
                                           comment=comment)
            given += 1
        if decision != "approved" and app.status == "submitted":
            step = approval.current_step(app)
            app = approval.approval_decide(actor=approvers[step.node_id], application=app, decision=decision,
                                           comment="材料不全，请补充收入证明。" if decision == "returned"
                                           else "家庭收入超过困难标准，不予批准。")
        return app


class _Approvers(dict):
    """Approvers by node id; a node without one gets a chair login on first use."""

    def __init__(self, c: _Ctx, known: dict, prefix: str):
        super().__init__(known)
        self.c, self.prefix = c, prefix

    def __missing__(self, node_id):
        node = UnionNode.objects.get(pk=node_id)
        user = self.c.login(node, f"{self.prefix}{len(self) + 1}", Role.ADMIN, f"{node.name}主席")
        self[node_id] = user
        return user


def _nodes(builder) -> dict:
    return {spec.key: node for spec, node in builder.tree if spec.key}


def _child(node: UnionNode, name: str) -> UnionNode | None:
    return UnionNode.objects.filter(path__startswith=node.path, name=name).first()


def _golmud(c: _Ctx, golmud: UnionNode) -> str:
    staff = c.existing("golmud_staff") or c.login(golmud, "golmud_staff", Role.STAFF, "格尔木市总工会工作人员")
    finance = c.existing("golmud_finance") or c.login(golmud, "golmud_finance", Role.FINANCE, "格尔木市总工会财务")
    leader = c.login(golmud, "golmud_leader", Role.LEADER, "格尔木市总工会领导")
    unions = [_child(golmud, n) for n in GOLMUD_UNIONS]
    if any(u is None for u in unions):
        return "assistance: skipped Golmud (unions missing)"
    approvers = {golmud.pk: leader}
    for i, u in enumerate(unions):
        approvers[u.pk] = c.login(u, f"golmud_union{i + 1}_chair", Role.ADMIN, f"{u.name}主席")
    approvers = _Approvers(c, approvers, "golmud_chair")
    # Screening: the rule, a sweep over Golmud, visits (12 flagged households among others).
    screening.screening_rule_create(actor=staff, node=golmud, dibao_fen=72_000, relative_multiple=Decimal("1.5"),
                                    effective_from=dt.date(c.year, 1, 1), note="格尔木市城乡低保标准 720 元/人·月")
    sweep = screening.sweep_open(actor=staff, node=golmud, title=f"{c.year}年困难职工拉网式摸底排查", year=c.year,
                                 deadline=c.today + dt.timedelta(days=30))
    # The 12 households come from the three unions (four each) or, in a small demo world, from any union
    # of Golmud; up to 18 more members are visited and found above the line.
    others = list(UnionNode.objects.filter(path__startswith=golmud.path, level__in=["grassroots", "joint",
                                                                                     "township", "industry"])
                  .exclude(pk__in=[u.pk for u in unions]).order_by("path"))
    pool = [p for u in unions for p in c.members_of(u, 10)]
    pool += [p for u in others for p in c.members_of(u, 10)] if len(pool) < 30 else []
    if len(pool) < len(GOLMUD_HOUSEHOLDS):
        return "skipped (too few members in Golmud)"
    heads, rest = pool[:len(GOLMUD_HOUSEHOLDS)], pool[len(GOLMUD_HOUSEHOLDS):30]
    visits = {}
    for k, person in enumerate(heads + rest):
        poor = k < len(heads)
        facts = {"household_size": 3, "monthly_income_fen": 150_000 if poor else 900_000 + 10_000 * k,
                     "rigid_expense_fen": 80_000 if poor else 0, "has_illness": poor and k % 2 == 0,
                     "children_in_school": 1 if poor and "schooling" in GOLMUD_HOUSEHOLDS[k][1] else 0}
        visits[person.pk] = screening.sweep_visit_record(
            actor=staff, sweep=sweep, person=person, visited_on=c.today - dt.timedelta(days=75 - k % 30),
            note="入户走访", **facts)
    screening.sweep_rules_apply(actor=staff, sweep=sweep)
    # Files, programmes, applications.
    progs = {k: c.programme(staff, golmud, k, levels=["grassroots", "district"]) for k in PROGRAMMES}
    aid.household_cap_set(actor=staff, node=golmud, year=c.year, cap_fen=2_000_000)
    apps = []
    for person, (_, causes, grants) in zip(heads, GOLMUD_HOUSEHOLDS, strict=True):
        f = c.file(staff, person, causes=causes, income_fen=150_000, visit=visits[person.pk],
                   students=1 if "schooling" in causes else 0)
        for kind, yuan in grants:
            apps.append(c.decide(c.apply(staff, progs[kind], f, yuan * 100), approvers))
    with clock.travel(c.today - dt.timedelta(days=20)):  # the round was published three weeks ago
        notice = notices.notice_publish(actor=staff, node=golmud, applications=apps,
                                        title=f"格尔木市总工会{c.year}年度困难职工帮扶资金发放公示",
                                        contact="0979-8412345 格尔木市总工会帮扶中心", days=7,
                                        body="经基层工会申报、市总工会审核，拟对以下困难职工家庭给予帮扶，现予公示。")
    with clock.travel(c.today):
        notices.notice_end(actor=staff, notice=notice)
    batch = payouts.payout_batch_create(actor=finance, node=golmud, title=f"{c.year}年度困难职工帮扶集中发放仪式")
    paid_on = c.today - dt.timedelta(days=10)
    for i, p in enumerate(batch.payouts.order_by("pk"), start=1):
        payouts.payout_mark_paid(actor=finance, payout=p, bank_reference=f"ABC{paid_on:%Y%m%d}{i:05d}",
                                 paid_on=paid_on)
    total = sum(a.amount_approved_fen for a in apps)
    assert total == GOLMUD_TOTAL_FEN, total
    return f"12 户 {total / 100:,.2f} 元"


def _hangzhou(c: _Ctx, hangzhou: UnionNode, xihu: UnionNode, riders: UnionNode) -> str:
    admin = c.existing("hangzhou_admin") or c.login(hangzhou, "hangzhou_admin", Role.ADMIN, "杭州市总工会管理员")
    leader = c.existing("hangzhou_leader") or c.login(hangzhou, "hangzhou_leader", Role.LEADER, "杭州市总工会领导")
    finance = c.existing("hangzhou_finance") or c.login(hangzhou, "hangzhou_finance", Role.FINANCE, "杭州市总工会财务")
    xihu_leader = c.login(xihu, "xihu_leader", Role.LEADER, "西湖区总工会领导")
    riders_chair = c.login(riders, "riders_chair", Role.ADMIN, "骑手联合工会主席")
    approvers = {hangzhou.pk: leader, xihu.pk: xihu_leader, riders.pk: riders_chair}
    screening.screening_rule_create(actor=admin, node=hangzhou, dibao_fen=118_000, relative_multiple=Decimal("1.5"),
                                    effective_from=dt.date(c.year, 1, 1), note="杭州市低保标准 1180 元/人·月")
    living = c.programme(admin, hangzhou, "living", levels=["grassroots", "district", "city"], notice_days=5)
    illness = c.programme(admin, hangzhou, "illness", levels=["grassroots", "district", "city"], notice_days=5)
    aid.household_cap_set(actor=admin, node=hangzhou, year=c.year, cap_fen=3_000_000)
    people = c.members_of(riders, 10)
    if len(people) < 10:  # a small demo world: the riders' union lends what it has, its neighbours the rest
        for u in UnionNode.objects.filter(path__startswith=xihu.path, level__in=["grassroots", "joint", "township"]
                                          ).exclude(pk=riders.pk).order_by("path"):
            people += c.members_of(u, 10 - len(people))
            if len(people) >= 10:
                break
    if len(people) < 10:
        return ""
    approvers = _Approvers(c, approvers, "xihu_chair")
    fs = [c.file(admin, p, causes=["illness"] if i % 2 else ["work_injury", "illness"], income_fen=200_000)
          for i, p in enumerate(people)]
    c.apply(admin, living, fs[0], 600_000, submit=False)                     # draft
    c.apply(admin, living, fs[1], 800_000)                                   # at the riders' union
    c.decide(c.apply(admin, illness, fs[2], 1_500_000), approvers, until=1)  # at 西湖区
    c.decide(c.apply(admin, living, fs[3], 700_000), approvers, until=2)     # at 杭州市
    c.decide(c.apply(admin, living, fs[4], 900_000), approvers, until=1, decision="returned")
    c.decide(c.apply(admin, living, fs[5], 500_000), approvers, decision="rejected", until=0)
    in_notice = c.decide(c.apply(admin, illness, fs[6], 1_800_000), approvers)
    with clock.travel(c.today - dt.timedelta(days=1)):
        notices.notice_publish(actor=admin, node=hangzhou, applications=[in_notice],
                               title=f"杭州市总工会{c.year}年第二批大病救助公示", contact="0571-85123456", days=5)
    ended = [c.decide(c.apply(admin, living, fs[i], 1_000_000), approvers) for i in (7, 8, 9)]
    with clock.travel(c.today - dt.timedelta(days=12)):
        n = notices.notice_publish(actor=admin, node=hangzhou, applications=ended,
                                   title=f"杭州市总工会{c.year}年第一批生活救助公示", contact="0571-85123456", days=5)
    with clock.travel(c.today):
        notices.notice_end(actor=admin, notice=n)
    batch = payouts.payout_batch_create(actor=finance, node=hangzhou, title=f"{c.year}年第一批生活救助发放",
                                        applications=ended[:1])
    payouts.payout_batch_mark_sent(actor=finance, batch=batch)
    payouts.payout_mark_failed(actor=finance, payout=batch.payouts.get(), reason="收款账号已销户，户名与账号不符")
    return "杭州 10 件（各环节）"


def _qingdao(c: _Ctx, gaoxin: UnionNode) -> str:
    admin = c.existing("qingdao_admin") or c.login(gaoxin, "qingdao_admin", Role.ADMIN, "青岛高新区总工会管理员")
    union = (UnionNode.objects.filter(path__startswith=gaoxin.path, level="grassroots")
             .annotate(n=Count("memberships", filter=Q(memberships__status=MembershipStatus.ACTIVE)))
             .order_by("-n", "path").first())
    if union is None or union.n < 3:
        return ""
    chair = c.login(union, "qingdao_union_chair", Role.ADMIN, f"{union.name}主席")
    # The admin applies, so the district's step is the leader's: nobody approves what they applied for.
    leader = c.existing("qingdao_leader") or c.login(gaoxin, "qingdao_leader", Role.LEADER, "青岛高新区总工会领导")
    approvers = {gaoxin.pk: leader, union.pk: chair}
    screening.screening_rule_create(actor=admin, node=gaoxin, dibao_fen=103_000, relative_multiple=Decimal("1.5"),
                                    effective_from=dt.date(c.year, 1, 1), note="青岛市低保标准 1030 元/人·月")
    living = c.programme(admin, gaoxin, "living", levels=["grassroots", "district"], notice_days=5)
    fs = [c.file(admin, p, causes=["illness"], income_fen=180_000) for p in c.members_of(union, 3)]
    c.apply(admin, living, fs[0], 500_000)
    c.decide(c.apply(admin, living, fs[1], 800_000), approvers)  # approved, awaiting its notice
    c.decide(c.apply(admin, living, fs[2], 600_000), approvers, until=0, decision="returned")
    return "青岛 3 件"


def build(builder) -> str:
    nodes = _nodes(builder)
    c = _Ctx(builder)
    parts = []
    if nodes.get("golmud"):
        parts.append("格尔木 " + _golmud(c, nodes["golmud"]))
    if nodes.get("hangzhou") and nodes.get("xihu") and nodes.get("xihu_riders"):
        parts.append(_hangzhou(c, nodes["hangzhou"], nodes["xihu"], nodes["xihu_riders"]))
    if nodes.get("qingdao_gaoxin"):
        parts.append(_qingdao(c, nodes["qingdao_gaoxin"]))
    return (f"assistance: {c.counts['files']} hardship files, {c.counts['applications']} applications; "
            + "; ".join(p for p in parts if p))
