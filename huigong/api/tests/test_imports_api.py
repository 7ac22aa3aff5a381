"""Roster imports through the API: multipart upload, all-or-none, progress, error rows, scope."""

import random
import re

import pytest
from django.test import Client

from huigong.members.models import ImportStatus, Person, RosterImport
from huigong.members.roster.testing import person_row, roster_csv, roster_xlsx, upload
from huigong.testing import new_id_number

pytestmark = pytest.mark.django_db

FULL_ID = re.compile(r"\d{17}[\dX]")


def _post(client, union, content: bytes, name: str = "名册.xlsx", **extra):
    data = {"union_id": union.pk, "file": upload(name, content), **extra}
    return client.client.post("/api/v1/imports", data, headers=client.headers)


def _bad_check_digit(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def test_upload_small_roster_loads_everything(cast, api_as):
    rng = random.Random(7)
    rows = [person_row(rng) for _ in range(5)]
    c = api_as(cast.district_staff)
    r = _post(c, cast.tech, roster_xlsx(rows), enterprise_id=cast.enterprise.pk)
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["status"], body["is_finished"], body["created_count"], body["error_count"]) == (
        "done",
        True,
        5,
        0,
    )
    assert (body["union"]["id"], body["enterprise"]["id"], body["created_by"]) == (
        cast.tech.pk,
        cast.enterprise.pk,
        "district_staff",
    )
    assert body["progress_percent"] == 100
    got = c.get(f"imports/{body['id']}").json()
    assert got["status"] == "done" and got["original_name"] == "名册.xlsx"
    names = {i["name"] for i in c.get("members", {"union": cast.tech.pk, "limit": 500}).json()["items"]}
    assert {row["姓名"] for row in rows} <= names
    assert c.get(f"imports/{body['id']}/errors").json() == {
        "count": 0,
        "total_errors": 0,
        "limit": 50,
        "offset": 0,
        "items": [],
    }


def test_rejected_roster_writes_nothing_and_lists_row_errors(cast, api_as):
    rng = random.Random(8)
    good = person_row(rng)
    bad = person_row(rng, 身份证号=_bad_check_digit(new_id_number()))
    dup = dict(good)
    c = api_as(cast.city_admin)
    before = Person.objects.count()
    r = _post(c, cast.tech, roster_xlsx([good, bad, dup]))
    assert r.status_code == 201
    body = r.json()
    assert body["status"] == "rejected" and body["error_count"] >= 2
    assert Person.objects.count() == before
    errors = c.get(f"imports/{body['id']}/errors")
    assert errors.status_code == 200
    items = errors.json()["items"]
    assert errors.json()["count"] == len(items) == body["error_count"]
    by_row = {e["row"]: e for e in items}
    assert by_row[3]["column"].startswith("身份证号") and "校验位" in by_row[3]["reason"]
    assert 4 in by_row and 2 in by_row  # the duplicate names both rows
    assert not FULL_ID.search(errors.content.decode()), "error rows must show ID numbers masked"


def test_errors_beyond_the_preview_come_from_the_report(cast, api_as, django_capture_on_commit_callbacks):
    """130 bad rows: more than the stored preview (100) and more than the inline limit (tests: 50),
    so the import runs as a background task and the later error pages are read from the report."""
    rng = random.Random(9)
    rows = [person_row(rng, 手机号="12345") for _ in range(130)]
    c = api_as(cast.city_admin)
    with django_capture_on_commit_callbacks(execute=True):
        r = _post(c, cast.tech, roster_csv(rows), name="大名册.csv")
        assert r.status_code == 201
        assert r.json()["status"] == "pending" and r.json()["is_finished"] is False
    imp_id = r.json()["id"]
    got = c.get(f"imports/{imp_id}").json()
    assert (got["status"], got["error_count"]) == ("rejected", 130)
    first = c.get(f"imports/{imp_id}/errors", {"limit": 100}).json()
    rest = c.get(f"imports/{imp_id}/errors", {"offset": 100, "limit": 100}).json()
    assert (first["count"], rest["count"], first["total_errors"]) == (130, 130, 130)
    assert len(first["items"]) == 100 and len(rest["items"]) == 30
    rows_seen = [e["row"] for e in first["items"] + rest["items"]]
    assert rows_seen == list(range(2, 132))
    # Preview rows (stored) and report rows (read back from the .xlsx) look the same.
    assert {e["column"] for e in first["items"] + rest["items"]} == {rest["items"][0]["column"]}
    assert rest["items"][0]["column"].startswith("手机号")
    assert {e["value"] for e in first["items"] + rest["items"]} == {"*****"}  # phones are masked too
    assert all("手机号" in e["reason"] for e in rest["items"])


def test_upload_validation(cast, api_as):
    c = api_as(cast.city_admin)
    r = _post(c, cast.tech, b"this is not a spreadsheet", name="名册.xlsx")
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "file"
    r = _post(c, cast.xihu, roster_csv([person_row()]), name="名册.csv")
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "union_id"
    r = c.client.post("/api/v1/imports", {"union_id": cast.tech.pk}, headers=c.headers)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "file"
    r = _post(c, cast.tech, roster_csv([person_row()]), name="名册.csv", enterprise_id=999999)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "enterprise_id"
    assert RosterImport.objects.count() == 0


def test_upload_is_denied_outside_scope_and_role(cast, api_as):
    content = roster_csv([person_row()])
    assert _post(api_as(cast.viewer), cast.tech, content, name="a.csv").status_code == 403
    assert _post(api_as(cast.outsider), cast.tech, content, name="a.csv").status_code == 422
    assert _post(api_as(cast.tech_staff), cast.riders, content, name="a.csv").status_code == 422
    r = _post(api_as(cast.city_admin), cast.tech, content, name="a.csv", enterprise_id=cast.qd_enterprise.pk)
    assert r.status_code == 422
    assert RosterImport.objects.count() == 0


def test_session_upload_needs_csrf(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.city_admin)
    data = {"union_id": cast.tech.pk, "file": upload("a.csv", roster_csv([person_row()]))}
    assert client.post("/api/v1/imports", data).status_code == 403
    client.get("/api/v1/docs")
    data["file"] = upload("a.csv", roster_csv([person_row()]))
    r = client.post("/api/v1/imports", data, headers={"X-CSRFToken": client.cookies["csrftoken"].value})
    assert r.status_code == 201 and r.json()["status"] == "done"


def test_import_list_and_get_are_scoped(cast, api_as):
    hz = _post(api_as(cast.city_admin), cast.tech, roster_csv([person_row()]), name="杭州.csv").json()
    row = person_row(身份证号=new_id_number("370213"))
    qd = _post(api_as(cast.outsider), cast.qd_ent, roster_csv([row]), name="青岛.csv").json()
    assert [i["id"] for i in api_as(cast.city_admin).get("imports").json()["items"]] == [hz["id"]]
    assert [i["id"] for i in api_as(cast.outsider).get("imports").json()["items"]] == [qd["id"]]
    assert api_as(cast.city_admin).get("imports", {"status": "rejected"}).json()["count"] == 0
    assert api_as(cast.city_admin).get("imports", {"union": cast.riders.pk}).json()["count"] == 0
    assert api_as(cast.outsider).get(f"imports/{hz['id']}").status_code == 404
    assert api_as(cast.outsider).get(f"imports/{hz['id']}/errors").status_code == 404
    assert api_as(cast.viewer).get(f"imports/{hz['id']}").status_code == 403
    assert api_as(cast.city_admin).get("imports/999999").status_code == 404
    assert ImportStatus.DONE == hz["status"]
