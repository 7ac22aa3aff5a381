import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from huigong.core.models import AuditEvent

from ..models import AidApplication, ApplicationStatus, HouseholdYearCap
from ..services import aid
from .flowkit import YEAR, Flow, make_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow(cast):
    return Flow(cast)


def test_programme_lifecycle_and_audit(cast):
    p = aid.programme_create(actor=cast.city_admin, node=cast.hangzhou, kind="education", name="金秋助学",
                             year=YEAR, amount_fen=300_000, amount_mode="fixed", approval_levels=["district", "city"],
                             required_causes=["schooling"])
    assert p.status == "draft"
    aid.programme_open(actor=cast.city_admin, programme=p)
    aid.programme_close(actor=cast.city_admin, programme=p)
    p.refresh_from_db()
    assert p.status == "closed"
    verbs = set(AuditEvent.objects.filter(object_id=str(p.pk), object_type="assistance.aidprogramme")
                .values_list("verb", flat=True))
    assert {"aid_programme.create", "aid_programme.open", "aid_programme.close"} <= verbs


def test_programme_refuses_bad_levels_and_outsider(cast):
    with pytest.raises(ValidationError, match="approval"):
        aid.programme_create(actor=cast.city_admin, node=cast.hangzhou, kind="living", name="x", year=YEAR,
                             amount_fen=1, approval_levels=[])
    with pytest.raises(ValidationError):
        aid.programme_create(actor=cast.city_admin, node=cast.hangzhou, kind="living", name="x", year=YEAR,
                             amount_fen=1, approval_levels=["mayor"])
    with pytest.raises(PermissionDenied):
        aid.programme_create(actor=cast.outsider, node=cast.hangzhou, kind="living", name="x", year=YEAR,
                             amount_fen=1, approval_levels=["city"])
    with pytest.raises(PermissionDenied):  # finance has no ASSIST
        aid.programme_create(actor=cast.finance, node=cast.hangzhou, kind="living", name="x", year=YEAR,
                             amount_fen=1, approval_levels=["city"])


def test_budget_never_below_committed(flow, cast):
    app = flow.approve_all(flow.apply(amount_fen=150_000))
    assert app.status == "approved"
    with pytest.raises(ValidationError, match="1,500.00"):
        aid.programme_budget_set(actor=cast.city_admin, programme=flow.prog, node=cast.hangzhou, total_fen=100_000)
    b = aid.programme_budget_set(actor=cast.city_admin, programme=flow.prog, node=cast.hangzhou, total_fen=150_000)
    assert b.total_fen == 150_000 and b.committed_fen == 150_000


def test_budget_outside_programme_subtree_refused(flow, cast):
    with pytest.raises((ValidationError, PermissionDenied)):
        aid.programme_budget_set(actor=cast.city_admin, programme=flow.prog, node=cast.qingdao, total_fen=1)


def test_household_cap_set_updates(cast):
    aid.household_cap_set(actor=cast.city_admin, node=cast.hangzhou, year=YEAR, cap_fen=500_000)
    aid.household_cap_set(actor=cast.city_admin, node=cast.hangzhou, year=YEAR, cap_fen=600_000)
    assert HouseholdYearCap.objects.get(node=cast.hangzhou, year=YEAR).cap_fen == 600_000
    with pytest.raises(ValidationError, match="cap"):
        aid.household_cap_set(actor=cast.city_admin, node=cast.hangzhou, year=YEAR, cap_fen=0)


def test_application_create_submit_builds_steps(flow, cast):
    app = flow.apply()
    assert app.status == "submitted"
    steps = list(app.steps.order_by("seq"))
    assert [(s.level, s.node_id) for s in steps] == [("grassroots", cast.tech.pk), ("district", cast.xihu.pk),
                                                     ("city", cast.hangzhou.pk)]


def test_duplicate_live_application_refused(flow):
    app = flow.apply(submit=False)
    with pytest.raises(ValidationError, match="已有本项目的申请"):
        flow.apply(file=app.file, submit=False)
    aid.aid_application_withdraw(actor=flow.cast.tech_staff, application=app)
    again = flow.apply(file=app.file, submit=False)  # a withdrawn one no longer blocks
    assert again.status == "draft"


def test_level_and_cause_eligibility(cast):
    f = Flow(cast, eligible=("deep",), causes=("schooling",))
    relative = f.new_file(level="relative", causes=("schooling",))
    with pytest.raises(ValidationError, match="困难等级"):
        f.apply(file=relative)
    no_school = f.new_file(level="deep", causes=("illness",))
    with pytest.raises(ValidationError, match="致困原因"):
        f.apply(file=no_school)
    ok = f.apply(file=f.new_file(level="deep", causes=("schooling", "illness")))
    assert ok.status == "submitted"


def test_amount_rules(cast):
    fixed = Flow(cast, mode="fixed", amount_fen=300_000)
    with pytest.raises(ValidationError, match="定额 3,000.00 元"):
        fixed.apply(amount_fen=100_000)
    up_to = Flow(cast, amount_fen=200_000)
    with pytest.raises(ValidationError, match="超过项目上限"):
        up_to.apply(amount_fen=200_001)
    with pytest.raises(ValidationError, match="申请金额必须大于 0"):
        up_to.apply(amount_fen=0)


def test_closed_file_or_programme_refused(flow, cast):
    closed = flow.new_file(status="closed")
    closed.close_reason = "recovered"
    closed.save()
    with pytest.raises(ValidationError, match="不是在档状态"):
        flow.apply(file=closed)
    aid.programme_close(actor=cast.city_admin, programme=flow.prog)
    with pytest.raises(ValidationError, match="未在受理中"):
        flow.apply()


def test_outsider_cannot_apply_or_touch(flow, cast):
    f = flow.new_file()
    with pytest.raises(PermissionDenied):
        aid.aid_application_create(actor=cast.outsider, programme=flow.prog, file=f, amount_fen=1, reason="x")
    app = flow.apply(file=f, submit=False)
    for fn in (aid.aid_application_submit, aid.aid_application_withdraw):
        with pytest.raises(PermissionDenied):
            fn(actor=cast.outsider, application=app)
    assert AidApplication.objects.get(pk=app.pk).status == "draft"


def test_update_only_while_draft_or_returned(flow):
    app = flow.apply(submit=False)
    app = aid.aid_application_update(actor=flow.cast.tech_staff, application=app, amount_fen=120_000, reason="新理由")
    assert app.amount_requested_fen == 120_000
    aid.aid_application_submit(actor=flow.cast.tech_staff, application=app)
    with pytest.raises(ValidationError, match="只有草稿或退回的申请可以修改"):
        aid.aid_application_update(actor=flow.cast.tech_staff, application=app, amount_fen=1)


def test_file_outside_programme_refused(cast):
    f = Flow(cast)
    qd_file = make_file(cast.qd_member, cast.qd_ent)
    with pytest.raises((ValidationError, PermissionDenied)):
        aid.aid_application_create(actor=cast.outsider, programme=f.prog, file=qd_file, amount_fen=1000,
                                   reason="x")


def test_portal_application_skips_staff_check(flow):
    f = flow.new_file()
    app = aid.aid_application_create(actor=None, programme=flow.prog, file=f, amount_fen=50_000, reason="本人申请",
                                     via_portal=True)
    assert app.via_portal and app.status == ApplicationStatus.DRAFT
