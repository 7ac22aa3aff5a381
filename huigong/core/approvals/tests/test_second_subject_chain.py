"""The kernel's approval-chain service serves a second domain without copying: a test-only domain
("grants", huigong/core/tests/kernel_subject) approves up the tree through core.approvals alone, with the
rules aid lives by (segregation of duties, escalation of orphaned steps with a recorded reason, reduced
amounts, comments). Its 公示 counterpart: core/notices/tests/test_second_subject_notice.py."""


import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from huigong.accounts.models import Cap, Role
from huigong.core.approvals import services as chains
from huigong.core.approvals.models import ApprovalDecision
from huigong.core.duties import DutyConflict
from huigong.core.tests.kernel_subject.models import (
    Grant,
    GrantStep,
)
from huigong.testing import make_staff

pytestmark = pytest.mark.django_db

LEVELS = ["grassroots", "district", "city"]


# --- the second domain: a few lines of its own, everything else from the kernel ------------------------


@transaction.atomic
def grant_submit(*, actor, node, name="张小三", amount_fen=100_000) -> Grant:
    grant = Grant.objects.create(node=node, node_path=node.path, holder_name=name, amount_fen=amount_fen,
                                 applied_by=actor)
    pairs = chains.chain_nodes(node, LEVELS)
    chains.chain_check_submittable(pairs=pairs, parties={actor.pk}, capability=Cap.APPROVE)
    chains.steps_create(model=GrantStep, owner={"grant": grant}, round=grant.round, pairs=pairs)
    return grant


def grant_chain(grant: Grant) -> chains.Chain:
    steps = list(GrantStep.objects.filter(grant=grant, round=grant.round).select_related("node").order_by("seq"))
    (chain,) = chains.chains_resolve([chains.ChainRequest(
        subject=grant, pairs=[(s.level, s.node, s) for s in steps], parties={grant.applied_by_id}, submitted=True,
        current_seq=grant.current_step if grant.status == "submitted" else None)], capability=Cap.APPROVE)
    return chain


@transaction.atomic
def grant_decide(*, actor, grant: Grant, decision: str, comment="", amount_fen=None, acting_reason=""):
    grant = Grant.objects.select_for_update().get(pk=grant.pk)
    step = GrantStep.objects.select_related("node").get(grant=grant, round=grant.round, seq=grant.current_step)
    done = chains.step_decide(actor=actor, chain=grant_chain(grant), step=step, decision=decision,
                              capability=Cap.APPROVE, comment=comment, amount_fen=amount_fen,
                              base_amount_fen=grant.amount_fen, acting_reason=acting_reason)
    if decision == ApprovalDecision.APPROVED:
        grant.amount_fen = done.amount_fen
        if done.last:
            grant.status = "approved"
        else:
            grant.current_step += 1
    else:
        grant.status = decision
    grant.save()
    return done


@pytest.fixture
def xihu_admin(cast):
    return make_staff(cast.xihu, Role.ADMIN, "xihu_admin")


def test_a_second_domain_runs_a_chain_with_every_rule(cast, xihu_admin):
    # Given a grant applied for at a grassroots union with no approver, by the city admin (a party).
    grant = grant_submit(actor=cast.city_admin, node=cast.tech)
    chain = grant_chain(grant)
    assert [(s.level, s.node.pk) for s in chain.steps] == [
        ("grassroots", cast.tech.pk), ("district", cast.xihu.pk), ("city", cast.hangzhou.pk)]
    tech, xihu, city = chain.steps
    # The grassroots step is orphaned and flagged to the nearest union above with someone able.
    assert tech.orphaned and tech.acting_node.pk == cast.xihu.pk
    assert [a.user_id for a in tech.acting] == [xihu_admin.pk]
    assert [a.user_id for a in xihu.able] == [xihu_admin.pk]
    # Nobody approves their own: the city admin applied, only the leader may act at the city.
    assert [a.user_id for a in city.able] == [cast.leader.pk]
    assert chain.queue_place(cast.xihu.pk) == (True, chain.steps[0].node)
    assert chain.queue_place(cast.hangzhou.pk) is None

    # The union above acts only with a reason; an unrelated union not at all.
    with pytest.raises(PermissionDenied, match="应由"):
        grant_decide(actor=cast.leader, grant=grant, decision="approved", acting_reason="x")
    with pytest.raises(ValidationError) as e:
        grant_decide(actor=xihu_admin, grant=grant, decision="approved")
    assert "acting_reason" in e.value.message_dict
    # A reduced amount is kept; a raised one is refused.
    with pytest.raises(ValidationError) as e:
        grant_decide(actor=xihu_admin, grant=grant, decision="approved", amount_fen=100_001, acting_reason="无人")
    assert "amount_fen" in e.value.message_dict
    done = grant_decide(actor=xihu_admin, grant=grant, decision="approved", amount_fen=80_000,
                        acting_reason="该工会暂无审批人员")
    assert done.acting and not done.last and done.amount_fen == 80_000
    step0 = GrantStep.objects.get(grant=grant, seq=0)
    assert (step0.acting_node_id, step0.acting_reason, step0.decided_by_id) == (
        cast.xihu.pk, "该工会暂无审批人员", xihu_admin.pk)
    assert done.audit_fields["acting_for"] == cast.tech.name

    # Nobody decides two steps of one round: the district's own step now has nobody able, and goes up.
    grant.refresh_from_db()
    chain = grant_chain(grant)
    assert chain.current.seq == 1 and chain.current.orphaned and chain.current.acting_node.pk == cast.hangzhou.pk
    with pytest.raises(DutyConflict, match="另一环节"):
        grant_decide(actor=xihu_admin, grant=grant, decision="approved")
    with pytest.raises(ValidationError, match="不超过 800.00 元"):
        grant_decide(actor=cast.leader, grant=grant, decision="approved", amount_fen=90_000, acting_reason="x")
    grant_decide(actor=cast.leader, grant=grant, decision="approved", acting_reason="区总工会审批人已审前一环节")

    # The city step: the applicant may not, the leader decided a step already, nobody above: orphaned with
    # nobody to act for it, until an approver is appointed (orphaned is computed, never stored).
    grant.refresh_from_db()
    chain = grant_chain(grant)
    assert chain.current.orphaned and chain.current.acting_node is None
    assert chain.blocked_reason(cast.city_admin.pk).startswith("职责分离：您申请")
    with pytest.raises(DutyConflict):
        grant_decide(actor=cast.city_admin, grant=grant, decision="approved")
    second = make_staff(cast.hangzhou, Role.LEADER, "city_leader_2")
    chain = grant_chain(grant)
    assert [a.user_id for a in chain.current.able] == [second.pk]
    with pytest.raises(ValidationError) as e:
        grant_decide(actor=second, grant=grant, decision="returned")
    assert "comment" in e.value.message_dict
    done = grant_decide(actor=second, grant=grant, decision="approved", comment="同意")
    assert done.last and not done.acting
    grant.refresh_from_db()
    assert (grant.status, grant.amount_fen) == ("approved", 80_000)


def test_a_chain_one_person_could_decide_alone_is_refused(cast):
    # Only the applicant holds APPROVE on this branch's city step, nobody below: refused at submission.
    with pytest.raises(ValidationError, match="职责分离"):
        grant_submit(actor=cast.outsider, node=cast.qd_ent)
