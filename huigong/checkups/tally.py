"""The campaign report's figures kept as running counts, so that the report reads a few hundred tally rows
instead of scanning a campaign's 100,000 findings and their tracked items (docs/benchmarks.md).

Every write that changes a figure runs inside `counting(...)` (or calls `count(...)` for rows it has just
created), in its own transaction: the rows' figures are computed before the write and after it, and the
difference is added as new `Tally` rows. Rows are only ever inserted, never updated, so concurrent writes to
one campaign take no lock on shared counters (no waits, no deadlocks); the report sums them; `compact()` (a
periodic job) replaces a campaign's rows by their sums. The figures of a row come from that row alone:
- an examination: enrolled, self-assessed, examined (+ workers), return-visited, scored (+ score x 10), and
  its return visit's due date while it waits for it;
- an instrument: issued, replied, accepted by kind, and its reply deadline while unreplied;
- a finding: found, closed (+ microseconds to close), open, issued, accepted, completed by category and
  severity, and its due date while it is live. The item's state is read from the finding's `counted_*`
  columns (the tracker calls its hook after it has changed the item: the old state is only known there),
  which `_sync` copies from the item when the finding is counted again.

`selectors.campaign_report_scan` computes the same report from the tables; the tests check that the two
always agree (tests/test_tally.py, over random sequences of writes), and `rebuild()` recounts a campaign
from its tables (bulk loaders: the demo, the benchmark)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, OuterRef, Subquery

from huigong.core.db import for_update
from huigong.core.outcomes.models import LIVE, Status, TrackedItem

from .models import Campaign, Examination, ExamStatus, Finding, Instrument, Tally

NO_DAY = dt.date(1, 1, 1)  # a figure that does not move with the date (always before today)
_LIVE = frozenset(s.value for s in LIVE)
_EXAMINED = (ExamStatus.VISITED.value, ExamStatus.RETURN_VISITED.value)

Figures = dict  # (campaign id, section, key, day) -> [n, amount]


def _add(out: Figures, campaign: int, section: str, key: str = "", day: dt.date = NO_DAY, amount: int = 0) -> None:
    cell = out.setdefault((campaign, section, key, day), [0, 0])
    cell[0] += 1
    cell[1] += amount


def _micros(d: dt.timedelta) -> int:
    return (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds


def _finding_figures(ids: Iterable[int] | None, out: Figures, campaign: int | None = None) -> None:
    qs = Finding.objects.all()
    qs = qs.filter(campaign_id=campaign) if ids is None else qs.filter(pk__in=list(ids))
    for camp, cat, sev, inst, accepted, status, due, ended, started in qs.values_list(
            "campaign_id", "category", "severity", "instrument_id", "instrument__accepted", "counted_status",
            "counted_due", "counted_ended", "item__created_at").order_by().iterator(chunk_size=5000):
        if not status:
            continue  # not counted yet
        key = f"{cat}|{sev}"
        _add(out, camp, "found", key)
        if status == Status.CLOSED:
            _add(out, camp, "closed", key, amount=_micros(ended - started) if ended and started else 0)
            if inst is not None:
                _add(out, camp, "completed", key)
        elif status in _LIVE:
            _add(out, camp, "open", key)
            if due is not None:
                _add(out, camp, "due", key, day=due)
        if inst is not None:
            _add(out, camp, "issued", key)
        if accepted is True:
            _add(out, camp, "accepted", key)


def _exam_figures(ids: Iterable[int] | None, out: Figures, campaign: int | None = None) -> None:
    qs = Examination.objects.all()
    qs = qs.filter(campaign_id=campaign) if ids is None else qs.filter(pk__in=list(ids))
    for camp, status, self_at, workers, score, rv_due in qs.values_list(
            "campaign_id", "status", "self_assessed_at", "workers_covered", "score", "return_visit_due").order_by():
        _add(out, camp, "enrolled")
        if self_at is not None:
            _add(out, camp, "self_assessed")
        if status in _EXAMINED:
            _add(out, camp, "examined", amount=workers or 0)
        if status == ExamStatus.RETURN_VISITED:
            _add(out, camp, "return_visited")
        if status == ExamStatus.VISITED and rv_due is not None:
            _add(out, camp, "rv_due", day=rv_due)
        if score is not None:
            _add(out, camp, "scored", amount=int(score * 10))


def _instrument_figures(ids: Iterable[int] | None, out: Figures, campaign: int | None = None) -> None:
    qs = Instrument.objects.all()
    qs = qs.filter(examination__campaign_id=campaign) if ids is None else qs.filter(pk__in=list(ids))
    for camp, kind, replied, accepted, due in qs.values_list(
            "examination__campaign_id", "kind", "replied_on", "accepted", "reply_due").order_by():
        _add(out, camp, "i_issued", kind)
        if replied is not None:
            _add(out, camp, "i_replied", kind)
        else:
            _add(out, camp, "i_due", kind, day=due)
        if accepted is True:
            _add(out, camp, "i_accepted", kind)


def _figures(findings, exams, instruments) -> Figures:
    out: Figures = {}
    if findings:
        _finding_figures(findings, out)
    if exams:
        _exam_figures(exams, out)
    if instruments:
        _instrument_figures(instruments, out)
    return out


def _sync(finding_ids) -> None:
    """Copies the items' state into the findings' `counted_*` columns (one UPDATE)."""
    if not finding_ids:
        return
    item = TrackedItem.objects.filter(pk=OuterRef("item_id"))
    Finding.objects.filter(pk__in=list(finding_ids)).update(
        counted_status=Subquery(item.values("status")[:1]), counted_due=Subquery(item.values("due_date")[:1]),
        counted_ended=Subquery(item.values("ended_at")[:1]))


def _record(before: Figures, after: Figures) -> None:
    rows = []
    for k in sorted(set(before) | set(after)):
        b, a = before.get(k, (0, 0)), after.get(k, (0, 0))
        if a[0] != b[0] or a[1] != b[1]:
            rows.append(Tally(campaign_id=k[0], section=k[1], key=k[2], day=k[3], n=a[0] - b[0], amount=a[1] - b[1]))
    if rows:
        Tally.objects.bulk_create(rows, batch_size=1000)


def _ids(rows) -> list[int]:
    return sorted({getattr(r, "pk", r) for r in rows})


def _lock(f, e, i) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("tally: counting outside transaction.atomic")
    for model, ids in ((Examination, e), (Instrument, i), (Finding, f)):
        if ids:
            list(for_update(model.objects.filter(pk__in=ids).order_by("pk"), of=("self",)).values_list("pk"))


@contextlib.contextmanager
def counting(*, findings=(), exams=(), instruments=()):
    """Around a write that changes these rows' figures (ids or instances), inside its transaction: the rows
    are locked (in id order), their figures taken before and after the write, the difference recorded."""
    f, e, i = _ids(findings), _ids(exams), _ids(instruments)
    _lock(f, e, i)
    before = _figures(f, e, i)
    yield
    _sync(f)
    _record(before, _figures(f, e, i))


def count(*, findings=(), exams=(), instruments=()) -> None:
    """Rows just created (examinations, instruments: counted once, here) or findings whose item the tracker
    has just changed (a finding counts from its `counted_*` columns, so what it counted for before is
    known; a new finding counts for nothing until then)."""
    f, e, i = _ids(findings), _ids(exams), _ids(instruments)
    _lock(f, e, i)
    before = _figures(f, (), ())
    _sync(f)
    _record(before, _figures(f, e, i))


def figures_of(campaign: Campaign | int, today: dt.date) -> dict[tuple[str, str], tuple[int, int]]:
    """(section, key) -> (n, amount), the figures whose day is before `today`: one query."""
    from django.db.models import Sum

    pk = getattr(campaign, "pk", campaign)
    return {(r["section"], r["key"]): (r["n"], r["amount"]) for r in
            Tally.objects.filter(campaign_id=pk, day__lt=today).values("section", "key")
            .annotate(n=Sum("n"), amount=Sum("amount")).order_by()}


@transaction.atomic
def rebuild(campaign: Campaign | int) -> int:
    """Recounts a campaign from its tables, after a bulk load that went round the services (the demo, the
    benchmark, the migration that brought the tally): not while the campaign is being written to (a write
    committing between the DELETE and the recount would count twice). Returns the number of tally rows."""
    pk = getattr(campaign, "pk", campaign)
    list(for_update(Campaign.objects.filter(pk=pk), of=("self",)).values_list("pk"))
    Tally.objects.filter(campaign_id=pk).delete()
    item = TrackedItem.objects.filter(pk=OuterRef("item_id"))
    Finding.objects.filter(campaign_id=pk).update(
        counted_status=Subquery(item.values("status")[:1]), counted_due=Subquery(item.values("due_date")[:1]),
        counted_ended=Subquery(item.values("ended_at")[:1]))
    out: Figures = {}
    _exam_figures(None, out, pk)
    _instrument_figures(None, out, pk)
    _finding_figures(None, out, pk)
    _record({}, out)
    return len(out)


def compact_campaign(campaign: Campaign | int) -> tuple[int, int]:
    """Replaces a campaign's tally rows by their sums (rows summing to nothing go); (rows before, after).
    The rows summed are exactly the rows deleted (one DELETE … RETURNING: a write committing meanwhile keeps
    its rows for the next compaction), under the campaign's row lock so that two compactions never sum the
    same rows twice."""
    from django.db import connection

    pk = getattr(campaign, "pk", campaign)
    with transaction.atomic():
        list(for_update(Campaign.objects.filter(pk=pk), of=("self",)).values_list("pk"))
        with connection.cursor() as cur:
            cur.execute(f"DELETE FROM {Tally._meta.db_table} WHERE campaign_id = %s "
                        "RETURNING section, key, day, n, amount", [pk])
            deleted = cur.fetchall()
        sums: dict[tuple, list[int]] = {}
        for section, key, day, n, amount in deleted:
            if isinstance(day, str):  # SQLite
                day = dt.date.fromisoformat(day)
            cell = sums.setdefault((section, key, day), [0, 0])
            cell[0] += n
            cell[1] += amount
        kept = [Tally(campaign_id=pk, section=k[0], key=k[1], day=k[2], n=v[0], amount=v[1])
                for k, v in sorted(sums.items()) if v[0] or v[1]]
        Tally.objects.bulk_create(kept, batch_size=1000)
        return len(deleted), len(kept)


def compact() -> dict[str, int]:
    """The periodic job `checkups.tally_compact`: compacts every campaign with a figure in more than one row."""
    dup = (Tally.objects.values("campaign_id", "section", "key", "day").annotate(c=Count("pk")).filter(c__gt=1)
           .values_list("campaign_id", flat=True).order_by().distinct())
    done = defaultdict(int)
    for pk in sorted(set(dup)):
        before, after = compact_campaign(pk)
        done["campaigns"] += 1
        done["rows_removed"] += before - after
    return dict(done)
