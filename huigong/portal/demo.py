"""The portal's part of the demo: worker accounts (one Hangzhou rider member to sign in as), join
applications at every stage routed to Hangzhou and Qingdao unions, consents and messages. The consent
texts v1 come from the migration."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from huigong.accounts.models import StaffProfile
from huigong.core import idnumber
from huigong.core.crypto import mask_phone
from huigong.members.models import EmploymentForm, Membership, MembershipStatus
from huigong.orgs.models import Enterprise, EnterpriseKind, NodeLevel, UnionNode

from . import join, services
from .models import ConsentPurpose, WorkerAccount

DEMO_RIDER_PHONE = "13800000001"


def _nodes(builder) -> dict[str, UnionNode]:
    return {spec.key: node for spec, node in builder.tree if spec.key}


def _account(phone: str, hashed: str, person=None) -> WorkerAccount:
    user = get_user_model().objects.create(username=services.worker_username(phone), password=hashed)
    return WorkerAccount.objects.create(user=user, person=person, phone=phone, phone_hash=services.phone_hash(phone),
                                        phone_mask=mask_phone(phone))


def _staff_at(node: UnionNode):
    """A staff login that may decide applications routed to `node` (its own node or above)."""
    profiles = StaffProfile.objects.select_related("user", "node").filter(role__in=["admin", "staff"])
    best = None
    for p in profiles:
        if node.path.startswith(p.node.path) and (best is None or len(p.node.path) > len(best.node.path)):
            best = p
    return best.user if best else None


def _new_id(builder, region: str) -> str:
    return idnumber.random_number(builder.rng, region, min_age=20, max_age=50)


def build(builder) -> str:
    nodes = _nodes(builder)
    hashed = make_password(builder.password)
    xihu_riders, gaoxin = nodes.get("xihu_riders"), nodes.get("qingdao_gaoxin")
    if xihu_riders is None or gaoxin is None:
        return "portal: skipped (no Hangzhou riders' union or Qingdao high-tech zone in this world)"
    # The demo rider: an active rider member of 西湖区骑手联合工会.
    member = (Membership.objects.select_related("person").filter(
        union=xihu_riders, status=MembershipStatus.ACTIVE, person__employment_form=EmploymentForm.RIDER)
        .order_by("id").first())
    rider = _account(DEMO_RIDER_PHONE, hashed, person=member.person if member else None)
    for purpose in (ConsentPurpose.ID_NUMBER, ConsentPurpose.HEALTH):
        services.consent_give(account=rider, purpose=purpose)
    services.message_send(account=rider, person=rider.person, title="欢迎使用惠工e家",
                          body="入会、体检福利、先办后补、服务阵地和困难帮扶，都可以在手机上办理。有问题可到附近的骑手驿站咨询。")

    platform = Enterprise.objects.filter(kind=EnterpriseKind.PLATFORM, union=xihu_riders).first()
    qd_firm = Enterprise.objects.filter(union__path__startswith=gaoxin.path, union__level=NodeLevel.GRASSROOTS).first()
    # A Qingdao member who now rides in Hangzhou, signed up with a new phone: the application waits for the
    # union to verify the ID card in person (身份待核实) before it becomes a transfer.
    qd_member = (Membership.objects.select_related("person")
                 .filter(union__path__startswith=gaoxin.path, status=MembershipStatus.ACTIVE)
                 .exclude(person__worker_accounts__isnull=False).order_by("id").first())
    cases = [
        # (phone, name, region, form, where, outcome)
        ("13800000002", "孙一鸣", "330106", EmploymentForm.RIDER, {"platform": platform}, "submitted"),
        ("13800000003", "周晓峰", "330105", EmploymentForm.COURIER, {"area": _district(xihu_riders)}, "submitted"),
        ("13800000004", "吴海燕", "370214", EmploymentForm.CONTRACT, {"employer": qd_firm}, "submitted"),
        ("13800000005", "郑立新", "370214", EmploymentForm.FLEXIBLE, {"area": gaoxin}, "submitted"),
        ("13800000007", "陈雨桐", "330106", EmploymentForm.RIDER, {"platform": platform}, "rejected"),
        ("13800000008", "褚明亮", "370214", EmploymentForm.CONTRACT, {"employer": qd_firm}, "withdrawn"),
    ]
    made = 0
    for phone, name, region, form, where, outcome in cases:
        if any(v is None for v in where.values()):
            continue
        account = _account(phone, hashed)
        services.consent_give(account=account, purpose=ConsentPurpose.ID_NUMBER)
        app = join.join_submit(account=account, draft=join.Draft(name=name, id_number=_new_id(builder, region),
                                                                 employment_form=form, **where))
        made += 1
        staff = _staff_at(app.routed_to)
        if outcome == "accepted" and staff is not None:
            join.join_accept(actor=staff, application=app)
        elif outcome == "rejected" and staff is not None:
            join.join_reject(actor=staff, application=app,
                             reason="未能核实平台接单记录，请在骑手App中截取近30天接单记录后重新申请")
        elif outcome == "withdrawn":
            join.join_withdraw(account=account, application=app)
    # Accepted ones reuse people of the world (the demo's head count stays what was asked for): a member
    # of a 西湖区 enterprise union who now rides transfers online; a member who had left rejoins.
    xihu = _district(xihu_riders)
    movers = (Membership.objects.select_related("person").filter(
        union__path__startswith=xihu.path, union__level=NodeLevel.GRASSROOTS, status=MembershipStatus.ACTIVE)
        .exclude(person__worker_accounts__isnull=False).order_by("id")) if xihu is not None else []
    leavers = (Membership.objects.select_related("person").filter(
        union__path__startswith=xihu.path, union__region_code=xihu.region_code, status=MembershipStatus.WITHDRAWN)
        .exclude(person__memberships__status=MembershipStatus.ACTIVE).order_by("id")) if xihu is not None else []
    staff = _staff_at(xihu_riders)
    for phone, m in (("13800000006", movers[:1]), ("13800000010", leavers[:1])):
        m = next(iter(m), None)
        if m is None or platform is None or staff is None:
            continue
        account = _account(phone, hashed)
        services.consent_give(account=account, purpose=ConsentPurpose.ID_NUMBER)
        app = join.join_submit(account=account, draft=join.Draft(
            name=m.person.name, id_number=m.person.id_number, employment_form=EmploymentForm.RIDER, platform=platform))
        # A new phone number, not the one on their record: the union checked the ID card in person.
        join.join_accept(actor=staff, application=app, verification_note="本人持身份证到骑手驿站当面核验")
        made += 1
    if qd_member is not None and platform is not None:
        account = _account("13800000009", hashed)
        services.consent_give(account=account, purpose=ConsentPurpose.ID_NUMBER)
        join.join_submit(account=account, draft=join.Draft(
            name=qd_member.person.name, id_number=qd_member.person.id_number, employment_form=EmploymentForm.RIDER,
            platform=platform))
        made += 1
    return (f"portal: 惠工e家 at /portal/ — sign in as rider {DEMO_RIDER_PHONE} with the demo password; "
            f"{WorkerAccount.objects.count()} worker accounts, {made} join applications")


def _district(node: UnionNode) -> UnionNode | None:
    return UnionNode.objects.get_ancestors(node).filter(level=NodeLevel.DISTRICT).last()
