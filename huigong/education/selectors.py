"""Reads, every one scoped: staff see the programmes, applications and cohorts of their subtree (and
the rounds run above them that their members apply to); a worker sees only her own."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.http import Http404

from huigong.core.capacity.models import Draw
from huigong.core.money import format_yuan
from huigong.core.scope import OutOfScope, require, staff_of

from . import eligibility
from .models import (
    Application,
    ApplicationStatus,
    ApplicationStep,
    EduNotice,
    Enrolment,
    EnrolmentStatus,
    Institution,
    Programme,
    ProgrammeStatus,
    SubsidyBatch,
    SubsidyPayment,
    Tranche,
    TrancheStatus,
)
from .places import PLACES

VIEW = "view"


def _root(actor) -> str:
    return require(actor, VIEW).node.path


def _visible_programme(path: str, root: str) -> bool:
    # A round run at or under the actor's node, or above it (its members apply; its staff review).
    return path.startswith(root) or root.startswith(path)


def programme_list_for_actor(actor):
    root = _root(actor)
    ancestors = [root[:i] for i in range(4, len(root) + 1, 4)]
    return (Programme.objects.filter(Q(node_path__startswith=root) | Q(node_path__in=ancestors))
            .select_related("node").annotate(n_applications=Count("applications")))


def programme_get_for_actor(actor, pk: int) -> Programme:
    root = _root(actor)
    p = Programme.objects.select_related("node", "carried_from").filter(pk=pk).first()
    if p is None:
        raise Http404
    if not _visible_programme(p.node_path, root):
        raise OutOfScope
    return p


def institution_list_for_actor(actor):
    root = _root(actor)
    ancestors = [root[:i] for i in range(4, len(root) + 1, 4)]
    return Institution.objects.filter(Q(node_path__startswith=root) | Q(node_path__in=ancestors))


def application_list_for_actor(actor, *, programme: Programme | None = None, status: str = ""):
    root = _root(actor)
    qs = (Application.objects.filter(node_path__startswith=root)
          .select_related("person", "union", "major__institution", "programme"))
    if programme is not None:
        qs = qs.filter(programme=programme)
    if status:
        qs = qs.filter(status=status)
    return qs


def application_get_for_actor(actor, pk: int) -> Application:
    root = _root(actor)
    a = (Application.objects.select_related("person", "union", "major__institution", "programme__node")
         .filter(pk=pk).first())
    if a is None:
        raise Http404
    if not a.node_path.startswith(root):
        raise OutOfScope
    return a


def review_queue_for_actor(actor):
    """Applications whose current step is the actor's union's (or that it acts for: orphaned below)."""
    from .services.applications import application_chains

    staff = staff_of(actor)
    root = staff.node.path
    apps = list(Application.objects.filter(status=ApplicationStatus.IN_REVIEW, node_path__startswith=root)
                .select_related("person", "union", "major__institution", "programme").order_by("submitted_at", "pk")[:500])
    out = []
    chains = application_chains(apps)
    for a in apps:
        chain = chains[a.pk]
        place = chain.queue_place(staff.node_id)
        if place is not None:
            out.append((a, chain, place[1]))
    return out


def enrolment_list_for_actor(actor, *, programme: Programme | None = None, status: str = ""):
    root = _root(actor)
    qs = Enrolment.objects.filter(node_path__startswith=root).select_related("person", "major__institution",
                                                                            "programme", "application__union")
    if programme is not None:
        qs = qs.filter(programme=programme)
    if status:
        qs = qs.filter(status=status)
    return qs


def enrolment_get_for_actor(actor, pk: int) -> Enrolment:
    root = _root(actor)
    e = Enrolment.objects.select_related("person", "major__institution", "programme", "application").filter(pk=pk).first()
    if e is None:
        raise Http404
    if not e.node_path.startswith(root):
        raise OutOfScope
    return e


def notice_list_for_actor(actor, programme: Programme):
    root = _root(actor)
    return EduNotice.objects.filter(programme=programme).filter(
        Q(node_path__startswith=root) | Q(node_path__in=[root[:i] for i in range(4, len(root) + 1, 4)]))


def notice_get_for_actor(actor, pk: int) -> EduNotice:
    root = _root(actor)
    n = EduNotice.objects.select_related("node", "programme").filter(pk=pk).first()
    if n is None:
        raise Http404
    if not _visible_programme(n.node_path, root):
        raise OutOfScope
    return n


def batch_get_for_actor(actor, pk: int) -> SubsidyBatch:
    root = _root(actor)
    b = SubsidyBatch.objects.select_related("programme").filter(pk=pk).first()
    if b is None:
        raise Http404
    if not (b.node_path.startswith(root) or root.startswith(b.node_path)):
        raise OutOfScope
    return b


def payment_get_for_actor(actor, pk: int) -> SubsidyPayment:
    root = _root(actor)
    p = SubsidyPayment.objects.select_related("tranche__application__person", "batch").filter(pk=pk).first()
    if p is None:
        raise Http404
    if not p.tranche.node_path.startswith(root):
        raise OutOfScope
    return p


def draw_for(programme: Programme) -> Draw | None:
    return Draw.objects.filter(purpose=f"{PLACES.label}:{programme.pk}").first()


def public_draw(pk: int) -> tuple[Programme, Draw]:
    """A published draw, for anyone (no personal data: application ids, the seed, the hash)."""
    p = Programme.objects.filter(pk=pk).first()
    record = draw_for(p) if p is not None else None
    if record is None:
        raise Http404
    return p, record


# --- the worker's own --------------------------------------------------------------------------------


def programmes_open_for_person(person):
    """Open rounds run at or above the worker's union."""
    from huigong.members.models import Membership, MembershipStatus

    m = Membership.objects.select_related("union").filter(person=person, status=MembershipStatus.ACTIVE).first()
    if m is None:
        return Programme.objects.none()
    path = m.union.path
    return (Programme.objects.filter(status=ProgrammeStatus.OPEN, node_path__in=[path[:i] for i in range(4, len(path) + 1, 4)])
            .prefetch_related("majors__institution"))


def applications_for_person(person):
    return list(Application.objects.filter(person=person).select_related("programme", "major__institution")
                .order_by("-created_at"))


def application_for_person(person, pk: int) -> Application:
    a = (Application.objects.select_related("programme", "major__institution", "union").filter(pk=pk, person=person)
         .first())
    if a is None:
        raise Http404
    return a


@dataclass
class TrackStep:
    label: str
    state: str  # done / current / failed / todo
    when: object = None
    note: str = ""


def tracker(app: Application) -> list[TrackStep]:
    """The six steps (会员申报、系统初审、工会审核、系统抽签、结果公示、补贴发放) with their dates, for the
    worker's page."""
    from django.utils.translation import gettext as _

    S = ApplicationStatus
    steps = [TrackStep(_("会员申报"), "done", app.submitted_at)]
    if app.checked_at is None:
        steps.append(TrackStep(_("系统初审"), "current"))
    elif app.check_failures:
        steps.append(TrackStep(_("系统初审"), "failed", app.checked_at,
                               "；".join(eligibility.reasons(app.programme, app.check_failures))))
    else:
        steps.append(TrackStep(_("系统初审"), "done", app.checked_at, _("符合申报条件")))
    for s in ApplicationStep.objects.filter(application=app, round=app.round).select_related("node").order_by("seq"):
        current = app.status == S.IN_REVIEW and s.seq == app.current_step
        state = {"approved": "done", "pending": "current" if current else "todo"}.get(s.decision, "failed")
        steps.append(TrackStep(_("工会审核：%(n)s") % {"n": s.node.name}, state, s.decided_at,
                               s.get_decision_display() + (f"：{s.comment}" if s.comment else "")))
    record = draw_for(app.programme) if app.place else None
    if app.status in (S.WON, S.LOST, S.NOTICE, S.CONFIRMED) or (record and app.draw_rank):
        won = app.place == "granted"
        note = _("中签（第 %(n)s 位）") % {"n": app.draw_rank} if won and app.draw_rank else (
            _("已获得名额") if won else (_("候补中（第 %(n)s 位）") % {"n": app.draw_rank} if app.place == "waiting"
                                   else _("未中签")))
        steps.append(TrackStep(_("系统抽签"), "done" if won else "failed", record.drawn_at if record else app.decided_at,
                               note))
    else:
        steps.append(TrackStep(_("系统抽签"), "todo"))
    entry = getattr(app, "notice_entry", None) if app.status in (S.NOTICE, S.CONFIRMED) else None
    if entry is not None:
        n = entry.notice
        steps.append(TrackStep(_("结果公示"), "done" if app.status == S.CONFIRMED else "current", n.starts_on,
                               _("%(a)s 至 %(b)s") % {"a": n.starts_on, "b": n.ends_on}))
    elif app.status == S.REJECTED and app.objections.filter(upheld=True).exists():
        steps.append(TrackStep(_("结果公示"), "failed", None, app.refusal))
    else:
        steps.append(TrackStep(_("结果公示"), "todo"))
    tranches = list(app.tranches.order_by("seq"))
    if tranches:
        paid = [t for t in tranches if t.status == TrancheStatus.PAID]
        state = "done" if len(paid) == len(tranches) else (
            "failed" if any(t.status == TrancheStatus.STOPPED for t in tranches) else "current")
        steps.append(TrackStep(_("补贴发放"), state, paid[-1].paid_on if paid else None,
                               _("已发 %(p)s 期，共 %(a)s 元") % {"p": len(paid), "a": format_yuan(sum(t.amount_fen for t in paid))}))
    else:
        steps.append(TrackStep(_("补贴发放"), "todo"))
    if app.status in (S.WITHDRAWN,):
        for s in steps:
            if s.state in ("current", "todo"):
                s.state = "todo"
    return steps


def programme_figures(programme: Programme) -> dict:
    """Counts for a round's page: the funnel, and money committed vs paid."""
    apps = Application.objects.filter(programme=programme)
    by_status = dict(apps.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    S = ApplicationStatus
    committed = Tranche.objects.filter(application__programme=programme).exclude(
        status=TrancheStatus.STOPPED).aggregate(s=Sum("amount_fen"))["s"] or 0
    paid = Tranche.objects.filter(application__programme=programme, status=TrancheStatus.PAID).aggregate(
        s=Sum("amount_fen"))["s"] or 0
    enrolments = Enrolment.objects.filter(programme=programme)
    return {
        "applied": sum(by_status.values()) - by_status.get(S.WITHDRAWN, 0),
        "by_status": by_status,
        "eligible": sum(n for s, n in by_status.items() if s not in (S.SUBMITTED, S.INELIGIBLE, S.WITHDRAWN)),
        "approved": sum(by_status.get(s, 0) for s in (S.APPROVED, S.WON, S.LOST, S.NOTICE, S.CONFIRMED)),
        "won": sum(by_status.get(s, 0) for s in (S.WON, S.NOTICE, S.CONFIRMED)),
        "enrolled": enrolments.count(),
        "graduated": enrolments.filter(status=EnrolmentStatus.GRADUATED).count(),
        "committed": format_yuan(committed), "paid": format_yuan(paid),
        "committed_fen": committed, "paid_fen": paid,
    }
