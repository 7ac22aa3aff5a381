"""Rows of the API route × role matrix (huigong/api/tests/test_matrix.py) for the research routes.
Objects are built inside each role's rolled-back savepoint, so every role meets the same world."""

from __future__ import annotations


def _hz(w):
    from huigong.research.testing import make_programme

    return make_programme(w, brand="新音台")


def _qd(w):
    from huigong.research.testing import make_programme

    return make_programme(w, brand="青音台", actor=w.outsider, node=w.gaoxin)


def _both_programmes(w):
    _hz(w)
    _qd(w)
    return {}


def _both_projects(w):
    from huigong.research.testing import make_project

    make_project(w, _hz(w), team_name="西湖骑手调研队")
    make_project(w, _qd(w), actor=w.outsider, node=w.gaoxin, team_name="青岛高新调研队")
    return {}


def _live_project(w):
    from huigong.research.testing import approved_project

    return approved_project(w, _hz(w))


def matrix_rows(Row, expect) -> dict:
    base = "/api/v1/research"
    everyone = dict.fromkeys(("admin", "staff", "viewer", "finance", "leader"), 200)
    return {
        ("GET", f"{base}/programmes"): Row(expect(everyone, outsider=200), params=_both_programmes,
                                           markers=("新音台年轻干部调研", "青音台年轻干部调研")),
        ("GET", f"{base}/projects"): Row(expect(everyone, outsider=200), params=_both_projects,
                                         markers=("西湖骑手调研队", "青岛高新调研队")),
        ("GET", f"{base}/projects/{{project_id}}"): Row(
            expect(everyone), params=lambda w: {"project_id": _live_project(w).pk}),
        ("POST", f"{base}/projects/{{project_id}}/fieldwork"): Row(
            expect({"admin": 201, "staff": 201}), params=lambda w: {"project_id": _live_project(w).pk},
            body=lambda w: {"kind": "ride_along", "occurred_on": "2026-01-05", "place": "文三路商圈",
                            "cadre": "周队长", "people": 12, "orders": 30, "hours": "8"}),
        ("GET", f"{base}/summary"): Row(expect(everyone, outsider=200)),
    }
