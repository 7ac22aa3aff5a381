"""Scoped reads and the campaign report.

A campaign is seen by staff whose subtree holds its organising union; an examination also by the staff of
the enterprise's own union (who fill in the self-assessment and follow the rectification)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.http import Http404
from django.utils import timezone

from huigong.core import scope
from huigong.core.outcomes.models import LIVE
from huigong.core.outcomes.models import Status as ItemStatus

from .models import (
    Campaign,
    Category,
    ChecklistTemplate,
    Examination,
    ExamStatus,
    Finding,
    Instrument,
    InstrumentKind,
    Severity,
)

VIEW = "view"


def campaigns_for_actor(actor):
    scope.require(actor, VIEW)
    return Campaign.objects.filter(node__path__startswith=scope.root_path(actor)).select_related("node")


def campaign_get_for_actor(actor, pk) -> Campaign:
    scope.require(actor, VIEW)
    c = Campaign.objects.select_related("node").filter(pk=pk).first()
    if c is None:
        raise Http404
    scope.ensure_path_in_scope(actor, c.node.path)
    return c


def exams_for_actor(actor, campaign: Campaign | None = None):
    """The examinations of enterprises in the actor's subtree (the campaign's whole list for its organisers)."""
    scope.require(actor, VIEW)
    qs = Examination.objects.filter(union__path__startswith=scope.root_path(actor)).select_related(
        "enterprise", "union", "campaign")
    return qs.filter(campaign=campaign) if campaign is not None else qs


def exam_get_for_actor(actor, pk) -> Examination:
    scope.require(actor, VIEW)
    e = Examination.objects.select_related("campaign__node", "enterprise", "union").filter(pk=pk).first()
    if e is None:
        raise Http404
    scope.ensure_path_in_scope(actor, e.union.path)
    return e


def templates_for_actor(actor):
    """Templates set at the actor's union, above it (inherited) or below it."""
    scope.require(actor, VIEW)
    root = scope.root_path(actor)
    step = 4
    above = [root[:i] for i in range(step, len(root) + 1, step)]
    return ChecklistTemplate.objects.filter(Q(node__path__in=above) | Q(node__path__startswith=root)).select_related("node")


def template_get_for_actor(actor, pk) -> ChecklistTemplate:
    t = templates_for_actor(actor).filter(pk=pk).first()
    if t is None:
        raise Http404
    return t


def template_editable(actor, template: ChecklistTemplate) -> bool:
    return template.node.path.startswith(scope.root_path(actor)) and scope.staff_of(actor).can("checkup")


def finding_get_for_actor(actor, pk) -> Finding:
    f = Finding.objects.select_related("examination__union", "item").filter(pk=pk).first()
    if f is None:
        raise Http404
    scope.require(actor, VIEW)
    scope.ensure_path_in_scope(actor, f.examination.union.path)
    return f


def instrument_get_for_actor(actor, pk) -> Instrument:
    i = Instrument.objects.select_related("examination__union", "examination__enterprise",
                                          "examination__campaign__node").filter(pk=pk).first()
    if i is None:
        raise Http404
    scope.require(actor, VIEW)
    scope.ensure_path_in_scope(actor, i.examination.union.path)
    return i


# --- the campaign report -----------------------------------------------------------------------------------

REPORT_SECONDS = 3600


def _version_key(campaign_id: int) -> str:
    return f"checkups:report-version:{campaign_id}"


def report_changed(campaign_id: int) -> None:
    """A write changed the campaign's figures: after it commits, the cached report is computed afresh
    (a new version key; the old entry expires on its own). Called by every service that changes them and
    by the tracker's hooks for findings (status, due date)."""
    from django.core.cache import cache
    from django.db import transaction

    def bump():
        try:
            cache.incr(_version_key(campaign_id))
        except ValueError:
            cache.set(_version_key(campaign_id), 1, None)

    transaction.on_commit(bump)


def campaign_report_cached(campaign: Campaign, today: dt.date | None = None) -> dict:
    """`campaign_report`, kept in the cache until a write changes the campaign's figures (report_changed)
    or the day changes (overdue counts move with the date). On a campaign of 100,000 findings the report
    is one scan of them (docs/benchmarks.md); pages read this."""
    from django.core.cache import cache

    today = today or timezone.localdate()
    version = cache.get(_version_key(campaign.pk))
    if version is None:
        cache.add(_version_key(campaign.pk), 1, None)
        version = cache.get(_version_key(campaign.pk), 1)
    # The campaign's creation time too: a rolled-back campaign's id can come back (SQLite) with another's figures.
    key = f"checkups:report:{campaign.pk}:{campaign.created_at.timestamp():.0f}:{version}:{today.isoformat()}"
    report = cache.get(key)
    if report is None:
        report = campaign_report(campaign, today)
        cache.set(key, report, REPORT_SECONDS)
    return report



_FINDING_KEYS = ("total", "closed", "open", "overdue", "issued", "accepted", "completed")
# The tally's finding sections (huigong.checkups.tally) -> the report's keys.
_FINDING_SECTIONS = {"found": "total", "closed": "closed", "open": "open", "due": "overdue", "issued": "issued",
                     "accepted": "accepted", "completed": "completed"}


def campaign_report(campaign: Campaign, today: dt.date | None = None) -> dict:
    """The figures Jiading and Qingdao report: firms examined, workers covered, issues found by category
    and severity, recommendations issued / accepted / completed, time to close, overdue. Read from the
    campaign's running tally (huigong.checkups.tally) in one query, whatever the campaign's size
    (bench/checkups.py times it on 100,000 findings); the same figures as `campaign_report_scan`."""
    from decimal import Decimal

    from . import tally

    today = today or timezone.localdate()
    fig = tally.figures_of(campaign, today)

    def n(section, key=""):
        return fig.get((section, key), (0, 0))[0]

    scored, score_tenths = fig.get(("scored", ""), (0, 0))
    exams = {"enrolled": n("enrolled"), "self_assessed": n("self_assessed"), "examined": n("examined"),
             "return_visited": n("return_visited"), "return_overdue": n("rv_due"),
             "workers": fig.get(("examined", ""), (0, 0))[1],
             "avg_score": Decimal(score_tenths) / Decimal(10 * scored) if scored else None}
    rows: dict[tuple[str, str], dict] = {}
    close_us = 0
    for (section, key), (count, amount) in fig.items():
        if section not in _FINDING_SECTIONS:
            continue
        cat, _sep, sev = key.partition("|")
        r = rows.setdefault((cat, sev), {"category": cat, "severity": sev, **dict.fromkeys(_FINDING_KEYS, 0)})
        r[_FINDING_SECTIONS[section]] += count
        if section == "closed":
            close_us += amount
    rows = {k: r for k, r in rows.items() if r["total"]}
    kind_labels = dict(InstrumentKind.choices)
    instruments = [{"kind": kind, "issued": n("i_issued", kind), "replied": n("i_replied", kind),
                    "accepted": n("i_accepted", kind), "reply_overdue": n("i_due", kind),
                    "label": str(kind_labels.get(kind, kind))}
                   for kind in sorted({k for (s, k) in fig if s == "i_issued" and n(s, k)})]
    return {"exams": exams, **_finding_tables(list(rows.values()), dt.timedelta(microseconds=close_us)),
            "instruments": instruments, "today": today}


def _finding_tables(rows: list[dict], close_time: dt.timedelta) -> dict:
    """The tables by category and by severity and the totals, from counts by category and severity."""
    keys = _FINDING_KEYS
    cat_labels, sev_labels = dict(Category.choices), dict(Severity.choices)
    by_cat: dict[str, dict] = {}
    by_sev: dict[str, dict] = {}
    for r in rows:
        c = by_cat.setdefault(r["category"], {"category": r["category"], **dict.fromkeys(keys, 0)})
        s_ = by_sev.setdefault(r["severity"], {"severity": r["severity"], "total": 0, "closed": 0})
        for k in keys:
            c[k] += r[k]
        s_["total"] += r["total"]
        s_["closed"] += r["closed"]
    by_category = sorted(({**c, "label": str(cat_labels.get(c["category"], c["category"]))} for c in by_cat.values()),
                         key=lambda c: (-c["total"], c["category"]))
    order = {s: i for i, s in enumerate(Severity.values)}
    by_severity = sorted(({**s_, "label": str(sev_labels.get(s_["severity"], s_["severity"]))}
                          for s_ in by_sev.values()), key=lambda r: order.get(r["severity"], 9))
    totals = {k: sum(c[k] for c in by_category) for k in keys}
    totals["avg_days_to_close"] = (round(close_time.total_seconds() / 86400 / totals["closed"], 1)
                                   if totals["closed"] else None)
    totals["closed_rate"] = round(100 * totals["closed"] / totals["total"], 1) if totals["total"] else None
    return {"by_category": by_category, "by_severity": by_severity, "totals": totals}


def campaign_report_scan(campaign: Campaign, today: dt.date | None = None) -> dict:
    """`campaign_report` computed from the tables themselves (three grouped queries over the campaign's
    examinations, findings with their items, instruments): the reference the tally is checked against."""
    today = today or timezone.localdate()
    exams = Examination.objects.filter(campaign=campaign).aggregate(
        enrolled=Count("pk"),
        self_assessed=Count("pk", filter=Q(self_assessed_at__isnull=False)),
        examined=Count("pk", filter=Q(status__in=[ExamStatus.VISITED, ExamStatus.RETURN_VISITED])),
        return_visited=Count("pk", filter=Q(status=ExamStatus.RETURN_VISITED)),
        return_overdue=Count("pk", filter=Q(status=ExamStatus.VISITED, return_visit_due__lt=today)),
        workers=Sum("workers_covered", filter=Q(status__in=[ExamStatus.VISITED, ExamStatus.RETURN_VISITED])),
        avg_score=Avg("score"),
    )
    exams["workers"] = exams["workers"] or 0
    live = [s.value for s in LIVE]
    closed = Q(item__status=ItemStatus.CLOSED)
    # One pass over the campaign's findings, grouped by category and severity; the tables by category and
    # by severity and the totals are sums of its rows (three scans of 100,000 findings cost three times one).
    rows = list(Finding.objects.filter(campaign=campaign).values("category", "severity").annotate(
        total=Count("pk"),
        closed=Count("pk", filter=closed),
        open=Count("pk", filter=Q(item__status__in=live)),
        overdue=Count("pk", filter=Q(item__status__in=live, item__due_date__lt=today)),
        issued=Count("pk", filter=Q(instrument__isnull=False)),
        accepted=Count("pk", filter=Q(instrument__accepted=True)),
        completed=Count("pk", filter=Q(instrument__isnull=False) & closed),
        close_time=Sum(ExpressionWrapper(F("item__ended_at") - F("item__created_at"), output_field=DurationField()),
                       filter=closed),
    ).order_by())
    close_time = sum((r["close_time"] or dt.timedelta(0) for r in rows), dt.timedelta(0))
    tables = _finding_tables(rows, close_time)
    kind_labels = dict(InstrumentKind.choices)
    instruments = [dict(r, label=str(kind_labels.get(r["kind"], r["kind"]))) for r in
                   Instrument.objects.filter(examination__campaign=campaign).values("kind").annotate(
                       issued=Count("pk"), replied=Count("pk", filter=Q(replied_on__isnull=False)),
                       accepted=Count("pk", filter=Q(accepted=True)),
                       reply_overdue=Count("pk", filter=Q(replied_on__isnull=True, reply_due__lt=today)),
                   ).order_by("kind")]
    return {"exams": exams, **tables, "instruments": instruments, "today": today}


def exam_report(exam: Examination, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    findings = list(exam.findings.select_related("item", "instrument").order_by("category", "id"))
    for f in findings:
        f.overdue = f.item.is_overdue(today)
    return {"exam": exam, "findings": findings, "instruments": list(exam.instruments.all()),
            "closed": sum(1 for f in findings if f.item.status == ItemStatus.CLOSED), "today": today}
