"""Files at rest (ISSUE14 High 1): every stored file is encrypted with the key ring of the encrypted
fields, written 0600 in 0700 directories, served only by scoped views that leave an access row, and
rosters with their error reports are deleted after the retention period."""

import datetime as dt
import os
import random
import stat
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from huigong.core import files, periodic
from huigong.core.models import AccessLog, AuditEvent
from huigong.members.models import ImportStatus, RosterImport
from huigong.members.roster import roster_import_start
from huigong.members.roster.services import roster_files_purge
from huigong.members.roster.testing import person_row, roster_xlsx, upload


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def _rows(n, **overrides):
    rng = random.Random(7)
    return [person_row(rng, **overrides) for _ in range(n)]


def _import(cast, rows, actor=None, content=None):
    return roster_import_start(actor=actor or cast.city_admin, union=cast.tech,
                               upload=upload("名册-张三.xlsx", content or roster_xlsx(rows)))


def _on_disk(field_file) -> Path:
    return Path(field_file.storage.path(field_file.name))


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_every_file_field_stores_through_the_encrypted_storage():
    fields = list(files.file_fields())
    assert {f"{m._meta.label_lower}.{f.name}" for m, f in fields} >= {
        "members.rosterimport.file", "members.rosterimport.error_report", "benefits.reimbursement.receipt",
        "assistance.fileevidence.upload", "insights.report.file"}
    for model, field in fields:  # a future app's FileField is covered too
        assert files.is_encrypted_storage(field.storage), f"{model._meta.label_lower}.{field.name}"


def test_an_uploaded_roster_is_ciphertext_on_disk_mode_0600_and_still_imports(cast, media):
    rows = _rows(3)
    content = roster_xlsx(rows)
    imp = _import(cast, rows, content=content)
    assert imp.status == ImportStatus.DONE, imp.errors_preview
    assert imp.created_count == 3
    path = _on_disk(imp.file)
    raw = path.read_bytes()
    assert raw.startswith(files.MAGIC)
    for row in rows:  # neither the ID numbers nor the phones are on disk in the clear
        assert row["身份证号"].encode() not in raw and row["手机号"].encode() not in raw
    assert b"PK\x03\x04" not in raw[: files.HEADER_LEN + 64]  # not the xlsx zip either
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert "张三" not in imp.file.name  # the uploader's file name is not on disk
    with imp.file.open("rb") as fh:  # through the storage it reads back as the upload
        assert fh.read() == content


def test_the_error_report_is_encrypted_and_served_to_its_subtree_with_an_access_row(client, cast, media):
    rows = _rows(2)
    rows[1]["身份证号"] = rows[1]["身份证号"][:-1] + ("0" if rows[1]["身份证号"][-1] != "0" else "1")
    imp = _import(cast, rows)
    assert imp.status == ImportStatus.REJECTED and imp.error_report
    assert rows[1]["身份证号"].encode() not in _on_disk(imp.error_report).read_bytes()
    assert _mode(_on_disk(imp.error_report)) == 0o600
    url = reverse("members:import_errors", args=[imp.pk])

    client.force_login(cast.outsider)
    assert client.get(url).status_code in (403, 404)
    assert not AccessLog.objects.filter(object_type="members.rosterimport").exists()

    client.force_login(cast.city_admin)
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    sheet = CalamineWorkbook.from_filelike(__import__("io").BytesIO(body)).get_sheet_by_index(0).to_python()
    assert len(sheet) >= 2  # a real workbook, decrypted on the way out
    assert response["Cache-Control"].startswith("no-store")
    row = AccessLog.objects.get(object_type="members.rosterimport", object_id=str(imp.pk))
    assert row.actor == cast.city_admin and row.fields == "error_report" and row.node_path == cast.tech.path


def test_a_receipt_is_encrypted_and_served_only_in_scope_with_an_access_row(client, cast, media):
    from huigong.benefits import services
    from huigong.benefits.models import ProgrammeKind
    from huigong.benefits.testing import make_programme, receipt_png

    programme = make_programme(cast.city_admin, cast.hangzhou, kind=ProgrammeKind.REIMBURSEMENT, quota=10,
                               title="骑手健康证补贴")
    upload = receipt_png()
    original = upload.read()
    upload.seek(0)
    item = services.reimbursement_submit(actor=cast.city_admin, programme=programme, person=cast.rider.person,
                                         amount_fen=5000, receipt=upload)
    path = _on_disk(item.receipt)
    assert original[8:64] not in path.read_bytes() and _mode(path) == 0o600
    url = reverse("benefits:receipt", args=[item.pk])

    client.force_login(cast.outsider)
    assert client.get(url).status_code in (403, 404)
    assert not AccessLog.objects.filter(object_type="benefits.reimbursement").exists()

    client.force_login(cast.district_staff)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == original
    assert response["X-Content-Type-Options"] == "nosniff"
    row = AccessLog.objects.get(object_type="benefits.reimbursement", object_id=str(item.pk))
    assert row.actor == cast.district_staff and row.fields == "receipt" and row.node_path == cast.riders.path


def test_every_blind_index_column_is_declared_so_rotation_finds_it():
    """A *_hash column of personal data that is a bare CharField would be skipped by a key rotation."""
    from django.apps import apps
    from django.db import models

    from huigong.core.crypto import BlindIndexField

    from huigong.core.crypto import ROTATION_HOOKS

    not_personal = {"accounts.apitoken.key_hash", "portal.smscode.code_hash",  # secrets' digests, not lookups
                    "capacity.draw.entrants_hash"}  # a lottery's published digest of its entrant list
    # Derived from an encrypted value by their own code: a registered rotation hook recomputes them.
    by_hook = {"members.person.id_tail_hash": "members.id_tails"}
    assert all(hook in ROTATION_HOOKS for hook in by_hook.values())
    for model in apps.get_models():
        if not model.__module__.startswith("huigong."):
            continue
        for f in model._meta.concrete_fields:
            label = f"{model._meta.label_lower}.{f.name}"
            if f.name.endswith("_hash") and isinstance(f, models.CharField) and label not in not_personal | set(by_hook):
                assert isinstance(f, BlindIndexField), label
                assert f.source is None or f.source in {x.name for x in model._meta.concrete_fields}, label


def test_an_altered_or_truncated_file_does_not_open(media):
    storage = files.EncryptedFileSystemStorage()
    data = os.urandom(3 * files.SEGMENT + 5)
    name = storage.save("t/x.bin", ContentFile(data))
    path = Path(storage.path(name))
    raw = path.read_bytes()
    path.write_bytes(raw[: files.HEADER_LEN + 2 * files.CIPHER_SEGMENT])  # the last segments cut off
    with pytest.raises(files.FileDecryptError), storage.open(name) as fh:
        fh.read()
    flipped = bytearray(raw)
    flipped[files.HEADER_LEN + 10] ^= 1
    path.write_bytes(bytes(flipped))
    with pytest.raises(files.FileDecryptError), storage.open(name) as fh:
        fh.read()
    path.write_bytes(data)  # a plaintext file slipped in is refused, not served
    with pytest.raises(files.FileDecryptError):
        storage.open(name)


def test_the_migration_step_encrypts_files_written_in_the_clear(cast, media):
    imp = _import(cast, _rows(2))
    path = _on_disk(imp.file)
    plain = roster_xlsx(_rows(2))
    path.write_bytes(plain)  # as a file stored before encryption at rest
    path.chmod(0o644)
    path.parent.chmod(0o755)
    counts = files.rotate_files(plaintext_only=True)
    assert counts["encrypted"] == 1
    raw = path.read_bytes()
    assert raw.startswith(files.MAGIC) and plain[:200] not in raw and _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    with imp.file.open("rb") as fh:
        assert fh.read() == plain


def test_rosters_and_error_reports_are_purged_after_the_retention_period(client, cast, media, settings):
    settings.HUIGONG_ROSTER_RETENTION_DAYS = 30
    good = _import(cast, _rows(2))
    bad_rows = _rows(2)
    bad_rows[0]["身份证号"] = "123"
    bad = _import(cast, bad_rows)
    recent = _import(cast, _rows(1))
    assert bad.error_report and bad.errors_preview
    old = timezone.now() - dt.timedelta(days=31)
    RosterImport.objects.filter(pk__in=[good.pk, bad.pk]).update(created_at=old)
    paths = [_on_disk(good.file), _on_disk(bad.file), _on_disk(bad.error_report)]

    assert periodic.tick(force=True)["members.roster_files_purge"] == "ok"

    assert not any(p.exists() for p in paths)
    bad.refresh_from_db()
    good.refresh_from_db()
    assert not bad.file and not bad.error_report and bad.errors_preview == [] and bad.files_purged_at
    assert good.files_purged_at and good.status == ImportStatus.DONE and good.created_count == 2  # the record stays
    recent.refresh_from_db()
    assert recent.files_purged_at is None and _on_disk(recent.file).exists()
    assert AuditEvent.objects.filter(verb="roster_import.purge").count() == 2
    assert roster_files_purge() == 0  # idempotent

    client.force_login(cast.city_admin)
    assert client.get(reverse("members:import_errors", args=[bad.pk])).status_code == 404
    page = client.get(reverse("members:import_detail", args=[bad.pk])).content.decode()
    assert "按保留期限删除" in page


def test_a_generated_report_is_encrypted_and_downloaded_in_scope_with_an_access_row(client, cast, media):
    from huigong.insights.models import Report, ReportStatus

    pdf = b"%PDF-1.7 report of the Xihu subtree"
    report = Report.objects.create(node=cast.xihu, period_key="2026-11", period_label="2026年11月",
                                   status=ReportStatus.DONE, created_by=cast.city_admin)
    report.file.save("report-xihu.pdf", ContentFile(pdf))
    assert pdf not in _on_disk(report.file).read_bytes() and _mode(_on_disk(report.file)) == 0o600
    url = reverse("insights:report_download", args=[report.pk])

    client.force_login(cast.outsider)
    assert client.get(url).status_code in (403, 404)
    client.force_login(cast.city_admin)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == pdf
    assert "attachment" in response["Content-Disposition"]
    assert AccessLog.objects.filter(object_type="insights.report", object_id=str(report.pk),
                                    actor=cast.city_admin).count() == 1
