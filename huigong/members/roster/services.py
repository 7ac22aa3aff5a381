"""Roster import: start (upload, checks, dispatch) and run (validate every row, then load all
rows or none). See writers.py for the two database paths and validate.py for the row rules."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from huigong.accounts.models import Cap
from huigong.core.audit import _jsonable, actor_label, audit
from huigong.core.files import is_encrypted_storage, plaintext_path
from huigong.core.models import AccessLog, AuditEvent
from huigong.core.request_context import current_ip
from huigong.core.scope import ensure_path_in_scope, path_in_scope, require, root_path
from huigong.members.models import ImportStatus, RosterImport
from huigong.members.services import REGISTRY_CONFLICT_PURPOSE
from huigong.orgs.models import Enterprise, UnionNode

from . import files
from .files import (
    FORMULA_REFUSED,
    FileInfo,
    RosterFileError,
    check_magic,
    check_size,
    kind_from_name,
    open_rows,
    read_head,
    sniff,
)
from .report import error_report_file, template_xlsx
from .validate import Lookups, R, RowError, RowValidator, display_value
from .writers import Conflict, OrmWriter, PostgresWriter, Pulled

log = logging.getLogger(__name__)

CHUNK_ROWS = 5000
PREVIEW_ERRORS = 100
HEADER_SEARCH_ROWS = 30
PROGRESS_INTERVAL = 0.5  # seconds between progress writes


def roster_template_xlsx() -> bytes:
    """The downloadable template: header row, an example row (skipped on import), a notes sheet."""
    return template_xlsx()


# ------------------------------------------------------------------ start


@contextmanager
def _upload_path(upload):
    """A filesystem path for an UploadedFile (big ones already live in a temporary file)."""
    if hasattr(upload, "temporary_file_path"):
        yield upload.temporary_file_path()
        return
    fd, name = tempfile.mkstemp(prefix="roster-", suffix=Path(upload.name or "").suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            upload.seek(0)
            for chunk in upload.chunks():
                out.write(chunk)
        upload.seek(0)
        yield name
    finally:
        os.unlink(name)


def roster_import_start(*, actor, union: UnionNode, enterprise: Enterprise | None = None, upload) -> RosterImport:
    """Checks the upload (capability, scope, file kind, size, zip structure, sheet size), stores it,
    audits "roster_import.create", then runs the import inline when it is small or hands it to
    a background task. Hostile or malformed files raise ValidationError and nothing is stored."""
    require(actor, Cap.IMPORT)
    ensure_path_in_scope(actor, union.path)
    if not union.can_hold_members:
        raise ValidationError({"union": [(gettext("该层级工会不能直接发展会员，请选择基层工会或联合工会"))]})
    if enterprise is not None:
        ensure_path_in_scope(actor, enterprise.union.path)
    if upload is None:
        raise ValidationError({"file": [gettext("请选择要上传的文件")]})
    name = os.path.basename(upload.name or "roster")[:200]
    try:
        kind = kind_from_name(name)
        check_size(upload.size)
        check_magic(kind, read_head(upload))
        with _upload_path(upload) as path:
            info = sniff(path, kind, scan_bytes=settings.ROSTER_SCAN_IN_REQUEST_BYTES)
    except RosterFileError as e:
        raise ValidationError({"file": [str(e)]}) from None
    estimated = max(info.estimated_rows - 1, 0)
    # Inline only when the sheet's real size is known and small; an unmeasured (big) sheet is
    # measured by the worker before anything loads it.
    inline = estimated <= settings.ROSTER_SYNC_MAX_ROWS and (kind == "csv" or info.extent is not None)
    with transaction.atomic():
        imp = RosterImport(union=union, enterprise=enterprise, original_name=name, file_size=upload.size,
                           created_by=actor, total_rows=estimated)
        upload.seek(0)
        imp.file.save(f"roster.{kind}", upload, save=False)
        imp.save()
        audit(actor=actor, verb="roster_import.create", obj=imp, node_path=union.path,
              new={"file": name, "size": upload.size, "union": union.pk,
                   "enterprise": enterprise.pk if enterprise else None, "estimated_rows": estimated})
    if inline:
        roster_import_run(imp.pk)
    else:
        from huigong.core.tasks import enqueue
        from huigong.members.tasks import roster_import_run_task

        enqueue(roster_import_run_task, imp.pk)
    imp.refresh_from_db()
    return imp


# ------------------------------------------------------------------ run


class _Rejected(Exception):
    def __init__(self, errors: list[RowError], message: str = "", conflicts: list[Conflict] | None = None):
        super().__init__(message)
        self.errors = errors
        self.message = message
        self.conflicts = conflicts or []


class _Progress:
    """processed_rows / status for the page that polls. On PostgreSQL it writes through its own
    autocommit connection, because the import's rows are written in one long transaction on the
    main one; on SQLite there is no open transaction while validating."""

    def __init__(self, import_id: int):
        self.import_id = import_id
        self.last = 0.0
        self._conn = None
        if connection.vendor == "postgresql":
            import psycopg

            params = connection.get_connection_params()
            self._conn = psycopg.connect(**params, autocommit=True)

    def update(self, *, force: bool = False, **fields) -> None:
        now = time.monotonic()
        if not force and now - self.last < PROGRESS_INTERVAL:
            return
        self.last = now
        self._write(fields)

    def _write(self, fields: dict) -> None:
        fields = {**fields, "heartbeat_at": timezone.now()}
        if self._conn is None:
            RosterImport.objects.filter(pk=self.import_id).update(**fields)
            return
        sets = ", ".join(f"{k} = %s" for k in fields)
        with self._conn.cursor() as cur:
            cur.execute(f"UPDATE members_rosterimport SET {sets} WHERE id = %s", [*fields.values(), self.import_id])

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def roster_import_run(import_id: int) -> None:
    """The task body: pending → validating → writing → done, or rejected (row errors: nothing
    written, an error report) or failed (an unexpected error: nothing written, the reason kept)."""
    claimed = RosterImport.objects.filter(pk=import_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.VALIDATING, started_at=timezone.now(), processed_rows=0)
    if not claimed:
        log.warning("roster import %s is not pending; not running it again", import_id)
        return
    imp = RosterImport.objects.select_related("union", "enterprise", "created_by").get(pk=import_id)
    progress = _Progress(imp.pk)
    try:
        _execute(imp, progress)
    except RosterFileError as e:
        _finish_rejected(imp, [], message=str(e))
    except _Rejected as r:
        _finish_rejected(imp, r.errors, message=r.message, conflicts=r.conflicts)
    except PermissionDenied as e:
        _finish_failed(imp, f"{e} ")
    except Exception as e:
        log.exception("roster import %s failed", import_id)
        _finish_failed(imp, f"{type(e).__name__}: {str(e)[:300]}")
    finally:
        progress.close()


# A worker that has not written progress for this long has died (a crash, a redeploy, a killed
# container); its transaction rolled back, so nothing of the import was written.
STALE_AFTER = timedelta(minutes=15)


def roster_imports_fail_stale(*, now=None) -> int:
    """Marks imports whose worker stopped reporting as failed, so the page stops spinning and the
    user can upload again. Returns how many were marked. Run by the periodic tick."""
    now = now or timezone.now()
    cutoff = now - STALE_AFTER
    stale = (RosterImport.objects
             .filter(status__in=[ImportStatus.VALIDATING, ImportStatus.WRITING])
             .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)))
    count = 0
    for imp in stale.select_related("union", "created_by"):
        # Conditional: a worker that wakes up and finishes in between keeps its result.
        with transaction.atomic():
            claimed = RosterImport.objects.filter(
                pk=imp.pk, status__in=[ImportStatus.VALIDATING, ImportStatus.WRITING]).update(
                status=ImportStatus.FAILED, finished_at=now,
                message=(gettext("导入中断（后台任务停止响应），未写入任何数据，请重新上传")))
            if claimed:
                audit(actor=imp.created_by, verb="roster_import.fail", obj=imp, node_path=imp.union.path,
                      new={"reason": "stale worker"})
                count += 1
    return count


def roster_files_purge(*, now=None, limit: int = 500) -> int:
    """Deletes the uploaded roster and its error report (full ID numbers, phones, bank accounts) of
    finished imports older than HUIGONG_ROSTER_RETENTION_DAYS, and the error preview that quotes their
    cells. The import record stays, marked with files_purged_at and an audit event. Run by the
    periodic tick; returns how many imports were purged."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.HUIGONG_ROSTER_RETENTION_DAYS)
    due = (RosterImport.objects.filter(created_at__lt=cutoff, files_purged_at__isnull=True)
           .exclude(status__in=[ImportStatus.PENDING, ImportStatus.VALIDATING, ImportStatus.WRITING])
           .select_related("union").order_by("pk")[:limit])
    count = 0
    for imp in due:
        names = [f.name for f in (imp.file, imp.error_report) if f]
        with transaction.atomic():
            claimed = RosterImport.objects.filter(pk=imp.pk, files_purged_at__isnull=True).update(
                file="", error_report="", errors_preview=[], files_purged_at=now)
            if not claimed:
                continue
            audit(actor=None, verb="roster_import.purge", obj=imp, node_path=imp.union.path,
                  new={"files": len(names), "retention_days": settings.HUIGONG_ROSTER_RETENTION_DAYS})
        # After the row no longer names them: a crash in between leaves an orphan file, never a row
        # pointing at a file that is gone.
        for name in names:
            imp.file.storage.delete(name)
        count += 1
    return count


@contextlib.contextmanager
def _local_path(field_file):
    """A filesystem path calamine can open. Stored files are encrypted at rest (huigong.core.files):
    they are decrypted into a private temp directory (0700, file 0600) that is deleted afterwards;
    a plain local storage (a test's own) is read in place."""
    if isinstance(field_file.storage, FileSystemStorage) and not is_encrypted_storage(field_file.storage):
        yield field_file.path
        return
    with plaintext_path(field_file) as path:
        yield path


def _find_header(rows_iter, validator_factory):
    """The first of the top rows that names both 姓名 and 身份证号 (title rows above it are skipped)."""
    for index, cells in rows_iter:
        validator = validator_factory(cells)
        if "name" in validator.index and "id_number" in validator.index:
            return index, validator
        if index >= HEADER_SEARCH_ROWS:
            break
    raise RosterFileError("找不到表头：前30行中没有同时包含“姓名”和“身份证号”的行，请使用导入模板 / no header row with "
                          "姓名 and 身份证号 in the first 30 rows; use the template")


def _execute(imp: RosterImport, progress: _Progress) -> None:
    actor = imp.created_by
    require(actor, Cap.IMPORT)
    ensure_path_in_scope(actor, imp.union.path)
    timings = _Timings()
    local = contextlib.ExitStack()
    try:
        path = local.enter_context(_local_path(imp.file))
        timings.lap("decrypt")
        kind = kind_from_name(imp.original_name)
        # A small .xlsx is measured (and parsed for formulas) before it is loaded; a bigger one is
        # checked a slice at a time as it is read, in one pass (files.open_xlsx).
        info = sniff(path, kind, scan_bytes=files.ONE_PASS_ABOVE_BYTES)
        timings.lap("measure")
        if info.extent is not None and info.extent.formula:
            raise RosterFileError(FORMULA_REFUSED)
        sheet = open_rows(path, info)
        timings.lap("read")
        lookups = Lookups.load(actor, imp.enterprise)
        today = timezone.localdate()
        rows = enumerate(sheet.rows, start=1)

        def factory(cells):
            return RowValidator(list(cells), lookups=lookups, today=today, col_offset=sheet.col_offset,
                                formula_text=kind == "csv")

        header_row, validator = _find_header(rows, factory)
        if validator.problems:
            raise RosterFileError("；".join(validator.problems))
        total = max(_row_estimate(sheet, info) - header_row, 0)
        progress.update(force=True, total_rows=total)
        runner = _run_postgres if connection.vendor == "postgresql" else _run_orm
        timings.lap("prepare")
        runner(imp, validator, rows, progress, total, timings)
        timings.lap("pipeline")
    finally:
        local.close()
        log.info("roster import %s timings: %s", imp.pk, timings)


class _Timings(dict):
    """Seconds per phase, logged with every run: where a slow import spends its time."""

    def __init__(self) -> None:
        super().__init__()
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.add(name, now - self._t)
        self._t = now

    def add(self, name: str, seconds: float) -> None:
        self[name] = self.get(name, 0.0) + seconds

    def __str__(self) -> str:
        return ", ".join(f"{k} {v:.2f}s" for k, v in self.items())


def _row_estimate(sheet, info: FileInfo) -> int:
    return max(sheet.height or 0, info.estimated_rows or 0) if info.kind == "xlsx" else info.estimated_rows


def _chunks(rows_iter, size: int | None = None):
    size = size or CHUNK_ROWS
    chunk = []
    for item in rows_iter:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Dedup:
    """Same ID number twice in one file: both rows are named."""

    def __init__(self, label: str):
        self.seen: dict[str, int] = {}
        self.reported: set[int] = set()
        self.label = label

    def filter(self, records: list[tuple], errors: list[RowError]) -> list[tuple]:
        seen = self.seen
        keep = []
        hpos = R["id_number_hash"]
        for r in records:
            h = r[hpos]
            first = seen.get(h)
            if first is None:
                seen[h] = r[0]
                keep.append(r)
                continue
            value = display_value("id_number", r[R["id_number"]])
            if first not in self.reported:
                self.reported.add(first)
                errors.append(RowError(first, self.label, value,
                                       gettext("身份证号在文件中重复（另见第%(r)s行）") % {"r": r[0]}))
            errors.append(RowError(r[0], self.label, value,
                                   gettext("身份证号在文件中重复（与第%(first)s行相同）") % {"first": first}))
        return keep


def _conflict_errors(conflicts: list[Conflict], actor, label: str) -> list[RowError]:
    """What the importer learns about someone active in another union: that much and no more (what
    a transfer request needs). The other union is named only inside the actor's own subtree."""
    out = []
    for c in conflicts:
        where = f"“{c.union_name}”" if path_in_scope(actor, c.union_path) else "其他工会"
        out.append(RowError(c.row, label, c.id_number,
                            f"该职工已是{where}的会员，不能通过导入转会，请办理会员关系转接 / this person is already a "
                            f"member of another union; use 会员关系转接 (membership transfer) instead"))
    return out


def _log_conflict_access(conflicts: list[Conflict], actor, imp: RosterImport) -> None:
    """Telling an importer that a number is an active member of another subtree's union is an
    access to that union's data: one access row per person, at the owning union's node (so that
    union sees who asked), written with the rejection."""
    rows, seen = [], set()
    paths = {c.union_path for c in conflicts if not path_in_scope(actor, c.union_path)}
    node_ids = dict(UnionNode.objects.filter(path__in=paths).values_list("path", "id")) if paths else {}
    for c in conflicts:
        if c.union_path not in node_ids or c.person_id in seen:
            continue
        seen.add(c.person_id)
        rows.append(AccessLog(actor=actor, actor_label=actor_label(actor), object_type="members.person",
                              object_id=str(c.person_id), fields="membership_status",
                              purpose=f"{REGISTRY_CONFLICT_PURPOSE}（名册导入 {imp.pk}）"[:255],
                              node_path=c.union_path, node_id=node_ids[c.union_path], row_count=1,
                              ip=current_ip()))
    AccessLog.objects.bulk_create(rows, batch_size=1000)


def _audit_pulled(pulled: list[Pulled], actor, imp: RosterImport) -> None:
    """Records of former members that another subtree's union kept, replaced by this import: an
    event on each side (members.services._reregister writes the same pair for one registration).
    The old union's node sees its own former values and which fields were replaced; the importing
    union's node sees its new values. Set-based: a cross-subtree re-registration is rare, but a
    roster full of them must not cost a query per row."""
    if not pulled:
        return
    paths = {p.old_path for p in pulled if p.old_path}
    node_ids = dict(UnionNode.objects.filter(path__in=paths).values_list("path", "id")) if paths else {}
    label, ip = actor_label(actor), current_ip()
    events = []
    for p in pulled:
        changed = [k for k in p.new if p.old.get(k) != p.new.get(k)]
        events.append(AuditEvent(actor=actor, actor_label=label, verb="person.reregister",
                                 object_type="members.person", object_id=str(p.person_id),
                                 object_repr=str(p.new.get("name", ""))[:255], node_path=imp.union.path,
                                 node_id=imp.union_id, new=_jsonable(p.new), ip=ip))
        if p.old_path:
            events.append(AuditEvent(actor=actor, actor_label=label, verb="person.reregister_elsewhere",
                                     object_type="members.person", object_id=str(p.person_id),
                                     object_repr=str(p.old.get("name", ""))[:255], node_path=p.old_path,
                                     node_id=node_ids.get(p.old_path), old=_jsonable(p.old),
                                     new={"fields": changed}, ip=ip))
    AuditEvent.objects.bulk_create(events, batch_size=1000)


def _validated_chunks(validator: RowValidator, rows, progress: _Progress, total: int, errors: list[RowError],
                      timings: _Timings):
    """Yields (records, clean) per chunk: the chunk's valid records (in-file duplicates removed)
    and whether the file is still free of errors. Errors accumulate in `errors`; progress is
    written as it goes."""
    dedup = _Dedup(validator._label("id_number"))
    processed = 0
    clock = time.perf_counter
    t_read = clock()
    for chunk in _chunks(rows):
        t0 = clock()
        timings.add("read", t0 - t_read)
        records, errs = validator.validate(chunk)
        records = dedup.filter(records, errs)
        errors.extend(errs)
        processed += len(chunk)
        timings.add("validate", clock() - t0)
        progress.update(processed_rows=processed, total_rows=max(total, processed))
        yield records, not errors
        t_read = clock()
    progress.update(force=True, processed_rows=processed, total_rows=processed)
    validator.processed = processed


def _run_postgres(imp: RosterImport, validator: RowValidator, rows, progress: _Progress, total: int,
                  timings: _Timings) -> None:
    """One transaction. Each chunk is staged and upserted as soon as it is valid: the upsert is
    sent without waiting (psycopg pipeline mode) and the database works on it while Python
    validates the next chunk. Any error anywhere rolls the whole transaction back."""
    errors: list[RowError] = []
    conflicts: list[Conflict] = []
    clock = time.perf_counter
    with transaction.atomic():
        connection.ensure_connection()
        writer = PostgresWriter(connection.connection, import_id=imp.pk, union=imp.union,
                                scope=root_path(imp.created_by), now=timezone.now())
        writer.open()
        try:
            for records, clean in _validated_chunks(validator, rows, progress, total, errors, timings):
                t0 = clock()
                write = clean and not conflicts
                prepared = writer.prepare(records, encrypt=write)
                t1 = clock()
                conflicts += writer.collect()
                write = write and not conflicts
                t2 = clock()
                writer.stage(prepared if write else writer.prepare(records, encrypt=False))
                if write:
                    # The upsert reports registry conflicts itself (collected with the next chunk).
                    writer.send_upsert()
                else:
                    conflicts += writer.conflicts()
                timings.add("encrypt", t1 - t0)
                timings.add("db_wait", t2 - t1)
                timings.add("stage", clock() - t2)
            t0 = clock()
            conflicts += writer.collect()
            timings.add("db_wait", clock() - t0)
        finally:
            writer.abandon()
        errors += _conflict_errors(conflicts, imp.created_by, validator._label("id_number"))
        if errors:
            raise _Rejected(errors, conflicts=conflicts)
        progress.update(force=True, status=ImportStatus.WRITING)
        writer.close()
        _finish_done(imp, validator.processed, writer.counts, writer.pulled, note_rows=validator.note_rows)


def _run_orm(imp: RosterImport, validator: RowValidator, rows, progress: _Progress, total: int,
             timings: _Timings) -> None:
    """SQLite: validate everything first (nothing to overlap with), then one transaction."""
    errors: list[RowError] = []
    staged = [records for records, _ in _validated_chunks(validator, rows, progress, total, errors, timings)]
    writer = OrmWriter(union=imp.union, scope=root_path(imp.created_by), now=timezone.now())
    if errors:
        # Registry conflicts are worth reporting alongside the row errors.
        found: list[Conflict] = []
        for records in staged:
            writer.stage(records)
            found += writer.conflicts()
        errors += _conflict_errors(found, imp.created_by, validator._label("id_number"))
        raise _Rejected(errors, conflicts=found)
    progress.update(force=True, status=ImportStatus.WRITING)
    with transaction.atomic():
        conflicts: list[Conflict] = []
        for records in staged:
            writer.stage(records)
            conflicts += writer.conflicts()
        if conflicts:
            raise _Rejected(_conflict_errors(conflicts, imp.created_by, validator._label("id_number")),
                            conflicts=conflicts)
        for records in staged:
            writer.stage(records)
            writer.upsert()
        _finish_done(imp, validator.processed, writer.counts, writer.pulled, note_rows=validator.note_rows)


def _note_rows_text(note_rows: list[int]) -> str:
    if not note_rows:
        return ""
    shown = "、".join(str(r) for r in note_rows[:10]) + ("…" if len(note_rows) > 10 else "")
    return (gettext("；已跳过第 %(shown)s 行（表尾的填表人、联系电话、备注等说明，不是职工）") % {"shown": shown})


def _finish_done(imp: RosterImport, processed: int, counts, pulled: list[Pulled], *,
                 note_rows: list[int] = ()) -> None:
    """Inside the write transaction. One audit event for the whole load: the per-row record of
    a bulk load is the import itself plus the stored file, not 100,000 audit rows; only the
    records another subtree's union kept get events of their own, on both sides."""
    _audit_pulled(pulled, imp.created_by, imp)
    rows = counts.created + counts.updated
    imp.status = ImportStatus.DONE
    imp.total_rows = imp.processed_rows = processed
    imp.created_count, imp.updated_count, imp.error_count = counts.created, counts.updated, 0
    imp.finished_at = timezone.now()
    imp.message = (gettext("已导入 %(rows)s 名职工：新增 %(created)s 人，更新 %(updated)s 人，新建会籍 %(memberships)s 个") % {"created": counts.created, "memberships": counts.memberships, "rows": rows, "updated": counts.updated}) + _note_rows_text(list(note_rows))
    imp.save(update_fields=["status", "total_rows", "processed_rows", "created_count", "updated_count",
                            "error_count", "finished_at", "message"])
    audit(actor=imp.created_by, verb="roster_import.apply", obj=imp, node_path=imp.union.path,
          new={"rows": rows, "created": counts.created, "updated": counts.updated,
               "memberships": counts.memberships, "union": imp.union_id, "file": imp.original_name,
               **({"replaced_elsewhere": len(pulled)} if pulled else {})})


def _finish_rejected(imp: RosterImport, errors: list[RowError], *, message: str = "",
                     conflicts: list[Conflict] | None = None) -> None:
    errors.sort(key=lambda e: e.row)
    total = len(errors)
    if not message:
        message = (gettext("发现 %(total)s 处错误，名册未导入（全部正确后才会导入）。请下载错误报告修改后重新上传") % {"total": total})
    report = error_report_file(errors, total_errors=total, file_name=imp.original_name) if errors else None
    with transaction.atomic():
        if report is not None:
            with report:
                imp.error_report.save(f"import-{imp.pk}-errors.xlsx", File(report), save=False)
        imp.status = ImportStatus.REJECTED
        imp.error_count = total
        imp.errors_preview = [[e.row, e.column, e.value, e.reason] for e in errors[:PREVIEW_ERRORS]]
        imp.message = message
        imp.finished_at = timezone.now()
        imp.save(update_fields=["status", "error_count", "errors_preview", "message", "finished_at", "error_report"])
        audit(actor=imp.created_by, verb="roster_import.reject", obj=imp, node_path=imp.union.path,
              new={"errors": total, "message": message[:200]})
        if conflicts:
            _log_conflict_access(conflicts, imp.created_by, imp)


def _finish_failed(imp: RosterImport, reason: str) -> None:
    with transaction.atomic():
        imp.status = ImportStatus.FAILED
        imp.message = (gettext("导入失败，未写入任何数据：%(strip)s") % {"strip": reason.strip()})
        imp.finished_at = timezone.now()
        imp.save(update_fields=["status", "message", "finished_at"])
        audit(actor=imp.created_by, verb="roster_import.fail", obj=imp, node_path=imp.union.path,
              new={"reason": reason[:200]})
