"""A hypothesis state machine over the whole flow: apply, submit, withdraw, decide (approve / return /
reject at each level), lower a budget, publish, record and resolve objections (upheld or not), let days
pass (the clock moves; notices end by the periodic tick or by hand), batch, send the bank sheet, pay,
fail, import bank results (current and stale attempts), retry (in place or into another batch).

Invariants after every step: budget committed within 0..total and paid within committed, committed ==
the approved amounts held; a payout only for an application whose every step of its round is approved,
approved_at set, its notice ended, and — once paid — paid on or after the notice's end; one payout per
application; paid payouts == ledger == budget paid, to the fen; the household cap holds."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from huigong.testing import result_sheet

from .. import clock
from ..models import (
    AidApplication,
    ApplicationStatus,
    LedgerEntry,
    Notice,
    NoticeObjection,
    NoticeStatus,
    Payout,
    PayoutBatch,
    PayoutStatus,
    ProgrammeBudget,
)
from ..services import aid, approval, notices, payouts
from ..services.ledger import batch_bank_sheet
from .flowkit import YEAR, Flow

REFUSED = (ValidationError, PermissionDenied)
SEEN: dict[str, int] = {"paid": 0, "failed": 0, "notice_ended": 0, "upheld": 0, "imported": 0, "retried": 0}


def _sheet(rows) -> bytes:
    return result_sheet(rows)


@pytest.mark.django_db
def test_workflow_state_machine(cast):
    class Workflow(RuleBasedStateMachine):
        @initialize()
        def setup(self):
            self.day = dt.date(YEAR, 3, 1)
            self._clock = clock._at.set(self.day)  # the machine's own calendar; days pass by rule only
            self.flow = Flow(cast, budget_fen=500_000, cap_fen=300_000)
            self.files = [self.flow.new_file() for _ in range(3)]
            self.refs = 0

        def teardown(self):
            if hasattr(self, "_clock"):
                clock._at.reset(self._clock)

        def apps(self, *status):
            return list(AidApplication.objects.filter(programme=self.flow.prog, status__in=status).order_by("pk"))

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
                self.pass_days(6)
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

        @rule(pick=st.integers(0, 20))
        def withdraw(self, pick):
            """Any live application: allowed only before approval ends, refused after."""
            apps = self.apps(*[s for s in ApplicationStatus.values if s != ApplicationStatus.WITHDRAWN])
            if apps:
                try:
                    aid.aid_application_withdraw(actor=self.flow.cast.tech_staff, application=apps[pick % len(apps)])
                except REFUSED:
                    pass

        @rule(delta=st.sampled_from([-300_000, -50_000, 0, 100_000]))
        def change_budget(self, delta):
            """Lower (or raise) the budget: never below what is committed."""
            b = ProgrammeBudget.objects.get(pk=self.flow.budget.pk)
            try:
                aid.programme_budget_set(actor=self.flow.cast.city_admin, programme=self.flow.prog,
                                         node=self.flow.cast.hangzhou, total_fen=max(0, b.total_fen + delta))
            except REFUSED:
                pass

        @rule()
        def publish(self):
            apps = self.apps(ApplicationStatus.APPROVED)
            if apps:
                notices.notice_publish(actor=self.flow.cast.city_admin, node=self.flow.cast.hangzhou,
                                       applications=apps, title="公示", days=5)

        @rule(pick=st.integers(0, 20), upheld=st.booleans(), returned=st.booleans())
        def objection(self, pick, upheld, returned):
            """An objection during a published notice, resolved at once (upheld: the application leaves)."""
            if not Notice.objects.filter(status=NoticeStatus.PUBLISHED).exists():
                try:
                    self.flow.approve_all(self.flow.apply(file=self.files[pick % 3], amount_fen=50_000))
                except REFUSED:
                    pass
                self.publish()
            entries = [(n, e) for n in Notice.objects.filter(status=NoticeStatus.PUBLISHED).order_by("pk")
                       for e in n.entries.order_by("pk")]
            if not entries:
                return
            n, e = entries[pick % len(entries)]
            o = notices.notice_objection_record(actor=self.flow.cast.city_admin, notice=n, application=e.application,
                                                content="来电反映", channel="电话")
            notices.notice_objection_resolve(actor=self.flow.cast.city_admin, objection=o, upheld=upheld,
                                             resolution="核实", outcome="returned" if returned else "rejected")
            SEEN["upheld"] += int(upheld)

        @rule(days=st.integers(1, 7))
        def pass_days(self, days):
            """Days pass; the periodic tick ends the notices that are due (none before its ends_on)."""
            self.day += dt.timedelta(days=days)
            clock._at.set(self.day)
            notices.notices_tick()

        @rule()
        def end_notices_by_hand(self):
            for n in Notice.objects.filter(status=NoticeStatus.PUBLISHED):
                try:
                    notices.notice_end(actor=self.flow.cast.city_admin, notice=n)
                except REFUSED:
                    assert self.day < n.ends_on or n.objections.filter(resolved_at__isnull=True).exists()

        @rule()
        def batch(self):
            try:
                self.flow.batch()
            except REFUSED:
                pass

        @rule()
        def send_sheets(self):
            for b in PayoutBatch.objects.order_by("pk"):
                try:
                    batch_bank_sheet(actor=self.flow.finance, batch=b)
                except REFUSED:
                    pass

        @rule(outcomes=st.lists(st.booleans(), min_size=1, max_size=6), stale=st.booleans())
        def import_results(self, outcomes, stale):
            """The bank's answer for every sent payout of a batch (a stale attempt number when `stale`)."""
            self.send_sheets()
            for b in PayoutBatch.objects.order_by("pk"):
                sent = list(b.payouts.filter(status=PayoutStatus.SENT).order_by("pk"))
                if not sent:
                    continue
                rows = []
                for i, p in enumerate(sent):
                    ok = outcomes[i % len(outcomes)]
                    n = p.attempts - 1 if stale and p.attempts > 1 else p.attempts
                    self.refs += 1
                    rows.append([i + 1, p.payee_name, "", "", p.amount_fen / 100, "", f"{p.idempotency_key}#{n}",
                                 "成功" if ok else "失败", f"BK{self.refs}" if ok else "", "" if ok else "退票"])
                try:
                    payouts.payout_batch_import_results(actor=self.flow.finance, batch=b, data=_sheet(rows))
                    SEEN["imported"] += 1
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
            ps = list(Payout.objects.filter(status__in=(PayoutStatus.PENDING, PayoutStatus.SENT)).order_by("pk"))
            if ps:
                try:
                    payouts.payout_mark_failed(actor=self.flow.finance, payout=ps[pick % len(ps)], reason="退票")
                except REFUSED:
                    pass

        @precondition(lambda self: Payout.objects.filter(status=PayoutStatus.FAILED).exists())
        @rule(elsewhere=st.booleans())
        def retry(self, elsewhere):
            """Failed payouts go again, in place or into a fresh batch."""
            target = None
            if elsewhere:
                target = PayoutBatch.objects.create(node=self.flow.cast.hangzhou, node_path=self.flow.cast.hangzhou.path,
                                                    title="补发")
            for p in Payout.objects.filter(status=PayoutStatus.FAILED):
                payouts.payout_retry(actor=self.flow.finance, payout=p, batch=target)
                SEEN["retried"] += 1

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
        def no_payout_without_approval_and_an_ended_notice(self):
            for p in Payout.objects.select_related("application"):
                a = p.application
                assert a.status in (ApplicationStatus.NOTICE_ENDED, ApplicationStatus.PAID)
                steps = list(a.steps.filter(round=a.round).values_list("decision", flat=True))
                assert steps and all(d == "approved" for d in steps), steps
                assert a.approved_at is not None and a.amount_approved_fen == p.amount_fen
                notice = a.notice_entry.notice
                assert notice.status == NoticeStatus.ENDED
                assert not notice.objections.filter(resolved_at__isnull=True).exists()
                if p.status == PayoutStatus.PAID:
                    assert p.ledger_entry.paid_on >= notice.ends_on
                    assert a.status == ApplicationStatus.PAID

        @invariant()
        def pulled_applications_are_not_on_a_notice(self):
            for o in NoticeObjection.objects.filter(upheld=True).exclude(application=None):
                a = AidApplication.objects.get(pk=o.application_id)
                if a.status in (ApplicationStatus.REJECTED, ApplicationStatus.RETURNED):
                    assert not Payout.objects.filter(application=a).exists()

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
                                                         derandomize=True, suppress_health_check=list(HealthCheck)))
    assert all(SEEN.values()), SEEN  # the runs did reach payment, failure, ended notices, objections, imports
