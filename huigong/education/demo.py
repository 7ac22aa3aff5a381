"""求学圆梦 in the demo: Guangdong's programme with the seed page's figures.

- 84 graduated this year (the cohort of three years ago, 劳模工匠本科班), 80 enrolled this year (this year's
  cohort, drawn by lottery among more approved applicants, 公示 ended, enrolment confirmed, the enrolment
  tranche paid through a bank batch), 680+ helped since the start (eight cohorts);
- partner institutions (广东南粤工商职业学院, 中国劳动关系学院, 广东开放大学);
- one drop-out whose tranches stopped with a clawback recorded, one worker who left the union stopped by
  the periodic job;
- an open 2026 round with applications in review and one that failed the first check.

History (the seven earlier cohorts) is bulk-written; this year's round runs through the services and the kernel's draw,
notice and disbursement, so its draw verifies and its money reconciles."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from huigong.accounts.models import Role, StaffProfile
from huigong.core.audit import audit
from huigong.members.models import Membership, MembershipStatus, Person
from huigong.orgs.models import NodeLevel, UnionNode

from . import clock, services
from .models import (
    Application,
    ApplicationStatus,
    DegreeLevel,
    Enrolment,
    EnrolmentStatus,
    Institution,
    Major,
    Programme,
    ProgrammeStatus,
    SubsidyBatch,
)
from .services import notices as edu_notices
from .services import payments

# (years before this one, enrolled): 600 in all; the cohort of three years ago (84) graduates this year.
HISTORY = [(7, 60), (6, 70), (5, 75), (4, 80), (3, 84), (2, 110), (1, 121)]
THIS_YEAR_ENROLLED = 80
THIS_YEAR_APPLICANTS = 160
TRANCHES = [{"trigger": "enrolment", "fen": 100000}, {"trigger": "term", "term": 2, "fen": 100000},
            {"trigger": "graduation", "fen": 100000}]


def _login(builder, node, username, role, display):
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create(username=username, password=make_password(builder.password))
        StaffProfile.objects.create(user=user, node=node, role=role, display_name=display)
        builder.report.logins.append((username, str(Role(role).label), node.name))
    return user


def build(builder) -> str:
    """The decisions below notify a few hundred workers (SMS rows are written pending). In the embedded
    shape every notify() would start its own delivery thread after the demo's commit, each with its
    own database connection; here the outbox is left to one inline delivery pass instead."""
    from django.conf import settings

    mode = settings.HUIGONG_TASK_MODE
    settings.HUIGONG_TASK_MODE = "sync" if mode == "thread" else mode
    try:
        return _build(builder)
    finally:
        settings.HUIGONG_TASK_MODE = mode


def _build(builder) -> str:
    gd = next((node for spec, node in builder.tree if spec.key == "guangdong"), None)
    if gd is None:
        return "education: skipped (no Guangdong in this world)"
    people = list(Person.objects.filter(memberships__status=MembershipStatus.ACTIVE,
                                        memberships__union__path__startswith=gd.path).order_by("id")[:820])
    if len(people) < 60:
        return "education: skipped (too few Guangdong members)"
    staff = _login(builder, gd, "gd_edu_staff", Role.STAFF, "广东省总工会求学圆梦专员")
    leader = _login(builder, gd, "gd_edu_leader", Role.LEADER, "广东省总工会分管领导")
    finance = _login(builder, gd, "gd_finance", Role.FINANCE, "广东省总工会财务")
    cities = list(UnionNode.objects.filter(path__startswith=gd.path, level=NodeLevel.CITY).order_by("path"))
    for c in cities:
        _login(builder, c, f"gd_edu_{c.pk}", Role.ADMIN, f"{c.name}求学圆梦审核")
    today = timezone.localdate()
    year = today.year
    inst = {name: Institution.objects.create(node=gd, node_path=gd.path, name=name, contact=contact)
            for name, contact in (("广东南粤工商职业学院", "招生办 020-8000 0001"), ("中国劳动关系学院", "继续教育学院"),
                                  ("广东开放大学", "招生办 020-8000 0003"))}
    for p in people:  # the demo pays by bank: give members without an account one
        if not p.bank_account_mask:
            p.bank_account, p.bank_account_mask, p.bank_name = f"62220200{p.pk:08d}", f"**** {p.pk % 10000:04d}", "工商银行"
    Person.objects.bulk_update([p for p in people if p.bank_account], ["bank_account", "bank_account_mask", "bank_name"],
                               batch_size=500)
    unions = dict(Membership.objects.filter(person__in=people, status=MembershipStatus.ACTIVE)
                  .values_list("person_id", "union_id"))
    paths = dict(UnionNode.objects.filter(pk__in=set(unions.values())).values_list("pk", "path"))
    used = 0

    # --- history: the seven earlier cohorts, bulk-written --------------------------------------------------
    hist_people = people[:sum(n for _y, n in HISTORY)]
    if len(people) - len(hist_people) < THIS_YEAR_APPLICANTS + 10:
        hist_people = people[:max(0, len(people) - THIS_YEAR_APPLICANTS - 10)]
    graduated_now = 0
    for back, n in HISTORY:
        y = year - back
        batch = hist_people[used:used + n]
        used += len(batch)
        if not batch:
            continue
        bachelor = back >= 3  # 劳模工匠本科班 (8 years now); 产业工人素质提升班 (college) in its third year
        p = Programme.objects.create(
            node=gd, node_path=gd.path, title=f"{y}年{'劳模工匠本科班' if bachelor else '产业工人素质提升班'}", year=y,
            status=ProgrammeStatus.DONE, opens_on=dt.date(y, 6, 1), closes_on=dt.date(y, 7, 31), total=n, remaining=0,
            allocation="lottery", levels=[NodeLevel.CITY, NodeLevel.PROVINCE], tranches=TRANCHES, created_by=staff)
        major = Major.objects.create(programme=p, institution=inst["中国劳动关系学院" if bachelor else "广东南粤工商职业学院"],
                                     name="人力资源管理" if bachelor else "机电一体化技术",
                                     level=DegreeLevel.BACHELOR if bachelor else DegreeLevel.COLLEGE, seats=n,
                                     tuition_fen=1200000 if bachelor else 600000)
        enrolled_on = today.replace(year=y) - dt.timedelta(days=18)
        apps = Application.objects.bulk_create([Application(
            programme=p, person=x, union_id=unions[x.pk], node_path=paths[unions[x.pk]], major=major, level=major.level,
            status=ApplicationStatus.CONFIRMED, place="granted", submitted_at=timezone.make_aware(
                dt.datetime(y, 6, 15)), checked_at=timezone.make_aware(dt.datetime(y, 6, 15)), xuexin_code="HISTORY")
            for x in batch])
        grad_on = enrolled_on.replace(year=y + 3)  # three years of study
        grads = Enrolment.objects.bulk_create([Enrolment(
            application=a, programme=p, person_id=a.person_id, major=major, node_path=a.node_path,
            enrolled_on=enrolled_on, confirmed_by="institution",
            status=EnrolmentStatus.GRADUATED if grad_on <= today else EnrolmentStatus.STUDYING,
            graduated_on=grad_on if grad_on <= today else None, terms_passed=6 if grad_on <= today else 2,
            graduation_proof=f"XX{y}{a.pk:05d}" if grad_on <= today else "") for a in apps])
        graduated_now += sum(1 for e in grads if e.graduated_on and e.graduated_on.year == year)

    # --- this year: a lottery round through the services -------------------------------------------------
    cands = people[used:used + THIS_YEAR_APPLICANTS]
    title = f"{year}年求学圆梦行动·产业工人素质提升班"
    day = lambda back: today - dt.timedelta(days=back)
    with clock.travel(day(170)):
        p = services.programme_create(
            actor=staff, node=gd, title=title, year=year, opens_on=day(170), closes_on=day(120),
            total=THIS_YEAR_ENROLLED, rules={"member_months": 12, "once_per_level": True}, levels=[NodeLevel.CITY],
            tranches=TRANCHES, fallback_fen=0,
            description="面向一线职工、新就业形态劳动者和基层工会工作者，学费由工会分期补贴，毕业后取得国家承认的学历。")
        majors = [services.major_add(actor=staff, programme=p, institution=inst["广东南粤工商职业学院"], name=n,
                                     level=DegreeLevel.COLLEGE, seats=40, tuition_fen=600000)
                  for n in ("机电一体化技术", "现代物流管理")]
        services.programme_open(actor=staff, programme=p)
    now = timezone.now() - dt.timedelta(days=150)
    apps = Application.objects.bulk_create([Application(
        programme=p, person=x, union_id=unions[x.pk], node_path=paths[unions[x.pk]], major=majors[i % 2],
        level=DegreeLevel.COLLEGE, status=ApplicationStatus.SUBMITTED, submitted_at=now, applied_by=staff,
        xuexin_code=f"GD{year}{i:06d}") for i, x in enumerate(cands)])
    with clock.travel(day(119)):
        services.programme_close(actor=staff, programme=p)
        services.first_check(programme=p, actor=staff)
    # The cities' reviews (one decision each, recorded on the kernel's steps) are bulk-approved here.
    from .models import ApplicationStep

    decided = timezone.now() - dt.timedelta(days=110)
    city_admins = {s.node_id: s.user for s in StaffProfile.objects.filter(node__in=cities, user__username__startswith="gd_edu_")
                   .select_related("user")}
    for s in ApplicationStep.objects.filter(application__programme=p).select_related("node"):
        s.decision, s.decided_at, s.decided_by = "approved", decided, city_admins.get(s.node_id, leader)
        s.save(update_fields=["decision", "decided_at", "decided_by"])
    reviewed = Application.objects.filter(programme=p, status=ApplicationStatus.IN_REVIEW)
    for a in reviewed:
        services.applications._approve(a, decided)
    p.refresh_from_db()
    record = services.programme_draw(actor=staff, programme=p, seed=f"{day(90):%Y%m%d}-福彩双色球开奖号码")
    with clock.travel(day(88)):
        notice = edu_notices.notice_publish(actor=staff, programme=Programme.objects.get(pk=p.pk), days=7,
                                            contact="广东省总工会 020-8000 0000")
    with clock.travel(notice.ends_on):
        edu_notices.notice_end(actor=staff, notice=notice)
    confirmed = list(Application.objects.filter(programme=p, status=ApplicationStatus.CONFIRMED).order_by("draw_rank"))
    enrolments = []
    with clock.travel(day(18)):
        for a in confirmed:
            enrolments.append(services.enrolment_confirm(actor=staff, application=a, enrolled_on=day(18),
                                                         confirmed_by="institution", student_no=f"{year}{a.pk:06d}"))
    # The enrolment tranche, paid through a bank batch (the bank's receipts recorded one by one).
    batch, _skipped = payments.batch_create(actor=finance, programme=p, title=f"{title} 第一期补贴")
    payments.batch_bank_sheet(actor=finance, batch=batch)
    for i, pay in enumerate(batch.payments.order_by("pk")):
        payments.payment_mark_paid(actor=finance, payment=pay, bank_reference=f"GD{year}1125{i:05d}")
    # A drop-out (tranches stopped, clawback recorded where the round requires it) and a leaver.
    if len(enrolments) >= 2:
        Programme.objects.filter(pk=p.pk).update(clawback_on_dropout=True)
        services.enrolment_drop(actor=staff, enrolment=Enrolment.objects.get(pk=enrolments[-1].pk),
                                reason="工作调动到外省，无法继续学业")
        Membership.objects.filter(person_id=enrolments[-2].person_id, status=MembershipStatus.ACTIVE).update(
            status=MembershipStatus.WITHDRAWN, ended_on=today)
        services.leavers_stop()

    # --- next year's round, open now, with applications in the pipeline --------------------------------------
    nxt = services.programme_create(
        actor=staff, node=gd, title=f"{year + 1}年求学圆梦行动（申报中）", year=year + 1, opens_on=today - dt.timedelta(days=3),
        closes_on=today + dt.timedelta(days=40), total=100, rules={"member_months": 12, "once_per_level": True},
        levels=[NodeLevel.CITY], tranches=TRANCHES, carried_from=p)
    services.major_add(actor=staff, programme=nxt, institution=inst["广东开放大学"], name="工商企业管理",
                       level=DegreeLevel.COLLEGE, seats=100, tuition_fen=500000)
    services.programme_open(actor=staff, programme=nxt)
    carried = services.programme_carry_over(actor=staff, source=p, target=nxt)
    for x in people[used + THIS_YEAR_APPLICANTS:used + THIS_YEAR_APPLICANTS + 6]:
        services.application_submit(actor=staff, programme=nxt, person=x, major=nxt.majors.first(),
                                    xuexin_code="GDNEXT0001")
    total = Enrolment.objects.filter(programme__node_path__startswith=gd.path).count()
    audit(actor=None, verb="demo.education", node_path=gd.path,
          new={"enrolled_total": total, "graduated_this_year": graduated_now, "enrolled_this_year": len(enrolments),
               "draw": record.pk, "batches": SubsidyBatch.objects.filter(programme=p).count()})
    return (f"education: Guangdong {total} helped in all, {graduated_now} graduated and {len(enrolments)} enrolled "
            f"this year, draw seed {record.seed!r}, {carried} carried into the open round")
