"""Cohorts (2025级): enrolment confirmed by the institution or the union, terms passed or failed, transfer
to another major, drop-out, graduation with proof; each event makes its tranche due (or stops it).
Tranches stop automatically when the worker leaves the union or the round's region (`leavers_stop`, a
periodic job), with the reason recorded and the worker told; a drop-out records a clawback where the
round requires it."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.core.audit import audit, snapshot
from huigong.core.disbursement.models import State
from huigong.core.scope import ensure_path_in_scope, require
from huigong.members.models import Membership, MembershipStatus

from .. import notifications
from ..models import (
    Application,
    ApplicationStatus,
    Clawback,
    Enrolment,
    EnrolmentStatus,
    Major,
    SubsidyPayment,
    TermResult,
    Tranche,
    TrancheStatus,
    Trigger,
)
from .programmes import EDU, today

ENROLMENT_FIELDS = ["status", "major_id", "terms_passed", "graduated_on", "graduation_proof", "ended_on", "end_reason"]
OPEN_TRANCHE = (TrancheStatus.SCHEDULED, TrancheStatus.DUE, TrancheStatus.PAYING)


def _for_write(actor, enrolment: Enrolment) -> Enrolment:
    require(actor, EDU)
    ensure_path_in_scope(actor, enrolment.node_path)
    return Enrolment.objects.select_for_update().select_related("programme", "application").get(pk=enrolment.pk)


def _make_due(enrolment: Enrolment, *, trigger: str, term: int | None = None) -> int:
    qs = Tranche.objects.filter(application_id=enrolment.application_id, trigger=trigger,
                                status=TrancheStatus.SCHEDULED)
    if term is not None:
        qs = qs.filter(term=term)
    return qs.update(status=TrancheStatus.DUE, due_on=today())


def _studying(e: Enrolment) -> None:
    if e.status != EnrolmentStatus.STUDYING:
        raise ValidationError(_("学员当前状态为“%(s)s”") % {"s": e.get_status_display()})


@transaction.atomic
def enrolment_confirm(*, actor, application: Application, enrolled_on: dt.date, confirmed_by: str = "union",
                      student_no: str = "") -> Enrolment:
    """入学确认 by the union (or on the institution's word, `confirmed_by="institution"`): the worker joins
    the cohort and the enrolment tranche becomes due."""
    require(actor, EDU)
    app = Application.objects.select_for_update().select_related("programme").get(pk=application.pk)
    ensure_path_in_scope(actor, app.node_path)
    if app.status != ApplicationStatus.CONFIRMED:
        raise ValidationError(_("申请当前状态为“%(s)s”，公示无异议后才能确认入学") % {"s": app.get_status_display()})
    if hasattr(app, "enrolment"):
        raise ValidationError(_("已确认入学"))
    if confirmed_by not in ("union", "institution"):
        raise ValidationError({"confirmed_by": _("入学确认方无效")})
    if enrolled_on is None or enrolled_on > today():
        raise ValidationError({"enrolled_on": _("入学日期不能晚于今天")})
    e = Enrolment.objects.create(application=app, programme=app.programme, person_id=app.person_id,
                                 major_id=app.major_id, node_path=app.node_path, enrolled_on=enrolled_on,
                                 confirmed_by=confirmed_by, student_no=(student_no or "").strip()[:32])
    _make_due(e, trigger=Trigger.ENROLMENT)
    audit(actor=actor, verb="edu_enrolment.confirm", obj=e, node_path=e.node_path,
          new={**snapshot(e, ENROLMENT_FIELDS), "confirmed_by": confirmed_by, "enrolled_on": enrolled_on})
    return e


@transaction.atomic
def term_record(*, actor, enrolment: Enrolment, term: int, passed: bool) -> TermResult:
    """A term passed (its tranche becomes due) or failed (its tranche is stopped, with the reason)."""
    e = _for_write(actor, enrolment)
    _studying(e)
    if not isinstance(term, int) or term < 1 or term > 12:
        raise ValidationError({"term": _("学期应为 1 到 12")})
    if TermResult.objects.filter(enrolment=e, term=term).exists():
        raise ValidationError({"term": _("第 %(n)s 学期的成绩已登记") % {"n": term}})
    r = TermResult.objects.create(enrolment=e, term=term, passed=bool(passed), recorded_on=today(), recorded_by=actor)
    if passed:
        e.terms_passed += 1
        e.save(update_fields=["terms_passed"])
        _make_due(e, trigger=Trigger.TERM, term=term)
    else:
        Tranche.objects.filter(application_id=e.application_id, trigger=Trigger.TERM, term=term,
                               status=TrancheStatus.SCHEDULED).update(
            status=TrancheStatus.STOPPED, stop_reason=_("第 %(n)s 学期不合格") % {"n": term}, stopped_at=timezone.now())
    audit(actor=actor, verb="edu_enrolment.term", obj=e, node_path=e.node_path,
          new={"term": term, "passed": bool(passed)})
    return r


@transaction.atomic
def enrolment_transfer(*, actor, enrolment: Enrolment, major: Major, reason: str) -> Enrolment:
    """转专业: to another major of the same round; the subsidy schedule stays."""
    e = _for_write(actor, enrolment)
    _studying(e)
    if major.programme_id != e.programme_id or major.pk == e.major_id:
        raise ValidationError({"major": _("请选择本项目的另一个专业")})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写转专业原因")})
    old = snapshot(e, ENROLMENT_FIELDS)
    e.major = major
    e.save(update_fields=["major"])
    audit(actor=actor, verb="edu_enrolment.transfer", obj=e, node_path=e.node_path, old=old,
          new={**snapshot(e, ENROLMENT_FIELDS), "reason": reason.strip()})
    return e


def _stop(e: Enrolment, *, status: str, reason: str, actor) -> int:
    """Ends the enrolment and stops every tranche not yet paid. A tranche whose payment is at the bank
    (PAYING) is stopped too: its payment can no longer be marked paid (the flow refuses), only failed."""
    now = timezone.now()
    e.status, e.ended_on, e.end_reason = status, today(), reason[:255]
    e.save(update_fields=["status", "ended_on", "end_reason"])
    n = Tranche.objects.filter(application_id=e.application_id, status__in=OPEN_TRANCHE).update(
        status=TrancheStatus.STOPPED, stop_reason=reason[:255], stopped_at=now)
    return n


@transaction.atomic
def enrolment_drop(*, actor, enrolment: Enrolment, reason: str) -> Enrolment:
    """退学: remaining tranches stop; where the round requires it, what was paid is recorded to recover."""
    e = _for_write(actor, enrolment)
    _studying(e)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写退学原因")})
    old = snapshot(e, ENROLMENT_FIELDS)
    stopped = _stop(e, status=EnrolmentStatus.DROPPED, reason=_("退学：%(r)s") % {"r": reason}, actor=actor)
    claw = None
    if e.programme.clawback_on_dropout:
        paid = Tranche.objects.filter(application_id=e.application_id, status=TrancheStatus.PAID).aggregate(
            s=Sum("amount_fen"))["s"] or 0
        if paid:
            claw = Clawback.objects.create(enrolment=e, amount_fen=paid, reason=_("退学：%(r)s") % {"r": reason},
                                           recorded_by=actor)
    audit(actor=actor, verb="edu_enrolment.drop", obj=e, node_path=e.node_path, old=old,
          new={**snapshot(e, ENROLMENT_FIELDS), "tranches_stopped": stopped,
               "clawback_fen": claw.amount_fen if claw else 0})
    notifications.stopped(e, e.end_reason)
    return e


@transaction.atomic
def enrolment_graduate(*, actor, enrolment: Enrolment, graduated_on: dt.date, proof: str) -> Enrolment:
    """毕业: with the certificate number or the 学信网 verification code; the graduation tranche is due."""
    e = _for_write(actor, enrolment)
    _studying(e)
    proof = (proof or "").strip()
    if not proof:
        raise ValidationError({"proof": _("请填写毕业证书编号或学信网验证码")})
    if graduated_on is None or graduated_on > today() or graduated_on < e.enrolled_on:
        raise ValidationError({"graduated_on": _("毕业日期应在入学之后、今天之前")})
    old = snapshot(e, ENROLMENT_FIELDS)
    e.status, e.graduated_on, e.graduation_proof = EnrolmentStatus.GRADUATED, graduated_on, proof[:64]
    e.save(update_fields=["status", "graduated_on", "graduation_proof"])
    _make_due(e, trigger=Trigger.GRADUATION)
    audit(actor=actor, verb="edu_enrolment.graduate", obj=e, node_path=e.node_path, old=old,
          new=snapshot(e, ENROLMENT_FIELDS))
    return e


@transaction.atomic
def clawback_recovered(*, actor, clawback: Clawback, recovered_on: dt.date) -> Clawback:
    require(actor, EDU)
    c = Clawback.objects.select_for_update().select_related("enrolment").get(pk=clawback.pk)
    ensure_path_in_scope(actor, c.enrolment.node_path)
    if c.recovered_on is not None:
        raise ValidationError(_("已登记追回"))
    c.recovered_on = recovered_on
    c.save(update_fields=["recovered_on"])
    audit(actor=actor, verb="edu_clawback.recovered", obj=c.enrolment, node_path=c.enrolment.node_path,
          new={"clawback": c.pk, "amount_fen": c.amount_fen, "recovered_on": recovered_on})
    return c


def leavers_stop() -> int:
    """The periodic job: every studying worker who no longer holds an active membership in the round's
    subtree (left the union, or moved to a union outside the region) has the enrolment stopped, every
    tranche not yet paid stopped, the reason recorded and a message sent. Idempotent."""
    stopped = 0
    studying = Enrolment.objects.filter(status=EnrolmentStatus.STUDYING).select_related("programme")
    ids = list(studying.values_list("pk", "person_id", "programme__node_path"))
    if not ids:
        return 0
    active = {}
    for person_id, path, name in Membership.objects.filter(
            person_id__in={p for _e, p, _n in ids}, status=MembershipStatus.ACTIVE).values_list(
            "person_id", "union__path", "union__name"):
        active[person_id] = (path, name)
    for eid, person_id, root in ids:
        where = active.get(person_id)
        if where is not None and where[0].startswith(root):
            continue
        with transaction.atomic():
            e = Enrolment.objects.select_for_update().select_related("programme").get(pk=eid)
            if e.status != EnrolmentStatus.STUDYING:
                continue
            if where is None:
                reason = _("已离开工会（会籍已转出或退会），补贴停发")
            else:
                reason = _("会籍已转至本项目范围外的“%(n)s”，补贴停发") % {"n": where[1]}
            n = _stop(e, status=EnrolmentStatus.STOPPED, reason=reason, actor=None)
            audit(actor=None, verb="edu_enrolment.stop", obj=e, node_path=e.node_path,
                  new={"status": e.status, "reason": reason, "tranches_stopped": n})
            notifications.stopped(e, reason)
            stopped += 1
    return stopped


def paid_total(application_ids) -> int:
    return SubsidyPayment.objects.filter(tranche__application_id__in=application_ids, status=State.PAID).aggregate(
        s=Sum("amount_fen"))["s"] or 0
