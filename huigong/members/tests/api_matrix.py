"""Rows of the API route × role matrix (huigong/api/tests/test_matrix.py) for the members routes (members, memberships, roster imports).
Declared in the app's contributions (apps.py). Objects named by a row are built inside each role's
rolled-back savepoint, so every role meets the same world."""

from __future__ import annotations

import datetime as dt

from huigong.members.roster.testing import person_row, roster_csv, upload
from huigong.testing import new_id_number

BASE = "/api/v1"
# Named in the body: the outsider's 422 (see huigong/api/tests/matrix.py).
NAMED_IN_BODY = [("POST", f"{BASE}/{r}") for r in ("members", "imports")]


def matrix_rows(Row, expect) -> dict:
    everyone = dict.fromkeys(("admin", "staff", "viewer", "finance", "leader"), 200)
    READ = expect(everyone)
    LIST = expect(everyone, outsider=200)
    MEMBER_WRITE = expect({"admin": 200, "staff": 200})
    MEMBER_CREATE = expect({"admin": 201, "staff": 201})
    PII = expect({"admin": 200, "staff": 200, "finance": 200})
    IMPORT_CREATE = expect({"admin": 201, "staff": 201})
    IMPORT_READ = expect({"admin": 200, "staff": 200})
    IMPORT_READ_LIST = expect({"admin": 200, "staff": 200}, outsider=200)
    return {
        # Members
        ("GET", "/api/v1/members"): Row(LIST, markers=("李小红", "赵青岛")),
        ("POST", "/api/v1/members/search"): Row(LIST, body=lambda w: {"status": "all"}, markers=("李小红", "赵青岛")),
        ("POST", "/api/v1/members"): Row(
            MEMBER_CREATE,
            body=lambda w: {
                "union_id": w.tech.pk,
                "name": "陈新人",
                "id_number": new_id_number(),
                "phone": "13900001111",
            },
        ),
        ("GET", "/api/v1/members/{person_id}"): Row(READ, params=lambda w: {"person_id": w.member.person_id}),
        ("PATCH", "/api/v1/members/{person_id}"): Row(
            MEMBER_WRITE,
            params=lambda w: {"person_id": w.member.person_id},
            body=lambda w: {"job_title": "工程师"},
        ),
        ("POST", "/api/v1/members/{person_id}/reveal"): Row(
            PII,
            params=lambda w: {"person_id": w.member.person_id},
            body=lambda w: {"fields": ["id_number"], "purpose": "核对身份"},
        ),
        ("POST", "/api/v1/members/{person_id}/transfer"): Row(
            MEMBER_WRITE,
            params=lambda w: {"person_id": w.member.person_id},
            body=lambda w: {"to_union_id": w.riders.pk, "reason": "换工作"},
        ),
        ("POST", "/api/v1/members/{person_id}/withdraw"): Row(
            MEMBER_WRITE,
            params=lambda w: {"person_id": w.member.person_id},
            body=lambda w: {"reason": "本人申请", "on": str(dt.date(2025, 1, 2))},
        ),
        # Memberships
        ("GET", "/api/v1/memberships"): Row(LIST, markers=("李小红", "赵青岛")),
        # Roster imports
        ("POST", "/api/v1/imports"): Row(
            IMPORT_CREATE,
            upload=lambda w: {"union_id": w.tech.pk, "file": upload("新名册.csv", roster_csv([person_row()]))},
        ),
        ("GET", "/api/v1/imports"): Row(IMPORT_READ_LIST, markers=("杭州名册.csv", "青岛名册.csv")),
        ("GET", "/api/v1/imports/{import_id}"): Row(IMPORT_READ, params=lambda w: {"import_id": w.hz_import.pk}),
        ("GET", "/api/v1/imports/{import_id}/errors"): Row(
            IMPORT_READ, params=lambda w: {"import_id": w.hz_import.pk}
        ),
    }
