"""Member exports too big for the web request (issue 15). Up to MEMBER_EXPORT_SYNC_MAX_ROWS rows the
file is written in the request as before; above it a MemberExport is recorded and a background task
(huigong.core.tasks.enqueue, as for roster imports) writes the same file (export.members_export_xlsx:
constant memory), stores it encrypted (the default storage, core/files.py) and marks it ready. Its
page polls the progress; 我的导出 lists the requester's exports; only the requester, still holding the
capabilities and the scope, downloads it (core.files.file_response: an access row per download). The
retention purge deletes the file like an uploaded roster's."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.accounts.models import Cap
from huigong.core.audit import audit
from huigong.core.crypto import mask_query
from huigong.core.scope import ensure_path_in_scope, require, root_path, staff_of
from huigong.members.models import ExportStatus, MemberExport, MembershipStatus
from huigong.members.selectors import member_list_for_actor
from huigong.orgs.models import UnionNode

from .export import ExportFile, members_export_xlsx

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.5  # seconds between progress writes
# A worker that has not written progress for this long has died; its export is marked failed.
STALE_AFTER = timedelta(minutes=15)


def sync_max_rows() -> int:
    return int(getattr(settings, "MEMBER_EXPORT_SYNC_MAX_ROWS", 5000))


def retention_days() -> int:
    return int(getattr(settings, "HUIGONG_EXPORT_RETENTION_DAYS", settings.HUIGONG_ROSTER_RETENTION_DAYS))


def member_export_start(*, actor, node: UnionNode | None = None, q: str = "", employment_form: str = "",
                        full_pii: bool = False, enterprise_id: int | None = None,
                        status: str = MembershipStatus.ACTIVE) -> ExportFile | MemberExport:
    """The file itself (ExportFile) when the filtered list has at most MEMBER_EXPORT_SYNC_MAX_ROWS rows;
    otherwise a pending MemberExport handed to the background task. The capability, the full-values
    capability and the scope are checked here, and again by the task before it reads anything."""
    require(actor, Cap.EXPORT)
    if full_pii:
        require(actor, Cap.PII_FULL)
    q = q or ""
    qs = member_list_for_actor(actor, q=q, node=node, employment_form=employment_form, enterprise_id=enterprise_id,
                               status=status)
    limit = sync_max_rows()
    # Counting at most limit + 1 rows keeps the request's cost bounded whatever the subtree's size.
    if qs.order_by()[: limit + 1].count() <= limit:
        return members_export_xlsx(actor=actor, node=node, q=q, employment_form=employment_form, full_pii=full_pii,
                                   enterprise_id=enterprise_id, status=status)
    scope_node = node or staff_of(actor).node
    with transaction.atomic():
        job = MemberExport.objects.create(
            union=scope_node, node=node, enterprise_id=enterprise_id, q=q, employment_form=employment_form,
            membership_status=status, full_pii=full_pii, created_by=actor, total_rows=limit + 1)
        audit(actor=actor, verb="members.export_request", obj=job, object_repr=scope_node.name,
              node_path=scope_node.path,
              new={"full_pii": full_pii, "q": mask_query(q), "employment_form": employment_form,
                   **({"enterprise": enterprise_id} if enterprise_id else {}),
                   **({"status": status} if status != MembershipStatus.ACTIVE else {})})
        from huigong.core.tasks import enqueue
        from huigong.members.tasks import member_export_run_task

        enqueue(member_export_run_task, job.pk)
    return job


class _Progress:
    """processed_rows and the heartbeat, written at most every PROGRESS_INTERVAL seconds (the export
    reads in autocommit, so a plain UPDATE is seen by the polling page at once)."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.last = 0.0

    def __call__(self, rows: int) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL:
            return
        self.last = now
        MemberExport.objects.filter(pk=self.job_id).update(processed_rows=rows, heartbeat_at=timezone.now())


def member_export_run(job_id: int) -> None:
    """The task body: pending → running → done (the file stored) or failed (the reason kept)."""
    claimed = MemberExport.objects.filter(pk=job_id, status=ExportStatus.PENDING).update(
        status=ExportStatus.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now(), processed_rows=0)
    if not claimed:
        log.warning("member export %s is not pending; not running it again", job_id)
        return
    job = MemberExport.objects.select_related("union", "node", "created_by").get(pk=job_id)
    actor = job.created_by
    result = None
    try:
        q = job.q or ""
        kwargs = {"actor": actor, "node": job.node, "q": q, "employment_form": job.employment_form,
                  "full_pii": job.full_pii, "enterprise_id": job.enterprise_id, "status": job.membership_status}
        if job.node is None and job.union_id != staff_of(actor).node.pk:
            # The requester's own subtree moved or changed since: not what was asked for.
            raise PermissionDenied("scope changed")
        total = member_list_for_actor(actor, q=q, node=job.node, employment_form=job.employment_form,
                                      enterprise_id=job.enterprise_id, status=job.membership_status).count()
        MemberExport.objects.filter(pk=job.pk).update(total_rows=total)
        job.total_rows = total
        result = members_export_xlsx(**kwargs, on_progress=_Progress(job.pk), job=job)
        with transaction.atomic():
            job.file.save(f"members-{job.pk}.xlsx", File(result.file), save=False)
            job.status = ExportStatus.DONE
            job.filename = result.filename
            job.total_rows = job.processed_rows = result.row_count
            job.finished_at = timezone.now()
            job.message = ""
            job.save(update_fields=["file", "status", "filename", "total_rows", "processed_rows", "finished_at",
                                    "message"])
    except PermissionDenied:
        _finish_failed(job, _("导出人已无导出权限或不再管辖该范围，未生成文件"))
    except Exception as e:
        log.exception("member export %s failed", job_id)
        _finish_failed(job, _("导出失败，未生成文件（%(error)s）") % {"error": type(e).__name__})
    finally:
        if result is not None:
            result.file.close()


def _finish_failed(job: MemberExport, message: str) -> None:
    with transaction.atomic():
        MemberExport.objects.filter(pk=job.pk).update(status=ExportStatus.FAILED, message=message,
                                                      finished_at=timezone.now())
        audit(actor=job.created_by, verb="members.export_fail", obj=job, object_repr=job.union.name,
              node_path=job.union.path, new={"message": message[:200]})


# ------------------------------------------------------------------ selectors


def member_export_list_for_actor(actor) -> QuerySet[MemberExport]:
    """The actor's own exports inside the actor's current scope (我的导出)."""
    require(actor, Cap.EXPORT)
    return (MemberExport.objects.filter(created_by=actor, union__path__startswith=root_path(actor))
            .select_related("union").order_by("-created_at", "-id"))


def member_export_get_for_actor(actor, job_id) -> MemberExport:
    """Only its requester sees an export, while still holding the export capability and the scope
    (and the full-values capability for a file with full values). Anyone else: 404."""
    require(actor, Cap.EXPORT)
    try:
        job = MemberExport.objects.select_related("union", "created_by").get(pk=job_id)
    except (MemberExport.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if job.created_by_id != actor.pk:
        raise Http404
    ensure_path_in_scope(actor, job.union.path)
    if job.full_pii:
        require(actor, Cap.PII_FULL)
    return job


def member_exports_ready_count(actor) -> int:
    """Exports ready and not yet downloaded (the badge beside 我的导出)."""
    return MemberExport.objects.filter(created_by=actor, status=ExportStatus.DONE, downloaded_at__isnull=True,
                                       files_purged_at__isnull=True).count()


def member_export_downloaded(job: MemberExport) -> None:
    if job.downloaded_at is None:
        MemberExport.objects.filter(pk=job.pk, downloaded_at__isnull=True).update(downloaded_at=timezone.now())


# ------------------------------------------------------------------ periodic


def member_exports_fail_stale(*, now=None) -> int:
    """Marks exports whose worker stopped reporting as failed. Run by the periodic tick."""
    now = now or timezone.now()
    cutoff = now - STALE_AFTER
    stale = (MemberExport.objects.filter(status=ExportStatus.RUNNING)
             .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff))
             .select_related("union", "created_by"))
    count = 0
    for job in stale:
        with transaction.atomic():
            claimed = MemberExport.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
                status=ExportStatus.FAILED, finished_at=now,
                message=_("导出中断（后台任务停止响应），请重新导出"))
            if claimed:
                audit(actor=job.created_by, verb="members.export_fail", obj=job, object_repr=job.union.name,
                      node_path=job.union.path, new={"reason": "stale worker"})
                count += 1
    return count


def member_exports_purge(*, now=None, limit: int = 500) -> int:
    """Deletes the files of exports older than HUIGONG_EXPORT_RETENTION_DAYS (by default the roster
    retention); the record stays, marked with files_purged_at and an audit event. Run by the periodic tick."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=retention_days())
    due = (MemberExport.objects.filter(created_at__lt=cutoff, files_purged_at__isnull=True)
           .exclude(status__in=[ExportStatus.PENDING, ExportStatus.RUNNING])
           .select_related("union").order_by("pk")[:limit])
    count = 0
    for job in due:
        name = job.file.name if job.file else ""
        with transaction.atomic():
            claimed = MemberExport.objects.filter(pk=job.pk, files_purged_at__isnull=True).update(
                file="", files_purged_at=now)
            if not claimed:
                continue
            audit(actor=None, verb="members.export_purge", obj=job, object_repr=job.union.name,
                  node_path=job.union.path, new={"files": 1 if name else 0, "retention_days": retention_days()})
        # After the row no longer names it: a crash in between leaves an orphan file, never a dangling row.
        if name:
            job.file.storage.delete(name)
        count += 1
    return count


__all__ = [
    "member_export_downloaded", "member_export_get_for_actor", "member_export_list_for_actor",
    "member_export_run", "member_export_start", "member_exports_fail_stale", "member_exports_purge",
    "member_exports_ready_count",
]
