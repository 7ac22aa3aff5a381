"""The campaign report's figures against a world whose answer is known, and its query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from huigong.checkups import selectors, services
from huigong.checkups.models import InstrumentKind
from huigong.checkups.testing import visited
from huigong.core.outcomes import services as outcomes
from huigong.core.outcomes.models import EvidenceKind

pytestmark = pytest.mark.django_db


def test_report_figures(w, django_assert_max_num_queries):
    c, exam, findings = visited(w.city_admin, w.xihu, w.enterprise, days_ago=60)
    services.campaign_enroll(actor=w.city_admin, campaign=c, enterprises=[w.platform])
    inst = services.instrument_issue(actor=w.city_admin, exam=exam, kind=InstrumentKind.OPINION,
                                     findings=findings[:2], render=False)
    services.instrument_reply(actor=w.city_admin, instrument=inst, replied_on=timezone.localdate(), accepted=True)
    f = findings[0]
    outcomes.evidence_add(actor=w.tech_staff, item=f.item, kind=EvidenceKind.NOTE, text="已补签", of_effect=True)
    outcomes.item_submit(actor=w.tech_staff, item=f.item)
    services.return_visit_record(actor=w.district_staff, exam=exam, visited_on=timezone.localdate(), note="回访",
                                 verdicts={f.pk: ("effective", "")})
    with django_assert_max_num_queries(1):  # the campaign's tally (huigong.checkups.tally)
        r = selectors.campaign_report(c)
    with django_assert_max_num_queries(3):
        scanned = selectors.campaign_report_scan(c)
    assert r == scanned
    assert r["exams"] == {"enrolled": 2, "self_assessed": 0, "examined": 1, "return_visited": 1, "return_overdue": 0,
                          "workers": exam.workers_covered, "avg_score": r["exams"]["avg_score"]}
    t = r["totals"]
    # Three findings (due 30 days after a visit 60 days ago: the two open ones are overdue), two on the
    # accepted 意见书, one of those closed.
    assert (t["total"], t["closed"], t["open"], t["overdue"]) == (3, 1, 2, 2)
    assert (t["issued"], t["accepted"], t["completed"]) == (2, 2, 1)
    assert t["avg_days_to_close"] is not None and t["closed_rate"] == 33.3
    assert sum(row["total"] for row in r["by_category"]) == 3
    assert r["instruments"][0]["issued"] == 1 and r["instruments"][0]["accepted"] == 1
    assert {s["severity"] for s in r["by_severity"]} <= {"low", "medium", "high", "critical"}


def test_return_visit_overdue_counts(w):
    c, _exam, _findings = visited(w.city_admin, w.xihu, w.enterprise, days_ago=90)
    r = selectors.campaign_report(c, today=timezone.localdate() + dt.timedelta(days=1))
    assert r["exams"]["return_overdue"] == 1


def test_kept_report_is_computed_afresh_after_a_write(w, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    c, exam, findings = visited(w.city_admin, w.xihu, w.enterprise, days_ago=60)
    cache.clear()
    assert selectors.campaign_report_cached(c)["totals"]["closed"] == 0
    f = findings[0]
    with django_capture_on_commit_callbacks(execute=True):
        outcomes.evidence_add(actor=w.tech_staff, item=f.item, kind=EvidenceKind.NOTE, text="已补签", of_effect=True)
        outcomes.item_submit(actor=w.tech_staff, item=f.item)
    assert selectors.campaign_report_cached(c)["totals"]["closed"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.return_visit_record(actor=w.district_staff, exam=exam, visited_on=timezone.localdate(), note="回访",
                                     verdicts={f.pk: ("effective", "")})
    assert selectors.campaign_report_cached(c)["totals"]["closed"] == 1
    # A new due date moves the overdue count (the tracker's on_change hook).
    overdue = selectors.campaign_report_cached(c)["totals"]["overdue"]
    with django_capture_on_commit_callbacks(execute=True):
        outcomes.item_set_due(actor=w.district_staff, item=findings[1].item,
                              due_date=timezone.localdate() + dt.timedelta(days=30), reason="企业申请延期")
    assert selectors.campaign_report_cached(c)["totals"]["overdue"] == overdue - 1
