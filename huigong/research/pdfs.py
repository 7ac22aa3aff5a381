"""The research programme's PDF in Chinese (core.pdf): a project's 调研成果报告 — the topic, the team, the
fieldwork (visits, interviews, ride-alongs and their counts), the accepted report, and each recommendation with
where the outcome tracker has it (adopted, being followed up, overdue), with the policy document numbers that
show its adoption."""

from __future__ import annotations

from django.db.models import Count, Sum
from django.utils import timezone

from huigong.core.outcomes.models import EvidenceKind, Status
from huigong.core.pdf import render_pdf

from .models import Recommendation, ReportStatus


def project_outcomes(project) -> list[Recommendation]:
    """The project's recommendations, in report order, each with its tracked item and `policies` (the
    document numbers of the policy evidence on it)."""
    recs = list(Recommendation.objects.filter(report__project=project).select_related("report", "item")
                .order_by("report__version", "seq"))
    today = timezone.localdate()
    for rec in recs:
        item = rec.item
        rec.policies = [e.doc_number for e in item.evidence.filter(kind=EvidenceKind.POLICY).order_by("added_at")] \
            if item is not None else []
        rec.adopted = item is not None and item.status == Status.CLOSED
        rec.overdue = item is not None and item.is_overdue(today)
    return recs


def project_report_pdf(project) -> bytes:
    fieldwork = project.fieldwork.order_by("occurred_on", "id")
    by_kind = list(fieldwork.values("kind").annotate(n=Count("id"), people=Sum("people"), orders=Sum("orders"),
                                                     hours=Sum("hours")).order_by("kind"))
    labels = dict(project.fieldwork.model._meta.get_field("kind").choices)
    for row in by_kind:
        row["label"] = labels.get(row["kind"], row["kind"])
    recs = project_outcomes(project)
    year = project.programme.year
    team = list(project.team.all())
    for m in team:
        m.age = year - m.birth_year
    return render_pdf("research/pdf/project_report.html", {
        "p": project, "programme": project.programme, "team": team, "by_kind": by_kind,
        "fieldwork": list(fieldwork[:40]), "fieldwork_more": max(0, fieldwork.count() - 40),
        "report": project.reports.filter(status=ReportStatus.ACCEPTED).order_by("-version").first(),
        "recs": recs, "adopted": sum(1 for r in recs if r.adopted), "awards": list(project.awards.all()),
        "generated": timezone.localtime()})
