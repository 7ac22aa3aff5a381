"""公示 (public notice) of approved aid applications, on the kernel's notice service (core/notices).

The kernel holds the rules (masked names frozen at publication, never backdated, objections and their
resolution, a notice with an open objection does not end, the share link and its grace, the PDF, the
periodic end). This module is the aid scheme: which applications may be published (APPROVED ones of the
node's subtree, ASSIST), what a row shows (the household head's masked name, the file's union, the
approved amount), and what publishing, an upheld objection and the end mean for an application:

- publishing moves each application APPROVED -> NOTICE;
- an upheld objection pulls the application from payment (REJECTED, or RETURNED for correction) and
  releases its budget reservation; refused once it has gone into a payout;
- the end moves NOTICE -> NOTICE_ENDED (then it may be paid).

"Today" is huigong.assistance.clock, which only code (the demo, tests) can move. The functions below
keep the names and arguments the pages, the API, the demo and the tests call.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huigong.accounts.models import Cap
from huigong.core.audit import audit
from huigong.core.notices import services as kernel
from huigong.core.notices.services import EntryValues, NoticeScheme
from huigong.orgs.models import UnionNode

from .. import clock
from ..models import (
    AidApplication,
    ApplicationStatus,
    Notice,
    NoticeEntry,
    NoticeObjection,
)
from .approval import release_budget

SHARE_SALT = "huigong.assistance.notice"
PUBLIC_GRACE_DAYS = 3


def _refuse(app: AidApplication, node) -> str | None:
    if app.status != ApplicationStatus.APPROVED:
        return _("申请 #%(id)s 状态为“%(s)s”，只有已批准的申请可以公示") % {"id": app.pk, "s": app.get_status_display()}
    return None


def _entry(app: AidApplication) -> EntryValues:
    return EntryValues(name=app.file.head.name, unit_label=app.file.node.name, amount_fen=app.amount_approved_fen)


def _on_publish(*, actor, notice: Notice, subjects) -> None:
    ids = [a.pk for a in subjects]
    AidApplication.objects.filter(pk__in=ids, status=ApplicationStatus.APPROVED).update(
        status=ApplicationStatus.NOTICE, updated_at=timezone.now())
    for a in subjects:
        audit(actor=actor, verb="aid_application.notice", obj=a, node_path=a.node_path,
              old={"status": ApplicationStatus.APPROVED}, new={"status": ApplicationStatus.NOTICE, "notice": notice.pk})


def _on_uphold(*, actor, objection: NoticeObjection, subject: AidApplication, outcome: str) -> None:
    app = subject
    if app.status not in (ApplicationStatus.NOTICE, ApplicationStatus.NOTICE_ENDED) or \
            hasattr(app, "payout") and app.payout is not None:
        raise ValidationError(_("申请 #%(id)s 已进入发放，不能再撤下") % {"id": app.pk})
    old = {"status": app.status, "amount_approved_fen": app.amount_approved_fen}
    release_budget(app)
    app.status = outcome
    app.amount_approved_fen = None
    app.budget = None
    app.save(update_fields=["status", "amount_approved_fen", "budget", "updated_at"])
    audit(actor=actor, verb="aid_application.objection_upheld", obj=app, node_path=app.node_path, old=old,
          new={"status": app.status, "objection": objection.pk})


def _on_end(*, actor, notice: Notice, subject_ids) -> None:
    AidApplication.objects.filter(pk__in=subject_ids, status=ApplicationStatus.NOTICE).update(
        status=ApplicationStatus.NOTICE_ENDED, updated_at=timezone.now())


SCHEME = kernel.register_scheme(NoticeScheme(
    key="aid", notice_model=Notice, entry_model=NoticeEntry, objection_model=NoticeObjection,
    subject_model=AidApplication, subject_field="application", capability=Cap.ASSIST, audit_prefix="aid_notice",
    today=lambda: clock.today(), share_salt=SHARE_SALT, refuse=_refuse, entry_values=_entry,
    default_days=lambda apps: max(a.programme.notice_days for a in apps),
    on_publish=_on_publish, on_uphold=_on_uphold, on_end=_on_end,
    uphold_outcomes=(ApplicationStatus.REJECTED, ApplicationStatus.RETURNED),
    subject_related=("programme", "file__head", "file__node"),
    entry_related=("application__programme",), entry_order=("application__programme__kind", "unit_label", "pk"),
    pdf_template="assistance/pdf/notice.html", public_grace_days=PUBLIC_GRACE_DAYS,
    messages={"none": gettext_lazy("请至少选择一份已批准的申请"), "missing": gettext_lazy("有申请不存在"),
              "out_of_node": gettext_lazy("申请 #%(id)s 不在“%(n)s”的范围内"),
              "not_on_notice": gettext_lazy("该申请不在本次公示中")},
))


def share_token(notice: Notice) -> str:
    return kernel.share_token(SCHEME, notice)


def notice_from_token(token: str) -> Notice | None:
    return kernel.notice_from_token(SCHEME, token)


def public_rows_visible(notice: Notice) -> bool:
    return kernel.public_rows_visible(SCHEME, notice)


def notice_rows(notice: Notice) -> list:
    return kernel.notice_rows(SCHEME, notice)


def notice_pdf(notice: Notice, rows=None) -> bytes:
    return kernel.notice_pdf(SCHEME, notice, rows)


def notice_publish(*, actor, node: UnionNode, applications, title: str, contact: str = "", body: str = "",
                   days: int | None = None, starts_on: dt.date | None = None) -> Notice:
    return kernel.notice_publish(scheme=SCHEME, actor=actor, node=node, subjects=applications, title=title,
                                 contact=contact, body=body, days=days, starts_on=starts_on)


def notice_objection_record(*, actor, notice: Notice, content: str, application: AidApplication | None = None,
                            received_on: dt.date | None = None, channel: str = "") -> NoticeObjection:
    return kernel.notice_objection_record(scheme=SCHEME, actor=actor, notice=notice, content=content,
                                          subject=application, received_on=received_on, channel=channel)


def notice_objection_resolve(*, actor, objection: NoticeObjection, upheld: bool, resolution: str,
                             outcome: str = ApplicationStatus.REJECTED) -> NoticeObjection:
    """Upheld (with an application): that application leaves the notice and goes to `outcome` (REJECTED,
    or RETURNED for correction), its budget released."""
    return kernel.notice_objection_resolve(scheme=SCHEME, actor=actor, objection=objection, upheld=upheld,
                                           resolution=resolution, outcome=outcome)


def notice_end_blocker(notice: Notice, today: dt.date | None = None) -> str | None:
    return kernel.notice_end_blocker(SCHEME, notice, today)


def notice_end(*, actor, notice: Notice) -> Notice:
    return kernel.notice_end(scheme=SCHEME, actor=actor, notice=notice)


def notices_tick() -> list[int]:
    """End every published aid notice whose period is over and has no open objection."""
    return kernel.notices_tick(SCHEME)
