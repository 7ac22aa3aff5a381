import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from huigong.accounts.models import Role
from huigong.core.models import AuditEvent
from huigong.orgs.models import NodeLevel
from huigong.testing import make_node, make_staff

from ..models import AidApplication, ProgrammeBudget
from ..services import aid, approval
from .flowkit import YEAR, Flow

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow(cast):
    return Flow(cast)


def test_three_levels_approve_reserves_budget(flow):
    app = flow.apply(amount_fen=120_000)
    app = approval.approval_decide(actor=flow.tech_admin, application=app, decision="approved", comment="属实")
    assert app.status == "submitted" and app.current_step == 1
    app = approval.approval_decide(actor=flow.xihu_leader, application=app, decision="approved",
                                   amount_fen=100_000)
    app = approval.approval_decide(actor=flow.city_leader, application=app, decision="approved")
    assert app.status == "approved" and app.amount_approved_fen == 100_000
    b = ProgrammeBudget.objects.get(pk=flow.budget.pk)
    assert b.committed_fen == 100_000 and app.budget_id == b.pk
    assert [s.decision for s in app.steps.order_by("seq")] == ["approved"] * 3
    verbs = list(AuditEvent.objects.filter(object_id=str(app.pk), verb__startswith="aid_application.")
                 .values_list("verb", flat=True))
    assert verbs.count("aid_application.approved") == 3


def test_approver_at_wrong_node_refused(flow, cast):
    app = flow.apply()
    # The city leader is an ancestor, but the grassroots step is the grassroots union's.
    with pytest.raises(PermissionDenied, match="杭州某科技公司工会"):
        approval.approval_decide(actor=flow.city_leader, application=app, decision="approved")
    with pytest.raises(PermissionDenied):  # staff have no APPROVE
        approval.approval_decide(actor=cast.tech_staff, application=app, decision="approved")
    with pytest.raises(PermissionDenied):
        approval.approval_decide(actor=cast.outsider, application=app, decision="approved")
    assert AidApplication.objects.get(pk=app.pk).current_step == 0


def test_return_and_resubmit_keeps_history(flow, cast):
    app = flow.apply()
    app = approval.approval_decide(actor=flow.tech_admin, application=app, decision="approved")
    with pytest.raises(ValidationError, match="退回或不同意时请填写审批意见"):
        approval.approval_decide(actor=flow.xihu_leader, application=app, decision="returned")
    app = approval.approval_decide(actor=flow.xihu_leader, application=app, decision="returned",
                                   comment="请补充医疗票据")
    assert app.status == "returned"
    app = aid.aid_application_update(actor=cast.tech_staff, application=app, reason="已补充票据")
    app = aid.aid_application_submit(actor=cast.tech_staff, application=app)
    assert app.round == 2 and app.current_step == 0
    assert app.steps.filter(round=1).count() == 3 and app.steps.filter(round=2).count() == 3
    assert app.steps.get(round=1, seq=1).comment == "请补充医疗票据"
    app = flow.approve_all(app)
    assert app.status == "approved"


def test_reject_ends_it(flow, cast):
    app = flow.apply()
    app = approval.approval_decide(actor=flow.tech_admin, application=app, decision="rejected", comment="收入超标")
    assert app.status == "rejected"
    with pytest.raises(ValidationError):
        aid.aid_application_submit(actor=cast.tech_staff, application=app)
    with pytest.raises(ValidationError, match="不在审批中"):
        approval.approval_decide(actor=flow.xihu_leader, application=app, decision="approved")
    # A rejected application no longer blocks a new one for the file.
    assert flow.apply(file=app.file, submit=False).status == "draft"


def test_over_budget_refused_and_nothing_written(cast):
    f = Flow(cast, budget_fen=150_000)
    a1 = f.approve_all(f.apply(amount_fen=100_000))
    assert a1.status == "approved"
    a2 = f.apply(amount_fen=100_000)
    a2 = approval.approval_decide(actor=f.tech_admin, application=a2, decision="approved")
    a2 = approval.approval_decide(actor=f.xihu_leader, application=a2, decision="approved")
    with pytest.raises(ValidationError, match="预算不足"):
        approval.approval_decide(actor=f.city_leader, application=a2, decision="approved")
    a2 = AidApplication.objects.get(pk=a2.pk)
    assert a2.status == "submitted" and a2.current_step == 2
    assert a2.steps.get(round=1, seq=2).decision == "pending"
    assert ProgrammeBudget.objects.get(pk=f.budget.pk).committed_fen == 100_000
    # the approver may grant what is left instead
    a2 = approval.approval_decide(actor=f.city_leader, application=a2, decision="approved", amount_fen=50_000)
    assert a2.status == "approved"
    assert ProgrammeBudget.objects.get(pk=f.budget.pk).committed_fen == 150_000


def test_household_cap_across_programmes(cast):
    f = Flow(cast, cap_fen=150_000)
    other = aid.programme_create(actor=cast.city_admin, node=cast.hangzhou, kind="illness", name="大病救助",
                                 year=YEAR, amount_fen=500_000, approval_levels=["city"])
    aid.programme_open(actor=cast.city_admin, programme=other)
    aid.programme_budget_set(actor=cast.city_admin, programme=other, node=cast.hangzhou, total_fen=5_000_000)
    file = f.new_file()
    f.approve_all(f.apply(file=file, amount_fen=100_000))
    big = f.apply(file=file, amount_fen=80_000, programme=other)
    with pytest.raises(ValidationError, match="超过每户年度上限") as e:
        approval.approval_decide(actor=f.city_leader, application=big, decision="approved")
    assert "1,500.00" in str(e.value) and "杭州市总工会" in str(e.value)
    ok = approval.approval_decide(actor=f.city_leader, application=big, decision="approved", amount_fen=50_000)
    assert ok.status == "approved"


def test_household_cap_counts_the_household_not_the_file(cast):
    """Review #7: closing a file and opening a new one for the same household does not reset the year."""
    from ..models import FileMember, FileStatus, HardshipFile
    from .flowkit import make_file

    f = Flow(cast, cap_fen=150_000)
    first = f.new_file(name="王家户主")
    f.approve_all(f.apply(file=first, amount_fen=100_000))
    HardshipFile.objects.filter(pk=first.pk).update(status=FileStatus.CLOSED, close_reason="recovered")
    FileMember.objects.filter(file=first).update(is_live=False)
    again = make_file(first.head, cast.tech)  # same head, a new file
    app = f.apply(file=again, amount_fen=100_000)
    with pytest.raises(ValidationError, match="超过每户年度上限") as e:
        f.approve_all(app)
    assert "1,000.00" in str(e.value)  # what the household already had on the closed file
    # a member's ID number links files too (a spouse reopening the household under their own name)
    spouse = f.new_file(name="王家配偶")
    idn_hash = FileMember.objects.filter(file=first).values_list("id_number_hash", flat=True).first()
    FileMember.objects.filter(file=spouse).update(id_number_hash=idn_hash, is_live=False)
    with pytest.raises(ValidationError, match="超过每户年度上限"):
        f.approve_all(f.apply(file=spouse, amount_fen=80_000))


def test_missing_level_is_skipped(cast):
    # riders' union sits under a district, under the city: a "township" level does not exist on the branch
    f = Flow(cast, levels=("grassroots", "township", "city"))
    file = f.new_file(node=cast.tech)
    app = f.apply(file=file)
    assert [s.level for s in app.steps.order_by("seq")] == ["grassroots", "city"]


def test_no_level_resolves_refused(cast):
    f = Flow(cast, levels=("township",))
    app = f.apply(submit=False)
    with pytest.raises(ValidationError, match="没有项目要求的任何审批层级"):
        aid.aid_application_submit(actor=cast.tech_staff, application=app)
    assert AidApplication.objects.get(pk=app.pk).status == "draft"


def test_nearest_budget_pays(cast):
    f = Flow(cast)
    xihu_budget = aid.programme_budget_set(actor=cast.city_admin, programme=f.prog, node=cast.xihu,
                                           total_fen=300_000)
    app = f.approve_all(f.apply(amount_fen=100_000))
    assert app.budget_id == xihu_budget.pk
    other = make_node(cast.hangzhou, "上城区总工会", NodeLevel.DISTRICT)
    ent = make_node(other, "上城某企业工会", NodeLevel.GRASSROOTS)
    make_staff(ent, Role.ADMIN)
    assert ProgrammeBudget.objects.get(pk=f.budget.pk).committed_fen == 0


def test_withdraw_while_submitted(flow, cast):
    app = flow.apply()
    app = aid.aid_application_withdraw(actor=cast.tech_staff, application=app)
    assert app.status == "withdrawn"
    with pytest.raises(ValidationError, match="不在审批中"):
        approval.approval_decide(actor=flow.tech_admin, application=app, decision="approved")


def test_approval_queue_lists_only_my_steps(flow, cast):
    from ..selectors.aid import approval_queue

    app = flow.apply()
    assert list(approval_queue(flow.tech_admin)) == [app]
    assert list(approval_queue(flow.xihu_leader)) == []
    approval.approval_decide(actor=flow.tech_admin, application=app, decision="approved")
    assert list(approval_queue(flow.xihu_leader)) == [app]
    assert list(approval_queue(flow.tech_admin)) == []
    assert list(approval_queue(cast.outsider)) == []
