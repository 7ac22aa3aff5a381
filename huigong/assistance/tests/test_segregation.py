"""Segregation of duties in aid (ISSUE14 #10, core/duties.py): nobody decides an application they
created, edited or submitted; nobody pays what they approved; a chain nobody else can act on is refused
at submission."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from huigong.accounts.models import Role, StaffProfile
from huigong.core.duties import DutyConflict
from huigong.orgs.models import NodeLevel
from huigong.testing import make_member, make_node, make_staff, result_sheet

from ..models import AidApplication, Payout
from ..services import aid, approval, payouts
from .flowkit import Flow, make_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow(cast):
    return Flow(cast, levels=("grassroots",))


def _apply(flow, actor, file=None, submit=True):
    app = aid.aid_application_create(actor=actor, programme=flow.prog, file=file or flow.new_file(),
                                     amount_fen=100_000, reason="家庭困难")
    return aid.aid_application_submit(actor=actor, application=app) if submit else app


def test_the_applicant_cannot_approve_their_own_application(flow, cast):
    # Given a grassroots chair who applies for a household of their union (a second chair exists)
    applicant = make_staff(cast.tech, Role.ADMIN, "tech_chair_applicant")
    app = _apply(flow, applicant)
    # When they approve it themselves: refused, and nothing changes
    for decision in ("approved", "returned", "rejected"):
        with pytest.raises(DutyConflict, match="职责分离"):
            approval.approval_decide(actor=applicant, application=app, decision=decision, comment="同意")
    assert AidApplication.objects.get(pk=app.pk).status == "submitted"
    # The other chair decides it
    app = approval.approval_decide(actor=flow.tech_admin, application=app, decision="approved")
    assert app.status == "approved"


def test_whoever_submitted_or_edited_it_cannot_decide_it_either(flow, cast):
    chair = make_staff(cast.tech, Role.ADMIN, "tech_chair_submitter")
    draft = _apply(flow, cast.tech_staff, submit=False)
    aid.aid_application_update(actor=chair, application=draft, amount_fen=90_000)
    app = aid.aid_application_submit(actor=chair, application=draft)
    with pytest.raises(PermissionDenied):
        approval.approval_decide(actor=chair, application=app, decision="approved")
    assert approval.approval_decide(actor=flow.tech_admin, application=app, decision="approved").status == "approved"


def test_a_chain_only_the_applicant_could_approve_is_refused_at_submission(cast):
    # Given a union whose only approver is the chair, who applies for one of its households
    union = make_node(cast.xihu, "某小微企业工会", NodeLevel.GRASSROOTS, "330106")
    chair = make_staff(union, Role.ADMIN, "small_union_chair")
    f = Flow(cast, levels=("grassroots",))
    file = make_file(make_member(cast.city_admin, union, "孙困难"), union)
    app = aid.aid_application_create(actor=chair, programme=f.prog, file=file, amount_fen=100_000, reason="困难")
    # When they submit: refused, with the reason
    with pytest.raises(ValidationError, match="职责分离"):
        aid.aid_application_submit(actor=chair, application=app)
    assert AidApplication.objects.get(pk=app.pk).status == "draft" and not app.steps.exists()
    # Once a second approver is appointed it goes through, and the other one decides
    other = make_staff(union, Role.LEADER, "small_union_leader")
    app = aid.aid_application_submit(actor=chair, application=app)
    assert approval.approval_decide(actor=other, application=app, decision="approved").status == "approved"


def test_a_step_nobody_holds_yet_does_not_block_submission(cast):
    union = make_node(cast.xihu, "新建企业工会", NodeLevel.GRASSROOTS, "330106")
    f = Flow(cast, levels=("grassroots",))
    file = make_file(make_member(cast.city_admin, union, "钱困难"), union)
    app = aid.aid_application_create(actor=cast.district_staff, programme=f.prog, file=file, amount_fen=100_000,
                                     reason="困难")
    assert aid.aid_application_submit(actor=cast.district_staff, application=app).status == "submitted"


# --- payment -------------------------------------------------------------------------------------------


@pytest.fixture
def approved_by_leader(cast):
    """An application past its notice, approved by the city leader, who then moves to finance."""
    f = Flow(cast, levels=("city",))
    apps = f.ready_to_pay(1)
    StaffProfile.objects.filter(user=cast.leader).update(role=Role.FINANCE)
    cast.leader = get_user_model().objects.get(pk=cast.leader.pk)  # no cached profile
    return f, apps[0]


def test_nobody_pays_what_they_approved(approved_by_leader, cast):
    assert AidApplication.objects.get(pk=approved_by_leader[1].pk).status == "notice_ended"
    with pytest.raises(DutyConflict, match="审批"):
        payouts.payout_batch_create(actor=cast.leader, node=cast.hangzhou, title="发放")
    assert not Payout.objects.exists()
    # Finance who did not approve builds the batch; the former approver still cannot settle or send it
    batch = payouts.payout_batch_create(actor=cast.finance, node=cast.hangzhou, title="发放")
    p = batch.payouts.get()
    with pytest.raises(DutyConflict):
        payouts.payout_batch_mark_sent(actor=cast.leader, batch=batch)
    with pytest.raises(DutyConflict):
        payouts.payout_mark_paid(actor=cast.leader, payout=p, bank_reference="R1")
    sheet = result_sheet([[1, "x", "", "", p.amount_fen // 100, "", f"{p.idempotency_key}#1", "成功", "B001", ""]])
    with pytest.raises(DutyConflict):
        payouts.payout_batch_import_results(actor=cast.leader, batch=batch, data=sheet)
    assert Payout.objects.get(pk=p.pk).status == "pending"
    assert payouts.payout_mark_paid(actor=cast.finance, payout=p, bank_reference="R1").status == "paid"


def test_finance_pays_what_the_leader_approved(cast):
    f = Flow(cast, levels=("city",))
    f.ready_to_pay(1)
    batch = f.batch()
    p = payouts.payout_mark_paid(actor=cast.finance, payout=batch.payouts.get(), bank_reference="R2")
    assert p.status == "paid"


def test_the_page_says_why_the_applicant_cannot_decide(client, flow, cast):
    applicant = make_staff(cast.tech, Role.ADMIN, "tech_chair_page")
    app = _apply(flow, applicant)
    client.force_login(applicant)
    r = client.post(reverse("assistance:application_action", args=[app.pk, "decide"]),
                    {"decision": "approved", "comment": "同意"}, follow=True)
    assert r.status_code == 200 and "职责分离" in r.content.decode()
    assert AidApplication.objects.get(pk=app.pk).current_step == 0
