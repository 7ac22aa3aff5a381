"""The research API: fieldwork recorded from the field with its refusals named by field, a project's
detail with its tracked recommendations, and the brand's summary."""

from huigong.api.tests.conftest import ApiClient, make_token
from huigong.research.testing import approved_project, reported_project


def _api(user) -> ApiClient:
    return ApiClient(make_token(user))


def test_fieldwork_from_the_field(w):
    p = approved_project(w, w.programme)
    api = _api(w.district_staff)
    url = f"/api/v1/research/projects/{p.pk}/fieldwork"
    body = {"kind": "ride_along", "occurred_on": "2026-01-05", "place": "文三路商圈", "cadre": "周队长", "orders": 42}
    r = api.post(url, body)
    assert r.status_code == 201 and r.json()["orders"] == 42
    r = api.post(url, {**body, "kind": "interview"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "orders"
    r = api.post(url, {**body, "orders": -1})
    assert r.status_code == 422
    assert _api(w.viewer).post(url, body).status_code == 403
    assert _api(w.outsider).post(url, body).status_code == 404


def test_project_detail_and_summary(w):
    p, _r = reported_project(w, w.programme, seed=501, accept=True)
    api = _api(w.leader)
    d = api.get(f"/api/v1/research/projects/{p.pk}").json()
    assert d["status"] == "completed" and d["bank_account_mask"].endswith("4321")
    assert [x["tracked_status"] for x in d["recommendations"]] == ["open", "open"]
    assert [t["status"] for t in d["tranches"]] == ["due", "due", "due"]
    assert "6222020000004321" not in str(d)
    s = api.get("/api/v1/research/summary").json()
    assert s["topics"] == 2 and s["reports"] == 1 and s["recommendations"] == 2 and s["policies_adopted"] == 0
    assert s["orders"] == 642
    assert _api(w.outsider).get("/api/v1/research/summary").json()["reports"] == 0
