"""Issue 15: a worker opens her own draft aid application on the portal, edits, saves, submits or
withdraws it; another worker's application is a 404."""

import datetime as dt

import pytest
from django.test import Client

from huigong.assistance.models import AidApplication, AidProgramme
from huigong.assistance.services import aid as aid_services
from huigong.assistance.services import files as svc

from . import test_portal_assistance as _portal
from .files_support import deep_file, rule

pytestmark = pytest.mark.django_db
HOME = _portal.HOME
worker = _portal.worker  # the signed-in worker fixture (李小红, the file's head)


def _draft(cast, amount_fen=150000):
    rule(cast)
    f = deep_file(cast, members=[])
    svc.hardship_file_open(actor=cast.city_admin, file=f, verified_on=dt.date.today(), verification_note="属实")
    prog = AidProgramme.objects.create(node=cast.hangzhou, node_path=cast.hangzhou.path, kind="living",
                                       name="2026年生活救助", year=2026, amount_fen=300000, amount_mode="up_to",
                                       approval_levels=["grassroots", "city"], status="open")
    return aid_services.aid_application_create(actor=cast.city_admin, programme=prog, file=f,
                                               amount_fen=amount_fen, reason="家中有人住院")


def test_worker_opens_her_draft_edits_and_submits_it(cast, client, worker):
    app = _draft(cast)
    home = client.get(HOME).content.decode()
    assert f"{HOME}applications/{app.pk}/" in home
    r = client.get(f"{HOME}applications/{app.pk}/")
    body = r.content.decode()
    assert r.status_code == 200 and "2026年生活救助" in body and "草稿" in body and "家中有人住院" in body
    r = client.post(f"{HOME}applications/{app.pk}/", {"action": "save", "amount_yuan": "1800",
                                                      "reason": "丈夫住院，孩子上学"})
    assert r.status_code == 302
    app.refresh_from_db()
    assert (app.status, app.amount_requested_fen, app.reason) == ("draft", 180000, "丈夫住院，孩子上学")
    r = client.post(f"{HOME}applications/{app.pk}/", {"action": "submit", "amount_yuan": "5000", "reason": "x"})
    assert r.status_code == 200 and "上限" in r.content.decode()
    app.refresh_from_db()
    assert app.status == "draft"
    r = client.post(f"{HOME}applications/{app.pk}/", {"action": "submit", "amount_yuan": "2000",
                                                      "reason": "丈夫住院，孩子上学"})
    assert r.status_code == 302
    app.refresh_from_db()
    assert (app.status, app.amount_requested_fen) == ("submitted", 200000)
    assert "审批中" in client.get(f"{HOME}applications/{app.pk}/").content.decode()
    # Submitted: no more edits.
    client.post(f"{HOME}applications/{app.pk}/", {"action": "save", "amount_yuan": "10", "reason": "改"})
    app.refresh_from_db()
    assert app.amount_requested_fen == 200000


def test_worker_withdraws_her_draft_after_confirming(cast, client, worker):
    app = _draft(cast)
    body = client.get(f"{HOME}applications/{app.pk}/?withdraw=1").content.decode()
    assert "确定撤回这份申请吗" in body
    r = client.post(f"{HOME}applications/{app.pk}/", {"action": "withdraw"})
    assert r.status_code == 302
    app.refresh_from_db()
    assert app.status == "withdrawn"


def test_another_worker_gets_404(cast, client, worker):
    app = _draft(cast)
    other = Client()
    acc = client.make(cast.rider.person, "13900000022")
    other.post("/portal/login/", {"mode": "password", "phone": acc.phone, "password": "Hg-worker-2026"})
    assert other.get(f"{HOME}applications/{app.pk}/").status_code == 404
    r = other.post(f"{HOME}applications/{app.pk}/", {"action": "withdraw"})
    assert r.status_code == 404
    app.refresh_from_db()
    assert app.status == "draft" and AidApplication.objects.count() == 1
    # Staff sessions are not workers.
    staff = Client()
    staff.force_login(cast.city_admin)
    assert staff.get(f"{HOME}applications/{app.pk}/")["Location"].startswith("/portal/login/")
