"""The kernel's approval-chain and 公示 services serve a second domain without copying: a test-only
domain ("grants", huigong/core/tests/kernel_subject) approves up the tree and publishes a notice through
core.approvals and core.notices alone, with the same rules aid lives by (segregation of duties,
escalation of orphaned steps with a recorded reason, reduced amounts, comments; masked names, period,
objections and their resolution, the public link)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.test import RequestFactory

from huigong.accounts.models import Cap, Role
from huigong.core.approvals import services as chains
from huigong.core.approvals.models import ApprovalDecision
from huigong.core.duties import DutyConflict
from huigong.core.models import AuditEvent
from huigong.core.notices import services as notices
from huigong.core.notices.models import NoticeStatus
from huigong.core.notices.views import notice_public_response
from huigong.core.scope import OutOfScope
from huigong.core.tests.kernel_subject.models import (
    Grant,
    GrantNotice,
    GrantNoticeEntry,
    GrantNoticeObjection,
    GrantStep,
)
from huigong.testing import make_staff

pytestmark = pytest.mark.django_db

LEVELS = ["grassroots", "district", "city"]
DAY = dt.date(2031, 5, 1)


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


# --- the same domain publishes a 公示 through core.notices --------------------------------------------


class Clock:
    day = DAY

    def __call__(self):
        return self.day


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def scheme(clock):

    def on_uphold(*, actor, objection, subject, outcome):
        if subject.status != "notice":
            raise ValidationError("已发放，不能撤下")
        subject.status = outcome
        subject.save(update_fields=["status"])

    s = notices.register_scheme(notices.NoticeScheme(
        key="grant-test", notice_model=GrantNotice, entry_model=GrantNoticeEntry,
        objection_model=GrantNoticeObjection, subject_model=Grant, subject_field="grant", capability=Cap.ASSIST,
        audit_prefix="grant_notice", today=clock, share_salt="huigong.tests.grant-notice",
        refuse=lambda g, node: None if g.status == "approved" else f"#{g.pk} 未批准",
        entry_values=lambda g: notices.EntryValues(g.holder_name, g.node.name, g.amount_fen),
        default_days=lambda grants: 7,
        on_publish=lambda *, actor, notice, subjects: Grant.objects.filter(
            pk__in=[g.pk for g in subjects]).update(status="notice"),
        on_uphold=on_uphold,
        on_end=lambda *, actor, notice, subject_ids: Grant.objects.filter(
            pk__in=subject_ids, status="notice").update(status="notice_ended"),
        uphold_outcomes=("rejected",), subject_related=("node",)))
    yield s
    notices.SCHEMES.pop("grant-test", None)


def approved_grant(cast, name, amount_fen=50_000):
    return Grant.objects.create(node=cast.tech, node_path=cast.tech.path, holder_name=name, amount_fen=amount_fen,
                                status="approved", applied_by=cast.tech_staff)


def test_a_second_domain_publishes_a_notice_with_every_rule(cast, scheme, clock):
    g1, g2 = approved_grant(cast, "张小三"), approved_grant(cast, "李四", 30_000)
    draft = Grant.objects.create(node=cast.tech, node_path=cast.tech.path, holder_name="王五", amount_fen=1,
                                 status="submitted")
    # Only what the domain calls publishable; never backdated; outsiders are denied.
    with pytest.raises(ValidationError, match="未批准"):
        notices.notice_publish(scheme=scheme, actor=cast.city_admin, node=cast.hangzhou, subjects=[g1, draft],
                               title="助学金公示")
    with pytest.raises(ValidationError, match="倒签"):
        notices.notice_publish(scheme=scheme, actor=cast.city_admin, node=cast.hangzhou, subjects=[g1],
                               title="助学金公示", starts_on=DAY - dt.timedelta(days=1))
    with pytest.raises(OutOfScope):
        notices.notice_publish(scheme=scheme, actor=cast.outsider, node=cast.hangzhou, subjects=[g1], title="x")
    with pytest.raises(PermissionDenied):
        notices.notice_publish(scheme=scheme, actor=cast.leader, node=cast.hangzhou, subjects=[g1], title="x")
    n = notices.notice_publish(scheme=scheme, actor=cast.city_admin, node=cast.hangzhou, subjects=[g1, g2],
                               title="助学金公示")
    assert (n.starts_on, n.ends_on) == (DAY, DAY + dt.timedelta(days=7))
    rows = notices.notice_rows(scheme, n)
    assert [r.masked_name for r in rows] == ["张*三", "李*"] and [r.amount_yuan for r in rows] == ["500.00", "300.00"]
    assert set(Grant.objects.filter(pk__in=[g1.pk, g2.pk]).values_list("status", flat=True)) == {"notice"}
    assert AuditEvent.objects.filter(verb="grant_notice.publish", object_id=str(n.pk)).exists()

    # An objection: recorded, it blocks the end; upheld, the grant leaves the notice.
    o = notices.notice_objection_record(scheme=scheme, actor=cast.city_admin, notice=n, subject=g1, content="收入不实")
    clock.day = n.ends_on
    assert notices.notice_end_blocker(scheme, n) == "还有未处理的异议"
    assert notices.notices_tick(scheme) == []
    with pytest.raises(ValidationError, match="无效的处理方式"):
        notices.notice_objection_resolve(scheme=scheme, actor=cast.city_admin, objection=o, upheld=True,
                                         resolution="属实", outcome="paid")
    notices.notice_objection_resolve(scheme=scheme, actor=cast.city_admin, objection=o, upheld=True,
                                     resolution="核实属实", outcome="rejected")
    assert Grant.objects.get(pk=g1.pk).status == "rejected"
    assert [r.grant_id for r in notices.notice_rows(scheme, n)] == [g2.pk]

    # The period over and no objection open: the tick ends it (and the kernel's periodic job ticks every scheme).
    assert notices.notices_tick_all()["grant-test"] == [n.pk]
    n.refresh_from_db()
    assert n.status == NoticeStatus.ENDED and Grant.objects.get(pk=g2.pk).status == "notice_ended"
    with pytest.raises(ValidationError, match="公示已结束"):
        notices.notice_objection_record(scheme=scheme, actor=cast.city_admin, notice=n, content="迟到")

    # The public link: signed per scheme, rows shown for the grace days only.
    token = notices.share_token(scheme, n)
    assert notices.notice_from_token(scheme, token) == n
    assert notices.notice_from_token(scheme, token[:-2] + "xx") is None
    from huigong.assistance.services.notices import SCHEME as aid_scheme
    assert notices.notice_from_token(aid_scheme, token) is None  # another domain's salt refuses it
    assert notices.public_rows_visible(scheme, n)
    page = notice_public_response(RequestFactory().get("/n/"), scheme, token)
    text = page.content.decode()
    assert page.status_code == 200 and page["X-Robots-Tag"] == "noindex"
    assert "李*" in text and "李四" not in text and "张*三" not in text  # the upheld row is gone
    pdf = notice_public_response(RequestFactory().get("/n/", {"format": "pdf"}), scheme, token)
    from huigong.core.pdf import cjk_font_installed

    assert (pdf.status_code, pdf["Content-Type"]) == ((200, "application/pdf") if cjk_font_installed() else
                                                      (503, "text/plain; charset=utf-8"))
    with pytest.raises(Http404):
        notice_public_response(RequestFactory().get("/n/"), scheme, token[:-2] + "xx")
    clock.day = n.ends_on + dt.timedelta(days=scheme.public_grace_days + 1)
    assert not notices.public_rows_visible(scheme, n)
    gone = notice_public_response(RequestFactory().get("/n/"), scheme, token)
    assert gone.status_code == 410 and "李*" not in gone.content.decode()
