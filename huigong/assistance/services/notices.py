"""公示 (public notice) of approved applications.

- Publishing takes APPROVED applications of the node's subtree (ASSIST at a node of the actor's scope)
  and freezes, per application, the masked name of the household head (张*三), the union's name and the
  amount: no ID numbers, no bank accounts ever reach a notice.
- The notice is meant to be posted: besides the console page it has a share URL carrying a signed token
  (share_token / notice_from_token) that shows only the frozen masked rows, and a PDF.
- Objections are recorded while the notice is published; resolving one as upheld pulls the application
  from payment (REJECTED or RETURNED), removes its row from the notice and releases its budget
  reservation. A notice with an unresolved objection does not end.
- A notice starts today or later (never backdated: a notice starting in the past would let notice_end
  run at once and skip the period) and ends `days` after it starts. "Today" is huigong.assistance.clock,
  which only code (the demo, tests) can move.
- notice_end moves a notice whose ends_on has come to ENDED and its applications to NOTICE_ENDED;
  notices_tick (python manage.py assistance_tick) does it for every due notice.
- The share link shows the rows until PUBLIC_GRACE_DAYS after ends_on; after that only "this notice has
  ended" (public_rows_visible).
"""

from __future__ import annotations

import datetime as dt

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.accounts.models import Cap
from huigong.core.audit import audit
from huigong.core.crypto import mask_name
from huigong.core.scope import ensure_path_in_scope, require
from huigong.orgs.models import UnionNode

from .. import clock
from ..models import (
    AidApplication,
    ApplicationStatus,
    Notice,
    NoticeEntry,
    NoticeObjection,
    NoticeStatus,
)
from .approval import release_budget

SHARE_SALT = "huigong.assistance.notice"


def share_token(notice: Notice) -> str:
    return signing.dumps({"n": notice.pk}, salt=SHARE_SALT, compress=True)


def notice_from_token(token: str) -> Notice | None:
    try:
        data = signing.loads(token, salt=SHARE_SALT)
    except signing.BadSignature:
        return None
    return Notice.objects.filter(pk=data.get("n")).first()


PUBLIC_GRACE_DAYS = 3


def _today() -> dt.date:
    return clock.today()


def public_rows_visible(notice: Notice) -> bool:
    """The share page shows the rows during the period and a short grace after it, then no more."""
    return notice.status != NoticeStatus.WITHDRAWN and \
        _today() <= notice.ends_on + dt.timedelta(days=PUBLIC_GRACE_DAYS)


@transaction.atomic
def notice_publish(*, actor, node: UnionNode, applications, title: str, contact: str = "", body: str = "",
                   days: int | None = None, starts_on: dt.date | None = None) -> Notice:
    require(actor, Cap.ASSIST)
    ensure_path_in_scope(actor, node.path)
    ids = sorted({a.pk if hasattr(a, "pk") else int(a) for a in applications})
    if not ids:
        raise ValidationError({"applications": _("请至少选择一份已批准的申请")})
    if not (title or "").strip():
        raise ValidationError({"title": _("请填写公示标题")})
    apps = list(AidApplication.objects.select_for_update(of=("self",)).filter(pk__in=ids)
                .select_related("programme", "file__head", "file__node").order_by("pk"))
    if len(apps) != len(ids):
        raise ValidationError({"applications": _("有申请不存在")})
    for a in apps:
        if not a.node_path.startswith(node.path):
            raise ValidationError({"applications": _("申请 #%(id)s 不在“%(n)s”的范围内") % {"id": a.pk, "n": node.name}})
        if a.status != ApplicationStatus.APPROVED:
            raise ValidationError({"applications": _("申请 #%(id)s 状态为“%(s)s”，只有已批准的申请可以公示")
                                   % {"id": a.pk, "s": a.get_status_display()}})
    if days is None:
        days = max(a.programme.notice_days for a in apps)
    days = int(days)
    if days < 1:
        raise ValidationError({"days": _("公示天数至少 1 天")})
    today = _today()
    starts_on = starts_on or today
    if starts_on < today:
        raise ValidationError({"starts_on": _("公示开始日期不能早于今天（%(d)s）：公示期不能倒签")
                               % {"d": today.isoformat()}})
    notice = Notice.objects.create(node=node, node_path=node.path, title=title.strip(), body=body, contact=contact,
                                   starts_on=starts_on, ends_on=starts_on + dt.timedelta(days=days),
                                   published_by=actor)
    NoticeEntry.objects.bulk_create([
        NoticeEntry(notice=notice, application=a, masked_name=mask_name(a.file.head.name),
                    unit_label=a.file.node.name, amount_fen=a.amount_approved_fen) for a in apps])
    AidApplication.objects.filter(pk__in=ids, status=ApplicationStatus.APPROVED).update(
        status=ApplicationStatus.NOTICE, updated_at=timezone.now())
    for a in apps:
        audit(actor=actor, verb="aid_application.notice", obj=a, node_path=a.node_path,
              old={"status": ApplicationStatus.APPROVED}, new={"status": ApplicationStatus.NOTICE, "notice": notice.pk})
    audit(actor=actor, verb="aid_notice.publish", obj=notice, node_path=node.path,
          new={"title": notice.title, "starts_on": starts_on, "ends_on": notice.ends_on, "applications": ids})
    return notice


def _notice_for_write(actor, notice: Notice) -> Notice:
    require(actor, Cap.ASSIST)
    ensure_path_in_scope(actor, notice.node_path)
    return Notice.objects.select_for_update().get(pk=notice.pk)


@transaction.atomic
def notice_objection_record(*, actor, notice: Notice, content: str, application: AidApplication | None = None,
                            received_on: dt.date | None = None, channel: str = "") -> NoticeObjection:
    notice = _notice_for_write(actor, notice)
    if notice.status != NoticeStatus.PUBLISHED:
        raise ValidationError(_("公示已结束，不能再登记异议"))
    if not (content or "").strip():
        raise ValidationError({"content": _("请填写异议内容")})
    if application is not None and not notice.entries.filter(application_id=application.pk).exists():
        raise ValidationError({"application": _("该申请不在本次公示中")})
    received_on = received_on or _today()
    obj = NoticeObjection.objects.create(notice=notice, application=application, received_on=received_on,
                                         channel=channel, content=content.strip(), recorded_by=actor)
    audit(actor=actor, verb="aid_notice.objection", obj=notice, node_path=notice.node_path,
          new={"objection": obj.pk, "application": application.pk if application else None, "channel": channel})
    return obj


@transaction.atomic
def notice_objection_resolve(*, actor, objection: NoticeObjection, upheld: bool, resolution: str,
                             outcome: str = ApplicationStatus.REJECTED) -> NoticeObjection:
    """Record how an objection was handled. Upheld (with an application): that application leaves the
    notice and goes to `outcome` (REJECTED, or RETURNED for correction), its budget released."""
    notice = _notice_for_write(actor, objection.notice)
    obj = NoticeObjection.objects.select_for_update().get(pk=objection.pk)
    if obj.resolved_at is not None:
        raise ValidationError(_("该异议已处理"))
    if not (resolution or "").strip():
        raise ValidationError({"resolution": _("请填写处理结果")})
    if outcome not in (ApplicationStatus.REJECTED, ApplicationStatus.RETURNED):
        raise ValidationError({"outcome": _("无效的处理方式")})
    if upheld and obj.application_id:
        app = AidApplication.objects.select_for_update(of=("self",)).get(pk=obj.application_id)
        if app.status not in (ApplicationStatus.NOTICE, ApplicationStatus.NOTICE_ENDED) or \
                hasattr(app, "payout") and app.payout is not None:
            raise ValidationError(_("申请 #%(id)s 已进入发放，不能再撤下") % {"id": app.pk})
        old = {"status": app.status, "amount_approved_fen": app.amount_approved_fen}
        release_budget(app)
        NoticeEntry.objects.filter(application=app).delete()
        app.status = outcome
        app.amount_approved_fen = None
        app.budget = None
        app.save(update_fields=["status", "amount_approved_fen", "budget", "updated_at"])
        audit(actor=actor, verb="aid_application.objection_upheld", obj=app, node_path=app.node_path, old=old,
              new={"status": app.status, "objection": obj.pk})
    obj.upheld = bool(upheld)
    obj.resolution = resolution.strip()
    obj.resolved_at = timezone.now()
    obj.save(update_fields=["upheld", "resolution", "resolved_at"])
    audit(actor=actor, verb="aid_notice.objection_resolve", obj=notice, node_path=notice.node_path,
          new={"objection": obj.pk, "upheld": obj.upheld})
    return obj


def notice_end_blocker(notice: Notice, today: dt.date | None = None) -> str | None:
    """Why the notice cannot end yet (its period still runs, objections are open), or None: the page
    disables its button with this reason, and ending refuses with it."""
    today = today or _today()
    if notice.status != NoticeStatus.PUBLISHED:
        return _("公示当前状态为“%(s)s”") % {"s": notice.get_status_display()}
    if today < notice.ends_on:
        return _("公示期到 %(d)s 才结束") % {"d": notice.ends_on.isoformat()}
    if notice.objections.filter(resolved_at__isnull=True).exists():
        return _("还有未处理的异议")
    return None


def _end(notice: Notice, actor, today: dt.date) -> Notice:
    blocker = notice_end_blocker(notice, today)
    if blocker:
        raise ValidationError(blocker)
    app_ids = list(notice.entries.values_list("application_id", flat=True))
    AidApplication.objects.filter(pk__in=app_ids, status=ApplicationStatus.NOTICE).update(
        status=ApplicationStatus.NOTICE_ENDED, updated_at=timezone.now())
    notice.status = NoticeStatus.ENDED
    notice.save(update_fields=["status"])
    audit(actor=actor, verb="aid_notice.end", obj=notice, node_path=notice.node_path,
          old={"status": NoticeStatus.PUBLISHED}, new={"status": NoticeStatus.ENDED, "applications": app_ids})
    return notice


@transaction.atomic
def notice_end(*, actor, notice: Notice) -> Notice:
    notice = _notice_for_write(actor, notice)
    return _end(notice, actor, _today())


def notices_tick() -> list[int]:
    """End every published notice whose period is over and has no open objection (the periodic job)."""
    today = _today()
    done = []
    due = Notice.objects.filter(status=NoticeStatus.PUBLISHED, ends_on__lte=today).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            notice = Notice.objects.select_for_update().get(pk=pk)
            if notice.status != NoticeStatus.PUBLISHED or notice.objections.filter(resolved_at__isnull=True).exists():
                continue
            _end(notice, None, today)
            done.append(pk)
    return done
