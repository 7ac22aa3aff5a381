"""A hypothesis state machine over the whole flow: apply, submit, decide (approve / return / reject at
each level), publish, end notice, batch, pay, fail, retry. Invariants after every step: budget
committed within 0..total and paid within committed; nothing is paid without approval and an ended
notice; one payout per application; paid payouts == ledger == budget paid, to the fen."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from .. import clock
from ..models import (
    AidApplication,
    ApplicationStatus,
    LedgerEntry,
    Notice,
    NoticeStatus,
    Payout,
    PayoutStatus,
    ProgrammeBudget,
)
from ..services import aid, approval, notices, payouts
from .flowkit import YEAR, Flow, end_notice

REFUSED = (ValidationError, PermissionDenied)
SEEN: dict[str, int] = {"paid": 0, "failed": 0, "notice_ended": 0}


@pytest.mark.django_db
def test_workflow_state_machine(cast):
    class Workflow(RuleBasedStateMachine):
        @initialize()
        def setup(self):
            self.flow = Flow(cast, budget_fen=500_000, cap_fen=300_000)
            self.files = [self.flow.new_file() for _ in range(3)]
            self.day = dt.date(YEAR, 3, 1)
            self.refs = 0

        def apps(self, status):
            return list(AidApplication.objects.filter(programme=self.flow.prog, status=status).order_by("pk"))

        @rule(i=st.integers(0, 2), amount=st.sampled_from([50_000, 120_000, 200_000]))
        def apply(self, i, amount):
            try:
                self.flow.apply(file=self.files[i], amount_fen=amount)
            except REFUSED:
                pass

        @rule(i=st.integers(0, 2), amount=st.sampled_from([40_000, 90_000, 160_000]))
        def apply_and_carry_through(self, i, amount):
            """One application taken all the way to a payout (each stage may still be refused)."""
            try:
                app = self.flow.approve_all(self.flow.apply(file=self.files[i], amount_fen=amount))
                self.publish()
                self.end_notices()
                self.flow.batch(applications=[app])
            except REFUSED:
                pass

        @rule(decisions=st.lists(st.sampled_from(["approved", "approved", "approved", "returned", "rejected"]),
                                 min_size=3, max_size=3), cut=st.booleans())
        def decide(self, decisions, cut):
            """Each submitted application gets the next decision at its current step."""
            for i, app in enumerate(self.apps(ApplicationStatus.SUBMITTED)):
                decision = decisions[i % 3]
                step = approval.current_step(app)
                who = {self.flow.cast.tech.pk: self.flow.tech_admin, self.flow.cast.xihu.pk: self.flow.xihu_leader,
                       self.flow.cast.hangzhou.pk: self.flow.city_leader}[step.node_id]
                amount = app.amount_requested_fen // 2 if cut and decision == "approved" else None
                try:
                    approval.approval_decide(actor=who, application=app, decision=decision, comment="意见",
                                             amount_fen=amount)
                except REFUSED:
                    pass

        @rule(pick=st.integers(0, 20))
        def resubmit(self, pick):
            apps = self.apps(ApplicationStatus.RETURNED)
            if apps:
                aid.aid_application_submit(actor=self.flow.cast.tech_staff, application=apps[pick % len(apps)])

        @rule()
        def publish(self):
            apps = self.apps(ApplicationStatus.APPROVED)
            if apps:
                with clock.travel(self.day):
                    notices.notice_publish(actor=self.flow.cast.city_admin, node=self.flow.cast.hangzhou,
                                           applications=apps, title="公示", days=5)

        @rule()
        def end_notices(self):
            self.day += dt.timedelta(days=6)
            for n in Notice.objects.filter(status=NoticeStatus.PUBLISHED):
                end_notice(self.flow.cast.city_admin, n, self.day)

        @rule()
        def batch(self):
            try:
                self.flow.batch()
            except REFUSED:
                pass

        @rule(twice=st.booleans())
        def pay(self, twice):
            """Mark every open payout paid (twice over when `twice`: the second is a no-op or a refusal)."""
            for p in Payout.objects.order_by("pk"):
                self.refs += 1
                for _ in range(2 if twice else 1):
                    try:
                        payouts.payout_mark_paid(actor=self.flow.finance, payout=p, bank_reference=f"R{self.refs}")
                    except REFUSED:
                        pass

        @rule(pick=st.integers(0, 20))
        def fail(self, pick):
            ps = list(Payout.objects.order_by("pk"))
            if ps:
                try:
                    payouts.payout_mark_failed(actor=self.flow.finance, payout=ps[pick % len(ps)], reason="退票")
                except REFUSED:
                    pass

        @precondition(lambda self: Payout.objects.filter(status=PayoutStatus.FAILED).exists())
        @rule()
        def retry(self):
            for p in Payout.objects.filter(status=PayoutStatus.FAILED):
                payouts.payout_retry(actor=self.flow.finance, payout=p)

        @invariant()
        def budget_bounds(self):
            for b in ProgrammeBudget.objects.all():
                assert 0 <= b.paid_fen <= b.committed_fen <= b.total_fen

        @invariant()
        def committed_matches_approved(self):
            held = (AidApplication.objects.filter(status__in=approval.CAP_STATUSES)
                    .aggregate(s=Sum("amount_approved_fen"))["s"] or 0)
            assert held == sum(b.committed_fen for b in ProgrammeBudget.objects.all())

        @invariant()
        def no_payout_without_ended_notice(self):
            for p in Payout.objects.select_related("application"):
                assert p.application.status in (ApplicationStatus.NOTICE_ENDED, ApplicationStatus.PAID)
                assert p.application.notice_entry.notice.status == NoticeStatus.ENDED
                assert p.application.steps.filter(round=p.application.round, decision="approved").exists()

        @invariant()
        def money_reconciles(self):
            paid = Payout.objects.filter(status=PayoutStatus.PAID).aggregate(s=Sum("amount_fen"))["s"] or 0
            ledger = LedgerEntry.objects.aggregate(s=Sum("amount_fen"))["s"] or 0
            budget_paid = sum(b.paid_fen for b in ProgrammeBudget.objects.all())
            assert paid == ledger == budget_paid
            SEEN["paid"] += Payout.objects.filter(status=PayoutStatus.PAID).count()
            SEEN["failed"] += Payout.objects.filter(status=PayoutStatus.FAILED).count()
            SEEN["notice_ended"] += AidApplication.objects.filter(status=ApplicationStatus.NOTICE_ENDED).count()
            assert LedgerEntry.objects.count() == Payout.objects.filter(status=PayoutStatus.PAID).count()
            assert AidApplication.objects.filter(status=ApplicationStatus.PAID).count() == \
                Payout.objects.filter(status=PayoutStatus.PAID).count()

        @invariant()
        def cap_respected(self):
            for f in self.files:
                got = (AidApplication.objects.filter(file=f, status__in=approval.CAP_STATUSES)
                       .aggregate(s=Sum("amount_approved_fen"))["s"] or 0)
                assert got <= 300_000

    from django.db import transaction
    from hypothesis.stateful import run_state_machine_as_test

    def factory():
        # Each example runs inside one savepoint, so the next starts again from the bare cast.
        sid = transaction.savepoint()
        machine = Workflow()
        base_teardown = machine.teardown

        def teardown():
            base_teardown()
            transaction.savepoint_rollback(sid)

        machine.teardown = teardown
        return machine

    run_state_machine_as_test(factory, settings=settings(max_examples=30, stateful_step_count=40, deadline=None,
                                                         suppress_health_check=list(HealthCheck)))
    assert all(SEEN.values()), SEEN  # the runs did reach payment, failure and ended notices
