"""The benefits part of the demo: Qingdao 高新区's free check-ups for 5,000+ workers of 70+ enterprises
(a quota with per-enterprise sub-quotas, a few hundred claims made), a singles mixer with a waitlist,
winter and summer visits (冬送温暖/夏送清凉), profiles and usage counts for the service sites, and
Hangzhou's 5,000 health-certificate subsidies for riders with reimbursements at every stage.

Claims, reimbursements and payments go through the services (so they are audited and notified like
real ones); visits and usage days, which are plain records, are bulk-written with one audit event."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from collections import Counter

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count
from django.utils import timezone

from huigong.core.audit import audit
from huigong.core.crypto import blind_index
from huigong.members.models import NEW_EMPLOYMENT_FORMS, Membership, MembershipStatus, Person
from huigong.orgs.models import Enterprise, NodeLevel, ServiceSite, SiteKind, UnionNode

from . import services
from .models import BenefitProgramme, ProgrammeKind, ServiceBoard, SiteProfile, SiteUsage, Visit

CHECKUP_QUOTA = 5200
CHECKUP_CLAIMS = 320
MIXER_QUOTA = 40
MIXER_CLAIMS = 52
SUBSIDY_QUOTA = 5000
SUBSIDY_CAP_FEN = 6000
# Reimbursement stages for the riders' subsidy: (final state, how many).
SUBSIDY_STAGES = (("submitted", 14), ("approved", 8), ("rejected", 5), ("paid", 12), ("failed", 4), ("at_bank", 6))
REJECT_REASONS = ("票据照片模糊，无法辨认金额", "票据抬头非本人", "非健康证办理费用", "重复提交的票据", "超出申领时间")
BANKS = ("中国工商银行", "中国建设银行", "中国农业银行", "中国银行", "交通银行", "招商银行", "杭州银行")
OFFERINGS = {
    SiteKind.WORKERS_HOME: ["阅览", "健身", "心理咨询", "法律咨询", "技能培训"],
    SiteKind.MOTHERS_ROOM: ["哺乳", "休息", "母婴用品", "冷藏"],
    SiteKind.OUTDOOR_STATION: ["饮水", "热饭", "充电", "休息", "如厕", "应急药箱"],
    SiteKind.OTHER: ["休息", "淋浴", "车辆停放", "法律咨询"],
}
BOARDS_BY_KIND = {
    SiteKind.WORKERS_HOME: [ServiceBoard.CULTURE, ServiceBoard.EMPOWER, ServiceBoard.LEGAL],
    SiteKind.MOTHERS_ROOM: [ServiceBoard.CARE],
    SiteKind.OUTDOOR_STATION: [ServiceBoard.CARE, ServiceBoard.SAFETY],
    SiteKind.OTHER: [ServiceBoard.CARE],
}
# (goods, yuan per person): about 20,000 people and 600,000+ yuan in a year, as Qingdao reported.
WINTER_GOODS = (("米、面、油", 40), ("羽绒手套、护膝", 25), ("棉大衣", 45), ("慰问金与年货礼包", 40),
                ("取暖器", 35), ("保温杯、暖宝宝", 15))
SUMMER_GOODS = (("绿豆、白糖、饮料", 20), ("防暑药品、清凉油", 18), ("遮阳帽、冰袖", 25), ("西瓜、矿泉水", 22))


def _nodes(builder) -> dict[str, UnionNode]:
    return {spec.key: node for spec, node in builder.tree if spec.key}


def _staff(username: str):
    return get_user_model().objects.filter(username=username).select_related("staff__node").first()


def _receipt_image(amount: str) -> bytes:
    """A small receipt-like picture (drawn, no text font needed)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (360, 480), (252, 250, 244))
    d = ImageDraw.Draw(img)
    d.rectangle((20, 20, 340, 460), outline=(200, 60, 50), width=3)
    d.rectangle((40, 40, 320, 80), fill=(212, 55, 44))
    for i in range(9):
        y = 110 + i * 32
        d.line((50, y, 310 - (i % 3) * 40, y), fill=(120, 120, 120), width=2)
    d.ellipse((220, 340, 320, 440), outline=(212, 55, 44), width=4)
    d.text((60, 400), amount, fill=(40, 40, 40))
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _district_of(node: UnionNode, districts: dict[str, str]) -> str:
    for cut in range(len(node.path), 0, -UnionNode.steplen):
        name = districts.get(node.path[:cut])
        if name:
            return name
    return ""


def build_site_profiles(builder, now: dt.date) -> tuple[int, int]:
    districts = {n.path: re.sub(r"^(.{2,3}市)?", "", n.name.replace("总工会", "")) or n.name
                 for n in UnionNode.objects.filter(level=NodeLevel.DISTRICT)}
    rng = builder.rng
    profiles, usage = [], []
    for site in ServiceSite.objects.select_related("union").order_by("id"):
        offerings = OFFERINGS.get(site.kind, [])
        profiles.append(SiteProfile(site=site, district=_district_of(site.union, districts) or "市区",
                                    offerings=offerings, boards=[str(b) for b in BOARDS_BY_KIND.get(site.kind, [])],
                                    capacity=rng.choice((20, 30, 40, 60, 80)),
                                    intro=f"{site.name}由{site.union.name}建设运营，面向辖区职工免费开放。"))
        base = {SiteKind.WORKERS_HOME: 45, SiteKind.MOTHERS_ROOM: 6, SiteKind.OUTDOOR_STATION: 70}.get(site.kind, 20)
        for back in range(1, 31):
            day = now - dt.timedelta(days=back)
            weekend = day.weekday() >= 5
            visitors = max(0, int(rng.gauss(base * (0.6 if weekend else 1.0), base * 0.25)))
            usage.append(SiteUsage(site=site, day=day, visitors=visitors))
    SiteProfile.objects.bulk_create(profiles, batch_size=1000)
    SiteUsage.objects.bulk_create(usage, batch_size=2000)
    return len(profiles), len(usage)


def build_visits(builder, actor, node: UnionNode, programme: BenefitProgramme, goods_list, *, visits: int,
                 headcount_total: int, start: dt.date, days: int) -> tuple[int, int, int]:
    """`visits` rows over `days` from `start` whose headcounts add up to `headcount_total`."""
    rng = builder.rng
    enterprises = list(Enterprise.objects.filter(union__path__startswith=node.path).values_list("pk", flat=True))
    sites = list(ServiceSite.objects.filter(union__path__startswith=node.path).values_list("pk", flat=True))
    if not enterprises:
        return 0, 0, 0
    weights = [rng.uniform(0.3, 2.0) for _ in range(visits)]
    scale = headcount_total / sum(weights)
    counts = [max(5, round(w * scale)) for w in weights]
    counts[-1] += headcount_total - sum(counts)
    rows = []
    for i, n in enumerate(counts):
        goods, per_head = goods_list[i % len(goods_list)]
        at_site = sites and i % 5 == 4
        rows.append(Visit(programme=programme, node=node, enterprise_id=None if at_site else rng.choice(enterprises),
                          site_id=rng.choice(sites) if at_site else None,
                          visited_on=start + dt.timedelta(days=rng.randrange(days)), headcount=n, goods=goods,
                          value_fen=n * per_head * 100 + rng.randrange(0, 100) * 100, staff=actor,
                          note="一线职工、困难职工、新就业形态劳动者"))
    Visit.objects.bulk_create(rows, batch_size=1000)
    value = sum(r.value_fen for r in rows)
    audit(actor=actor, verb="visit.bulk_record", obj=programme, node_path=node.path,
          new={"visits": len(rows), "headcount": headcount_total, "value_fen": value})
    return len(rows), headcount_total, value


def build_qingdao(builder, nodes, now) -> list[str]:
    gaoxin, admin = nodes.get("qingdao_gaoxin"), _staff("qingdao_admin")
    if gaoxin is None or admin is None:
        return []
    year = now.year
    opened = timezone.now() - dt.timedelta(days=20)
    checkup = services.programme_create(
        actor=admin, node=gaoxin, board=ServiceBoard.CARE, kind=ProgrammeKind.QUOTA,
        title=f"{year}年高新区职工免费健康体检", year=year, quota_total=CHECKUP_QUOTA, opens_at=opened,
        closes_at=timezone.now() + dt.timedelta(days=40),
        description="高新区总工会为辖区企业一线职工提供免费健康体检，各企业按职工人数分配名额，先到先得。"
                    "体检机构：青岛市市立医院（东院区）、高新区社区卫生服务中心。")
    # Sub-quotas for the enterprises that have their own union (70+), by their member counts.
    sizes = (Membership.objects.filter(union__path__startswith=gaoxin.path, status=MembershipStatus.ACTIVE,
                                       person__employer__union__level=NodeLevel.GRASSROOTS,
                                       person__employer__union__path__startswith=gaoxin.path)
             .values("person__employer").annotate(n=Count("id")).order_by("-n"))
    sizes = [(row["person__employer"], row["n"]) for row in sizes if row["person__employer"]]
    total = sum(n for _, n in sizes) or 1
    enterprises = {e.pk: e for e in Enterprise.objects.filter(pk__in=[pk for pk, _ in sizes]).select_related("union")}
    allotted = 0
    for pk, n in sizes:
        slots = max(10, int(CHECKUP_QUOTA * 0.95 * n / total))
        if allotted + slots > CHECKUP_QUOTA:
            break
        services.programme_set_sub_quota(actor=admin, programme=checkup, enterprise=enterprises[pk], slots=slots)
        allotted += slots
    services.programme_open(actor=admin, programme=checkup)
    members = list(Person.objects.filter(employer_id__in=list(enterprises), memberships__status=MembershipStatus.ACTIVE)
                   .order_by("id").only("id", "name", "employer_id", "platform_id", "employment_form")[:CHECKUP_CLAIMS * 6])
    builder.rng.shuffle(members)
    granted = refused = 0
    for person in members:
        if granted >= CHECKUP_CLAIMS:
            break
        try:
            services.claim_create(actor=admin, programme=checkup.pk, person=person)
            granted += 1
        except ValidationError:
            refused += 1
    mixer = services.programme_create(
        actor=admin, node=gaoxin, board=ServiceBoard.VITALITY, kind=ProgrammeKind.QUOTA,
        title=f"{year}年“缘来是你”青年职工联谊会", year=year, quota_total=MIXER_QUOTA, waitlist=True,
        opens_at=opened, closes_at=timezone.now() + dt.timedelta(days=10),
        joined_from=dt.date(2000, 1, 1),
        description="面向高新区单身青年职工的联谊活动，满额后可登记候补，有人取消时按先后顺序递补。")
    services.programme_open(actor=admin, programme=mixer)
    young = list(Person.objects.filter(memberships__union__path__startswith=gaoxin.path,
                                       memberships__status=MembershipStatus.ACTIVE,
                                       birth_date__gte=dt.date(year - 32, 1, 1))
                 .only("id", "name", "employer_id", "platform_id", "employment_form").order_by("id")[:400])
    builder.rng.shuffle(young)
    statuses: Counter = Counter()
    for person in young[:MIXER_CLAIMS]:
        statuses[services.claim_create(actor=admin, programme=mixer.pk, person=person).status] += 1
    winter = services.programme_create(actor=admin, node=gaoxin, board=ServiceBoard.CARE,
                                       kind=ProgrammeKind.DISTRIBUTION, title=f"{year - 1}-{year}年度冬送温暖",
                                       year=year, description="走访慰问一线职工、困难职工和新就业形态劳动者。")
    services.programme_open(actor=admin, programme=winter)
    w = build_visits(builder, admin, gaoxin, winter, WINTER_GOODS, visits=260, headcount_total=16_400,
                     start=dt.date(year - 1, 12, 20), days=45)
    summer = services.programme_create(actor=admin, node=gaoxin, board=ServiceBoard.SAFETY,
                                       kind=ProgrammeKind.DISTRIBUTION, title=f"{year}年夏送清凉", year=year,
                                       description="高温季节为户外作业职工送去防暑降温物资。")
    services.programme_open(actor=admin, programme=summer)
    s = build_visits(builder, admin, gaoxin, summer, SUMMER_GOODS, visits=120, headcount_total=4_100,
                     start=dt.date(year, 7, 1), days=50)
    return [f"Qingdao check-ups {granted}/{CHECKUP_QUOTA} claimed across {len(checkup.sub_quotas.all())} enterprises",
            f"mixer {statuses.get('granted', 0)} granted + {statuses.get('waitlisted', 0)} waitlisted",
            f"visits {w[0] + s[0]} rows, {w[1] + s[1]} people, {(w[2] + s[2]) // 100:,} yuan"]


def build_hangzhou(builder, nodes, now) -> list[str]:
    hangzhou, admin, finance = nodes.get("hangzhou"), _staff("hangzhou_admin"), _staff("hangzhou_finance")
    # The service window (staff) takes the receipts; the admin reviews them: nobody reviews what they took.
    clerk = _staff("hangzhou_staff")
    if hangzhou is None or admin is None or finance is None or clerk is None:
        return []
    year = now.year
    subsidy = services.programme_create(
        actor=admin, node=hangzhou, board=ServiceBoard.CARE, kind=ProgrammeKind.REIMBURSEMENT,
        title=f"{year}年新就业形态劳动者健康证补贴（先办后补）", year=year, quota_total=SUBSIDY_QUOTA,
        reimbursement_cap_fen=SUBSIDY_CAP_FEN, employment_forms=[str(f) for f in NEW_EMPLOYMENT_FORMS],
        opens_at=timezone.now() - dt.timedelta(days=60), closes_at=timezone.now() + dt.timedelta(days=30),
        description="外卖骑手、快递员、网约车司机、货车司机在任意医院办理健康证后，凭收费票据申领补贴，每人一次，"
                    "最高 60 元，审核通过后转入本人银行账户。")
    services.programme_open(actor=admin, programme=subsidy)
    riders = list(Person.objects.filter(memberships__union__path__startswith=hangzhou.path,
                                        memberships__status=MembershipStatus.ACTIVE,
                                        employment_form__in=[str(f) for f in NEW_EMPLOYMENT_FORMS])
                  .filter(worker_accounts__isnull=True).order_by("id")[:400])
    builder.rng.shuffle(riders)
    need = sum(n for _, n in SUBSIDY_STAGES)
    riders = riders[:need]
    rng = builder.rng
    picture = _receipt_image("HEALTH CERT")
    stage_of = [stage for stage, n in SUBSIDY_STAGES for _ in range(n)]
    items = []
    for person, stage in zip(riders, stage_of, strict=False):
        if stage in ("approved", "paid", "failed", "at_bank"):
            account = "6222" + "".join(str(rng.randrange(10)) for _ in range(15))
            person.bank_name = rng.choice(BANKS)
            person.bank_account, person.bank_account_mask = account, "**** **** " + account[-4:]
            person.bank_account_hash = blind_index(account, "bank")
            person.save(update_fields=["bank_name", "bank_account", "bank_account_mask", "bank_account_hash"])
        amount = rng.choice((3000, 4000, 4500, 5000, 6000, 8000))
        item = services.reimbursement_submit(
            actor=clerk, programme=subsidy.pk, person=person, amount_fen=amount,
            receipt=SimpleUploadedFile("receipt.png", picture, content_type="image/png"), note="健康证办理费")
        items.append((item, stage))
    for i, (item, stage) in enumerate(items):
        if stage == "rejected":
            services.reimbursement_reject(actor=admin, reimbursement=item, reason=REJECT_REASONS[i % len(REJECT_REASONS)])
        elif stage in ("approved", "paid", "failed", "at_bank"):
            services.reimbursement_approve(actor=admin, reimbursement=item)
    to_pay = [item.pk for item, stage in items if stage in ("paid", "failed")]
    if not to_pay:
        return [f"Hangzhou health-certificate subsidy: {len(items)} reimbursements"]
    batch, _skipped = services.payment_batch_create(actor=finance, programme=subsidy, reimbursement_ids=to_pay,
                                                    title=f"{year}年健康证补贴第一批")
    stages = {item.pk: stage for item, stage in items}
    for n, payment in enumerate(batch.payments.order_by("id")):
        if stages[payment.reimbursement_id] == "paid":
            services.payment_mark_paid(actor=finance, payment=payment, bank_reference=f"HZ{year}{n + 1:08d}")
        else:
            services.payment_mark_failed(actor=finance, payment=payment, reason="收款账户已销户，银行退回")
    # A second batch handed to the bank and not yet answered: its sheet can be exported and its 回盘 imported.
    at_bank = [item.pk for item, stage in items if stage == "at_bank"]
    if at_bank:
        services.payment_batch_create(actor=finance, programme=subsidy, reimbursement_ids=at_bank,
                                      title=f"{year}年健康证补贴第二批")
    counts = Counter(stage for _, stage in items)
    return [f"Hangzhou health-certificate subsidy: {len(items)} reimbursements "
            + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))]


def build(builder) -> str:
    started = time.monotonic()
    now = timezone.localdate()
    nodes = _nodes(builder)
    profiles, usage = build_site_profiles(builder, now)
    lines = [f"site profiles {profiles}, usage days {usage}"]
    lines += build_qingdao(builder, nodes, now)
    lines += build_hangzhou(builder, nodes, now)
    return "benefits: " + "; ".join(lines) + f" in {time.monotonic() - started:.1f} s"
