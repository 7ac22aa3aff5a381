"""Synthetic members: Faker zh_CN names (never a name from the seed page), valid ID numbers whose
region is the member's place (or a sending county for some migrant platform workers), phones,
employment forms matching their union, and a little history (transfers, withdrawals)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.utils import timezone
from faker import Faker
from faker.providers.person.zh_CN import Provider as ZhPersonProvider

from huigong.core import idnumber
from huigong.members.models import Education, EmploymentForm, MembershipStatus
from huigong.members.services import derived_person_fields

from .world import ETHNICITIES_DEFAULT, ETHNICITIES_HAIXI, JOBS, MIGRANT_REGIONS, SEED_PAGE_NAMES

E = EmploymentForm
PHONE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156",
                  "157", "158", "159", "166", "173", "175", "176", "177", "180", "181", "182", "183", "185", "186",
                  "187", "188", "189", "191", "198", "199")
BANKS = ("中国工商银行", "中国农业银行", "中国银行", "中国建设银行", "交通银行", "中国邮政储蓄银行")
NEW_FORM_JOBS = {E.RIDER: "网约配送员", E.COURIER: "快递员", E.RIDE_HAILING: "网约车司机", E.TRUCK_DRIVER: "货车司机"}
FLEXIBLE_JOBS = ("家政服务员", "保洁员", "网络主播", "维修工", "社会化工会工作者", "个体经营者")
TRANSFER_REASONS = ("工作调动", "更换工作单位", "单位改制", "随家属迁居", "转为新就业形态从业")
WITHDRAW_REASONS = ("退休", "离开本地", "本人申请退会")

# Employment forms by the kind of union (weights).
PROFILE_FORMS: dict[str, tuple[tuple[str, int], ...]] = {
    "enterprise": ((E.CONTRACT, 88), (E.DISPATCH, 9), (E.FLEXIBLE, 3)),
    "coal": ((E.CONTRACT, 95), (E.DISPATCH, 5)),
    "smallfirms": ((E.CONTRACT, 80), (E.DISPATCH, 8), (E.FLEXIBLE, 12)),
    "community": ((E.FLEXIBLE, 45), (E.CONTRACT, 40), (E.OTHER, 15)),
    "riders": ((E.RIDER, 1),),
    "couriers": ((E.COURIER, 1),),
    "ride_hailing": ((E.RIDE_HAILING, 1),),
    "trucks": ((E.TRUCK_DRIVER, 1),),
    "newforms": ((E.RIDER, 40), (E.COURIER, 30), (E.TRUCK_DRIVER, 15), (E.RIDE_HAILING, 15)),
}
FORM_PLATFORMS = {E.RIDER: ("delivery_a", "delivery_b"), E.COURIER: ("express",), E.RIDE_HAILING: ("ride",),
                  E.TRUCK_DRIVER: ("freight",)}
EDU_NEW_FORMS = ((Education.JUNIOR, 35), (Education.SENIOR, 45), (Education.COLLEGE, 15), (Education.BACHELOR, 5))
EDU_WORKERS = ((Education.PRIMARY, 2), (Education.JUNIOR, 15), (Education.SENIOR, 35), (Education.COLLEGE, 25),
               (Education.BACHELOR, 19), (Education.POSTGRAD, 4))
EDU_GRADUATES = ((Education.SENIOR, 5), (Education.COLLEGE, 20), (Education.BACHELOR, 55), (Education.POSTGRAD, 20))
GRADUATE_INDUSTRIES = {"软件和信息技术服务业", "教育", "卫生", "专业技术服务业"}
FEMALE_LEANING = {"卫生", "纺织业", "教育", "批发和零售业", "物业管理"}


# Faker's zh_CN given names are one list, men's names first; split so that names fit the ID's gender.
_SPLIT = ZhPersonProvider.first_names.index("红霞")
FIRST_MALE = tuple(ZhPersonProvider.first_names[:_SPLIT])
FIRST_FEMALE = tuple(ZhPersonProvider.first_names[_SPLIT:])


def weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs)
    return rng.choices(values, weights)[0]


def allocate(weights: list[int], total: int) -> list[int]:
    """Splits `total` in proportion to `weights` (largest remainder), so the sum is exact."""
    s = sum(weights)
    if not s or total <= 0:
        return [0] * len(weights)
    raw = [w * total / s for w in weights]
    counts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


@dataclass
class Holder:
    """A union that holds members, as people generation sees it."""

    node_id: int
    region: str  # county-level region code for ID numbers and card numbers
    profile: str
    industry: str
    employer_ids: list[int]  # the units its contract workers work for
    platform_ids: dict[str, int]  # platform key -> enterprise id
    count: int
    peers: list[int] = field(default_factory=list)  # other holders in the same city, for transfers


@dataclass
class Generated:
    persons: list[dict]
    memberships: list[dict]
    transfers: list[dict]


class PeopleFactory:
    def __init__(self, rng: random.Random, faker_seed: int):
        self.rng = rng
        self.faker = Faker("zh_CN")
        self.faker.seed_instance(faker_seed)
        self.ids: set[str] = set()
        self.phones: set[str] = set()
        self.today = timezone.localdate()

    def name(self, gender: str) -> str:
        firsts = FIRST_MALE if gender == "M" else FIRST_FEMALE
        while True:
            n = self.faker.last_name() + self.rng.choice(firsts)
            if n not in SEED_PAGE_NAMES:
                return n

    def id_number(self, region: str, gender: str, min_age: int, max_age: int) -> str:
        while True:
            n = idnumber.random_number(self.rng, region, gender=gender, min_age=min_age, max_age=max_age)
            if n not in self.ids:
                self.ids.add(n)
                return n

    def phone(self) -> str:
        while True:
            p = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(100_000_000):08d}"
            if p not in self.phones:
                self.phones.add(p)
                return p

    def date_between(self, start: dt.date, end: dt.date) -> dt.date:
        if end <= start:
            return start
        return start + dt.timedelta(days=self.rng.randrange((end - start).days))

    def person(self, h: Holder) -> dict:
        rng = self.rng
        form = weighted(rng, PROFILE_FORMS.get(h.profile, PROFILE_FORMS["enterprise"]))
        new_form = form in FORM_PLATFORMS
        if new_form:
            male_share, ages = (0.9 if form in (E.RIDER, E.TRUCK_DRIVER) else 0.82), (20, 50)
        else:
            male_share = 0.3 if h.industry in FEMALE_LEANING else 0.85 if h.profile == "coal" else 0.55
            ages = (20, 59)
        gender = "M" if rng.random() < male_share else "F"
        region = rng.choice(MIGRANT_REGIONS) if new_form and rng.random() < 0.35 else h.region
        data = derived_person_fields(name=self.name(gender), id_number=self.id_number(region, gender, *ages),
                                     phone=self.phone())
        employer = platform = None
        if new_form:
            keys = [k for k in FORM_PLATFORMS[form] if k in h.platform_ids]
            if keys and not (form == E.TRUCK_DRIVER and rng.random() < 0.3):  # some truckers own their truck
                platform = h.platform_ids[rng.choice(keys)]
            job, edu = NEW_FORM_JOBS[form], weighted(rng, EDU_NEW_FORMS)
        elif form in (E.CONTRACT, E.DISPATCH) and h.employer_ids:
            employer = rng.choice(h.employer_ids)
            job = rng.choice(JOBS.get(h.industry, ("职员",)))
            edu = weighted(rng, EDU_GRADUATES if h.industry in GRADUATE_INDUSTRIES else EDU_WORKERS)
        else:
            job, edu = rng.choice(FLEXIBLE_JOBS), weighted(rng, EDU_WORKERS)
        data.update(employment_form=form, employer_id=employer, platform_id=platform, job_title=job, education=edu,
                    ethnicity=weighted(rng, ETHNICITIES_HAIXI if h.region.startswith("6328") else ETHNICITIES_DEFAULT))
        if rng.random() < 0.12:  # those with a bank account on file (aid and subsidies are paid to it)
            account = "6222" + f"{rng.randrange(10**15):015d}"
            data.update(derived_person_fields(name=data["name"], id_number=data["id_number"], phone=data["phone"],
                                              bank_account=account))
            data["bank_name"] = rng.choice(BANKS)
        return data

    def generate(self, holders: list[Holder], *, first_person_id: int, first_membership_id: int,
                 first_transfer_id: int) -> Generated:
        rng, now = self.rng, timezone.now()
        persons, memberships, transfers = [], [], []
        by_id = {h.node_id: h for h in holders}
        pid, mid, tid = first_person_id, first_membership_id, first_transfer_id
        for h in holders:
            for _ in range(h.count):
                p = self.person(h)
                p["id"], p["created_at"], p["updated_at"] = pid, now, now
                persons.append(p)
                adult = p["birth_date"] + dt.timedelta(days=18 * 366)
                floor = dt.date(2019, 1, 1) if p["employment_form"] in FORM_PLATFORMS else dt.date(2003, 1, 1)
                joined = self.date_between(max(adult, floor), self.today - dt.timedelta(days=7))
                card = f"{h.region}{pid:010d}"
                roll = rng.random()
                if roll < 0.03 and h.peers and (self.today - joined).days > 400:
                    # 会员关系转接: an earlier membership elsewhere in the city, closed by a transfer.
                    src = by_id[rng.choice(h.peers)]
                    moved = self.date_between(joined + dt.timedelta(days=365), self.today - dt.timedelta(days=1))
                    memberships.append(_membership(mid, pid, src.node_id, joined, MembershipStatus.TRANSFERRED,
                                                   card, now, ended=moved))
                    memberships.append(_membership(mid + 1, pid, h.node_id, moved, MembershipStatus.ACTIVE, card,
                                                   now, source="transfer"))
                    transfers.append({"id": tid, "person_id": pid, "from_membership_id": mid,
                                      "to_membership_id": mid + 1, "reason": rng.choice(TRANSFER_REASONS),
                                      "actor_id": None, "at": dt.datetime.combine(moved, dt.time(10), tzinfo=dt.UTC)})
                    mid, tid = mid + 2, tid + 1
                elif roll < 0.045:
                    left = self.date_between(joined + dt.timedelta(days=30), self.today)
                    memberships.append(_membership(mid, pid, h.node_id, joined, MembershipStatus.WITHDRAWN, card, now,
                                                   ended=left))
                    mid += 1
                else:
                    memberships.append(_membership(mid, pid, h.node_id, joined, MembershipStatus.ACTIVE, card, now))
                    mid += 1
                pid += 1
        return Generated(persons, memberships, transfers)


def _membership(mid: int, pid: int, union_id: int, joined: dt.date, status: str, card: str, now: dt.datetime, *,
                ended: dt.date | None = None, source: str = "demo") -> dict:
    return {"id": mid, "person_id": pid, "union_id": union_id, "joined_on": joined, "status": status,
            "ended_on": ended, "card_no": card, "source": source, "created_at": now}
