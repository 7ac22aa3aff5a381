"""结果公示: the round's winners on the kernel's notice service (huigong.core.notices), education's scheme.
An upheld objection takes the winner off (REJECTED, the place given back to the round); the end of the
period confirms the rest and schedules their tranches."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huigong.core.audit import audit
from huigong.core.capacity import services as cap
from huigong.core.capacity.models import EntryStatus
from huigong.core.notices import services as notices
from huigong.core.notices.services import EntryValues, NoticeScheme

from .. import notifications
from ..models import (
    Application,
    ApplicationStatus,
    EduNotice,
    EduNoticeEntry,
    EduNoticeObjection,
    Programme,
    ProgrammeStatus,
    SubsidyKind,
    Tranche,
    Trigger,
)
from ..places import PLACES
from .programmes import EDU, today


def subsidy_total(app: Application) -> int:
    p = app.programme
    if p.subsidy_kind == SubsidyKind.TUITION_SHARE:
        return app.major.tuition_fen * p.share_percent // 100
    return sum(int(t["fen"]) for t in p.tranches)


def _refuse(item: Application, node) -> str | None:
    if item.status != ApplicationStatus.WON:
        return _("#%(id)s 当前状态为“%(s)s”，只有中签的申请可以公示") % {"id": item.pk, "s": item.get_status_display()}
    if EduNoticeEntry.objects.filter(application=item).exists():
        return _("#%(id)s 已在公示中") % {"id": item.pk}
    return None


def _entry_values(item: Application) -> EntryValues:
    return EntryValues(name=item.person.name, unit_label=str(item.major), amount_fen=subsidy_total(item))


def _on_publish(*, actor, notice, subjects) -> None:
    programmes = {s.programme_id for s in subjects}
    if len(programmes) != 1:
        raise ValidationError(_("一次公示只能包含同一个项目的申请"))
    notice.programme_id = programmes.pop()
    notice.save(update_fields=["programme"])
    Application.objects.filter(pk__in=[s.pk for s in subjects]).update(status=ApplicationStatus.NOTICE)


def _on_uphold(*, actor, objection, subject: Application, outcome: str) -> None:
    if subject.status != ApplicationStatus.NOTICE:
        raise ValidationError(_("该申请当前状态为“%(s)s”，不能撤销") % {"s": subject.get_status_display()})
    p = Programme.objects.select_for_update().get(pk=subject.programme_id)
    cap.release(PLACES, pool=p, entry=subject, status=EntryStatus.CANCELLED, reason="objection upheld")
    Application.objects.filter(pk=subject.pk).update(status=ApplicationStatus.REJECTED,
                                                     refusal=(objection.content or "")[:255])
    subject.refresh_from_db()
    audit(actor=actor, verb="edu_application.objection_upheld", obj=subject, node_path=subject.node_path,
          new={"objection": objection.pk, "status": subject.status})
    notifications.objection_upheld(subject)


def schedule_tranches(app: Application) -> list[Tranche]:
    """The application's tranches by its round's rules, SCHEDULED until their trigger happens."""
    p = app.programme
    rows = []
    if p.subsidy_kind == SubsidyKind.TUITION_SHARE:
        amount = subsidy_total(app)
        if amount > 0:
            rows.append(Tranche(application=app, seq=1, trigger=Trigger.GRADUATION, amount_fen=amount,
                                node_path=app.node_path))
    else:
        for i, t in enumerate(p.tranches, 1):
            rows.append(Tranche(application=app, seq=i, trigger=t["trigger"], term=t.get("term"),
                                amount_fen=int(t["fen"]), node_path=app.node_path))
    return Tranche.objects.bulk_create(rows, ignore_conflicts=True)


def _on_end(*, actor, notice, subject_ids) -> None:
    apps = list(Application.objects.filter(pk__in=subject_ids, status=ApplicationStatus.NOTICE)
                .select_related("programme", "major", "person"))
    Application.objects.filter(pk__in=[a.pk for a in apps]).update(status=ApplicationStatus.CONFIRMED)
    for a in apps:
        a.status = ApplicationStatus.CONFIRMED
        schedule_tranches(a)
        notifications.confirmed(a)


def _default_days(items) -> int:
    return 5


EDU_NOTICES = notices.register_scheme(NoticeScheme(
    key="education", notice_model=EduNotice, entry_model=EduNoticeEntry, objection_model=EduNoticeObjection,
    subject_model=Application, subject_field="application", capability=EDU, audit_prefix="edu_notice",
    today=today, share_salt="huigong.education.notice", refuse=_refuse, entry_values=_entry_values,
    default_days=_default_days, on_publish=_on_publish, on_uphold=_on_uphold, on_end=_on_end,
    subject_related=("person", "programme", "major__institution"),
    entry_related=("application", "application__major__institution"), entry_order=("application__draw_rank", "pk"),
    messages={"none": gettext_lazy("请至少选择一份中签的申请"), "missing": gettext_lazy("有申请不存在"),
              "out_of_node": gettext_lazy("申请 #%(id)s 不在“%(n)s”的范围内"),
              "not_on_notice": gettext_lazy("该申请不在本次公示中")},
))


def notice_publish(*, actor, programme: Programme, title: str = "", days: int | None = None, contact: str = ""):
    """Publishes every winner of the round (drawn, not yet on a notice)."""
    ids = list(Application.objects.filter(programme=programme, status=ApplicationStatus.WON)
               .values_list("pk", flat=True))
    if programme.status != ProgrammeStatus.DRAWN and programme.allocation == "lottery":
        raise ValidationError(_("抽签后才能公示结果"))
    return notices.notice_publish(
        scheme=EDU_NOTICES, actor=actor, node=programme.node, subjects=ids, contact=contact, days=days,
        title=title or _("%(t)s 资助名单公示") % {"t": programme.title},
        body=_("公示期内如有异议，请向主办工会反映。"), starts_on=None)


def notice_end(*, actor, notice):
    return notices.notice_end(scheme=EDU_NOTICES, actor=actor, notice=notice)


def objection_record(*, actor, notice, content: str, application=None, channel: str = ""):
    return notices.notice_objection_record(scheme=EDU_NOTICES, actor=actor, notice=notice, content=content,
                                           subject=application, channel=channel)


def objection_resolve(*, actor, objection, upheld: bool, resolution: str):
    return notices.notice_objection_resolve(scheme=EDU_NOTICES, actor=actor, objection=objection, upheld=upheld,
                                            resolution=resolution)
