"""Builds the demo world into an empty database in one transaction: the union tree, enterprises and
platforms, service sites, synthetic members with some history, and demo logins. One audit event
records the seeding (the rows are bulk-written, not one service call each)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext

from huigong.accounts.models import Role, StaffProfile
from huigong.core import contrib, uscc
from huigong.core.audit import audit
from huigong.members.models import Membership, MembershipTransfer, Person
from huigong.orgs.models import Enterprise, EnterpriseKind, EnterpriseSize, NodeLevel, ServiceSite, UnionNode

from . import bulk
from .people import Holder, PeopleFactory, allocate
from .world import PLACES, ROOT_CODE, SITE_DETAILS, Ent, Node, Place, world

DEFAULT_MEMBERS = 50_000
DEFAULT_PASSWORD = "Huigong-demo-2025"
SEED = 20251125
USCC_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"
AREA_LEVELS = {NodeLevel.NATIONAL, NodeLevel.PROVINCE, NodeLevel.CITY, NodeLevel.DISTRICT}


class DemoError(Exception):
    pass


@dataclass
class Report:
    nodes: int = 0
    enterprises: int = 0
    platforms: int = 0
    sites: int = 0
    persons: int = 0
    memberships: int = 0
    active: int = 0
    transfers: int = 0
    withdrawn: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # username, role label, node name
    extras: list[str] = field(default_factory=list)  # one line per app's demo builder (run_extensions)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("logins", "seconds")}


def run_extensions(builder) -> list[str]:
    """Every installed app's demo builder (contributions.demo_builder, core/contrib.py), by its order key:
    each adds its scenarios to the world and returns a one-line summary. They run inside the demo's
    transaction, after the tree, units, sites, people and logins exist."""
    return [contrib.resolve(b.func)(builder) for b in contrib.ordered("demo_builder")]


def demo_present() -> bool:
    return UnionNode.objects.filter(code=ROOT_CODE).exists()


def place_for(region: str) -> Place | None:
    """The county-level place of a region code, or the first one inside a city/province code."""
    if region in PLACES:
        return PLACES[region]
    for prefix in (region[:4], region[:2]):
        for code, place in PLACES.items():
            if code.startswith(prefix):
                return place
    return None


def county_code(region: str) -> str:
    """ID numbers and card numbers carry a county-level code; a city or province node lends its first county's."""
    if region[4:] != "00":
        return region
    for prefix in (region[:4], region[:2]):
        for code in PLACES:
            if code.startswith(prefix):
                return code
    return region


class Builder:
    def __init__(self, *, members: int, password: str, seed: int = SEED):
        self.members = members
        self.password = password
        self.rng = random.Random(seed)
        self.seed = seed
        self.usccs: set[str] = set()
        self.report = Report()

    # -- helpers -------------------------------------------------------------------------------
    def address(self, region: str) -> str:
        place = place_for(region)
        if place is None:
            return ""
        return f"{place.label}{self.rng.choice(place.roads)}{self.rng.randint(1, 999)}号"

    def coords(self, region: str) -> tuple[Decimal | None, Decimal | None]:
        place = place_for(region)
        if place is None:
            return None, None
        q = Decimal("0.000001")
        lat = Decimal(str(place.lat + self.rng.uniform(-0.025, 0.025))).quantize(q)
        lng = Decimal(str(place.lng + self.rng.uniform(-0.03, 0.03))).quantize(q)
        return lat, lng

    def landline(self, region: str) -> str:
        place = place_for(region)
        area = place.area_code if place else "010"
        digits = 8 if len(area) == 3 else 7
        return f"{area}-{self.rng.randint(2, 8)}{self.rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"

    def new_uscc(self, kind: str, region: str) -> str:
        # 91 = enterprise registered by market regulation, 12 = public institution.
        head = "12" if kind == EnterpriseKind.INSTITUTION else "91"
        while True:
            code = uscc.make(head + county_code(region) + "".join(self.rng.choice(USCC_BODY) for _ in range(9)))
            if code not in self.usccs:
                self.usccs.add(code)
                return code

    # -- steps ---------------------------------------------------------------------------------
    def build_tree(self, root: Node) -> list[tuple[Node, UnionNode]]:
        """Materialised paths are computed here (the tree is new) so the nodes go in with one bulk insert."""
        out: list[tuple[Node, UnionNode]] = []
        codes: set[str] = set()

        def visit(spec: Node, parent: UnionNode | None, index: int) -> None:
            depth = 1 if parent is None else parent.depth + 1
            if not spec.code:
                spec.code = spec.region if spec.level in AREA_LEVELS and spec.region not in codes else \
                    f"{parent.code}-{index:02d}"
            if spec.code in codes:
                raise DemoError(f"duplicate node code {spec.code}")
            codes.add(spec.code)
            node = UnionNode(
                path=UnionNode._get_path(parent.path if parent else None, depth, index), depth=depth,
                numchild=len(spec.children), code=spec.code, name=spec.name, level=spec.level,
                region_code=spec.region, address=self.address(spec.region) if parent else "",
                contact_phone=self.landline(spec.region) if parent else "",
            )
            out.append((spec, node))
            for i, child in enumerate(spec.children, start=1):
                visit(child, node, i)

        first_root = UnionNode.objects.filter(depth=1).count() + 1
        visit(root, None, first_root)
        UnionNode.objects.bulk_create([n for _, n in out])
        saved = {n.code: n for n in UnionNode.objects.filter(code__in=codes)}
        out = [(spec, saved[spec.code]) for spec, _ in out]
        self.report.nodes = len(out)
        return out

    def build_enterprises(self, tree: list[tuple[Node, UnionNode]], counts: dict[str, int]
                          ) -> tuple[dict[int, Enterprise], dict[str, int], dict[str, list[int]]]:
        """Returns enterprises by id, platform ids by key, and the employer ids of each node (by code)."""
        objs: list[tuple[str, Ent, Enterprise]] = []
        for spec, node in tree:
            ents = ([spec.enterprise] if spec.enterprise else []) + spec.covers
            for ent in ents:
                planned = counts.get(spec.code, 0) if ent is spec.enterprise else 0
                if ent.kind == EnterpriseKind.PLATFORM:
                    staff = self.rng.randint(30_000, 400_000)
                elif planned:
                    staff = int(planned * self.rng.uniform(1.05, 1.4)) + self.rng.randint(0, 20)
                else:
                    staff = self.rng.randint(8, 120)
                objs.append((spec.code, ent, Enterprise(
                    name=ent.name, uscc=self.new_uscc(ent.kind, node.region_code), kind=ent.kind,
                    industry=ent.industry, size=_size(staff), employee_count=staff, union=node,
                    region_code=county_code(node.region_code), address=self.address(node.region_code))))
        created = Enterprise.objects.bulk_create([e for _, _, e in objs])
        if any(e.pk is None for e in created):  # backends without RETURNING
            by_uscc = dict(Enterprise.objects.filter(uscc__in=self.usccs).values_list("uscc", "pk"))
            for e in created:
                e.pk = by_uscc[e.uscc]
        platforms = {ent.key: e.pk for _, ent, e in objs if ent.key}
        employers: dict[str, list[int]] = {}
        for code, ent, e in objs:
            if ent.kind != EnterpriseKind.PLATFORM:
                employers.setdefault(code, []).append(e.pk)
        self.report.enterprises = len(objs)
        self.report.platforms = len(platforms)
        return {e.pk: e for _, _, e in objs}, platforms, employers

    def build_sites(self, tree: list[tuple[Node, UnionNode]]) -> None:
        sites = []
        for spec, node in tree:
            for kind, name in spec.sites:
                lat, lng = self.coords(node.region_code)
                hours, services = SITE_DETAILS[kind]
                sites.append(ServiceSite(name=name, kind=kind, union=node, address=self.address(node.region_code),
                                         latitude=lat, longitude=lng, opening_hours=hours, services=services,
                                         phone=self.landline(node.region_code)))
        ServiceSite.objects.bulk_create(sites)
        self.report.sites = len(sites)

    def build_people(self, tree: list[tuple[Node, UnionNode]], counts: dict[str, int], platforms: dict[str, int],
                     employers: dict[str, list[int]]) -> None:
        holders = [Holder(node_id=node.pk, region=county_code(node.region_code), profile=spec.profile,
                          industry=spec.enterprise.industry if spec.enterprise else "",
                          employer_ids=employers.get(spec.code, []), platform_ids=platforms,
                          count=counts[spec.code])
                   for spec, node in tree if spec.weight]
        for h in holders:
            city = h.region[:4]
            h.peers = [o.node_id for o in holders if o is not h and o.region[:4] == city]
        factory = PeopleFactory(self.rng, self.seed)
        gen = factory.generate(holders, first_person_id=bulk.next_id(Person),
                               first_membership_id=bulk.next_id(Membership),
                               first_transfer_id=bulk.next_id(MembershipTransfer))
        bulk.insert(Person, gen.persons)
        bulk.insert(Membership, gen.memberships)
        bulk.insert(MembershipTransfer, gen.transfers)
        bulk.reset_sequences(Person, Membership, MembershipTransfer)
        r = self.report
        r.persons, r.memberships, r.transfers = len(gen.persons), len(gen.memberships), len(gen.transfers)
        r.active = sum(1 for m in gen.memberships if m["status"] == "active")
        r.withdrawn = sum(1 for m in gen.memberships if m["status"] == "withdrawn")

    def build_logins(self, tree: list[tuple[Node, UnionNode]]) -> None:
        User = get_user_model()
        # One hash for all: they share the one demo password anyway, and Argon2 is slow on purpose.
        hashed = make_password(self.password)
        for spec, node in tree:
            for username, role, display in spec.logins:
                superuser = username == "national_admin"  # Django admin for raw upkeep
                user = User.objects.create(username=username, password=hashed, is_staff=superuser,
                                           is_superuser=superuser)
                StaffProfile.objects.create(user=user, node=node, role=role, display_name=display)
                self.report.logins.append((username, str(Role(role).label), node.name))

    def run(self) -> Report:
        start = time.monotonic()
        with transaction.atomic():
            spec = world(self.rng)
            tree = self.build_tree(spec)
            weighted = [(s.code, s.weight) for s, _ in tree if s.weight]
            counts = dict(zip([c for c, _ in weighted], allocate([w for _, w in weighted], self.members)))
            _, platforms, employers = self.build_enterprises(tree, counts)
            self.build_sites(tree)
            self.build_people(tree, counts, platforms, employers)
            self.build_logins(tree)
            self.tree = tree
            self.report.extras = run_extensions(self)
            root = tree[0][1]
            audit(actor=None, verb="demo.seed", object_type="demo", object_id=root.code,
                  object_repr=gettext("演示数据"), node_path=root.path,
                  new={**self.report.as_dict(), "seed": self.seed, "logins": [u for u, _, _ in self.report.logins]})
        self.report.seconds = time.monotonic() - start
        return self.report


def _size(staff: int) -> str:
    if staff < 20:
        return EnterpriseSize.MICRO
    if staff < 300:
        return EnterpriseSize.SMALL
    if staff < 1000:
        return EnterpriseSize.MEDIUM
    return EnterpriseSize.LARGE


def build(*, members: int = DEFAULT_MEMBERS, password: str = DEFAULT_PASSWORD, seed: int = SEED) -> Report:
    if demo_present():
        raise DemoError(gettext("演示数据已存在"))
    if UnionNode.objects.exists():
        raise DemoError(gettext("数据库中已有工会组织，演示数据只能建在空库中"))
    return Builder(members=members, password=password, seed=seed).run()


def login_names(spec: Node | None = None) -> list[str]:
    spec = spec or world(random.Random(SEED))
    return [u for u, _, _ in spec.logins] + [u for child in spec.children for u in login_names(child)]


def demo_logins() -> list[tuple[str, str, str]]:
    """The demo accounts that exist now: (username, role label, node name): the world's logins first,
    then the approvers and chairs the demo extensions added. Accounts staff added after the demo was
    built are not listed: they do not have the demo password."""
    from huigong.core.models import AuditEvent

    names = login_names()
    seeded = AuditEvent.objects.filter(verb="demo.seed").order_by("at").values_list("at", flat=True).first()
    rows = StaffProfile.objects.filter(node__path__startswith=_root_path()).select_related("user", "node")
    if seeded is None:
        rows = rows.filter(user__username__in=names)
    else:
        rows = rows.filter(user__date_joined__lte=seeded)
    order = {u: i for i, u in enumerate(names)}
    return sorted(((p.user.username, str(p.get_role_display()), p.node.name) for p in rows),
                  key=lambda r: (order.get(r[0], len(order)), r[0]))


def _root_path() -> str:
    root = UnionNode.objects.filter(code=ROOT_CODE).only("path").first()
    return root.path if root else "-"
