"""Applications: submission from the phone (or by staff from a paper form), the automatic first check
against the member register, the correction window before the deadline, review up the tree on the
kernel's approval chains, the lottery on the kernel's capacity engine, carry-over into the next round.

Transitions (one service each):
  submit → SUBMITTED → first check → IN_REVIEW (steps written) | INELIGIBLE (reasons kept)
  INELIGIBLE | RETURNED → correct (until closes_on) → SUBMITTED → first check …
  IN_REVIEW → decide → next step | APPROVED (an entrant of the draw) | RETURNED | REJECTED
  APPROVED → draw → WON | LOST (a fallback grant when the round has one)
  WON → 公示 → NOTICE → CONFIRMED (tranches scheduled) | REJECTED (objection upheld, place given back)
  any live one before the draw → withdraw → WITHDRAWN
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.core import duties, facets
from huigong.core.approvals import services as chains
from huigong.core.approvals.models import ApprovalDecision
from huigong.core.audit import audit, snapshot
from huigong.core.capacity import services as cap
from huigong.core.capacity.models import Allocation, Draw, EntryStatus
from huigong.core.scope import ensure_path_in_scope, require, staff_of
from huigong.core.uploads import check_upload
from huigong.members.models import Membership, MembershipStatus, Person
from huigong.orgs.models import UnionNode

from .. import eligibility, notifications
from ..models import (
    LIVE_APPLICATION,
    Application,
    ApplicationStatus,
    ApplicationStep,
    Major,
    Programme,
    ProgrammeStatus,
    Ranking,
    Tranche,
    TrancheStatus,
    Trigger,
)
from ..places import PLACES
from .programmes import APPROVE, EDU, today, unit_key

APPLICATION_FIELDS = ["status", "major_id", "level", "check_failures", "round", "current_step", "place",
                      "refusal", "xuexin_code", "priority"]
AUTHOR_VERBS = ("edu_application.submit", "edu_application.correct")
DOC_MAX_BYTES = 8 * 1024 * 1024
PRIORITIES = ("", "model_worker", "hardship", "hardship_file")


def _is_staff(actor) -> bool:
    try:
        staff_of(actor)
    except PermissionDenied:
        return False
    return True


def _ensure_acts_for(actor, person: Person, union_path: str) -> None:
    """The worker herself (her portal account is linked to the person), or staff holding EDU over her union."""
    if _is_staff(actor):
        require(actor, EDU)
        ensure_path_in_scope(actor, union_path)
        return
    from huigong.portal.models import WorkerAccount

    if not WorkerAccount.objects.filter(user=actor, person=person).exists():
        raise PermissionDenied(_("只能为本人申报"))


def _documents(admission_letter, xuexin_report, xuexin_code: str) -> dict:
    out = {}
    code = (xuexin_code or "").strip().upper()
    if code and (len(code) < 8 or len(code) > 32 or not code.isalnum()):
        raise ValidationError({"xuexin_code": _("学信网在线验证码应为 8 到 32 位字母或数字")})
    out["xuexin_code"] = code
    for field, upload, label in (("admission_letter", admission_letter, _("录取通知书")),
                                 ("xuexin_report", xuexin_report, _("学信网学历报告"))):
        if upload is not None:
            checked = check_upload(upload, field_label=label, allow_pdf=True, max_bytes=DOC_MAX_BYTES)
            upload.name = f"{field}.{checked.extension}"  # never the phone's own file name
            out[field] = upload
    return out


def _active_membership(person: Person) -> Membership | None:
    return (Membership.objects.select_related("union").filter(person=person, status=MembershipStatus.ACTIVE)
            .first())


@transaction.atomic
def application_submit(*, actor, programme: Programme, person: Person, major: Major, statement: str = "",
                       xuexin_code: str = "", admission_letter=None, xuexin_report=None,
                       priority: str = "") -> Application:
    """A worker's application (会员申报). Refused: a round not open or past its deadline (late), not a
    member, a second live application in the round, a major of another round, no document. The first
    check runs at once and its answer is on the worker's tracker."""
    p = Programme.objects.select_related("node").get(pk=programme.pk)
    membership = _active_membership(person)
    if membership is None:
        raise ValidationError({"person": _("您还不是在会会员，请先加入工会")})
    _ensure_acts_for(actor, person, membership.union.path)
    day = today()
    if p.status != ProgrammeStatus.OPEN or day < p.opens_on:
        raise ValidationError({"programme": _("项目未在申报期内")})
    if day > p.closes_on:
        raise ValidationError({"programme": _("申报已于 %(d)s 截止") % {"d": p.closes_on.isoformat()}})
    if major is None or major.programme_id != p.pk:
        raise ValidationError({"major": _("请选择本项目的专业")})
    if priority not in PRIORITIES:
        raise ValidationError({"priority": _("优先条件无效")})
    docs = _documents(admission_letter, xuexin_report, xuexin_code)
    if not (docs.get("admission_letter") or docs.get("xuexin_report") or docs.get("xuexin_code")):
        raise ValidationError({"admission_letter": _("请上传录取通知书或学信网报告，或填写学信网在线验证码")})
    if Application.objects.filter(programme=p, person=person, status__in=LIVE_APPLICATION).exists():
        raise ValidationError({"programme": _("您已申报本项目，不能重复申报")})
    app = Application.objects.create(
        programme=p, person=person, union=membership.union, node_path=membership.union.path, major=major,
        level=major.level, statement=(statement or "").strip(), priority=priority, applied_by=actor,
        submitted_at=timezone.now(), **docs)
    audit(actor=actor, verb="edu_application.submit", obj=app, node_path=app.node_path,
          new=snapshot(app, APPLICATION_FIELDS))
    first_check(programme=p, ids=[app.pk], actor=actor)
    app.refresh_from_db()
    return app


@transaction.atomic
def application_correct(*, actor, application: Application, major: Major | None = None, statement: str | None = None,
                        xuexin_code: str | None = None, admission_letter=None, xuexin_report=None) -> Application:
    """The correction window: an application that failed the first check or was returned may be
    corrected and submitted again until the round's deadline; the first check runs again."""
    app = Application.objects.select_for_update().select_related("programme").get(pk=application.pk)
    _ensure_acts_for(actor, app.person, app.node_path)
    if app.status not in (ApplicationStatus.INELIGIBLE, ApplicationStatus.RETURNED):
        raise ValidationError(_("申请当前状态为“%(s)s”，不能修改") % {"s": app.get_status_display()})
    p = app.programme
    if p.status != ProgrammeStatus.OPEN or today() > p.closes_on:
        raise ValidationError({"programme": _("申报已于 %(d)s 截止，不能再修改") % {"d": p.closes_on.isoformat()}})
    old = snapshot(app, APPLICATION_FIELDS)
    if major is not None:
        if major.programme_id != p.pk:
            raise ValidationError({"major": _("请选择本项目的专业")})
        app.major, app.level = major, major.level
    if statement is not None:
        app.statement = statement.strip()
    docs = _documents(admission_letter, xuexin_report, xuexin_code if xuexin_code is not None else app.xuexin_code)
    for k, v in docs.items():
        setattr(app, k, v)
    membership = _active_membership(app.person)
    if membership is not None:  # the register may have been corrected: the application follows it
        app.union, app.node_path = membership.union, membership.union.path
    if app.status == ApplicationStatus.RETURNED:
        app.round += 1
    app.status, app.current_step, app.check_failures, app.refusal = ApplicationStatus.SUBMITTED, 0, "", ""
    app.submitted_at = timezone.now()
    app.save()
    audit(actor=actor, verb="edu_application.correct", obj=app, node_path=app.node_path, old=old,
          new=snapshot(app, APPLICATION_FIELDS))
    first_check(programme=p, ids=[app.pk], actor=actor)
    app.refresh_from_db()
    return app


@transaction.atomic
def application_withdraw(*, actor, application: Application, reason: str = "") -> Application:
    app = Application.objects.select_for_update().select_related("programme").get(pk=application.pk)
    _ensure_acts_for(actor, app.person, app.node_path)
    if app.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.INELIGIBLE, ApplicationStatus.IN_REVIEW,
                          ApplicationStatus.RETURNED, ApplicationStatus.APPROVED):
        raise ValidationError(_("申请当前状态为“%(s)s”，不能撤回") % {"s": app.get_status_display()})
    old = snapshot(app, APPLICATION_FIELDS)
    if app.place == EntryStatus.ENTERED:
        app.place, app.ended_at, app.end_reason = EntryStatus.CANCELLED, timezone.now(), "withdrawn"
    app.status, app.refusal = ApplicationStatus.WITHDRAWN, (reason or "").strip()[:255]
    app.save()
    audit(actor=actor, verb="edu_application.withdraw", obj=app, node_path=app.node_path, old=old,
          new=snapshot(app, APPLICATION_FIELDS))
    return app


# --- the first check -----------------------------------------------------------------------------------


def _chain_pairs(union: UnionNode, levels) -> list:
    return chains.chain_nodes(union, levels)


def first_check(*, programme: Programme, ids: list[int] | None = None, actor=None) -> dict[str, int]:
    """Runs the first check on the round's SUBMITTED applications (or `ids`) and moves each on:
    INELIGIBLE with its reasons, or into review (steps written, one chain per union), or, for an
    application carried over from an earlier round (reviewed there), straight into the draw."""
    now = timezone.now()
    checked = eligibility.run_check(programme, ids=ids, now=now)
    if not checked:
        return {"checked": 0, "eligible": 0, "ineligible": 0}
    base = Application.objects.filter(programme=programme, status=ApplicationStatus.SUBMITTED, checked_at=now)
    if ids is not None:
        base = base.filter(pk__in=ids)
    failed = list(base.exclude(check_failures="").select_related("person"))
    base.exclude(check_failures="").update(status=ApplicationStatus.INELIGIBLE)
    for app in failed:
        notifications.check_failed(app, eligibility.reasons(programme, app.check_failures))
    passing = list(base.filter(check_failures="").select_related("union").order_by("pk"))
    carried = [a for a in passing if a.carried_from_id]
    review = [a for a in passing if not a.carried_from_id]
    by_union: dict[int, list[Application]] = {}
    for a in review:
        by_union.setdefault(a.union_id, []).append(a)
    steps, moved = [], []
    for apps in by_union.values():
        pairs = _chain_pairs(apps[0].union, programme.levels)
        try:
            if not pairs:
                raise ValidationError(_("所在工会的上级中没有要求的任何审批层级"))
            chains.chain_check_submittable(pairs=pairs, parties={a.applied_by_id for a in apps} - {None},
                                           capability=APPROVE)
        except (ValidationError, PermissionDenied) as e:
            # Nobody could review these: they wait at SUBMITTED with the reason, for staff to resolve.
            Application.objects.filter(pk__in=[a.pk for a in apps]).update(refusal="；".join(
                getattr(e, "messages", [str(e)]))[:255])
            continue
        for a in apps:
            steps += [ApplicationStep(application=a, round=a.round, seq=i, node=node, node_path=node.path, level=level)
                      for i, (level, node) in enumerate(pairs)]
            moved.append(a.pk)
    ApplicationStep.objects.bulk_create(steps)
    Application.objects.filter(pk__in=moved).update(status=ApplicationStatus.IN_REVIEW, current_step=0, refusal="")
    for a in carried:
        _approve(a, now)
    audit(actor=actor, verb="edu_programme.first_check", obj=programme, node_path=programme.node_path,
          new={"checked": checked, "ineligible": len(failed), "in_review": len(moved), "carried": len(carried)})
    return {"checked": checked, "eligible": len(passing), "ineligible": len(failed)}


@transaction.atomic
def first_check_run(*, actor, programme: Programme) -> dict[str, int]:
    """Staff re-run the first check over every submitted application of a round (at the deadline)."""
    require(actor, EDU)
    ensure_path_in_scope(actor, programme.node_path)
    return first_check(programme=programme, actor=actor)


# --- review up the tree ----------------------------------------------------------------------------------


def application_chains(apps) -> dict[int, chains.Chain]:
    apps = list(apps)
    if not apps:
        return {}
    ids = [a.pk for a in apps]
    stored: dict[int, list[ApplicationStep]] = {}
    for s in (ApplicationStep.objects.filter(application_id__in=ids, round=F("application__round"))
              .select_related("node", "acting_node", "decided_by").order_by("application_id", "seq")):
        stored.setdefault(s.application_id, []).append(s)
    authors = duties.authors_of_many(Application, ids, AUTHOR_VERBS)
    requests = []
    for a in apps:
        pairs = [(s.level, s.node, s) for s in stored.get(a.pk, [])]
        requests.append(chains.ChainRequest(
            subject=a, pairs=pairs, parties=({a.applied_by_id} | authors.get(a.pk, set())) - {None},
            submitted=bool(pairs), current_seq=a.current_step if a.status == ApplicationStatus.IN_REVIEW else None))
    return {c.subject.pk: c for c in chains.chains_resolve(requests, capability=APPROVE)}


def _approve(app: Application, now) -> None:
    """The end of review: an entrant of the draw (lottery), or a place taken at once (first come)."""
    p = Programme.objects.get(pk=app.programme_id)
    app.status, app.decided_at = ApplicationStatus.APPROVED, now
    if p.allocation == Allocation.FIRST_COME:
        got = cap.place_take(PLACES, p, require_open=False)
        app.status = ApplicationStatus.WON if got else ApplicationStatus.LOST
        app.place = EntryStatus.GRANTED if got else EntryStatus.LOST
        if got:
            app.granted_at = now
        else:
            app.ended_at, app.end_reason = now, "full"
        app.save()
        notifications.draw_result(app)
        if not got:
            fallback_grant(app)
        return
    app.place = EntryStatus.ENTERED
    app.sub_key = unit_key(p, app.node_path) if p.uses_sub_pools else None
    app.save()


@transaction.atomic
def application_decide(*, actor, application: Application, decision: str, comment: str = "",
                       acting_reason: str = "") -> Application:
    """Decide the pending step through the kernel's `step_decide`, then move the application."""
    require(actor, APPROVE)
    chains.decision_check(decision)
    app = Application.objects.select_for_update(of=("self",)).select_related("programme").get(pk=application.pk)
    if app.status != ApplicationStatus.IN_REVIEW:
        raise ValidationError(_("申请当前状态为“%(s)s”，不在审核中") % {"s": app.get_status_display()})
    step = ApplicationStep.objects.select_related("node").filter(
        application=app, round=app.round, seq=app.current_step).first()
    if step is None or step.decision != ApprovalDecision.PENDING:
        raise ValidationError(_("没有待审批的环节"))
    old = snapshot(app, APPLICATION_FIELDS)
    done = chains.step_decide(actor=actor, chain=application_chains([app])[app.pk], step=step, decision=decision,
                              capability=APPROVE, comment=comment, acting_reason=acting_reason)
    now = timezone.now()
    if decision == ApprovalDecision.APPROVED:
        if done.last:
            if app.programme.status not in (ProgrammeStatus.OPEN, ProgrammeStatus.CLOSED):
                raise ValidationError(_("本轮已经抽签，不能再审核通过"))
            _approve(app, now)
        else:
            app.current_step = step.seq + 1
            app.save()
    else:
        app.status = ApplicationStatus.RETURNED if decision == ApprovalDecision.RETURNED else ApplicationStatus.REJECTED
        app.refusal, app.decided_at = done.comment[:255], now
        app.save()
    audit(actor=actor, verb=f"edu_application.{decision}", obj=app, node_path=app.node_path, old=old,
          new={**snapshot(app, APPLICATION_FIELDS), **done.audit_fields})
    if decision != ApprovalDecision.APPROVED or done.last:
        notifications.review_decided(app)
    return app


# --- the lottery ------------------------------------------------------------------------------------------


def draw_record(programme: Programme) -> Draw | None:
    return Draw.objects.filter(purpose=f"{PLACES.label}:{programme.pk}").first()


@transaction.atomic
def programme_draw(*, actor, programme: Programme, seed: str = "") -> Draw:
    """系统抽签: the kernel's seeded draw over the round's approved applications (places of each
    sub-union's quota first, then the round's), then the domain's side: WON / LOST, a fallback grant
    for eligible non-winners when the round has one, a message to each. Refused while the round is
    open or applications are still under review (they would miss the draw)."""
    require(actor, EDU)
    ensure_path_in_scope(actor, programme.node_path)
    p = Programme.objects.select_for_update().get(pk=programme.pk)
    if p.allocation != Allocation.LOTTERY:
        raise ValidationError(_("本项目按先到先得分配，无需抽签"))
    if p.status != ProgrammeStatus.CLOSED:
        raise ValidationError(_("请先截止申报再抽签（当前状态：%(s)s）") % {"s": p.get_status_display()})
    pending = Application.objects.filter(programme=p, status__in=(ApplicationStatus.SUBMITTED,
                                                                   ApplicationStatus.IN_REVIEW)).count()
    if pending:
        raise ValidationError(_("还有 %(n)s 份申请在初审或审核中，审核完成后才能抽签") % {"n": pending})
    if p.ranking == Ranking.MERIT:
        unscored = Application.objects.filter(programme=p, place=EntryStatus.ENTERED, merit_points__isnull=True).count()
        if unscored:
            raise ValidationError(_("择优分配：还有 %(n)s 份入围申请没有登记成绩，登记后才能排序") % {"n": unscored})
    record = cap.draw(PLACES, actor=actor, pool=p, seed=seed or None, node_path=p.node_path,
                      precedence=lambda ids: draw_precedence(p, ids))
    # The draw wrote each entrant's WON / LOST with its place (places.PLACES.draw_sets).
    p.status, p.draw_seed = ProgrammeStatus.DRAWN, record.seed
    p.save(update_fields=["status", "draw_seed"])
    drawn = list(Application.objects.filter(pk__in=record.entrants).select_related("programme", "person"))
    for app in drawn:
        notifications.draw_result(app)
        if app.status == ApplicationStatus.LOST:
            fallback_grant(app)
    audit(actor=actor, verb="edu_programme.draw", obj=p, node_path=p.node_path,
          new={"seed": record.seed, "entrants_hash": record.entrants_hash, "entrants": len(record.entrants),
               "won": sum(1 for a in drawn if a.status == ApplicationStatus.WON)})
    return record


def priority_tiers(programme: Programme, ids: list[int]) -> dict[int, tuple[int, str]]:
    """{application id: (tier, facet key)} of the entrants holding one of the round's priorities, as of
    now: the first priority listed is the highest tier (len(priorities)), the last tier 1. One query per
    priority (the kernel's person facets; education imports neither honours nor assistance)."""
    keys = [k for k in (programme.priorities or []) if facets.known(k)]
    out: dict[int, tuple[int, str]] = {}
    for n, key in enumerate(keys):
        tier = len(keys) - n
        for pk in Application.objects.filter(pk__in=ids, person__in=facets.person_ids(key)).values_list("pk", flat=True):
            if pk not in out:
                out[pk] = (tier, key)
    return out


def draw_precedence(programme: Programme, ids: list[int]) -> dict[int, int]:
    """The precedence the draw publishes per entrant (higher drawn first): the priority tier; in a merit
    round the points first, the tier breaking ties (points × (number of priorities + 1) + tier), the
    seeded ticket breaking what is left. Writes each entrant's priority as found (the snapshot)."""
    tiers = priority_tiers(programme, ids)
    Application.objects.filter(pk__in=ids).exclude(priority="").update(priority="")
    for key in {k for _t, k in tiers.values()}:
        Application.objects.filter(pk__in=[pk for pk, (_t, k) in tiers.items() if k == key]).update(priority=key)
    if programme.ranking != Ranking.MERIT:
        return {pk: t for pk, (t, _k) in tiers.items()}
    width = len(programme.priorities or []) + 1
    points = dict(Application.objects.filter(pk__in=ids).values_list("pk", "merit_points"))
    return {pk: (points.get(pk) or 0) * width + tiers.get(pk, (0, ""))[0] for pk in ids}


@transaction.atomic
def application_points_set(*, actor, application: Application, points: int, note: str = "") -> Application:
    """Merit rounds: records an applicant's published score (exam score or points), with an audit row
    naming the old and new value. Refused once the round is drawn, or in a round that draws lots."""
    require(actor, EDU)
    ensure_path_in_scope(actor, application.node_path)
    app = Application.objects.select_for_update().select_related("programme").get(pk=application.pk)
    p = app.programme
    if p.ranking != Ranking.MERIT:
        raise ValidationError({"merit_points": _("本项目按抽签分配，不登记成绩")})
    if p.status in (ProgrammeStatus.DRAWN, ProgrammeStatus.DONE) or app.draw_rank is not None:
        raise ValidationError({"merit_points": _("已经排序，成绩不能再修改")})
    if app.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.IN_REVIEW, ApplicationStatus.APPROVED,
                          ApplicationStatus.RETURNED):
        raise ValidationError({"merit_points": _("该申请当前状态为“%(s)s”，不能登记成绩") % {"s": app.get_status_display()}})
    if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= 100000:
        raise ValidationError({"merit_points": _("成绩/积分应为 0 到 100000 之间的整数")})
    old = app.merit_points
    app.merit_points = points
    app.save(update_fields=["merit_points"])
    audit(actor=actor, verb="edu_application.points", obj=app, node_path=app.node_path,
          old={"merit_points": old}, new={"merit_points": points, "note": (note or "").strip()[:200]})
    return app


def draw_verify(programme: Programme) -> tuple[Draw | None, list[str]]:
    """Re-runs the round's published draw: (the draw, the problems found; empty = it is what the seed and
    the entrant list give, and what the database holds)."""
    record = draw_record(programme)
    if record is None:
        return None, ["no_draw"]
    return record, cap.draw_verify(record, PLACES)


def fallback_grant(app: Application) -> Tranche | None:
    """Suzhou's fallback grant: an eligible non-winner gets a one-off tranche, due at once."""
    p = app.programme
    if not p.fallback_fen or app.status != ApplicationStatus.LOST or app.place != EntryStatus.LOST:
        return None  # a waitlisted non-winner may still get a place
    t, created = Tranche.objects.get_or_create(
        application=app, seq=0, defaults={"trigger": Trigger.FALLBACK, "amount_fen": p.fallback_fen,
                                          "status": TrancheStatus.DUE, "node_path": app.node_path,
                                          "due_on": today()})
    return t if created else None


@transaction.atomic
def programme_carry_over(*, actor, source: Programme, target: Programme) -> int:
    """粤工惠's rule: eligible non-winners of `source` enter `target`'s draw without a second review
    (the first check runs again: membership may have changed). Returns how many were carried."""
    require(actor, EDU)
    ensure_path_in_scope(actor, source.node_path)
    ensure_path_in_scope(actor, target.node_path)
    t = Programme.objects.select_for_update().get(pk=target.pk)
    if t.status not in (ProgrammeStatus.OPEN, ProgrammeStatus.CLOSED) or t.carried_from_id != source.pk:
        raise ValidationError({"target": _("目标项目须为本项目的下一轮，且尚未抽签")})
    majors = {(m.institution_id, m.name, m.level): m for m in t.majors.all()}
    ids = []
    for a in (Application.objects.filter(programme=source, status=ApplicationStatus.LOST, carried_to__isnull=True)
              .select_related("major", "union").order_by("pk")):
        major = majors.get((a.major.institution_id, a.major.name, a.major.level))
        if major is None or Application.objects.filter(programme=t, person_id=a.person_id,
                                                       status__in=LIVE_APPLICATION).exists():
            continue
        new = Application.objects.create(
            programme=t, person_id=a.person_id, union=a.union, node_path=a.node_path, major=major, level=major.level,
            statement=a.statement, xuexin_code=a.xuexin_code, priority=a.priority, applied_by=a.applied_by,
            carried_from=a, submitted_at=timezone.now())
        ids.append(new.pk)
    if ids:
        first_check(programme=t, ids=ids, actor=actor)
    audit(actor=actor, verb="edu_programme.carry_over", obj=t, node_path=t.node_path,
          new={"source": source.pk, "carried": len(ids)})
    return len(ids)


def place_changed(pool, entry, old_status, reason) -> None:
    """The engine promoted a waitlisted non-winner into a place given back (an objection upheld): the
    application becomes a winner, to be published on the next notice."""
    if entry.place == EntryStatus.GRANTED and entry.status == ApplicationStatus.LOST:
        Application.objects.filter(pk=entry.pk).update(status=ApplicationStatus.WON, decided_at=timezone.now())
        entry.status = ApplicationStatus.WON
        app = Application.objects.select_related("programme", "person").get(pk=entry.pk)
        notifications.draw_result(app)
