"""Fills an empty database with a synthetic federation at scale, for benchmarks and for trying the
dashboard with real volumes: a national tree of provinces, cities, districts, townships and
grassroots unions; enterprises and platforms; N members with valid ID numbers (encrypted, hashed and
masked exactly as the services write them) and ten years of joining, transfers and withdrawals; and,
where those apps are installed, hardship files with their causes, aid programmes, budgets, approved
applications, payouts and the ledger; benefit programmes with claims; visits; service sites with
daily usage. Rows go in by COPY on PostgreSQL (huigong/demo/bulk.py). Rollups are refreshed at the end.

    python manage.py generate_federation --members 1000000
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

PROVINCES = [
    (
        "浙江省",
        "330000",
        [("杭州市", "330100"), ("宁波市", "330200"), ("温州市", "330300"), ("绍兴市", "330600")],
    ),
    (
        "山东省",
        "370000",
        [("济南市", "370100"), ("青岛市", "370200"), ("烟台市", "370600"), ("潍坊市", "370700")],
    ),
    (
        "广东省",
        "440000",
        [("广州市", "440100"), ("深圳市", "440300"), ("佛山市", "440600"), ("东莞市", "441900")],
    ),
    ("河北省", "130000", [("石家庄市", "130100"), ("唐山市", "130200"), ("保定市", "130600")]),
    ("青海省", "630000", [("西宁市", "630100"), ("海西州", "632800")]),
]
DISTRICTS = ["城东区", "城西区", "高新区", "经开区", "滨江区", "新城区"]
TOWNSHIPS = [("街道", "township"), ("产业工会", "industry"), ("镇", "township"), ("新业态联合工会", "joint")]
WORDS = "华宏远达瑞丰恒信泰安盛德祥和鑫隆源通宝安康永新利嘉美科创智联"
INDUSTRIES = ["制造", "电子", "纺织", "化工", "物流", "建筑", "食品", "医药", "软件", "零售", "机械", "能源"]
FORMS_ENTERPRISE = [("contract", 80), ("dispatch", 12), ("flexible", 5), ("other", 3)]
FORMS_JOINT = [("rider", 45), ("courier", 25), ("ride_hailing", 15), ("truck_driver", 10), ("flexible", 5)]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国玉文辉鑫宇浩然涵欣怡梓轩思远雨萱晨阳佳琪子博俊凯"
)
CHUNK = 50_000


def _pick(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


class Command(BaseCommand):
    help = gettext_lazy("生成大规模合成工会数据（基准测试用）")

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=1_000_000)
        parser.add_argument("--per-union", type=int, default=300, help="average members per grassroots union")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--no-refresh", action="store_true", help="skip the rollup refresh at the end")

    def handle(self, *args, **opts):
        from huigong.orgs.models import UnionNode

        if UnionNode.objects.exists():
            raise CommandError(
                gettext("数据库中已有工会组织，只能在空库中生成")
            )
        self.rng = random.Random(opts["seed"])
        self.today = timezone.localdate()
        self.now = timezone.now()
        t0 = time.monotonic()
        n = opts["members"]
        with transaction.atomic():
            holders = self.tree(max(1, math.ceil(n / opts["per_union"])))
            self.units(holders)
            self.people(holders, n)
            self.sites()
            self.logins()
        extras = []
        for step in (self.assistance, self.benefits):
            with transaction.atomic():
                extras.append(step())
        self.stdout.write(
            f"data written in {time.monotonic() - t0:.1f} s; " + "; ".join(e for e in extras if e)
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        if not opts["no_refresh"]:
            from huigong.insights.rollups import rollups_refresh

            t1 = time.monotonic()
            done = rollups_refresh()
            self.stdout.write(
                f"rollups: {len(done)} KPIs, {sum(r.rows for r in done):,} rows in "
                f"{time.monotonic() - t1:.1f} s"
            )

    # --- the tree -------------------------------------------------------------------------------------
    def tree(self, grassroots: int) -> list[dict]:
        from huigong.orgs.models import NodeLevel, UnionNode

        rng = self.rng
        townships_total = sum(len(c) for _, _, c in PROVINCES) * len(DISTRICTS) * len(TOWNSHIPS)
        per_township = max(1, math.ceil(grassroots / townships_total))
        nodes: list[UnionNode] = []
        holders: list[dict] = []
        seq = iter(range(1, 10**7))

        def add(parent: UnionNode | None, index: int, name: str, level: str, region: str) -> UnionNode:
            depth = 1 if parent is None else parent.depth + 1
            node = UnionNode(
                path=UnionNode._get_path(parent.path if parent else None, depth, index),
                depth=depth,
                numchild=0,
                code=f"G{next(seq):07d}",
                name=name,
                level=level,
                region_code=region,
            )
            if parent is not None:
                parent.numchild += 1
            nodes.append(node)
            return node

        root = add(None, 1, "中华全国总工会", NodeLevel.NATIONAL, "100000")
        for pi, (pname, pcode, cities) in enumerate(PROVINCES, start=1):
            prov = add(root, pi, f"{pname}总工会", NodeLevel.PROVINCE, pcode)
            for ci, (cname, ccode) in enumerate(cities, start=1):
                city = add(prov, ci, f"{cname}总工会", NodeLevel.CITY, ccode)
                for di, dname in enumerate(DISTRICTS, start=1):
                    region = ccode[:4] + f"{di:02d}"
                    dist = add(city, di, f"{cname}{dname}总工会", NodeLevel.DISTRICT, region)
                    for ti, (tname, tlevel) in enumerate(TOWNSHIPS, start=1):
                        label = (
                            f"{dname}{'一二三四'[ti - 1]}{tname}"
                            if tlevel == "township"
                            else f"{dname}{tname}"
                        )
                        town = add(dist, ti, f"{cname}{label}", tlevel, region)
                        if tlevel == "joint":  # riders, couriers, drivers join the joint union itself
                            holders.append({"node": town, "joint": True, "region": region, "city": ccode})
                            continue
                        for gi in range(1, per_township + 1):
                            company = (
                                rng.choice(WORDS) + rng.choice(WORDS) + rng.choice(INDUSTRIES) + "有限公司"
                            )
                            g = add(town, gi, f"{cname}{company}{gi}号工会", NodeLevel.GRASSROOTS, region)
                            holders.append(
                                {
                                    "node": g,
                                    "joint": False,
                                    "region": region,
                                    "city": ccode,
                                    "company": f"{cname}{company}{gi}号",
                                }
                            )
        UnionNode.objects.bulk_create(nodes, batch_size=5000)
        ids = dict(UnionNode.objects.values_list("code", "pk"))
        for n in nodes:
            n.pk = n.id = ids[n.code]
        self.nodes = nodes
        self.districts = [n for n in nodes if n.level == NodeLevel.DISTRICT]
        self.stdout.write(f"tree: {len(nodes):,} unions, {len(holders):,} holding members")
        return holders

    def units(self, holders: list[dict]) -> None:
        from huigong.core import uscc
        from huigong.demo import bulk
        from huigong.orgs.models import Enterprise

        rng, eid = self.rng, bulk.next_id(Enterprise)
        rows, seen = [], set()

        def code(region: str) -> str:
            while True:
                body = "91" + region + "".join(rng.choice(uscc.ALPHABET) for _ in range(9))
                if body not in seen:
                    seen.add(body)
                    return uscc.make(body)

        platforms: dict[str, list[int]] = {}
        for h in holders:
            if h["joint"]:
                ids = []
                for pname in ("某外卖平台", "某快递公司", "某网约车平台"):
                    rows.append(
                        {
                            "id": eid,
                            "name": f"{h['node'].name}·{pname}",
                            "uscc": code(h["region"]),
                            "kind": "platform",
                            "industry": "平台经济",
                            "size": "large",
                            "employee_count": 5000,
                            "union_id": h["node"].pk,
                            "region_code": h["region"],
                            "created_at": self.now,
                        }
                    )
                    ids.append(eid)
                    eid += 1
                platforms[h["node"].code] = ids
                h["employers"] = []
                h["platforms"] = ids
            else:
                rows.append(
                    {
                        "id": eid,
                        "name": h["company"],
                        "uscc": code(h["region"]),
                        "kind": "enterprise",
                        "industry": rng.choice(INDUSTRIES),
                        "size": "medium",
                        "employee_count": 400,
                        "union_id": h["node"].pk,
                        "region_code": h["region"],
                        "created_at": self.now,
                    }
                )
                h["employers"] = [eid]
                h["platforms"] = []
                eid += 1
        bulk.insert(Enterprise, rows)
        bulk.reset_sequences(Enterprise)
        self.stdout.write(f"units: {len(rows):,}")

    # --- people ---------------------------------------------------------------------------------------
    def people(self, holders: list[dict], total: int) -> None:
        from huigong.core import idnumber
        from huigong.demo import bulk
        from huigong.members.models import Membership, MembershipTransfer, Person
        from huigong.members.services import derived_person_fields

        rng, today = self.rng, self.today
        weights = [rng.lognormvariate(0, 0.8) * (4 if h["joint"] else 1) for h in holders]
        from huigong.demo.people import allocate

        counts = allocate([max(1, int(w * 1000)) for w in weights], total)
        pid, mid, tid = bulk.next_id(Person), bulk.next_id(Membership), bulk.next_id(MembershipTransfer)
        by_city: dict[str, list[dict]] = {}
        for h in holders:
            by_city.setdefault(h["city"], []).append(h)
        ids_seen: set[str] = set()
        persons, memberships, transfers = [], [], []
        start = dt.date(today.year - 10, 1, 1)
        span = (today - start).days
        written = 0
        t0 = time.monotonic()

        def flush() -> None:
            nonlocal written
            bulk.insert(Person, persons)
            bulk.insert(Membership, memberships)
            bulk.insert(MembershipTransfer, transfers)
            written += len(persons)
            persons.clear()
            memberships.clear()
            transfers.clear()
            self.stdout.write(f"  members: {written:,} ({time.monotonic() - t0:.0f} s)")

        for h, count in zip(holders, counts, strict=True):
            forms = FORMS_JOINT if h["joint"] else FORMS_ENTERPRISE
            peers = by_city[h["city"]]
            for _ in range(count):
                gender = "M" if rng.random() < 0.6 else "F"
                while True:
                    number = idnumber.random_number(rng, h["region"], gender=gender, min_age=20, max_age=59)
                    if number not in ids_seen:
                        ids_seen.add(number)
                        break
                name = (
                    rng.choice(SURNAMES)
                    + rng.choice(GIVEN)
                    + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
                )
                phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}" if rng.random() < 0.5 else ""
                p = derived_person_fields(name=name, id_number=number, phone=phone)
                form = _pick(rng, forms)
                p.update(
                    id=pid,
                    employment_form=form,
                    created_at=self.now,
                    updated_at=self.now,
                    employer_id=h["employers"][0]
                    if h["employers"] and form in ("contract", "dispatch")
                    else None,
                    platform_id=rng.choice(h["platforms"]) if h["platforms"] else None,
                    # Recorded by the union that holds the member (as a roster import does): a phone
                    # search finds only records kept inside the searcher's subtree.
                    record_path=h["node"].path,
                )
                persons.append(p)
                # Joining grows over the years: more recent dates are likelier.
                joined = start + dt.timedelta(days=int(span * math.sqrt(rng.random())))
                roll = rng.random()
                base = {"person_id": pid, "card_no": f"{h['region']}{pid:010d}", "created_at": self.now}
                if roll < 0.03 and (today - joined).days > 400:
                    src = rng.choice(peers)
                    moved = joined + dt.timedelta(days=rng.randint(200, (today - joined).days - 1))
                    memberships.append(
                        {
                            **base,
                            "id": mid,
                            "union_id": src["node"].pk,
                            "status": "transferred",
                            "joined_on": joined,
                            "ended_on": moved,
                            "source": "import",
                        }
                    )
                    memberships.append(
                        {
                            **base,
                            "id": mid + 1,
                            "union_id": h["node"].pk,
                            "status": "active",
                            "joined_on": moved,
                            "source": "transfer",
                        }
                    )
                    transfers.append(
                        {
                            "id": tid,
                            "person_id": pid,
                            "from_membership_id": mid,
                            "to_membership_id": mid + 1,
                            "reason": "工作调动",
                            "actor_id": None,
                            "at": dt.datetime.combine(moved, dt.time(10), tzinfo=dt.UTC),
                        }
                    )
                    mid, tid = mid + 2, tid + 1
                elif roll < 0.07 and (today - joined).days > 60:
                    left = joined + dt.timedelta(days=rng.randint(30, (today - joined).days))
                    memberships.append(
                        {
                            **base,
                            "id": mid,
                            "union_id": h["node"].pk,
                            "status": "withdrawn",
                            "joined_on": joined,
                            "ended_on": left,
                            "source": "import",
                        }
                    )
                    mid += 1
                else:
                    memberships.append(
                        {
                            **base,
                            "id": mid,
                            "union_id": h["node"].pk,
                            "status": "active",
                            "joined_on": joined,
                            "source": "import",
                        }
                    )
                    mid += 1
                pid += 1
                if len(persons) >= CHUNK:
                    flush()
        if persons:
            flush()
        bulk.reset_sequences(Person, Membership, MembershipTransfer)
        self.holders = holders
        self.first_person = pid - written

    def sites(self) -> None:
        from huigong.demo import bulk
        from huigong.orgs.models import ServiceSite

        rng, sid, rows = self.rng, bulk.next_id(ServiceSite), []
        kinds = [
            ("workers_home", "职工之家"),
            ("mothers_room", "爱心妈妈小屋"),
            ("outdoor_station", "户外劳动者服务站"),
        ]
        for d in self.districts:
            for i in range(rng.randint(3, 8)):
                kind, label = rng.choice(kinds)
                created = dt.datetime(
                    self.today.year - rng.randint(0, 6), rng.randint(1, 12), 1, tzinfo=dt.UTC
                )
                rows.append(
                    {
                        "id": sid,
                        "name": f"{d.name.removesuffix('总工会')}{label}{i + 1}",
                        "kind": kind,
                        "union_id": d.pk,
                        "address": f"{d.name.removesuffix('总工会')}{i + 1}号",
                        "is_active": True,
                        "created_at": created,
                    }
                )
                sid += 1
        bulk.insert(ServiceSite, rows)
        bulk.reset_sequences(ServiceSite)
        self.site_rows = rows

    def logins(self) -> None:
        """A leader at the root and one in the first city, for looking at the dashboard."""
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password

        from huigong.accounts.models import StaffProfile

        User = get_user_model()
        hashed = make_password("Huigong-bench-2025")
        for username, node in (("bench_leader", self.nodes[0]), ("bench_city_leader", self.nodes[2])):
            user = User.objects.create(username=username, password=hashed)
            StaffProfile.objects.create(user=user, node=node, role="leader", display_name=username)

    # --- assistance -----------------------------------------------------------------------------------
    def assistance(self) -> str:
        from django.apps import apps

        if not apps.is_installed("huigong.assistance"):
            return ""
        from huigong.assistance.models import (
            AidApplication,
            AidProgramme,
            FileCause,
            HardshipFile,
            LedgerEntry,
            Payout,
            PayoutBatch,
            ProgrammeBudget,
        )
        from huigong.demo import bulk
        from huigong.members.models import Membership

        rng, today = self.rng, self.today
        cities = [n for n in self.nodes if n.level == "city"]
        city_of = {n.path: n for n in cities}
        years = list(range(today.year - 4, today.year + 1))
        # Programmes and budgets per city and year: the 三助.
        prog_rows, budget_rows, programmes = [], [], {}
        pid, bid = bulk.next_id(AidProgramme), bulk.next_id(ProgrammeBudget)
        for c in cities:
            for y in years:
                for kind, name, amount in (
                    ("living", "生活救助", 300_000),
                    ("illness", "大病救助", 1_000_000),
                    ("education", "金秋助学", 500_000),
                ):
                    prog_rows.append(
                        {
                            "id": pid,
                            "node_id": c.pk,
                            "node_path": c.path,
                            "kind": kind,
                            "name": f"{y}年{name}",
                            "year": y,
                            "amount_fen": amount,
                            "amount_mode": "up_to",
                            "approval_levels": ["grassroots", "district", "city"],
                            "status": "closed" if y < today.year else "open",
                            "created_at": self.now,
                        }
                    )
                    programmes[(c.path, y, kind)] = {"id": pid, "amount": amount, "budget": bid, "paid": 0}
                    budget_rows.append(
                        {
                            "id": bid,
                            "programme_id": pid,
                            "node_id": c.pk,
                            "node_path": c.path,
                            "total_fen": 0,
                            "committed_fen": 0,
                            "paid_fen": 0,
                        }
                    )
                    pid, bid = pid + 1, bid + 1
        # Files: about 1 in 200 active members' households, opened over five years, a third closed.
        node_by_id = {n.pk: n for n in self.nodes}
        sample = max(1, int(Membership.objects.filter(status="active").count() / 200))
        heads = list(
            Membership.objects.filter(status="active", person_id__gte=self.first_person).values_list(
                "person_id", "union_id"
            )[: sample * 3]
        )
        rng.shuffle(heads)
        heads = heads[:sample]
        file_rows, cause_rows, app_rows, batch_rows, payout_rows, ledger_rows = [], [], [], [], [], []
        fid, cid, aid, paid_id, lid = (
            bulk.next_id(m) for m in (HardshipFile, FileCause, AidApplication, Payout, LedgerEntry)
        )
        batch_id = bulk.next_id(PayoutBatch)
        batches: dict[tuple[str, int], int] = {}
        causes_all = [
            "illness",
            "disability",
            "schooling",
            "disaster",
            "job_loss",
            "work_injury",
            "low_income",
        ]
        for person_id, union_id in heads:
            node = node_by_id[union_id]
            city = city_of[node.path[:12]]
            opened = dt.date(rng.choice(years), rng.randint(1, 12), rng.randint(1, 28))
            if opened > today:
                opened = today - dt.timedelta(days=rng.randint(1, 60))
            level = _pick(rng, [("deep", 30), ("relative", 55), ("sudden", 15)])
            closed = None
            if rng.random() < 0.3 and (today - opened).days > 200:
                closed = opened + dt.timedelta(days=rng.randint(180, (today - opened).days))
            file_rows.append(
                {
                    "id": fid,
                    "file_no": f"GF{fid:09d}",
                    "node_id": union_id,
                    "node_path": node.path,
                    "head_id": person_id,
                    "status": "closed" if closed else "open",
                    "level": level,
                    "proposed_level": level,
                    "household_size": rng.randint(1, 6),
                    "monthly_income_fen": rng.randint(50_000, 400_000),
                    "payee_name": "户主",
                    "opened_on": opened,
                    "verified_on": opened,
                    "closed_on": closed,
                    "close_reason": "recovered" if closed else "",
                    "created_at": self.now,
                    "updated_at": self.now,
                }
            )
            for cause in rng.sample(causes_all, rng.choice((1, 1, 2, 3))):
                cause_rows.append({"id": cid, "file_id": fid, "cause": cause})
                cid += 1
            # Most open files get aid: one or two programmes in a year the file was open.
            taken: set[int] = set()  # one live application per programme and file
            for _ in range(rng.choice((0, 1, 1, 2))):
                y = rng.randint(opened.year, (closed or today).year)
                kind = _pick(rng, [("living", 60), ("illness", 25), ("education", 15)])
                prog = programmes[(city.path, y, kind)]
                paid_on = max(opened, dt.date(y, rng.randint(1, 12), rng.randint(1, 28)))
                if paid_on > today or (closed and paid_on > closed) or prog["id"] in taken:
                    continue
                taken.add(prog["id"])
                amount = rng.randrange(50_000, prog["amount"] + 1, 10_000)
                key = (city.path, y)
                if key not in batches:
                    batches[key] = batch_id
                    batch_rows.append(
                        {
                            "id": batch_id,
                            "node_id": city.pk,
                            "node_path": city.path,
                            "title": f"{y}年救助金发放",
                            "status": "done",
                            "created_at": self.now,
                        }
                    )
                    batch_id += 1
                paid_at = dt.datetime.combine(paid_on, dt.time(10), tzinfo=dt.UTC)
                app_rows.append(
                    {
                        "id": aid,
                        "programme_id": prog["id"],
                        "file_id": fid,
                        "node_id": union_id,
                        "node_path": node.path,
                        "amount_requested_fen": amount,
                        "amount_approved_fen": amount,
                        "reason": "家庭困难",
                        "status": "paid",
                        "budget_id": prog["budget"],
                        "submitted_at": paid_at - dt.timedelta(days=30),
                        "approved_at": paid_at - dt.timedelta(days=15),
                        "created_at": self.now,
                        "updated_at": self.now,
                    }
                )
                payout_rows.append(
                    {
                        "id": paid_id,
                        "batch_id": batches[key],
                        "application_id": aid,
                        "idempotency_key": f"gen-aid-{aid}",
                        "amount_fen": amount,
                        "payee_name": "户主",
                        "bank_account": "6222020200000000",
                        "bank_account_mask": "6222********0000",
                        "status": "paid",
                        "bank_reference": f"GEN{paid_id:010d}",
                        "paid_at": paid_at,
                        "created_at": self.now,
                    }
                )
                ledger_rows.append(
                    {
                        "id": lid,
                        "file_id": fid,
                        "programme_id": prog["id"],
                        "application_id": aid,
                        "payout_id": paid_id,
                        "node_id": union_id,
                        "node_path": node.path,
                        "year": y,
                        "amount_fen": amount,
                        "paid_on": paid_on,
                        "created_at": self.now,
                    }
                )
                prog["paid"] += amount
                aid, paid_id, lid = aid + 1, paid_id + 1, lid + 1
            fid += 1
        budgets = {v["budget"]: v["paid"] for v in programmes.values()}
        for b in budget_rows:
            paid = budgets[b["id"]]
            b.update(paid_fen=paid, committed_fen=paid, total_fen=max(paid * 2, 5_000_000))
        bulk.insert(AidProgramme, prog_rows)
        bulk.insert(ProgrammeBudget, budget_rows)
        bulk.insert(HardshipFile, file_rows)
        bulk.insert(FileCause, cause_rows)
        bulk.insert(AidApplication, app_rows)
        bulk.insert(PayoutBatch, batch_rows)
        bulk.insert(Payout, payout_rows)
        bulk.insert(LedgerEntry, ledger_rows)
        bulk.reset_sequences(
            AidProgramme,
            ProgrammeBudget,
            HardshipFile,
            FileCause,
            AidApplication,
            PayoutBatch,
            Payout,
            LedgerEntry,
        )
        return f"assistance: {len(file_rows):,} files, {len(ledger_rows):,} payouts"

    # --- benefits -------------------------------------------------------------------------------------
    def benefits(self) -> str:
        from django.apps import apps

        if not apps.is_installed("huigong.benefits"):
            return ""
        from huigong.benefits.models import BenefitClaim, BenefitProgramme, SiteUsage, Visit
        from huigong.demo import bulk
        from huigong.members.models import Membership

        rng, today = self.rng, self.today
        cities = [n for n in self.nodes if n.level == "city"]
        prog_rows, claim_rows, visit_rows, usage_rows = [], [], [], []
        pid, cid, vid, uid = (bulk.next_id(m) for m in (BenefitProgramme, BenefitClaim, Visit, SiteUsage))
        city_prog: dict[tuple[int, int], int] = {}
        years = list(range(today.year - 2, today.year + 1))
        for c in cities:
            for y in years:
                prog_rows.append(
                    {
                        "id": pid,
                        "node_id": c.pk,
                        "board": "care",
                        "kind": "quota",
                        "title": f"{y}年职工免费健康体检",
                        "year": y,
                        "quota_total": 100_000,
                        "remaining": 100_000,
                        "status": "closed" if y < today.year else "open",
                        "membership_status": "active",
                        "created_at": self.now,
                        "updated_at": self.now,
                    }
                )
                city_prog[(c.pk, y)] = pid
                pid += 1
        city_of = {c.path: c for c in cities}
        members = list(
            Membership.objects.filter(status="active")
            .values_list("id", "person_id", "union_id")
            .order_by("id")[::10]
        )
        node_by_id = {n.pk: n for n in self.nodes}
        used: dict[int, int] = {}
        for mid, person_id, union_id in members:
            node = node_by_id[union_id]
            city = city_of[node.path[:12]]
            y = rng.choice(years)
            granted = dt.datetime(y, rng.randint(3, 11), rng.randint(1, 28), 9, tzinfo=dt.UTC)
            if granted.date() > today:
                continue
            prog = city_prog[(city.pk, y)]
            used[prog] = used.get(prog, 0) + 1
            claim_rows.append(
                {
                    "id": cid,
                    "programme_id": prog,
                    "person_id": person_id,
                    "membership_id": mid,
                    "union_id": union_id,
                    "status": "granted",
                    "created_at": granted,
                    "granted_at": granted,
                }
            )
            cid += 1
        for p in prog_rows:
            p["remaining"] = p["quota_total"] - used.get(p["id"], 0)
        ents = dict(self._first_enterprise_by_district())
        for d in self.districts:
            for _ in range(rng.randint(20, 60)):
                day = today - dt.timedelta(days=rng.randint(1, 3 * 365))
                head = rng.randint(10, 300)
                visit_rows.append(
                    {
                        "id": vid,
                        "node_id": d.pk,
                        "enterprise_id": ents.get(d.path),
                        "visited_on": day,
                        "headcount": head,
                        "goods": rng.choice(["米油", "防暑降温用品", "慰问金"]),
                        "value_fen": head * rng.randint(5_000, 30_000),
                        "created_at": self.now,
                    }
                )
                vid += 1
        for s in self.site_rows:
            for back in range(0, 365 * 2, 7):
                day = today - dt.timedelta(days=back)
                usage_rows.append(
                    {
                        "id": uid,
                        "site_id": s["id"],
                        "day": day,
                        "visitors": rng.randint(5, 200),
                        "updated_at": self.now,
                    }
                )
                uid += 1
        visit_rows = [v for v in visit_rows if v["enterprise_id"]]
        bulk.insert(BenefitProgramme, prog_rows)
        bulk.insert(BenefitClaim, claim_rows)
        bulk.insert(Visit, visit_rows)
        bulk.insert(SiteUsage, usage_rows)
        bulk.reset_sequences(BenefitProgramme, BenefitClaim, Visit, SiteUsage)
        return (
            f"benefits: {len(claim_rows):,} claims, {len(visit_rows):,} visits, {len(usage_rows):,} site-days"
        )

    def _first_enterprise_by_district(self):
        from huigong.orgs.models import Enterprise

        out = {}
        for path, eid in (
            Enterprise.objects.filter(kind="enterprise").values_list("union__path", "pk").order_by("pk")
        ):
            out.setdefault(path[:16], eid)
        return out.items()
