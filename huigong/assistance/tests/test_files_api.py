"""The files side's API: screening rules, sweeps, hardship files. Scoped; outsiders get 403/404."""

import datetime as dt

import pytest

from huigong.api.tests.conftest import ApiClient, make_token
from huigong.assistance.models import FileStatus, HardshipFile
from huigong.testing import new_id_number

from .files_support import DIBAO, deep_file, rule, sweep


def as_(user):
    return ApiClient(make_token(user))


def test_rule_and_sweep_flow_over_the_api(cast):
    admin = as_(cast.city_admin)
    r = admin.post("screening-rules", {"union_id": cast.hangzhou.pk, "dibao_fen": DIBAO, "relative_multiple": "1.5",
                                       "effective_from": "2020-01-01"})
    assert r.status_code == 201, r.content
    assert admin.get("screening-rules").json()[0]["dibao_fen"] == DIBAO
    deadline = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    r = admin.post("sweeps", {"union_id": cast.hangzhou.pk, "title": "2025摸底", "year": 2025, "deadline": deadline})
    assert r.status_code == 201, r.content
    sid = r.json()["id"]
    assert r.json()["member_total"] == 2
    r = as_(cast.tech_staff).post(f"sweeps/{sid}/visits", {"person_id": cast.member.person_id, "household_size": 3,
                                                          "monthly_income_fen": 1000, "has_illness": True})
    assert r.status_code == 200, r.content
    r = admin.post(f"sweeps/{sid}/visits", {"person_id": cast.qd_member.person_id, "household_size": 1,
                                            "monthly_income_fen": 0})
    assert r.status_code in (403, 422)
    r = admin.post(f"sweeps/{sid}/visits", {"person_id": cast.rider.person_id, "household_size": 0,
                                            "monthly_income_fen": 0})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "household_size"
    assert admin.post(f"sweeps/{sid}/apply-rules").json() == {"evaluated": 1, "deep": 1, "relative": 0, "sudden": 0}
    cov = admin.get(f"sweeps/{sid}/coverage").json()
    assert (cov["member_total"], cov["visited"], cov["percent"]) == (2, 1, 50)
    assert cov["rows"][0]["union"]["id"] == cast.xihu.pk
    cands = as_(cast.viewer).get(f"sweeps/{sid}/candidates").json()
    assert cands["count"] == 1 and cands["items"][0]["name"] == "李*红"
    assert admin.get(f"sweeps/{sid}/candidates", {"level": "relative"}).json()["count"] == 0
    # the outsider sees none of it
    out = as_(cast.outsider)
    assert out.get(f"sweeps/{sid}").status_code == 404
    assert out.get(f"sweeps/{sid}/coverage").status_code == 404
    assert out.post(f"sweeps/{sid}/apply-rules").status_code == 404
    assert out.get("sweeps").json()["count"] == 0
    assert as_(cast.viewer).post(f"sweeps/{sid}/apply-rules").status_code == 403
    assert admin.post(f"sweeps/{sid}/close").json()["status"] == "closed"


def test_file_lifecycle_over_the_api(cast):
    rule(cast)
    admin = as_(cast.city_admin)
    body = {"head_person_id": cast.member.person_id, "causes": ["illness"], "household_size": 2,
            "monthly_income_fen": 1000, "level": "deep",
            "members": [{"name": "李大山", "relation": "配偶", "id_number": new_id_number()}],
            "bank_account": "6222021234567890123"}
    r = admin.post("hardship-files", body)
    assert r.status_code == 201, r.content
    f = r.json()
    assert f["status"] == "draft" and f["bank_account_mask"].endswith("0123") and len(f["members"]) == 2
    assert "6222021234567890123" not in r.content.decode()
    r = admin.post("hardship-files", dict(body, head_person_id=cast.rider.person_id))
    assert r.status_code == 422 and f["file_no"] in r.json()["detail"][0]["message"]
    fid = f["id"]
    r = admin.patch(f"hardship-files/{fid}", {"monthly_income_fen": 50 * DIBAO})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "level_reason"
    r = admin.post(f"hardship-files/{fid}/open", {"verified_on": dt.date.today().isoformat(),
                                                 "verification_note": "入户核实"})
    assert r.json()["status"] == "open"
    r = admin.post(f"hardship-files/{fid}/review", {"year": 2026, "outcome": "keep"})
    assert r.status_code == 200, r.content
    assert admin.post(f"hardship-files/{fid}/review", {"year": 2026, "outcome": "keep"}).status_code == 422
    r = admin.post(f"hardship-files/{fid}/members", {"name": "李小小", "relation": "子女", "id_number": new_id_number()})
    assert r.status_code == 201 and len(r.json()["members"]) == 3
    assert admin.get("hardship-files", {"status": "open", "cause": "illness"}).json()["count"] == 1
    r = admin.post(f"hardship-files/{fid}/close", {"reason": "recovered"})
    assert r.json()["status"] == FileStatus.CLOSED
    out = as_(cast.outsider)
    assert out.get(f"hardship-files/{fid}").status_code == 404
    assert out.post(f"hardship-files/{fid}/close", {"reason": "recovered"}).status_code == 404
    assert out.get("hardship-files").json()["count"] == 0


@pytest.mark.parametrize("role,status", [("viewer", 403), ("leader", 403), ("finance", 403), ("outsider", 422),
                                         ("district_staff", 201)])
def test_who_may_create_a_file(cast, role, status):
    rule(cast)
    user = {"viewer": cast.viewer, "leader": cast.leader, "finance": cast.finance, "outsider": cast.outsider,
            "district_staff": cast.district_staff}[role]
    r = as_(user).post("hardship-files", {"head_person_id": cast.member.person_id, "causes": ["illness"],
                                          "household_size": 1, "monthly_income_fen": 0, "level": "deep"})
    assert r.status_code == status, r.content
    assert HardshipFile.objects.count() == (1 if status == 201 else 0)


def test_viewer_reads_masked_and_cannot_write(cast):
    rule(cast)
    f = deep_file(cast, members=[])
    v = as_(cast.viewer)
    r = v.get(f"hardship-files/{f.pk}")
    assert r.status_code == 200 and r.json()["head_name"] == "李*红"
    assert v.post(f"hardship-files/{f.pk}/close", {"reason": "recovered"}).status_code == 403
    sw = sweep(cast)
    assert v.post(f"sweeps/{sw.pk}/close").status_code == 403
    assert as_(cast.outsider).get(f"sweeps/{sw.pk}/candidates").status_code == 404
    assert as_(cast.outsider).patch(f"screening-rules/{rule(cast, node=cast.xihu).pk}",
                                    {"dibao_fen": 1}).status_code == 404
