"""A hypothesis state machine over the tracker's transitions, checking its invariants after every step:
closed only with current-cycle evidence of effect and a verdict by someone other than the submitter;
ended_at iff closed/dropped; closed at 100 %; every status change in the timeline; a linked item never moved
by what happens to the other."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from huigong.core.outcomes import services
from huigong.core.outcomes.models import DONE, EvidenceKind, Status, TrackedItem
from huigong.core.outcomes.testing import make_item

pytestmark = pytest.mark.django_db


def test_tracker_state_machine(w):
    from django.db import transaction

    class Tracker(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.sid = transaction.savepoint()
            self.item = make_item(w.city_admin, w.tech, due_date=dt.date(2026, 6, 1))
            self.other = make_item(w.city_admin, w.xihu, title="关联的调研建议")
            services.link_create(actor=w.city_admin, src=self.item, dst=self.other, relation="led_to")
            self.other_state = self._snap(self.other)
            self.actors = [w.city_admin, w.city_staff2]

        def teardown(self):
            transaction.savepoint_rollback(self.sid)

        @staticmethod
        def _snap(item):
            return TrackedItem.objects.filter(pk=item.pk).values("status", "progress", "due_date", "cycle").get()

        def _try(self, fn, **kw):
            try:
                with transaction.atomic():
                    fn(item=TrackedItem.objects.get(pk=self.item.pk), **kw)
            except (ValidationError, PermissionDenied):
                pass

        @rule(p=st.integers(-5, 105), who=st.integers(0, 1))
        def progress(self, p, who):
            self._try(services.item_progress, actor=self.actors[who], progress=p)

        @rule(effect=st.booleans())
        def evidence(self, effect):
            self._try(services.evidence_add, actor=w.city_admin, kind=EvidenceKind.NOTE, text="说明",
                      of_effect=effect)

        @rule(who=st.integers(0, 1))
        def submit(self, who):
            self._try(services.item_submit, actor=self.actors[who])

        @rule(who=st.integers(0, 1), effective=st.booleans(), comment=st.sampled_from(["", "复查"]))
        def verify(self, who, effective, comment):
            before = self._snap(self.item)
            self._try(services.item_verify, actor=self.actors[who], effective=effective, comment=comment)
            after = TrackedItem.objects.get(pk=self.item.pk)
            if after.status == Status.CLOSED and before["status"] != Status.CLOSED:
                assert after.submitted_by_id != self.actors[who].pk
                assert services.effect_evidence(after).exists()
            if not effective and after.status == Status.REOPENED and before["status"] != Status.REOPENED:
                assert after.cycle == before["cycle"] + 1

        @rule()
        def drop(self):
            self._try(services.item_drop, actor=w.city_admin, reason="撤销")

        @rule(days=st.integers(-30, 60))
        def tick(self, days):
            services.remind_and_escalate(today=dt.date(2026, 6, 1) + dt.timedelta(days=days))

        @invariant()
        def consistent(self):
            item = TrackedItem.objects.get(pk=self.item.pk)
            assert (item.ended_at is not None) == (item.status in DONE)
            assert 0 <= item.progress <= 100
            if item.status == Status.CLOSED:
                assert item.progress == 100 and services.effect_evidence(item).exists()
            moves = [e for e in item.timeline.order_by("at", "id") if e.to_status]
            assert moves[-1].to_status == item.status
            for prev, nxt in zip(moves, moves[1:]):
                assert nxt.from_status == prev.to_status
            assert self._snap(self.other) == self.other_state

        @precondition(lambda self: True)
        @invariant()
        def dropped_is_final(self):
            item = TrackedItem.objects.get(pk=self.item.pk)
            if item.status == Status.DROPPED:
                assert not item.timeline.filter(from_status=Status.DROPPED).exists()

    Tracker.TestCase.settings = settings(max_examples=25, stateful_step_count=20, deadline=None,
                                         suppress_health_check=list(HealthCheck))
    Tracker.TestCase().runTest()
