"""The bridge to the kernel's outcome tracker (core.outcomes): each recommendation of an accepted report
becomes a tracked item of kind "research.recommendation", tracked by the programme's union (which takes
the reports to the Party committee and government) with the department it is addressed to as owner.
Adoption is the tracker's close: evidence of effect (a policy's document number, or a leader's 批示),
then an "effective" verdict by someone other than who submitted it. The research app keeps no status of
its own for a recommendation; it reads the item's."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huigong.core.outcomes import kinds
from huigong.core.outcomes import services as outcomes
from huigong.core.outcomes.models import OwnerKind

KIND = "research.recommendation"
# How long a department is given to answer a recommendation before the tracker reminds and escalates.
DUE_DAYS = 180


def _source_url(item) -> str:
    rec = getattr(item, "research_recommendation", None)
    return reverse("research:project_detail", args=[rec.report.project_id]) if rec is not None else ""


def register() -> None:
    kinds.register(kinds.Kind(code=KIND, label=_("调研建议"), capability="research", verify_capability="approve",
                              status_labels={"closed": _("已采纳落实"), "verifying": _("待确认采纳")},
                              source_url=_source_url))


def track_recommendations(*, actor, report, at: dt.datetime | None = None) -> list[int]:
    """Called by report_decide in its transaction, after the actor was checked as the programme's staff."""
    programme = report.project.programme
    when = at or timezone.now()
    due = timezone.localtime(when).date() + dt.timedelta(days=DUE_DAYS)
    out = []
    for rec in report.recommendations.filter(item__isnull=True).order_by("seq"):
        item = outcomes.item_create(
            actor=actor, kind=KIND, node=programme.node, title=rec.text[:200], source_id=str(rec.pk),
            description=_("%(brand)s调研报告《%(title)s》（%(team)s）的对策建议")
            % {"brand": programme.brand, "title": report.title, "team": report.project.team_name},
            category=report.project.topic.area or "", owner_kind=OwnerKind.DEPARTMENT, owner_name=rec.owner,
            due_date=due, at=at, check_scope=False)
        rec.item = item
        rec.save(update_fields=["item"])
        out.append(item.pk)
    return out
