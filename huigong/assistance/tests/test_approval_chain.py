"""Approvals do not stall silently (ISSUE15 #4): the chain says who can act at each step before
submission; a step nobody can act on is flagged to the union above, which may act for it with a recorded
reason; nobody approves their own application from the queue (services/approval.py, approval_chain)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from huigong.accounts.models import Role
from huigong.core.duties import DutyConflict
from huigong.core.models import AuditEvent
from huigong.orgs.models import NodeLevel, UnionNode
from huigong.testing import make_member, make_node, make_staff

from ..models import AidApplication, ApprovalDecision, ApprovalStep
from ..selectors.aid import approval_queue, approval_queue_rows
from ..services import aid, approval
from .flowkit import Flow, make_file

pytestmark = pytest.mark.django_db

ORPHAN = "此环节暂无可审批人员"


@pytest.fixture
def world(cast):
    """A grassroots union under 西湖区 with no approver yet; 西湖区 has two (admin, leader)."""
    flow = Flow(cast)
    union = make_node(cast.xihu, "新建某企业工会", NodeLevel.GRASSROOTS, "330106")
    file = make_file(make_member(cast.city_admin, union, "周困难"), union)
    draft = aid.aid_application_create(actor=cast.district_staff, programme=flow.prog, file=file,
                                       amount_fen=100_000, reason="家庭成员重病")
    return flow, union, draft


def _submit(cast, draft):
    return aid.aid_application_submit(actor=cast.district_staff, application=draft)


def _names(accounts):
    return {a.name for a in accounts}


# --- who can act at each step -------------------------------------------------------------------------


def test_the_chain_names_who_can_act_at_each_step_and_flags_the_orphan(world, cast):
    flow, union, draft = world
    chain = approval.approval_chain(draft)
    assert not chain.submitted
    assert [s.node.pk for s in chain.steps] == [union.pk, cast.xihu.pk, cast.hangzhou.pk]
    grassroots, district, city = chain.steps
    # The new union: nobody; flagged to the district, whose approvers are named
    assert grassroots.orphaned and grassroots.able == []
    assert grassroots.acting_node.pk == cast.xihu.pk
    assert _names(grassroots.acting) == {flow.xihu_admin.username, flow.xihu_leader.username}
    # The other steps: the staff holding APPROVE there, by name (not the district's plain staff)
    assert not district.orphaned and _names(district.able) == {flow.xihu_admin.username, flow.xihu_leader.username}
    assert _names(city.able) == {cast.city_admin.username, cast.leader.username}
    assert chain.orphaned == [grassroots]


def test_the_applicant_is_not_among_who_can_act(cast):
    flow = Flow(cast, levels=("grassroots",))
    chair = make_staff(cast.tech, Role.ADMIN, "tech_chair_chain")
    app = aid.aid_application_create(actor=chair, programme=flow.prog, file=flow.new_file(), amount_fen=100_000,
                                     reason="困难")
    (step,) = approval.approval_chain(app).steps
    assert _names(step.able) == {flow.tech_admin.username}
    assert _names(step.approvers) == {flow.tech_admin.username, chair.username}


def test_the_draft_page_shows_the_chain_before_submission(client, world, cast):
    flow, union, draft = world
    client.force_login(cast.district_staff)
    html = client.get(reverse("assistance:application_detail", args=[draft.pk])).content.decode()
    assert "审批链" in html and f"{ORPHAN}（{union.name}）" in html
    assert flow.xihu_leader.username in html and cast.leader.username in html
    assert "由上级“西湖区总工会”代为审批" in html


def test_a_healthy_chain_shows_names_and_no_warning(client, cast):
    flow = Flow(cast)
    app = flow.apply(submit=False)
    client.force_login(cast.tech_staff)
    html = client.get(reverse("assistance:application_detail", args=[app.pk])).content.decode()
    assert "审批链" in html and flow.tech_admin.username in html and ORPHAN not in html


def test_save_and_submit_does_not_submit_blind_into_an_orphaned_step(client, world, cast):
    flow, union, _draft = world
    file = make_file(make_member(cast.city_admin, union, "吴困难"), union)
    client.force_login(cast.district_staff)
    r = client.post(reverse("assistance:application_create"),
                    {"programme": flow.prog.pk, "file_no": file.file_no, "amount": "800", "reason": "困难",
                     "submit_now": "1"}, follow=True)
    app = AidApplication.objects.get(file=file)
    assert app.status == "draft" and ORPHAN in r.content.decode()
    assert f"“{union.name}”暂无可审批人员" in r.content.decode()


def test_resolve_chain_is_pure(cast):
    """The rule on plain data (what issue 16 lifts into the kernel): nobody able at a node and its
    parent, someone at the grandparent; a user who decided another step is not able."""
    seg = "1".zfill(UnionNode.steplen)
    top, mid, low = (UnionNode(pk=900 + k, path=seg * k, name=f"n{k}") for k in (1, 2, 3))
    A = approval.Approver
    branch = {n.path: n for n in (top, mid, low)}
    decided = ApprovalStep(seq=1, decision=ApprovalDecision.APPROVED, decided_by_id=7)
    steps = approval.resolve_chain(
        [("grassroots", low, None), ("district", mid, decided), ("city", top, None)], branch=branch,
        approvers={low.pk: [A(5, "申请人")], mid.pk: [A(7, "七")], top.pk: [A(7, "七"), A(8, "八")]}, parties={5})
    assert steps[0].orphaned and steps[0].acting_node is top and _names(steps[0].acting) == {"八"}
    assert _names(steps[1].able) == {"七"}
    assert _names(steps[2].able) == {"八"}
    # Nobody above either: still orphaned, and nobody is named to act for it
    (alone,) = approval.resolve_chain([("city", top, None)], branch=branch, approvers={}, parties=set())
    assert alone.orphaned and alone.acting_node is None and alone.acting == []


# --- the level above acts for an orphaned step ---------------------------------------------------------


def test_the_orphaned_step_is_in_the_district_queue_as_acting(client, world, cast):
    flow, union, draft = world
    app = _submit(cast, draft)
    assert list(approval_queue(flow.xihu_leader)) == [app]  # empty on a chain without 代为审批
    (row,) = approval_queue_rows(flow.xihu_admin)
    assert row.app == app and row.acting_for.pk == union.pk and row.blocked == ""
    # Only the nearest union above with someone able: not the city, not another subtree
    assert list(approval_queue(cast.leader)) == []
    assert list(approval_queue(cast.outsider)) == []
    client.force_login(flow.xihu_leader)
    html = client.get(reverse("assistance:approval_queue")).content.decode()
    assert "代为审批" in html and union.name in html and f'href="{reverse("assistance:application_detail", args=[app.pk])}"' in html


def test_the_district_acts_with_a_reason_that_is_recorded(world, cast):
    flow, union, draft = world
    app = _submit(cast, draft)
    # The reason is required
    with pytest.raises(ValidationError, match="acting_reason"):
        approval.approval_decide(actor=flow.xihu_admin, application=app, decision="approved")
    assert AidApplication.objects.get(pk=app.pk).current_step == 0
    # The city may not jump in while the district can act
    with pytest.raises(PermissionDenied):
        approval.approval_decide(actor=cast.leader, application=app, decision="approved", acting_reason="x")
    app = approval.approval_decide(actor=flow.xihu_admin, application=app, decision="approved", comment="属实",
                                   acting_reason="新建工会尚未配备审批人员")
    assert app.current_step == 1
    step = app.steps.get(round=1, seq=0)
    assert step.decided_by_id == flow.xihu_admin.pk and step.acting_node_id == cast.xihu.pk
    assert step.acting_reason == "新建工会尚未配备审批人员"
    ev = AuditEvent.objects.get(object_id=str(app.pk), verb="aid_application.approved")
    assert ev.actor_id == flow.xihu_admin.pk
    assert ev.new["acting_for"] == union.name and ev.new["acting_node"] == cast.xihu.name
    assert ev.new["acting_reason"] == "新建工会尚未配备审批人员"
    # Nobody decides two steps of one round: the district's own step is the other district approver's
    with pytest.raises(DutyConflict, match="另一环节"):
        approval.approval_decide(actor=flow.xihu_admin, application=app, decision="approved")
    app = approval.approval_decide(actor=flow.xihu_leader, application=app, decision="approved")
    app = approval.approval_decide(actor=cast.leader, application=app, decision="approved")
    assert app.status == "approved"


def test_the_page_asks_for_the_reason_and_shows_it_in_the_history(client, world, cast):
    flow, union, draft = world
    app = _submit(cast, draft)
    client.force_login(flow.xihu_leader)
    url = reverse("assistance:application_detail", args=[app.pk])
    html = client.get(url).content.decode()
    assert "代为审批原因" in html and f"代为审批（{union.name}）" in html
    action = reverse("assistance:application_action", args=[app.pk, "decide"])
    r = client.post(action, {"decision": "approved", "comment": "同意"}, follow=True)
    assert "代为审批须填写原因" in r.content.decode()
    assert AidApplication.objects.get(pk=app.pk).current_step == 0
    r = client.post(action, {"decision": "approved", "comment": "同意", "acting_reason": "该工会主席岗位空缺"},
                    follow=True)
    html = r.content.decode()
    assert AidApplication.objects.get(pk=app.pk).current_step == 1
    assert f"“{cast.xihu.name}”代“{union.name}”审批，原因：该工会主席岗位空缺" in html


def test_an_outsider_cannot_see_or_act(client, world, cast):
    _flow, _union, draft = world
    app = _submit(cast, draft)
    with pytest.raises(PermissionDenied):
        approval.approval_decide(actor=cast.outsider, application=app, decision="approved", acting_reason="x")
    client.force_login(cast.outsider)
    assert client.get(reverse("assistance:application_detail", args=[app.pk])).status_code == 404
    r = client.post(reverse("assistance:application_action", args=[app.pk, "decide"]),
                    {"decision": "approved", "acting_reason": "x"})
    assert r.status_code == 404
    assert approval_queue_rows(cast.outsider) == []
    html = client.get(reverse("assistance:approval_queue")).content.decode()
    assert reverse("assistance:application_detail", args=[app.pk]) not in html
    assert AidApplication.objects.get(pk=app.pk).current_step == 0


def test_appointing_an_approver_gives_the_step_back(world, cast):
    flow, union, draft = world
    app = _submit(cast, draft)
    chair = make_staff(union, Role.ADMIN, "new_union_chair")
    assert list(approval_queue(flow.xihu_leader)) == []
    with pytest.raises(PermissionDenied):
        approval.approval_decide(actor=flow.xihu_leader, application=app, decision="approved", acting_reason="x")
    assert approval.approval_decide(actor=chair, application=app, decision="approved").current_step == 1


def test_a_step_left_with_only_the_applicant_is_flagged_up(cast):
    # Given a union with two approvers, one of whom applies; the other then leaves
    flow = Flow(cast, levels=("grassroots", "district"))
    union = make_node(cast.xihu, "某小微企业工会", NodeLevel.GRASSROOTS, "330106")
    chair, other = make_staff(union, Role.ADMIN, "small_chair"), make_staff(union, Role.LEADER, "small_leader")
    file = make_file(make_member(cast.city_admin, union, "郑困难"), union)
    app = aid.aid_application_create(actor=chair, programme=flow.prog, file=file, amount_fen=100_000, reason="困难")
    app = aid.aid_application_submit(actor=chair, application=app)
    other.is_active = False
    other.save()
    # The chair still sees it, but not as actionable, and cannot act; the district can, with a reason
    (row,) = approval_queue_rows(chair)
    assert "职责分离" in row.blocked and list(approval_queue(chair)) == []
    assert [r.acting_for.pk for r in approval_queue_rows(flow.xihu_leader)] == [union.pk]
    app = approval.approval_decide(actor=flow.xihu_leader, application=app, decision="approved",
                                   acting_reason="另一名审批人已离职")
    assert app.steps.get(seq=0).acting_node_id == cast.xihu.pk


# --- nobody approves their own from the queue ----------------------------------------------------------


def test_the_queue_does_not_offer_the_applicant_their_own_application(client, cast):
    flow = Flow(cast, levels=("grassroots",))
    chair = make_staff(cast.tech, Role.ADMIN, "tech_chair_queue")
    app = aid.aid_application_create(actor=chair, programme=flow.prog, file=flow.new_file(), amount_fen=100_000,
                                     reason="困难")
    app = aid.aid_application_submit(actor=chair, application=app)
    assert list(approval_queue(chair)) == []
    assert list(approval_queue(flow.tech_admin)) == [app]
    (row,) = approval_queue_rows(chair)
    assert row.app == app and "职责分离" in row.blocked
    client.force_login(chair)
    html = client.get(reverse("assistance:approval_queue")).content.decode()
    assert "不可审批" in html and "职责分离" in html
    # The application page says why instead of offering the form
    html = client.get(reverse("assistance:application_detail", args=[app.pk])).content.decode()
    assert "提交审批意见" not in html and "职责分离" in html
    client.force_login(flow.tech_admin)
    html = client.get(reverse("assistance:application_detail", args=[app.pk])).content.decode()
    assert "提交审批意见" in html


def test_acting_for_over_the_api_names_the_missing_reason(world, cast):
    from huigong.api.tests.conftest import ApiClient, make_token

    flow, _union, draft = world
    app = _submit(cast, draft)
    api = ApiClient(make_token(flow.xihu_leader))
    queue = api.get("aid-applications?mine_to_approve=true").json()
    assert [a["id"] for a in queue["items"]] == [app.pk]
    r = api.post(f"aid-applications/{app.pk}/decide", {"decision": "approved"})
    assert r.status_code == 422 and "acting_reason" in r.content.decode()
    r = api.post(f"aid-applications/{app.pk}/decide", {"decision": "approved", "acting_reason": "主席空缺"})
    assert r.status_code == 200, r.content
    step = r.json()["steps"][0]
    assert step["acting_node"]["id"] == cast.xihu.pk and step["acting_reason"] == "主席空缺"
    outsider = ApiClient(make_token(cast.outsider))
    assert outsider.post(f"aid-applications/{app.pk}/decide",
                         {"decision": "approved", "acting_reason": "x"}).status_code == 404


def test_the_queue_reads_a_fixed_number_of_queries(world, cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    flow, union, draft = world
    _submit(cast, draft)

    def count():
        with CaptureQueriesContext(connection) as q:
            rows = approval_queue_rows(flow.xihu_leader)
        return len(rows), len(q)

    n1, q1 = count()
    for name in ("甲困难", "乙困难", "丙困难"):
        f = make_file(make_member(cast.city_admin, union, name), union)
        _submit(cast, aid.aid_application_create(actor=cast.district_staff, programme=flow.prog, file=f,
                                                 amount_fen=100_000, reason="困难"))
    n2, q2 = count()
    assert (n1, n2) == (1, 4) and q2 == q1
