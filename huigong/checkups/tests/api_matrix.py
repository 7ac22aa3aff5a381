"""Rows of the API route × role matrix (huigong/api/tests/test_matrix.py) for the check-ups routes. Objects
are built inside each role's rolled-back savepoint."""

from __future__ import annotations


def _both(w) -> dict:
    from huigong.checkups.testing import campaign, visited

    campaign(w.outsider, w.gaoxin, title="青岛高新法治体检")
    c, exam, findings = visited(w.city_admin, w.xihu, w.enterprise, title="西湖区法治体检")
    return {"campaign_id": c.pk, "exam_id": exam.pk, "finding_id": findings[0].pk}


def matrix_rows(Row, expect) -> dict:
    everyone = dict.fromkeys(("admin", "staff", "viewer", "finance", "leader"), 200)
    writers = {"admin": 200, "staff": 200}
    return {
        ("GET", "/api/v1/checkups/campaigns"): Row(expect(everyone, outsider=200), params=_both,
                                                   markers=("西湖区法治体检", "青岛高新法治体检")),
        ("GET", "/api/v1/checkups/campaigns/{campaign_id}/report"): Row(expect(everyone), params=_both),
        ("GET", "/api/v1/checkups/examinations/{exam_id}/findings"): Row(expect(everyone), params=_both),
        ("POST", "/api/v1/checkups/findings/{finding_id}/progress"): Row(expect(writers), params=_both,
                                                                         body=lambda w: {"progress": 30, "note": "已补签"}),
    }
