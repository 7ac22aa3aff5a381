"""Console pages of the files side: each renders for its roles, outsiders get 403/404, forms call services."""

import datetime as dt

import pytest
from django.urls import reverse

from huigong.assistance.models import FileStatus, HardshipFile, HelpRequest, SweepVisit
from huigong.assistance.services import files as svc
from huigong.assistance.services import screening
from huigong.core.models import AccessLog
from huigong.testing import new_id_number

from .files_support import deep_file, rule, sweep
from .test_files_services import png_upload


@pytest.fixture
def world(cast, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    rule(cast)
    cast.sweep = sweep(cast)
    cast.visit = screening.sweep_visit_record(actor=cast.city_admin, sweep=cast.sweep, person=cast.member.person,
                                              household_size=3, monthly_income_fen=1000, has_illness=True)
    screening.sweep_rules_apply(actor=cast.city_admin, sweep=cast.sweep)
    cast.file = deep_file(cast, head=cast.rider.person, members=[])
    cast.evidence = svc.evidence_add(actor=cast.city_admin, file=cast.file, kind="medical", upload=png_upload())
    return cast


def pages(w):
    a = w.sweep.assignments.get(node=w.tech)
    return [reverse("assistance:home"), reverse("assistance:rule_list"), reverse("assistance:sweep_list"),
            reverse("assistance:sweep_detail", args=[w.sweep.pk]),
            reverse("assistance:sweep_detail", args=[w.sweep.pk]) + f"?node={w.xihu.pk}&level=deep",
            reverse("assistance:sweep_visit", args=[a.pk]), reverse("assistance:file_list"),
            reverse("assistance:file_list") + "?status=draft&level=deep&cause=illness&due=on",
            reverse("assistance:file_detail", args=[w.file.pk]), reverse("assistance:file_edit", args=[w.file.pk]),
            reverse("assistance:file_open", args=[w.file.pk]), reverse("assistance:file_close", args=[w.file.pk]),
            reverse("assistance:file_create") + "?q=李", reverse("assistance:file_create") + f"?visit={w.visit.pk}",
            reverse("assistance:help_requests"), reverse("assistance:sweep_create")]


def test_pages_render_for_the_city_admin(client, world):
    client.force_login(world.city_admin)
    for url in pages(world):
        r = client.get(url)
        assert r.status_code == 200, url
        assert "TODO" not in r.content.decode()


def test_outsider_gets_nothing_of_hangzhou(client, world):
    client.force_login(world.outsider)
    for url in pages(world)[3:]:
        if url.endswith("/files/") or "/files/?" in url or "help-requests" in url or "sweeps/new" in url \
                or "?q=" in url:
            continue
        assert client.get(url).status_code in (403, 404), url
    r = client.get(reverse("assistance:file_list"))
    assert world.file.file_no not in r.content.decode()
    assert client.get(reverse("assistance:evidence_download", args=[world.file.pk, world.evidence.pk])).status_code \
        in (403, 404)
    assert client.post(reverse("assistance:sweep_apply", args=[world.sweep.pk])).status_code == 404


def test_viewer_reads_masked_and_may_not_write(client, world):
    client.force_login(world.viewer)
    body = client.get(reverse("assistance:file_detail", args=[world.file.pk])).content.decode()
    assert "王*手" in body and "王骑手" not in body
    assert client.get(reverse("assistance:file_edit", args=[world.file.pk])).status_code == 403
    assert client.get(reverse("assistance:sweep_create")).status_code == 403
    assert client.get(reverse("assistance:evidence_download", args=[world.file.pk, world.evidence.pk])
                      ).status_code == 403
    sd = client.get(reverse("assistance:sweep_detail", args=[world.sweep.pk])).content.decode()
    assert "李*红" in sd


def test_create_open_review_close_through_the_forms(client, world):
    client.force_login(world.district_staff)
    url = reverse("assistance:file_create") + f"?visit={world.visit.pk}"
    r = client.post(url, {"household_size": 3, "monthly_income_yuan": "10.00", "rigid_expense_yuan": "0",
                          "causes": ["illness"], "level": "deep",
                          "members_text": f"李大山，配偶，{new_id_number()}\n李小小,子女,{new_id_number()}"})
    assert r.status_code == 302, r.content.decode()[:3000]
    f = HardshipFile.objects.get(head=world.member.person)
    assert f.source_visit == world.visit and f.members.count() == 3
    r = client.post(reverse("assistance:file_open", args=[f.pk]),
                    {"verified_on": dt.date.today().isoformat(), "verification_note": "入户核实属实"})
    assert r.status_code == 302
    r = client.post(reverse("assistance:file_review", args=[f.pk]), {"year": 2026, "outcome": "change_level",
                                                                     "reviewed_on": dt.date.today().isoformat()})
    assert r.status_code == 200 and "须填写理由" in r.content.decode()
    r = client.post(reverse("assistance:file_close", args=[f.pk]), {"reason": "recovered",
                                                                   "closed_on": dt.date.today().isoformat()})
    assert r.status_code == 302
    f.refresh_from_db()
    assert f.status == FileStatus.CLOSED


def test_wrong_level_and_duplicate_show_on_the_form(client, world):
    client.force_login(world.city_admin)
    url = reverse("assistance:file_create") + f"?head={world.member.person_id}"
    r = client.post(url, {"household_size": 1, "monthly_income_yuan": "50000", "causes": ["illness"], "level": "deep"})
    assert r.status_code == 200 and "所选等级与收入情况不符" in r.content.decode()
    r = client.post(reverse("assistance:file_create") + f"?head={world.rider.person_id}",
                    {"household_size": 1, "monthly_income_yuan": "1", "causes": ["illness"], "level": "deep"})
    assert r.status_code == 200 and world.file.file_no in r.content.decode()


def test_evidence_download_is_logged_and_bad_upload_refused(client, world):
    client.force_login(world.district_staff)
    r = client.get(reverse("assistance:evidence_download", args=[world.file.pk, world.evidence.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    assert AccessLog.objects.filter(object_type="assistance.fileevidence").count() == 1
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = client.post(reverse("assistance:evidence_upload", args=[world.file.pk]),
                    {"kind": "medical", "upload": SimpleUploadedFile("x.pdf", b"%PDF-1.4 truncated")}, follow=True)
    assert "PDF 文件不完整" in r.content.decode()
    assert world.file.evidence.count() == 1


def test_visit_entry_form_records_and_moves_on(client, world):
    client.force_login(world.tech_staff)
    from huigong.testing import make_member

    p = make_member(world.city_admin, world.tech, "新会员").person
    a = world.sweep.assignments.get(node=world.tech)
    a.member_total += 1
    a.save()
    url = reverse("assistance:sweep_visit", args=[a.pk])
    assert "新会员" in client.get(url).content.decode()
    r = client.post(url, {"person": p.pk, "visited_on": dt.date.today().isoformat(), "household_size": 2,
                          "monthly_income_yuan": "1500", "children_in_school": 0})
    assert r.status_code == 302
    assert SweepVisit.objects.filter(person=p).exists()
    client.force_login(world.outsider)
    assert client.get(url).status_code == 404


def test_help_request_queue_and_decline(client, world):
    hr = svc.help_request_create(person=world.member.person, user=None, situation="家中老人重病，收入很低需要帮助",
                                 causes=["illness"], household_size=3, monthly_income_fen=100000)
    client.force_login(world.district_staff)
    body = client.get(reverse("assistance:help_requests")).content.decode()
    assert f"?help={hr.pk}" in body
    client.force_login(world.outsider)
    assert client.post(reverse("assistance:help_request_decline", args=[hr.pk]), {"reason": "x"}).status_code == 404
    client.force_login(world.district_staff)
    client.post(reverse("assistance:help_request_decline", args=[hr.pk]), {"reason": "收入高于标准"})
    hr.refresh_from_db()
    assert hr.status == "declined"
    assert HelpRequest.objects.count() == 1


def test_reveal_is_logged_and_needs_full_pii(client, world):
    from huigong.assistance.models import FileMember

    head = FileMember.objects.get(file=world.file, relation="本人")
    url = reverse("assistance:file_reveal", args=[world.file.pk, "id_number"])
    client.force_login(world.viewer)
    assert client.post(url, {"member": head.pk}).status_code == 403
    client.force_login(world.outsider)
    assert client.post(url, {"member": head.pk}).status_code == 404
    client.force_login(world.city_admin)
    r = client.post(url, {"member": head.pk})
    assert r.status_code == 200 and world.rider.person.id_number in r.content.decode()
    assert AccessLog.objects.filter(object_type="assistance.filemember", object_id=str(head.pk)).count() == 1
    assert client.post(reverse("assistance:file_reveal", args=[world.file.pk, "bogus"])).status_code == 404
