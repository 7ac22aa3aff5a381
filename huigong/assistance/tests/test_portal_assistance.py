"""The worker's side: own file status said kindly, asking for help behind the consents, applying for 三助."""

import datetime as dt

import pytest

from huigong.assistance.models import AidApplication, AidProgramme, HelpRequest
from huigong.assistance.services import files as svc
from huigong.portal.sms import MemorySmsSender

from .files_support import deep_file, rule

HOME = "/portal/assistance/"


@pytest.fixture
def worker(cast, client):
    """A signed-in worker account linked to cast.member (李小红, 杭州某科技公司工会)."""
    from huigong.portal import services
    from huigong.portal.models import SmsPurpose

    def make(person, phone):
        MemorySmsSender.clear()
        services.sms_code_send(phone=phone, purpose=SmsPurpose.SIGNUP)
        account = services.account_signup(phone=phone, password="Hg-worker-2026",
                                          code=MemorySmsSender.last_code(phone))
        account.person = person
        account.save(update_fields=["person"])
        return account

    account = make(cast.member.person, "13900000011")
    r = client.post("/portal/login/", {"mode": "password", "phone": account.phone, "password": "Hg-worker-2026"})
    assert r.status_code == 302
    client.make = make
    return account


def give_consents(client):
    for purpose in ("income", "health"):
        client.post(f"/portal/consent/{purpose}/", {"agree": "on"})


def test_help_needs_consent_then_lands_in_the_union_queue(cast, client, worker):
    r = client.get(HOME + "help/")
    assert r.status_code == 302 and "/portal/consent/" in r["Location"]
    from huigong.portal.services import consent_give

    consent_give(account=worker, purpose="income")
    consent_give(account=worker, purpose="health")
    assert client.get(HOME + "help/").status_code == 200
    r = client.post(HOME + "help/", {"situation": "短", "household_size": 0, "monthly_income_yuan": "-1"})
    assert r.status_code == 200 and HelpRequest.objects.count() == 0
    r = client.post(HOME + "help/", {"situation": "丈夫患病住院，家里只有我一人收入，孩子上学",
                                     "causes": ["illness", "schooling"], "household_size": 3,
                                     "monthly_income_yuan": "2400"})
    assert r.status_code == 302
    hr = HelpRequest.objects.get()
    assert (hr.person, hr.node, hr.monthly_income_fen, hr.status) == (cast.member.person, cast.tech, 240000, "new")
    r = client.post(HOME + "help/", {"situation": "再提交一次看看会怎么样呢", "causes": ["illness"],
                                     "household_size": 3, "monthly_income_yuan": "2400"})
    assert "待核实" in r.content.decode() and HelpRequest.objects.count() == 1
    body = client.get(HOME).content.decode()
    assert "工会将尽快与您联系" in body


def test_file_status_is_kind_and_only_the_workers_own(cast, client, worker):
    rule(cast)
    deep_file(cast, head=cast.rider.person, members=[])  # someone else's file
    body = client.get(HOME).content.decode()
    assert "我要求助" in body and "深度困难" not in body and "王骑手" not in body
    f = deep_file(cast, members=[])
    svc.hardship_file_open(actor=cast.city_admin, file=f, verified_on=dt.date.today(), verification_note="属实")
    body = client.get(HOME).content.decode()
    assert "您已纳入工会帮扶关怀" in body and "深度困难" not in body and f.file_no not in body


def test_apply_for_an_open_programme_submits_it(cast, client, worker):
    rule(cast)
    f = deep_file(cast, members=[])
    svc.hardship_file_open(actor=cast.city_admin, file=f, verified_on=dt.date.today(), verification_note="属实")
    prog = AidProgramme.objects.create(node=cast.hangzhou, node_path=cast.hangzhou.path, kind="living",
                                       name="2026年生活救助", year=2026, amount_fen=300000, amount_mode="up_to",
                                       approval_levels=["grassroots", "city"], status="open")
    closed = AidProgramme.objects.create(node=cast.hangzhou, node_path=cast.hangzhou.path, kind="education",
                                         name="已结束项目", year=2025, amount_fen=100000, status="closed",
                                         approval_levels=["city"])
    body = client.get(HOME).content.decode()
    assert "2026年生活救助" in body and "已结束项目" not in body
    assert client.get(HOME + f"apply/{closed.pk}/").status_code == 404
    r = client.post(HOME + f"apply/{prog.pk}/", {"amount_yuan": "5000", "reason": "生活困难"})
    assert r.status_code == 200 and "上限" in r.content.decode()
    r = client.post(HOME + f"apply/{prog.pk}/", {"amount_yuan": "2000", "reason": "丈夫住院，生活困难"})
    assert r.status_code == 302, r.content.decode()[:2000]
    app = AidApplication.objects.get()
    assert (app.file, app.via_portal, app.status, app.amount_requested_fen) == (f, True, "submitted", 200000)
    assert "审批中" in client.get(HOME).content.decode()


def test_another_worker_cannot_apply_on_this_file(cast, client, worker):
    rule(cast)
    f = deep_file(cast, members=[])
    svc.hardship_file_open(actor=cast.city_admin, file=f, verified_on=dt.date.today(), verification_note="属实")
    prog = AidProgramme.objects.create(node=cast.hangzhou, node_path=cast.hangzhou.path, kind="living",
                                       name="生活救助", year=2026, amount_fen=300000, approval_levels=["city"],
                                       status="open")
    from django.test import Client

    other = Client()
    acc = client.make(cast.rider.person, "13900000022")
    other.post("/portal/login/", {"mode": "password", "phone": acc.phone, "password": "Hg-worker-2026"})
    assert other.get(HOME + f"apply/{prog.pk}/").status_code == 404
    assert f.file_no not in other.get(HOME).content.decode()


def test_staff_and_anonymous_are_sent_to_the_portal_sign_in(cast, client):
    assert client.get(HOME)["Location"].startswith("/portal/login/")
    client.force_login(cast.city_admin)
    assert client.get(HOME + "help/")["Location"].startswith("/portal/login/")
