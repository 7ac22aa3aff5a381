"""The check-ups part of the demo: Qingdao 高新区's yearly free 劳动用工法治体检 over its 94 enterprises,
1,000+ findings in realistic categories, most rectified and signed off at the return visit, some overdue
(escalated), a few reopened when the return visit found the problem back; instruments with replies.

The campaign, its checklist and the enrolment go through the services; the visits' rows (responses,
findings with their tracked items and timelines, instruments) are bulk-written with one audit event, as
the benefits demo writes its visits, so the demo stays within a second or two."""

from __future__ import annotations

import datetime as dt
import time

from django.contrib.auth import get_user_model
from django.utils import timezone

from huigong.core.audit import audit
from huigong.core.outcomes.models import EntryKind, Evidence, TimelineEntry, TrackedItem
from huigong.core.outcomes.models import Status as S
from huigong.core.outcomes.services import escalation_target
from huigong.orgs.models import Enterprise, UnionNode

from . import services, tally
from .models import Answer, Examination, ExamStatus, Finding, Instrument, InstrumentKind, Response

TARGET_FINDINGS = 1060
# Category weights and the problems a labour-law check-up finds in each (the pool the demo draws from).
ISSUES = {
    "contract": (18, ("新入职职工超过一个月未签订书面劳动合同", "劳动合同缺少工作地点、劳动报酬等必备条款", "试用期约定超过法定期限",
                      "劳动合同期满未及时续订", "解除劳动合同未出具书面证明")),
    "wages": (14, ("工资支付台账不全，未保存两年", "加班工资计算基数低于法定标准", "未按月足额支付工资，存在拖欠",
                   "工资条未列明各项目", "绩效工资扣减无依据")),
    "hours": (13, ("月加班时长超过36小时", "未落实带薪年休假", "综合工时制未经审批", "法定节假日安排工作未支付三倍工资")),
    "insurance": (12, ("部分职工未参加社会保险", "社保缴费基数低于实际工资", "新入职职工社保参保不及时")),
    "female": (8, ("未签订女职工权益保护专项集体合同", "孕期女职工安排夜班", "未设立哺乳室或爱心妈妈小屋")),
    "dispatch": (5, ("劳务派遣用工比例超过10%", "派遣职工与本单位职工同工不同酬")),
    "rules": (9, ("规章制度未经职工代表大会或全体职工讨论", "规章制度未向职工公示", "奖惩制度存在违法罚款条款")),
    "democracy": (7, ("未建立职工代表大会制度", "厂务公开内容不全、不及时")),
    "collective": (6, ("未开展工资集体协商", "集体合同到期未续签", "集体合同未报送人社部门审查")),
    "union": (4, ("工会经费未按工资总额2%拨缴", "工会委员会未按期换届")),
    "other": (4, ("未建立劳动争议调解委员会", "职工投诉渠道未公开")),
}
SEVERITY = (("low", 35), ("medium", 40), ("high", 20), ("critical", 5))
# What becomes of a finding: closed at the return visit, waiting for it, still being fixed, reopened.
FATES = (("closed", 86), ("verifying", 4), ("in_progress", 5), ("reopened", 2), ("open", 3))


def _pick(rng, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def build(builder) -> str:
    started = time.monotonic()
    rng = builder.rng
    gaoxin = UnionNode.objects.filter(name="青岛高新区总工会").first()
    admin = get_user_model().objects.filter(username="qingdao_admin").first()
    if gaoxin is None or admin is None:
        return "checkups: no 青岛高新区总工会 in this world"
    enterprises = list(Enterprise.objects.filter(union__path__startswith=gaoxin.path).select_related("union")
                       .order_by("id"))
    today = timezone.localdate()
    year = today.year
    tpl = services.template_seed(actor=admin, node=gaoxin, kind="legal")
    services.template_seed(actor=admin, node=gaoxin, kind="safety")
    start = dt.date(year, 3, 1)
    campaign = services.campaign_create(actor=admin, node=gaoxin, title=f"{year}年高新区劳动用工法治体检", kind="legal",
                                        year=year, templates=[tpl], starts_on=start,
                                        ends_on=max(start, today - dt.timedelta(days=7)))
    services.campaign_enroll(actor=admin, campaign=campaign, enterprises=enterprises)
    items = services.checklist(campaign)
    exams = list(campaign.examinations.select_related("enterprise", "union").order_by("id"))
    per_exam = _spread(rng, TARGET_FINDINGS, len(exams))
    span = max(30, (today - dt.timedelta(days=75) - start).days)
    responses, rows, instruments = [], [], []
    cats = [(c, w) for c, (w, _) in ISSUES.items()]
    for exam, n in zip(exams, per_exam, strict=True):
        visited = start + dt.timedelta(days=rng.randrange(span))
        visit_at = timezone.make_aware(dt.datetime.combine(visited, dt.time(10)))
        failing = {it.pk for it in rng.sample(items, k=min(len(items), rng.randint(1, 5)))}
        answers = {}
        for it in items:
            a = (Answer.NO if rng.random() < 0.6 else Answer.PARTLY) if it.pk in failing else Answer.YES
            answers[it.pk] = a
            self_a = Answer.YES if it.pk in failing and rng.random() < 0.5 else a
            responses.append(Response(examination=exam, template_item=it, stage="visit", answer=a, answered_by=admin,
                                      answered_at=visit_at, note="现场查阅台账、访谈职工" if a != Answer.YES else ""))
            responses.append(Response(examination=exam, template_item=it, stage="self", answer=self_a,
                                      answered_at=visit_at - dt.timedelta(days=10)))
        exam.status, exam.visited_on, exam.visited_by = ExamStatus.VISITED, visited, admin
        exam.visit_team = "高新区总工会法律服务团、律师事务所志愿律师"
        exam.score = services.score_of(items, answers)
        exam.self_score = services.score_of(items, {it.pk: Answer.YES for it in items})
        exam.self_assessed_at = visit_at - dt.timedelta(days=10)
        exam.return_visit_due = visited + dt.timedelta(days=campaign.return_visit_days)
        from_items = [it for it in items if it.pk in failing][:n]
        for k in range(n):
            if k < len(from_items):
                it = from_items[k]
                cat, text, basis, tpl_item = it.category, it.text, it.legal_basis, it
                text = rng.choice(ISSUES[cat][1]) if cat in ISSUES else it.text
            else:
                cat = _pick(rng, cats)
                text, basis, tpl_item = rng.choice(ISSUES[cat][1]), "", None
            rows.append({"exam": exam, "category": cat, "text": text, "basis": basis, "tpl": tpl_item,
                         "severity": _pick(rng, SEVERITY), "fate": _pick(rng, FATES), "at": visit_at,
                         "due": visited + dt.timedelta(days=campaign.rectify_days + rng.choice((0, 0, 15, 30)))})
        kind = InstrumentKind.OPINION if n >= 6 else rng.choice((InstrumentKind.REMINDER, InstrumentKind.RECOMMENDATION))
        issued = visited + dt.timedelta(days=rng.randint(3, 10))
        replied = issued + dt.timedelta(days=rng.randint(5, 20)) if rng.random() < 0.93 else None
        instruments.append(Instrument(examination=exam, kind=kind, number=f"工法{'提意建'[['reminder', 'opinion', 'recommendation'].index(kind)]}〔{year}〕{exam.pk}号",
                                      issued_on=issued, reply_due=issued + dt.timedelta(days=campaign.reply_days),
                                      replied_on=replied, accepted=(rng.random() < 0.9) if replied else None,
                                      reply_text="企业已制定整改方案，按期整改" if replied else "", issued_by=admin))
    Response.objects.bulk_create(responses, batch_size=2000)
    Instrument.objects.bulk_create(instruments, batch_size=1000)
    inst_of = {i.examination_id: i for i in Instrument.objects.filter(examination__campaign=campaign)}
    tracked, entries, evidence, findings = [], [], [], []
    fates_by_exam: dict[int, list[str]] = {}
    # The return visit (35–60 days after the visit, where that day has come, for 19 firms in 20) is
    # where findings are signed off: a firm not yet revisited has none closed, only submitted.
    revisit = {}
    for exam in exams:
        day = exam.visited_on + dt.timedelta(days=rng.randint(35, 60))
        if day <= today and rng.random() < 0.95:
            revisit[exam.pk] = day
    for r in rows:
        exam, fate, at = r["exam"], r["fate"], r["at"]
        due = r["due"]
        if fate == "closed" and exam.pk not in revisit:
            fate = r["fate"] = "verifying"
        ended = (timezone.make_aware(dt.datetime.combine(revisit[exam.pk], dt.time(15))) if fate == "closed"
                 else None)
        live = fate != "closed"
        status = {"closed": S.CLOSED, "verifying": S.VERIFYING, "in_progress": S.IN_PROGRESS, "reopened": S.REOPENED,
                  "open": S.OPEN}[fate]
        progress = {"closed": 100, "verifying": 100, "in_progress": rng.choice((20, 40, 60, 80)), "reopened": 60,
                    "open": 0}[fate]
        depth = len(exam.union.path) // 4
        level = escalation_target((today - due).days, depth) if live and due < today else 0
        item = TrackedItem(kind=services.FINDING_KIND, source_id="", title=f"{exam.enterprise.name}：{r['text']}"[:200],
                           category=r["category"], severity=r["severity"], node=exam.union, owner_kind="enterprise",
                           owner_enterprise=exam.enterprise, owner_name=exam.enterprise.name, status=status,
                           progress=progress, due_date=due, escalation_level=level, cycle=1 if fate == "reopened" else 0,
                           created_by=admin, created_at=at, ended_at=ended)
        tracked.append(item)
        findings.append(Finding(campaign=campaign, examination=exam, template_item=r["tpl"], category=r["category"],
                                severity=r["severity"], description=r["text"], legal_basis=r["basis"],
                                recommendation="依法整改，并将整改情况书面报送区总工会", instrument=inst_of.get(exam.pk),
                                item=item, created_at=at))
        fates_by_exam.setdefault(exam.pk, []).append(fate)
        entries.append(TimelineEntry(item=item, at=at, kind=EntryKind.CREATED, to_status=S.OPEN, progress=0,
                                     text=item.title, actor=admin, actor_label=admin.username))
        if fate == "open":
            continue
        step = at + dt.timedelta(days=3)
        entries.append(TimelineEntry(item=item, at=step, kind=EntryKind.STATUS, from_status=S.OPEN,
                                     to_status=S.IN_PROGRESS, progress=progress, actor_label="企业工会"))
        if fate in ("closed", "verifying", "reopened"):
            sub = (ended or timezone.make_aware(dt.datetime.combine(min(today, due), dt.time(9)))) - dt.timedelta(days=5)
            sub = max(sub, step + dt.timedelta(hours=1))
            evidence.append(Evidence(item=item, kind="note", title="整改情况报告", of_effect=True, cycle=0,
                                     text="已完成整改，附整改前后对比材料", added_at=sub))
            entries.append(TimelineEntry(item=item, at=sub, kind=EntryKind.STATUS, from_status=S.IN_PROGRESS,
                                         to_status=S.VERIFYING, progress=100, actor_label="企业工会"))
            if fate == "closed":
                entries.append(TimelineEntry(item=item, at=ended, kind=EntryKind.VERDICT, from_status=S.VERIFYING,
                                             to_status=S.CLOSED, progress=100, text="回访核实，整改到位", actor=admin,
                                             actor_label=admin.username))
            if fate == "reopened":
                entries.append(TimelineEntry(item=item, at=sub + dt.timedelta(days=4), kind=EntryKind.VERDICT,
                                             from_status=S.VERIFYING, to_status=S.REOPENED, progress=60,
                                             text="回访发现问题仍然存在", actor=admin, actor_label=admin.username))
    TrackedItem.objects.bulk_create(tracked, batch_size=1000)
    Finding.objects.bulk_create(findings, batch_size=1000)
    for f in findings:
        f.item.source_id = str(f.pk)
    TrackedItem.objects.bulk_update([f.item for f in findings], ["source_id"], batch_size=1000)
    TimelineEntry.objects.bulk_create(entries, batch_size=2000)
    Evidence.objects.bulk_create(evidence, batch_size=2000)
    for exam in exams:
        fates = fates_by_exam.get(exam.pk, [])
        if exam.pk in revisit:
            exam.status, exam.return_visited_on = ExamStatus.RETURN_VISITED, revisit[exam.pk]
            exam.return_visit_note = "回访核实整改情况，已整改问题办结" + ("，未整改问题继续督办" if any(
                f != "closed" for f in fates) else "")
    Examination.objects.bulk_update(exams, ["status", "visited_on", "visited_by", "visit_team", "score", "self_score",
                                            "self_assessed_at", "return_visit_due", "return_visited_on",
                                            "return_visit_note"], batch_size=500)
    tally.rebuild(campaign)  # the rows above went round the services: the report's tally is counted once here
    audit(actor=admin, verb="checkups.demo_build", obj=campaign, node_path=gaoxin.path,
          new={"enterprises": len(exams), "findings": len(findings)})
    closed = sum(1 for r in rows if r["fate"] == "closed")
    return (f"checkups: {len(exams)} enterprises examined, {len(findings)} findings ({closed} rectified) "
            f"in {time.monotonic() - started:.1f} s")


def _spread(rng, total: int, n: int) -> list[int]:
    if n == 0:
        return []
    weights = [rng.uniform(0.4, 1.8) for _ in range(n)]
    scale = total / sum(weights)
    out = [max(3, round(w * scale)) for w in weights]
    out[-1] = max(3, out[-1] + total - sum(out))
    return out
