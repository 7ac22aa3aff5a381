"""Member exports above MEMBER_EXPORT_SYNC_MAX_ROWS run in the background (issue 15): a job, a progress
page, an encrypted file only its requester downloads from 我的导出, the same audit and access rows as an
export in the request, and the retention purge."""

import io
import os
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from huigong.core.models import AccessLog, AuditEvent
from huigong.members.models import ExportStatus, MemberExport
from huigong.members.roster.export import ExportFile
from huigong.members.roster.export_jobs import (
    member_export_run,
    member_export_start,
    member_exports_fail_stale,
    member_exports_purge,
)
from huigong.members.tasks import member_export_run_task


@pytest.fixture
def small_limit(settings):
    settings.MEMBER_EXPORT_SYNC_MAX_ROWS = 1  # the city has two members: its export goes to the background
    return settings


def _rows(data: bytes):
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()


def _body(r) -> bytes:
    return b"".join(r.streaming_content) if r.streaming else r.content


def _export(client, user, params=None, *, run=True, capture=None):
    client.force_login(user)
    with capture(execute=run):
        r = client.get(reverse("members:export"), params or {})
    return r


def test_up_to_the_threshold_the_file_comes_in_the_request(cast, settings, client):
    settings.MEMBER_EXPORT_SYNC_MAX_ROWS = 2
    result = member_export_start(actor=cast.city_admin)
    assert isinstance(result, ExportFile) and result.row_count == 2
    client.force_login(cast.city_admin)
    r = client.get(reverse("members:export"))
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    assert not MemberExport.objects.exists()


def test_above_the_threshold_a_job_is_queued_not_written_in_the_request(
        cast, small_limit, client, django_capture_on_commit_callbacks):
    r = _export(client, cast.city_admin, run=False, capture=django_capture_on_commit_callbacks)
    job = MemberExport.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("members:export_detail", args=[job.pk])
    assert (job.status, job.created_by, job.union) == (ExportStatus.PENDING, cast.city_admin, cast.hangzhou)
    assert not job.file and not AuditEvent.objects.filter(verb="members.export").exists()
    event = AuditEvent.objects.get(verb="members.export_request")
    assert event.actor == cast.city_admin and event.object_id == str(job.pk) and event.new["full_pii"] is False


def test_the_task_writes_an_encrypted_file_the_requester_downloads(
        cast, small_limit, client, django_capture_on_commit_callbacks):
    _export(client, cast.city_admin, {"employment_form": ""}, capture=django_capture_on_commit_callbacks)
    job = MemberExport.objects.get()
    assert job.status == ExportStatus.DONE and (job.total_rows, job.processed_rows) == (2, 2)
    assert job.filename.startswith("会员名册-杭州市总工会-") and job.filename.endswith(".xlsx")
    with open(job.file.path, "rb") as raw:
        assert not raw.read().startswith(b"PK")  # encrypted at rest, not a bare .xlsx
    audit = AuditEvent.objects.get(verb="members.export")
    assert audit.actor == cast.city_admin and audit.new["rows"] == 2 and audit.new["job"] == job.pk
    assert not AccessLog.objects.exists()  # masked values: no access row for the writing

    r = client.get(reverse("members:export_download", args=[job.pk]))
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    assert "%E4%BC%9A%E5%91%98%E5%90%8D%E5%86%8C" in r["Content-Disposition"]  # 会员名册 in the file name
    rows = _rows(_body(r))
    assert sorted(row[1] for row in rows[1:]) == ["李小红", "王骑手"]
    assert cast.member.person.id_number not in str(rows)
    (log,) = AccessLog.objects.all()
    assert (log.actor, log.object_type, log.object_id) == (cast.city_admin, "members.memberexport", str(job.pk))
    job.refresh_from_db()
    assert job.downloaded_at is not None


def test_full_values_keep_the_capability_check_and_the_access_row(
        cast, small_limit, client, django_capture_on_commit_callbacks):
    r = _export(client, cast.leader, {"full": "1"}, capture=django_capture_on_commit_callbacks)
    assert r.status_code == 403 and not MemberExport.objects.exists()  # a leader exports masked values only
    _export(client, cast.city_admin, {"full": "1"}, capture=django_capture_on_commit_callbacks)
    job = MemberExport.objects.get()
    assert job.full_pii and job.status == ExportStatus.DONE
    (log,) = AccessLog.objects.all()
    assert (log.actor, log.row_count, log.node_path) == (cast.city_admin, 2, cast.hangzhou.path)
    assert set(log.fields.split(",")) == {"id_number", "phone", "bank_account"}
    rows = _rows(_body(client.get(reverse("members:export_download", args=[job.pk]))))
    assert cast.member.person.id_number in [row[2] for row in rows[1:]]


def test_the_search_text_is_kept_encrypted(cast, small_limit, django_capture_on_commit_callbacks):
    from django.db import connection

    small_limit.MEMBER_EXPORT_SYNC_MAX_ROWS = 0
    with django_capture_on_commit_callbacks(execute=False):
        job = member_export_start(actor=cast.city_admin, q="李")
    assert isinstance(job, MemberExport) and MemberExport.objects.get().q == "李"
    with connection.cursor() as cur:
        cur.execute("SELECT q FROM members_memberexport WHERE id = %s", [job.pk])
        assert "李" not in cur.fetchone()[0]


def test_only_the_requester_downloads(cast, small_limit, client, django_capture_on_commit_callbacks):
    _export(client, cast.city_admin, capture=django_capture_on_commit_callbacks)
    job = MemberExport.objects.get()
    names = ["export_detail", "export_progress", "export_download"]
    # Same city, may export too: still not theirs.
    client.force_login(cast.leader)
    for name in names:
        assert client.get(reverse(f"members:{name}", args=[job.pk])).status_code == 404, name
    assert job.filename.encode() not in client.get(reverse("members:export_list")).content
    # Another subtree's administrator.
    client.force_login(cast.outsider)
    for name in names:
        r = client.get(reverse(f"members:{name}", args=[job.pk]))
        assert r.status_code in (403, 404) and "李小红".encode() not in _body(r), name
    assert not AccessLog.objects.exists()


def test_the_requester_moved_out_of_the_scope_is_denied(cast, small_limit, client,
                                                        django_capture_on_commit_callbacks):
    _export(client, cast.city_admin, capture=django_capture_on_commit_callbacks)
    job = MemberExport.objects.get()
    staff = cast.city_admin.staff
    staff.node = cast.qingdao
    staff.save()
    r = client.get(reverse("members:export_download", args=[job.pk]))
    assert r.status_code in (403, 404) and not AccessLog.objects.exists()


def test_progress_polls_while_running_and_reloads_when_done(cast, small_limit, client,
                                                            django_capture_on_commit_callbacks):
    _export(client, cast.city_admin, run=False, capture=django_capture_on_commit_callbacks)
    job = MemberExport.objects.get()
    page = client.get(reverse("members:export_detail", args=[job.pk])).content.decode()
    progress = reverse("members:export_progress", args=[job.pk])
    assert f'hx-get="{progress}?running=1"' in page
    assert reverse("members:export_download", args=[job.pk]) not in page
    r = client.get(progress, {"running": "1"}, HTTP_HX_REQUEST="true")
    assert "HX-Refresh" not in r and "hx-get" in r.content.decode()
    member_export_run(job.pk)
    r = client.get(progress, {"running": "1"}, HTTP_HX_REQUEST="true")
    assert r["HX-Refresh"] == "true" and "hx-get" not in r.content.decode()
    page = client.get(reverse("members:export_detail", args=[job.pk])).content.decode()
    assert reverse("members:export_download", args=[job.pk]) in page


def test_my_exports_lists_mine_and_the_nav_badge_counts_the_ready_ones(
        cast, small_limit, client, django_capture_on_commit_callbacks):
    _export(client, cast.city_admin, capture=django_capture_on_commit_callbacks)
    job = MemberExport.objects.get()
    html = client.get(reverse("members:list")).content.decode()
    assert reverse("members:export_list") in html and 'nav-badge">1<' in html
    listing = client.get(reverse("members:export_list")).content.decode()
    assert job.filename in listing and reverse("members:export_download", args=[job.pk]) in listing
    client.get(reverse("members:export_download", args=[job.pk]))
    assert "nav-badge" not in client.get(reverse("members:list")).content.decode()


def test_a_job_runs_once(cast, small_limit, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job = member_export_start(actor=cast.city_admin)
    member_export_run_task.run(job.pk)
    member_export_run_task.run(job.pk)
    assert AuditEvent.objects.filter(verb="members.export").count() == 1


def test_a_requester_who_lost_the_capability_gets_no_file(cast, small_limit, django_capture_on_commit_callbacks):
    from huigong.accounts.models import Role

    with django_capture_on_commit_callbacks(execute=False):
        job = member_export_start(actor=cast.city_admin, full_pii=True)
    staff = cast.city_admin.staff
    staff.role = Role.LEADER  # no full values any more
    staff.save()
    member_export_run(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and not job.file and "未生成文件" in job.message
    assert not AccessLog.objects.exists()


def test_stale_workers_are_marked_failed(cast, small_limit, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job = member_export_start(actor=cast.city_admin)
    long_ago = timezone.now() - timedelta(hours=1)
    MemberExport.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, started_at=long_ago,
                                                  heartbeat_at=long_ago)
    assert member_exports_fail_stale() == 1
    assert MemberExport.objects.get().status == ExportStatus.FAILED


def test_the_file_expires_with_the_retention_purge(cast, small_limit, client, django_capture_on_commit_callbacks):
    _export(client, cast.city_admin, capture=django_capture_on_commit_callbacks)
    job = MemberExport.objects.get()
    path = job.file.path
    assert member_exports_purge() == 0
    later = timezone.now() + timedelta(days=small_limit.HUIGONG_EXPORT_RETENTION_DAYS + 1)
    assert member_exports_purge(now=later) == 1
    job.refresh_from_db()
    assert job.files_purged_at and not job.file and not job.downloadable
    assert not os.path.exists(path)
    assert AuditEvent.objects.filter(verb="members.export_purge", object_id=str(job.pk)).exists()
    assert client.get(reverse("members:export_download", args=[job.pk])).status_code == 404


def test_the_download_sits_behind_the_totp_gate_for_sensitive_roles(
        cast, small_limit, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = member_export_start(actor=cast.city_admin, full_pii=True)
    small_limit.HUIGONG_REQUIRE_TOTP = False
    small_limit.HUIGONG_REQUIRE_TOTP_SENSITIVE = True
    client.post(reverse("accounts:login"), {"username": cast.city_admin.username, "password": "pw-Test-12345"})
    for name in ("members:export_download", "members:export_detail"):
        r = client.get(reverse(name, args=[job.pk]))
        assert r.status_code == 302 and r["Location"].startswith(reverse("accounts:totp")), name
    assert client.get(reverse("members:export"), {"full": "1"}).status_code == 302
    assert not AccessLog.objects.filter(object_type="members.memberexport").exists()
