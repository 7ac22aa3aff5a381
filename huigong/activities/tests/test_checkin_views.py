"""The check-in pages: gate set-up, the gate page's configuration (only its sessions' keys), the API the
page posts to, manual search and check-in, the failed-scan log and review, the paper list (ticks and a
sheet), and the worker's ticket (own seats only; staff and the anonymous are sent to the portal's sign-in)."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import uuid

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from huigong.activities import checkin_services as svc
from huigong.activities import checkin_ticket as ticket
from huigong.activities.models import Registration
from huigong.activities.models_checkin import CheckIn, Gate, Scan
from huigong.portal.testing import make_worker_account, sign_in

from .checkin_world import gate, make_event, scan_in, seat


@pytest.fixture(scope="module")
def _world(module_world):
    def build():
        from huigong.testing import Cast

        w = Cast().build()
        w.event = make_event(w.city_admin, w.xihu, sessions=2)
        w.s1, w.s2 = w.event.sessions.all()
        w.reg = seat(w.s1, w.member)
        w.rider_reg = seat(w.s1, w.rider)
        w.gate = gate(w.city_admin, w.event, "北门", session=w.s1)
        return w

    return module_world(build)


@pytest.fixture
def w(_world, db):
    return copy.deepcopy(_world)


def _code(reg):
    return svc.ticket_code(Registration.objects.select_related("session").get(pk=reg.pk))


def test_gate_created_and_edited_from_the_event_page(client, w):
    client.force_login(w.district_staff)
    url = reverse("activities_gate:event", args=[w.event.pk])
    r = client.post(url, {"name": "北门", "session": ""})
    assert r.status_code == 200 and "本活动已有同名签到口" in r.content.decode()
    r = client.post(url, {"name": "东门", "session": w.s2.pk, "allows_reentry": "on", "auto_checkout_at": "21:30"})
    assert r.status_code == 302
    g = Gate.objects.get(name="东门")
    assert g.session_id == w.s2.pk and g.allows_reentry and str(g.auto_checkout_at) == "21:30:00"
    r = client.post(reverse("activities_gate:edit", args=[g.pk]), {"name": "东门", "session": "", "is_active": ""})
    assert r.status_code == 302
    g.refresh_from_db()
    assert not g.is_active and g.session_id is None and not g.allows_reentry


def test_gate_page_carries_only_its_sessions_keys(client, w):
    client.force_login(w.district_staff)
    r = client.get(reverse("activities_gate:gate", args=[w.gate.pk]))
    assert r.status_code == 200
    body = r.content.decode()
    raw = body.split('id="gate-config" type="application/json">')[1].split("</script>")[0]
    config = json.loads(raw)
    assert set(config["sessions"]) == {str(w.s1.pk)}  # the gate serves day 1 only
    assert config["sessions"][str(w.s1.pk)]["keys"][0] == ticket.session_key(w.s1.pk).hex()
    assert config["scanUrl"] == f"/api/v1/event-checkin/gates/{w.gate.pk}/scans"
    assert "vendor/zxing/zxing-browser.min.js" in body and "activities/gate.js" in body
    assert "<script>" not in body.replace('<script type="application/json"', "")  # no inline script (CSP)


def test_the_gate_page_posts_scans_to_the_api_once_each(client, w):
    client.force_login(w.district_staff)
    url = f"/api/v1/event-checkin/gates/{w.gate.pk}/scans"
    one = {"uuid": str(uuid.uuid4()), "code": _code(w.reg)}
    r = client.post(url, {"scans": [one]}, content_type="application/json")
    assert r.status_code == 200
    a = r.json()["results"][0]
    assert (a["result"], a["name"], a["key"], a["entry_no"]) == ("admitted", "李小红", f"{w.reg.pk}:{w.s1.pk}", 1)
    again = client.post(url, {"scans": [one]}, content_type="application/json").json()["results"][0]
    assert again["id"] == a["id"]
    offline = [{"uuid": str(uuid.uuid4()), "code": _code(w.rider_reg), "offline": True, "local_result": "admitted",
                "scanned_at": "2020-01-01T08:00:00+08:00"},
               {"uuid": str(uuid.uuid4()), "code": "garbage", "offline": True, "local_result": "refused",
                "local_reason": "malformed"}]
    res = client.post(url, {"scans": offline}, content_type="application/json").json()["results"]
    # The rider's ticket was not valid in 2020: the gate let them in offline, so it is flagged.
    assert [(x["result"], x["reason"], x["flagged"]) for x in res] == [
        ("refused", "not_yet_valid", True), ("refused", "malformed", False)]
    assert res[0]["message"] == "未到签到时间"
    bad = client.post(url, {"scans": [{"uuid": "not-a-uuid", "code": "x"}]}, content_type="application/json")
    assert bad.status_code == 422


def test_manual_search_by_name_pinyin_and_id_tail_then_check_in(client, w):
    client.force_login(w.district_staff)
    url = reverse("activities_gate:search", args=[w.gate.pk])
    tail = w.reg.person.id_number_mask[-4:]
    for q in ("李小红", "lixiao", "lxh", tail):
        body = client.get(url, {"q": q}).content.decode()
        assert "李小红" in body, q
    assert "李小红" not in client.get(url, {"q": "330106199001011234"}).content.decode()  # no full numbers
    r = client.post(reverse("activities_gate:manual", args=[w.gate.pk, w.reg.pk]), {"q": "李小红"})
    assert r.status_code == 302
    assert CheckIn.objects.get(registration=w.reg).method == "manual"
    other = seat(w.s2, w.rider)  # a seat of a session this gate does not serve
    assert client.post(reverse("activities_gate:manual", args=[w.gate.pk, other.pk])).status_code == 404


def test_failed_scan_log_and_review(client, w):
    svc.scan_record(actor=w.city_admin, gate=w.gate, item=scan_in(_code(w.reg)))
    svc.scan_record(actor=w.city_admin, gate=w.gate, item=scan_in("HGT1BROKEN"))
    flagged = svc.scans_sync(actor=w.city_admin, gate=w.gate, items=[scan_in(_code(w.reg), offline=True, local="admitted")])[0]
    client.force_login(w.district_staff)
    body = client.get(reverse("activities_gate:scans", args=[w.event.pk])).content.decode()
    assert "不是本系统的签到码" in body and "离线重复入场" in body and "HGT1BROKEN" in body
    assert client.get(reverse("activities_gate:scans", args=[w.event.pk]), {"show": "flagged"}).content.decode().count(
        "记录核查") == 2
    r = client.post(reverse("activities_gate:review", args=[flagged.pk]), {"note": "同一人两门重复扫码，已核实"})
    assert r.status_code == 302
    assert Scan.objects.get(pk=flagged.pk).review_note == "同一人两门重复扫码，已核实"


def test_paper_list_ticks_and_sheet(client, w):
    client.force_login(w.district_staff)
    url = reverse("activities_gate:bulk", args=[w.s1.pk])
    body = client.get(url).content.decode()
    assert "李小红" in body and "王骑手" in body
    r = client.post(url, {"form": "tick", "seat": [w.rider_reg.pk], "at": ""})
    assert r.status_code == 302 and CheckIn.objects.get(registration=w.rider_reg).method == "bulk"
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["姓名", "身份证后四位"])
    ws.write_row(1, 0, ["李小红", w.reg.person.id_number_mask[-4:]])
    ws.write_row(2, 0, ["无此人", "0000"])
    wb.close()
    r = client.post(url, {"form": "upload", "upload": SimpleUploadedFile("list.xlsx", out.getvalue())}, follow=True)
    assert "第 3 行" in r.content.decode() and not CheckIn.objects.filter(registration=w.reg).exists()


def test_the_workers_ticket_page_is_hers_only(client, w):
    account = make_worker_account(person=w.reg.person)
    url = reverse("activities_gate_portal:ticket", args=[w.reg.pk])
    assert "/portal/" in client.get(url)["Location"]  # anonymous: the portal's sign-in
    client.force_login(w.city_admin)
    assert client.get(url).status_code == 302  # staff have no worker account
    client.logout()
    sign_in(client, account)
    r = client.get(url)
    code = _code(w.reg)
    assert r.status_code == 200 and code in r.content.decode() and "<svg" in r.content.decode()
    assert ticket.read(code).registration_id == w.reg.pk
    assert client.get(reverse("activities_gate_portal:ticket", args=[w.rider_reg.pk])).status_code == 404
    Registration.objects.filter(pk=w.reg.pk).update(status="waiting")
    body = client.get(url).content.decode()
    assert code not in body and "没有签到码" in body


def test_gate_roster_is_masked_expires_and_leaves_an_access_row(client, w):
    from huigong.core.models import AccessLog

    client.force_login(w.district_staff)
    other = seat(w.s2, w.member)  # a seat of a session this gate does not serve
    r = client.get(reverse("activities_gate:roster", args=[w.gate.pk]))
    assert r.status_code == 200 and "no-store" in r["Cache-Control"]
    body = r.json()
    person = w.member.person
    assert body["seats"][str(w.reg.pk)] == ["李*红", person.id_number_mask[-4:]]
    assert str(other.pk) not in body["seats"] and set(body["seats"]) == {str(w.reg.pk), str(w.rider_reg.pk)}
    raw = r.content.decode()
    person.refresh_from_db()
    assert person.id_number not in raw and "李小红" not in raw and (not person.phone or person.phone not in raw)
    from django.utils.dateparse import parse_datetime

    fetched, expires = parse_datetime(body["fetched"]), parse_datetime(body["expires"])
    assert dt.timedelta(hours=1) <= expires - fetched <= dt.timedelta(hours=12)
    row = AccessLog.objects.get(object_type="activities.gate_roster", object_id=str(w.gate.pk))
    assert row.row_count == 2 and row.actor_id == w.district_staff.pk and "id_number_tail4" in row.fields


def test_gate_service_worker_is_ours_scoped_to_the_gate_pages_and_versioned(client, w):
    client.force_login(w.district_staff)
    page = client.get(reverse("activities_gate:gate", args=[w.gate.pk]))
    cfg = json.loads(page.content.decode().split('id="gate-config" type="application/json">')[1].split("</script>")[0])
    assert cfg["sw"] == "/activities/gate/sw.js" and cfg["swScope"] == "/activities/gate/"
    assert cfg["rosterUrl"] == reverse("activities_gate:roster", args=[w.gate.pk])
    r = client.get(cfg["sw"])
    assert r.status_code == 200 and r["Content-Type"].startswith("text/javascript")
    assert "Content-Security-Policy" in r and "no-cache" in r["Cache-Control"]
    body = r.content.decode()
    conf = json.loads(body.split("var CFG = ")[1].split(";\n")[0])
    assert conf["scope"] == "/activities/gate/" and len(conf["version"]) == 12
    assert any(u.endswith("gate.js") for u in conf["precache"]) and any("zxing" in u for u in conf["precache"])
    assert all(u.startswith("/static/") for u in conf["precache"])  # our origin, no CDN
    import re

    pages = re.compile(conf["pages"].replace("\\\\", "\\"))
    assert pages.match(f"/activities/gate/{w.gate.pk}/") and not pages.match(f"/activities/gate/{w.gate.pk}/search/")
    assert "hg-gate-" in body and "caches.delete" in body
