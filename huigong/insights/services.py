"""Writes of the insights app: asking for a rollup refresh, and generating PDF reports."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.accounts.models import Cap
from huigong.core.audit import audit
from huigong.core.scope import ensure_path_in_scope, require
from huigong.core.tasks import enqueue
from huigong.orgs.models import UnionNode

from .models import Report, ReportStatus
from .periods import Period

log = logging.getLogger(__name__)


def rollups_refresh_soon(*, groups: list[str] | None = None) -> None:
    """Rebuild the rollups of these KPI groups ("members", "orgs", "assist", "benefits", "join"; all by
    default) in the background once the current transaction commits. Call it after a roster import,
    a payout or any bulk change; the nightly schedule catches everything else."""
    from .tasks import rollups_refresh_task

    enqueue(rollups_refresh_task, list(groups) if groups else None)


@transaction.atomic
def report_request(*, actor, node: UnionNode, period: Period) -> Report:
    require(actor, Cap.VIEW)
    ensure_path_in_scope(actor, node.path)
    report = Report.objects.create(
        node=node, period_key=period.key, period_label=period.label, created_by=actor
    )
    audit(
        actor=actor,
        verb="insights.report_request",
        obj=report,
        node_path=node.path,
        new={"node": node.pk, "period": period.key},
    )
    from .tasks import report_run_task

    enqueue(report_run_task, report.pk)
    return report


def report_run(report_id: int) -> None:
    """Renders the report's PDF. A claim by conditional UPDATE makes a redelivered task a no-op."""
    from huigong.core.pdf import PdfUnavailable, render_pdf

    from .periods import parse_period
    from .reports import report_context

    claimed = Report.objects.filter(pk=report_id, status=ReportStatus.PENDING).update(
        status=ReportStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return
    report = Report.objects.select_related("node").get(pk=report_id)
    try:
        ctx = report_context(report.node, parse_period(report.period_key))
        pdf = render_pdf("insights/report_pdf.html", ctx)
    except PdfUnavailable as exc:
        _fail(report, str(exc))
        return
    except Exception as exc:  # record it on the report; the page shows it
        log.exception("report %s failed", report_id)
        _fail(report, _("生成失败：%(e)s") % {"e": exc.__class__.__name__})
        return
    name = f"report-{report.node.code}-{report.period_key.replace(':', '_')}.pdf"
    report.file.save(name, ContentFile(pdf), save=False)
    report.status, report.finished_at = ReportStatus.DONE, timezone.now()
    report.save(update_fields=["file", "status", "finished_at"])


REPORT_TIME_LIMIT = dt.timedelta(minutes=15)


def reports_reclaim() -> int:
    """Periodic job: a report still 生成中 long after its worker took it (the worker died) is marked
    failed, so that the page stops spinning and the user can ask again. Idempotent."""
    cutoff = timezone.now() - REPORT_TIME_LIMIT
    return (
        Report.objects.filter(status=ReportStatus.RUNNING)
        .filter(Q(started_at__lt=cutoff) | Q(started_at__isnull=True, created_at__lt=cutoff))
        .update(
            status=ReportStatus.FAILED,
            finished_at=timezone.now(),
            message=_("生成超时，请重新生成"),
        )
    )


def _fail(report: Report, message: str) -> None:
    report.status, report.message, report.finished_at = ReportStatus.FAILED, message, timezone.now()
    report.save(update_fields=["status", "message", "finished_at"])
