"""seed_demo on a small member count: the seed page's tree, valid synthetic people, history,
idempotence, and logins that work and stay in their subtree. The demo is built once for the module
(`module_world`: one rolled-back transaction around the module, each test's writes rolled back as
usual); the tests that need an empty database (reset, refusal, zero members) are in
test_seed_demo_empty_db.py."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count
from django.test import RequestFactory
from django.urls import reverse

from huigong.core import idnumber, uscc
from huigong.core.crypto import blind_index
from huigong.core.models import AuditEvent
from huigong.demo.build import DEFAULT_PASSWORD, county_code, demo_logins, login_names
from huigong.demo.world import MIGRANT_REGIONS, ROOT_CODE, SEED_PAGE_NAMES
from huigong.members.models import (
    NEW_EMPLOYMENT_FORMS,
    EmploymentForm,
    Membership,
    MembershipStatus,
    MembershipTransfer,
    Person,
)
from huigong.members.selectors import member_list_for_actor
from huigong.orgs.models import Enterprise, EnterpriseKind, NodeLevel, ServiceSite, SiteKind, UnionNode

MEMBERS = 600


def seed(**kw) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **{"members": MEMBERS, **kw})
    return out.getvalue()


@pytest.fixture(scope="module")
def _demo_output(module_world) -> str:
    return module_world(seed)


@pytest.fixture
def demo(_demo_output, db) -> str:
    return _demo_output


def node(name: str) -> UnionNode:
    return UnionNode.objects.get(name=name)


def chain(leaf: UnionNode) -> list[str]:
    return [n.name for n in UnionNode.objects.get_ancestors(leaf)] + [leaf.name]


def test_tree_has_the_seed_pages_places(demo):
    root = UnionNode.objects.get(code=ROOT_CODE)
    assert (root.name, root.level, root.depth) == ("中华全国总工会", NodeLevel.NATIONAL, 1)
    assert chain(node("西湖区骑手联合工会")) == ["中华全国总工会", "浙江省总工会", "杭州市总工会", "西湖区总工会", "西湖区骑手联合工会"]
    assert chain(node("格尔木市总工会")) == ["中华全国总工会", "青海省总工会", "海西州总工会", "格尔木市总工会"]
    assert chain(node("青岛高新区总工会")) == ["中华全国总工会", "山东省总工会", "青岛市总工会", "青岛高新区总工会"]
    assert chain(node("陕煤集团黄陵矿业二号煤矿工会")) == ["中华全国总工会", "陕西省总工会", "陕煤集团工会",
                                                      "陕煤集团黄陵矿业二号煤矿工会"]
    assert chain(node("石家庄市总工会"))[1] == "河北省总工会"
    assert chain(node("辽源市总工会"))[1] == "吉林省总工会"
    assert chain(node("台山市总工会"))[1:3] == ["广东省总工会", "江门市总工会"]
    assert UnionNode.objects.get_parent(node("天津市总工会")) == root
    assert node("陕煤集团工会").level == NodeLevel.INDUSTRY
    assert node("西湖区骑手联合工会").level == NodeLevel.JOINT
    # Real GB/T 2260 codes for the places.
    codes = {n.name: n.region_code for n in UnionNode.objects.all()}
    assert codes["杭州市总工会"] == "330100" and codes["西湖区总工会"] == "330106"
    assert codes["格尔木市总工会"] == "632801" and codes["海西州总工会"] == "632800"
    assert codes["石家庄市总工会"] == "130100" and codes["辽源市总工会"] == "220400"
    assert codes["天津市总工会"] == "120000" and codes["广东省总工会"] == "440000"
    assert all(len(c) == 6 and c.isdigit() for c in codes.values())
    # The materialised paths written in bulk form a consistent tree.
    assert all(not problems for problems in UnionNode.objects.find_problems())
    for n in UnionNode.objects.all():
        assert n.numchild == UnionNode.objects.filter(path__startswith=n.path, depth=n.depth + 1).count()


def test_qingdao_high_tech_zone(demo):
    gaoxin = node("青岛高新区总工会")
    subtree = UnionNode.objects.filter(path__startswith=gaoxin.path)
    assert 65 <= subtree.filter(level=NodeLevel.GRASSROOTS).count() <= 75
    assert Enterprise.objects.filter(union__path__startswith=gaoxin.path).count() == 94
    sites = ServiceSite.objects.filter(union__path__startswith=gaoxin.path)
    assert sites.count() == 78
    assert set(sites.values_list("kind", flat=True)) >= {SiteKind.WORKERS_HOME, SiteKind.MOTHERS_ROOM}
    for s in sites:
        assert s.address.startswith("山东省青岛市")
        assert 36.0 < float(s.latitude) < 36.6 and 120.0 < float(s.longitude) < 120.6


def test_enterprises_platforms_and_sites(demo):
    assert all(uscc.validate(c) == c for c in Enterprise.objects.values_list("uscc", flat=True))
    platforms = Enterprise.objects.filter(kind=EnterpriseKind.PLATFORM)
    assert platforms.count() >= 4
    assert {p.union.level for p in platforms} == {NodeLevel.JOINT}
    assert ServiceSite.objects.filter(kind=SiteKind.OUTDOOR_STATION).count() >= 20
    for s in ServiceSite.objects.all():
        assert 18 < float(s.latitude) < 54 and 73 < float(s.longitude) < 135, s.name


def test_people_are_valid_synthetic_members(demo):
    people = list(Person.objects.all())
    assert len(people) == MEMBERS
    holders = {m.person_id: m for m in Membership.objects.exclude(status=MembershipStatus.TRANSFERRED)
               .select_related("union")}
    assert set(holders) == {p.pk for p in people}
    for p in people:
        info = idnumber.parse(p.id_number)  # raises on a bad check digit or birth date
        assert (info.gender, info.birth_date) == (p.gender, p.birth_date)
        assert p.id_number_hash == blind_index(p.id_number, "id")
        assert p.id_number_mask == idnumber.mask(p.id_number)
        assert p.phone_hash == blind_index(p.phone, "phone") and len(p.phone) == 11
        assert p.name not in SEED_PAGE_NAMES and p.name_pinyin
        union = holders[p.pk].union
        assert union.can_hold_members
        # The ID carries the region of the member's place, or a sending county for migrant platform workers.
        home = county_code(union.region_code)
        assert info.region_code == home or (p.employment_form in NEW_EMPLOYMENT_FORMS
                                            and info.region_code in MIGRANT_REGIONS)
    assert len({p.id_number_hash for p in people}) == MEMBERS


def test_new_employment_forms_sit_on_platforms_and_joint_unions(demo):
    riders = Membership.objects.filter(person__employment_form=EmploymentForm.RIDER,
                                       status=MembershipStatus.ACTIVE).select_related(
        "person__platform", "union")
    assert riders.count() > 20
    for m in riders:
        assert m.union.level == NodeLevel.JOINT
        assert m.person.platform is not None and m.person.platform.kind == EnterpriseKind.PLATFORM
    forms = set(Person.objects.values_list("employment_form", flat=True))
    assert {EmploymentForm.RIDER, EmploymentForm.COURIER, EmploymentForm.RIDE_HAILING,
            EmploymentForm.TRUCK_DRIVER, EmploymentForm.CONTRACT} <= forms
    workers = Person.objects.filter(employment_form=EmploymentForm.CONTRACT, employer__isnull=False)
    assert workers.exclude(employer__kind=EnterpriseKind.PLATFORM).count() == workers.count()


def test_history_has_transfers_and_withdrawals(demo):
    transfers = list(MembershipTransfer.objects.select_related("from_membership", "to_membership"))
    assert transfers
    for t in transfers:
        assert t.from_membership.person_id == t.to_membership.person_id == t.person_id
        assert t.from_membership.status == MembershipStatus.TRANSFERRED
        assert t.to_membership.status == MembershipStatus.ACTIVE
        assert t.from_membership.ended_on == t.to_membership.joined_on
        assert t.from_membership.union_id != t.to_membership.union_id
    assert Membership.objects.filter(status=MembershipStatus.WITHDRAWN, ended_on__isnull=False).exists()
    # The partial unique index holds: nobody has two active memberships.
    assert not Membership.objects.filter(status="active").values("person").annotate(n=Count("id")).filter(n__gt=1)


def test_one_audit_event_records_the_seeding(demo):
    events = AuditEvent.objects.filter(verb="demo.seed")
    assert events.count() == 1
    assert events[0].new["persons"] == MEMBERS
    assert events[0].node_path == UnionNode.objects.get(code=ROOT_CODE).path


def test_second_run_changes_nothing(demo):
    before = (UnionNode.objects.count(), Person.objects.count(), Membership.objects.count(),
              AuditEvent.objects.count())
    out = seed(members=5000)
    assert "未做改动" in out
    assert (UnionNode.objects.count(), Person.objects.count(), Membership.objects.count(),
            AuditEvent.objects.count()) == before
    assert "hangzhou_admin" in out  # the logins are printed again


def test_output_lists_logins_password_and_url(demo):
    assert DEFAULT_PASSWORD in demo and "http://127.0.0.1:8000/" in demo
    for username in ("hangzhou_admin", "xihu_staff", "qingdao_admin", "golmud_staff", "golmud_finance",
                     "leader_national"):
        assert username in demo


def test_every_demo_login_signs_in_and_acts_for_its_node(demo, client):
    listed = [u for u, _, _ in demo_logins()]
    # The world's logins first, in order, then the approvers the demo extensions added (e.g. golmud_leader).
    assert listed[: len(login_names())] == login_names()
    assert "golmud_leader" in listed[len(login_names()):]
    rf = RequestFactory()
    for username in listed:
        user = authenticate(rf.post("/accounts/login/"), username=username, password=DEFAULT_PASSWORD)
        assert user is not None, username
        assert user.staff.node.path.startswith(UnionNode.objects.get(code=ROOT_CODE).path)
        assert authenticate(rf.post("/accounts/login/"), username=username, password="wrong-password") is None
    expected = {"hangzhou_admin": ("杭州市总工会", "admin"), "xihu_staff": ("西湖区总工会", "staff"),
                "qingdao_admin": ("青岛高新区总工会", "admin"), "golmud_staff": ("格尔木市总工会", "staff"),
                "golmud_finance": ("格尔木市总工会", "finance"), "leader_national": ("中华全国总工会", "leader")}
    from django.contrib.auth import get_user_model

    for username, (node_name, role) in expected.items():
        staff = get_user_model().objects.get(username=username).staff
        assert (staff.node.name, staff.role) == (node_name, role)
    # Through the real sign-in page.
    resp = client.post(reverse("accounts:login"), {"username": "golmud_staff", "password": DEFAULT_PASSWORD})
    assert resp.status_code == 302
    assert client.get(reverse("console:home")).status_code == 200


def test_demo_logins_see_only_their_subtree(demo):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    golmud = User.objects.get(username="golmud_staff")
    qingdao = User.objects.get(username="qingdao_admin")
    national = User.objects.get(username="leader_national")
    g = set(member_list_for_actor(golmud).values_list("person_id", flat=True))
    q = set(member_list_for_actor(qingdao).values_list("person_id", flat=True))
    assert g and q and not (g & q)
    assert len(member_list_for_actor(national)) == Membership.objects.filter(status="active").count()
    assert all(p.startswith(node("格尔木市总工会").path)
               for p in member_list_for_actor(golmud).values_list("union__path", flat=True))
