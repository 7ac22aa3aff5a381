"""Rows of the API route x role matrix (huigong/api/tests/test_matrix.py) for the files side of
assistance (screening rules, sweeps, hardship files). Objects are built inside each role's rolled-back
savepoint, so every role meets the same world."""

from __future__ import annotations

import datetime as dt

from huigong.assistance.services import files as file_svc
from huigong.assistance.services import screening
from huigong.testing import new_id_number

BASE = "/api/v1"


def _rule(w, node=None, actor=None, note="杭州低保线"):
    return screening.screening_rule_create(actor=actor or w.city_admin, node=node or w.xihu, dibao_fen=80000,
                                           effective_from=dt.date(2020, 1, 1), note=note)


def _sweep(w, node=None, actor=None, title="西湖区摸底排查"):
    return screening.sweep_open(actor=actor or w.city_admin, node=node or w.xihu, title=title, year=2026,
                                deadline=dt.date.today() + dt.timedelta(days=30))


def _file(w, *, opened=False, head=None, actor=None):
    f = file_svc.hardship_file_create(
        actor=actor or w.city_admin, head=head or w.member.person, causes=["illness"], household_size=2,
        monthly_income_fen=1000, level="deep", level_reason="矩阵测试",
        members=[{"name": "李大山", "relation": "配偶", "id_number": new_id_number()}])
    if opened:
        f = file_svc.hardship_file_open(actor=actor or w.city_admin, file=f, verified_on=dt.date.today(),
                                        verification_note="核实")
    return f


def _both_rules(w):
    _rule(w)
    _rule(w, w.gaoxin, w.outsider, "青岛低保线")
    return {}


def _both_sweeps(w):
    _sweep(w)
    _sweep(w, w.gaoxin, w.outsider, "高新区摸底排查")
    return {}


def _file_and_spouse(w):
    f = _file(w)
    return {"file_id": f.pk, "member_id": f.members.get(relation="配偶").pk}


def _both_files(w):
    _file(w)
    _file(w, head=w.qd_member.person, actor=w.outsider)
    return {}


def matrix_rows(Row, _expect) -> dict:
    everyone = dict.fromkeys(("admin", "staff", "viewer", "finance", "leader"), 200)
    lst = _expect(everyone, outsider=200)
    read = _expect(everyone)
    write = _expect({"admin": 200, "staff": 200})
    create = _expect({"admin": 201, "staff": 201})
    delete = _expect({"admin": 204, "staff": 204})
    return {
        ("GET", f"{BASE}/screening-rules"): Row(
            lst, params=_both_rules,
            markers=("杭州低保线", "青岛低保线")),
        ("POST", f"{BASE}/screening-rules"): Row(create, body=lambda w: {
            "union_id": w.xihu.pk, "dibao_fen": 90000, "relative_multiple": "1.5", "effective_from": "2025-01-01"}),
        ("PATCH", f"{BASE}/screening-rules/{{rule_id}}"): Row(
            write, params=lambda w: {"rule_id": _rule(w).pk}, body=lambda w: {"dibao_fen": 95000}),
        ("DELETE", f"{BASE}/screening-rules/{{rule_id}}"): Row(delete, params=lambda w: {"rule_id": _rule(w).pk}),
        ("GET", f"{BASE}/sweeps"): Row(
            lst, params=_both_sweeps,
            markers=("西湖区摸底排查", "高新区摸底排查")),
        ("POST", f"{BASE}/sweeps"): Row(create, body=lambda w: {
            "union_id": w.xihu.pk, "title": "新排查", "year": 2026,
            "deadline": (dt.date.today() + dt.timedelta(days=9)).isoformat()}),
        ("GET", f"{BASE}/sweeps/{{sweep_id}}"): Row(read, params=lambda w: {"sweep_id": _sweep(w).pk}),
        ("GET", f"{BASE}/sweeps/{{sweep_id}}/coverage"): Row(read, params=lambda w: {"sweep_id": _sweep(w).pk}),
        ("GET", f"{BASE}/sweeps/{{sweep_id}}/candidates"): Row(read, params=lambda w: {"sweep_id": _sweep(w).pk}),
        ("POST", f"{BASE}/sweeps/{{sweep_id}}/visits"): Row(
            write, params=lambda w: {"sweep_id": _sweep(w).pk},
            body=lambda w: {"person_id": w.member.person_id, "household_size": 2, "monthly_income_fen": 100000}),
        ("POST", f"{BASE}/sweeps/{{sweep_id}}/apply-rules"): Row(write, params=lambda w: {"sweep_id": _sweep(w).pk}),
        ("POST", f"{BASE}/sweeps/{{sweep_id}}/close"): Row(write, params=lambda w: {"sweep_id": _sweep(w).pk}),
        ("GET", f"{BASE}/hardship-files"): Row(lst, params=_both_files, markers=("330106-", "370213-")),
        ("GET", f"{BASE}/hardship-files/due-for-review"): Row(lst),
        ("POST", f"{BASE}/hardship-files"): Row(create, body=lambda w: {
            "head_person_id": w.member.person_id, "causes": ["illness"], "household_size": 1,
            "monthly_income_fen": 0, "level": "deep", "level_reason": "矩阵测试"}),
        ("GET", f"{BASE}/hardship-files/{{file_id}}"): Row(read, params=lambda w: {"file_id": _file(w).pk}),
        ("PATCH", f"{BASE}/hardship-files/{{file_id}}"): Row(
            write, params=lambda w: {"file_id": _file(w).pk}, body=lambda w: {"situation": "家庭情况更新"}),
        ("PUT", f"{BASE}/hardship-files/{{file_id}}/causes"): Row(
            write, params=lambda w: {"file_id": _file(w).pk}, body=lambda w: {"causes": ["illness", "schooling"]}),
        ("POST", f"{BASE}/hardship-files/{{file_id}}/members"): Row(
            create, params=lambda w: {"file_id": _file(w).pk},
            body=lambda w: {"name": "李小小", "relation": "子女", "id_number": new_id_number()}),
        ("DELETE", f"{BASE}/hardship-files/{{file_id}}/members/{{member_id}}"): Row(
            write, params=_file_and_spouse),
        ("POST", f"{BASE}/hardship-files/{{file_id}}/open"): Row(
            write, params=lambda w: {"file_id": _file(w).pk},
            body=lambda w: {"verified_on": dt.date.today().isoformat(), "verification_note": "入户核实"}),
        ("POST", f"{BASE}/hardship-files/{{file_id}}/review"): Row(
            write, params=lambda w: {"file_id": _file(w, opened=True).pk}, body=lambda w: {"year": 2026, "outcome": "keep"}),
        ("POST", f"{BASE}/hardship-files/{{file_id}}/close"): Row(
            write, params=lambda w: {"file_id": _file(w).pk}, body=lambda w: {"reason": "recovered"}),
    }


# Named in the body: the outsider's 422 (see huigong/api/tests/matrix.py).
NAMED_IN_BODY = [("POST", f"/api/v1/{r}") for r in ("hardship-files", "screening-rules", "sweeps")]
