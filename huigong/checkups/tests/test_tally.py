"""The campaign report's running tally always equals a recount from the tables: a hypothesis state machine
runs random sequences of the writes that change a figure (enrolment, self-assessment, visit, findings,
instruments issued and replied to, the tracker's progress, submission, due dates, drops, return-visit
verdicts, compaction and a rebuild) and compares `campaign_report` (the tally) with `campaign_report_scan`
(the tables) after every step, on three dates (overdue figures move with the date)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from huigong.checkups import selectors, services, tally
from huigong.checkups.models import (
    Category,
    Examination,
    Finding,
    Instrument,
    InstrumentKind,
    Severity,
    Tally,
)
from huigong.checkups.testing import answers, campaign
from huigong.core.outcomes import services as outcomes
from huigong.core.outcomes.models import EvidenceKind, Status, TrackedItem
from huigong.testing import make_enterprise

pytestmark = pytest.mark.django_db


def _same(report: dict) -> dict:
    r = dict(report, exams=dict(report["exams"]))
    if r["exams"]["avg_score"] is not None:
        r["exams"]["avg_score"] = round(r["exams"]["avg_score"], 2)
    return r


def assert_tally_is_recount(c) -> None:
    today = timezone.localdate()
    for day in (today, today + dt.timedelta(days=45), today - dt.timedelta(days=45)):
        assert _same(selectors.campaign_report(c, day)) == _same(selectors.campaign_report_scan(c, day)), day


def test_tally_equals_recount_over_random_writes(w):
    today = timezone.localdate()

    class Writes(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.sid = transaction.savepoint()
            self.c = campaign(w.city_admin, w.xihu)
            self.firms = [w.enterprise, w.platform, make_enterprise(w.tech, "杭州某制造有限公司")]
            # A start with something to work on: two firms enrolled, one visited 50 days ago (its findings overdue),
            # an unanswered 意见书 naming two of them.
            services.campaign_enroll(actor=w.city_admin, campaign=self.c, enterprises=self.firms[:2])
            exam = self._exam(0)
            found = services.visit_record(actor=w.city_admin, exam=exam, team="张律师", answers=answers(exam),
                                          visited_on=today - dt.timedelta(days=50))
            services.instrument_issue(actor=w.city_admin, exam=exam, kind=InstrumentKind.OPINION, findings=found[:2],
                                      issued_on=today - dt.timedelta(days=40), render=False)

        def teardown(self):
            transaction.savepoint_rollback(self.sid)

        def _try(self, fn, **kw):
            try:
                with transaction.atomic():
                    fn(**kw)
            except (ValidationError, PermissionDenied):
                pass

        def _exam(self, k):
            return Examination.objects.filter(campaign=self.c, enterprise=self.firms[k % 3]).first()

        def _finding(self, k):
            ids = list(Finding.objects.filter(campaign=self.c).order_by("pk").values_list("pk", flat=True))
            return Finding.objects.select_related("item").get(pk=ids[k % len(ids)]) if ids else None

        @rule(k=st.integers(0, 2))
        def enroll(self, k):
            self._try(services.campaign_enroll, actor=w.city_admin, campaign=self.c, enterprises=[self.firms[k]])

        @rule(k=st.integers(0, 2))
        def self_assess(self, k):
            exam = self._exam(k)
            if exam:
                self._try(services.self_assessment_save, actor=w.city_admin, exam=exam, answers=answers(exam, no=()))

        @rule(k=st.integers(0, 2), no=st.sets(st.integers(1, 8), max_size=3), days_ago=st.integers(0, 120),
              workers=st.one_of(st.none(), st.integers(0, 500)))
        def visit(self, k, no, days_ago, workers):
            exam = self._exam(k)
            if exam:
                self._try(services.visit_record, actor=w.city_admin, exam=exam, team="张律师",
                          visited_on=today - dt.timedelta(days=days_ago), answers=answers(exam, no=no, partly=(9,)),
                          workers_covered=workers)

        @rule(k=st.integers(0, 2), cat=st.sampled_from(Category.values), sev=st.sampled_from(Severity.values))
        def add_finding(self, k, cat, sev):
            exam = self._exam(k)
            if exam:
                self._try(services.finding_add, actor=w.city_admin, exam=exam, category=cat, severity=sev,
                          description="另查发现")

        @rule(k=st.integers(0, 2), kind=st.sampled_from(InstrumentKind.values), n=st.integers(1, 3),
              reply_days=st.integers(1, 60), days_ago=st.integers(0, 90))
        def issue(self, k, kind, n, reply_days, days_ago):
            exams = list(Examination.objects.filter(campaign=self.c, findings__instrument__isnull=True)
                         .distinct().order_by("pk"))
            if exams:
                exam = exams[k % len(exams)]
                free = list(exam.findings.filter(instrument__isnull=True).order_by("pk")[:n])
                self._try(services.instrument_issue, actor=w.city_admin, exam=exam, kind=kind, findings=free,
                          issued_on=today - dt.timedelta(days=days_ago), reply_days=reply_days, render=False)

        @rule(k=st.integers(0, 20), accepted=st.booleans())
        def reply(self, k, accepted):
            insts = list(Instrument.objects.filter(examination__campaign=self.c, replied_on__isnull=True).order_by("pk"))
            if insts:
                self._try(services.instrument_reply, actor=w.city_admin, instrument=insts[k % len(insts)],
                          replied_on=today, accepted=accepted, text="" if accepted else "不同意")

        @rule(k=st.integers(0, 50), p=st.integers(0, 100))
        def progress(self, k, p):
            f = self._finding(k)
            if f:
                self._try(outcomes.item_progress, actor=w.tech_staff, item=f.item, progress=p)

        @rule(k=st.integers(0, 50))
        def submit(self, k):
            f = self._finding(k)
            if f:
                def go(item):
                    outcomes.evidence_add(actor=w.tech_staff, item=item, kind=EvidenceKind.NOTE, text="已整改",
                                          of_effect=True)
                    outcomes.item_submit(actor=w.tech_staff, item=TrackedItem.objects.get(pk=item.pk))
                self._try(go, item=f.item)

        @rule(k=st.integers(0, 50), days=st.one_of(st.none(), st.integers(-60, 60)))
        def set_due(self, k, days):
            f = self._finding(k)
            if f:
                self._try(outcomes.item_set_due, actor=w.city_admin, item=f.item, reason="企业申请延期",
                          due_date=None if days is None else today + dt.timedelta(days=days))

        @rule(k=st.integers(0, 50))
        def drop(self, k):
            f = self._finding(k)
            if f:
                self._try(outcomes.item_drop, actor=w.city_admin, item=f.item, reason="重复登记")

        @rule(k=st.integers(0, 2), verdicts=st.lists(st.booleans(), min_size=1, max_size=6))
        def return_visit(self, k, verdicts):
            exam = self._exam(k)
            if exam:
                found = list(exam.findings.select_related("item").order_by("pk"))
                given = {f.pk: ("effective" if ok else "not_effective", "") for f, ok in zip(found, verdicts)
                         if f.item.status in (Status.VERIFYING, Status.CLOSED)}
                self._try(services.return_visit_record, actor=w.district_staff, exam=exam, visited_on=today,
                          note="回访", verdicts=given)

        @rule()
        def compact(self):
            tally.compact_campaign(self.c)
            keys = list(Tally.objects.filter(campaign=self.c).values_list("section", "key", "day"))
            assert len(keys) == len(set(keys))

        @rule()
        def rebuild(self):
            tally.rebuild(self.c)

        @invariant()
        def tally_is_recount(self):
            assert_tally_is_recount(self.c)

    Writes.TestCase.settings = settings(max_examples=15, stateful_step_count=15, deadline=None,
                                        suppress_health_check=list(HealthCheck))
    Writes.TestCase().runTest()


def test_report_is_one_query_and_compaction_keeps_it(w, django_assert_num_queries):
    from huigong.checkups.testing import visited

    c, exam, findings = visited(w.city_admin, w.xihu, w.enterprise, days_ago=60)
    services.instrument_issue(actor=w.city_admin, exam=exam, kind=InstrumentKind.OPINION, findings=findings[:2],
                              render=False)
    outcomes.item_set_due(actor=w.city_admin, item=findings[0].item, due_date=timezone.localdate(), reason="延期")
    before = Tally.objects.filter(campaign=c).count()
    with django_assert_num_queries(1):
        r = selectors.campaign_report(c)
    assert r["totals"]["total"] == len(findings) and r["totals"]["issued"] == 2
    assert tally.compact() == {"campaigns": 1, "rows_removed": before - Tally.objects.filter(campaign=c).count()}
    assert Tally.objects.filter(campaign=c).count() < before
    assert selectors.campaign_report(c) == r
    assert tally.compact() == {}  # nothing left to sum
    assert_tally_is_recount(c)

