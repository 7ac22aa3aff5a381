"""公示 (public notice): one implementation for every domain that publishes what it approved.

A domain keeps three concrete tables (subclasses of models.NoticeBase, NoticeEntryBase with a
foreign key `notice` related "entries" and one to its item, NoticeObjectionBase with `notice` related
"objections" and a nullable one to its item) and describes them, with its hooks, in a `NoticeScheme`
it registers in its AppConfig.ready(). Every service takes the scheme. Rules:

- Publishing takes items the domain says are publishable (`scheme.refuse`) in the union's subtree
  (the scheme's capability, at a node of the actor's scope) and freezes, per item, the masked name
  (张*三), a unit label and the amount: no ID numbers, no bank accounts ever reach a notice. The domain's
  `on_publish` moves its items on (aid: APPROVED -> NOTICE) in the same transaction.
- A notice starts today or later (never backdated: a notice starting in the past would end at once and
  skip the period) and ends `days` after it starts. "Today" is `scheme.today`, which only code (the
  demo, tests) can move.
- Objections are recorded while the notice is published; resolving one as upheld calls the domain's
  `on_uphold` (aid: the application leaves payment, REJECTED or RETURNED, its budget released; it may
  refuse, e.g. an item already paid) and removes the item's row from the notice. A notice with an
  unresolved objection does not end.
- `notice_end` moves a notice whose ends_on has come to ENDED and calls `on_end` with its items;
  `notices_tick` does it for every due notice of a scheme (`notices_tick_all`: of every scheme, the
  periodic job "notices.end").
- The notice is meant to be posted: besides the console page it has a share URL carrying a signed token
  (`share_token` / `notice_from_token`, salted per scheme) that shows only the frozen masked rows, and a
  PDF (`notice_pdf`). The share link shows the rows until `public_grace_days` after ends_on; after that
  only "this notice has ended" (`public_rows_visible`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.core.audit import audit
from huigong.core.crypto import mask_name
from huigong.core.money import format_yuan
from huigong.core.scope import ensure_path_in_scope, require

from .models import NoticeStatus


@dataclass(frozen=True)
class EntryValues:
    name: str  # the full name: the service masks it
    unit_label: str
    amount_fen: int


@dataclass(frozen=True)
class NoticeScheme:
    """What one domain publishes, and what the kernel asks it."""

    key: str  # names the scheme in the registry ("aid")
    notice_model: type[models.Model]
    entry_model: type[models.Model]
    objection_model: type[models.Model]
    subject_model: type[models.Model]
    subject_field: str  # the entry's and the objection's foreign key to the item ("application")
    capability: str  # who publishes, records and resolves objections, ends a notice
    audit_prefix: str  # "aid_notice" -> aid_notice.publish, .objection, .objection_resolve, .end
    today: Callable[[], dt.date]
    share_salt: str
    # Why this item may not be published on the notice of `node`, or None.
    refuse: Callable[[Any, Any], str | None]
    entry_values: Callable[[Any], EntryValues]
    default_days: Callable[[list], int]
    on_publish: Callable[..., None]  # (actor=, notice=, subjects=)
    on_uphold: Callable[..., None]  # (actor=, objection=, subject=, outcome=); raise ValidationError to refuse
    on_end: Callable[..., None]  # (actor=, notice=, subject_ids=)
    uphold_outcomes: Sequence[str] = ()
    subject_related: Sequence[str] = ()  # select_related for the items locked at publication
    entry_related: Sequence[str] = ()  # select_related and order of a notice's rows (notice_rows)
    entry_order: Sequence[str] = ("pk",)
    pdf_template: str = "notices/pdf/notice.html"
    public_grace_days: int = 3
    # The domain's own wording (gettext_lazy) for "none" (nothing chosen), "missing" (an unknown item),
    # "out_of_node" (%(id)s, %(n)s) and "not_on_notice"; the kernel's neutral wording otherwise.
    messages: dict = field(default_factory=dict)

    def say(self, key: str, default: str) -> str:
        return str(self.messages.get(key) or default)


SCHEMES: dict[str, NoticeScheme] = {}


def register_scheme(scheme: NoticeScheme) -> NoticeScheme:
    SCHEMES[scheme.key] = scheme
    return scheme


# --- the public link -----------------------------------------------------------------------------------


def share_token(scheme: NoticeScheme, notice) -> str:
    return signing.dumps({"n": notice.pk}, salt=scheme.share_salt, compress=True)


def notice_from_token(scheme: NoticeScheme, token: str):
    try:
        data = signing.loads(token, salt=scheme.share_salt)
    except signing.BadSignature:
        return None
    return scheme.notice_model.objects.filter(pk=data.get("n")).first()


def public_rows_visible(scheme: NoticeScheme, notice) -> bool:
    """The share page shows the rows during the period and a short grace after it, then no more."""
    return notice.status != NoticeStatus.WITHDRAWN and \
        scheme.today() <= notice.ends_on + dt.timedelta(days=scheme.public_grace_days)


def notice_rows(scheme: NoticeScheme, notice) -> list:
    """The frozen rows of a notice, with `amount_yuan` for pages and the PDF."""
    rows = list(scheme.entry_model.objects.filter(notice=notice)
                .select_related(*(scheme.entry_related or [scheme.subject_field])).order_by(*scheme.entry_order))
    for r in rows:
        r.amount_yuan = format_yuan(r.amount_fen)
    return rows


def notice_pdf(scheme: NoticeScheme, notice, rows=None) -> bytes:
    """The notice as a PDF to print and post (core.pdf; PdfUnavailable when the machine cannot)."""
    from huigong.core.pdf import render_pdf

    rows = notice_rows(scheme, notice) if rows is None else rows
    for r in rows:
        r.amount_yuan = format_yuan(r.amount_fen)
    return render_pdf(scheme.pdf_template, {
        "notice": notice, "rows": rows, "total": format_yuan(sum(r.amount_fen for r in rows))})


# --- the services --------------------------------------------------------------------------------------


@transaction.atomic
def notice_publish(*, scheme: NoticeScheme, actor, node, subjects, title: str, contact: str = "", body: str = "",
                   days: int | None = None, starts_on: dt.date | None = None):
    require(actor, scheme.capability)
    ensure_path_in_scope(actor, node.path)
    ids = sorted({s.pk if hasattr(s, "pk") else int(s) for s in subjects})
    if not ids:
        raise ValidationError({scheme.subject_field + "s": scheme.say("none", _("请至少选择一项可以公示的事项"))})
    if not (title or "").strip():
        raise ValidationError({"title": _("请填写公示标题")})
    items = list(scheme.subject_model.objects.select_for_update(of=("self",)).filter(pk__in=ids)
                 .select_related(*scheme.subject_related).order_by("pk"))
    if len(items) != len(ids):
        raise ValidationError({scheme.subject_field + "s": scheme.say("missing", _("有事项不存在"))})
    for item in items:
        if not item.node_path.startswith(node.path):
            raise ValidationError({scheme.subject_field + "s": scheme.say("out_of_node", _("#%(id)s 不在“%(n)s”的范围内"))
                                   % {"id": item.pk, "n": node.name}})
        why = scheme.refuse(item, node)
        if why:
            raise ValidationError({scheme.subject_field + "s": why})
    days = scheme.default_days(items) if days is None else int(days)
    if days < 1:
        raise ValidationError({"days": _("公示天数至少 1 天")})
    today = scheme.today()
    starts_on = starts_on or today
    if starts_on < today:
        raise ValidationError({"starts_on": _("公示开始日期不能早于今天（%(d)s）：公示期不能倒签")
                               % {"d": today.isoformat()}})
    notice = scheme.notice_model.objects.create(
        node=node, node_path=node.path, title=title.strip(), body=body, contact=contact, starts_on=starts_on,
        ends_on=starts_on + dt.timedelta(days=days), published_by=actor)
    entries = []
    for item in items:
        v = scheme.entry_values(item)
        entries.append(scheme.entry_model(notice=notice, **{scheme.subject_field: item},
                                          masked_name=mask_name(v.name), unit_label=v.unit_label,
                                          amount_fen=v.amount_fen))
    scheme.entry_model.objects.bulk_create(entries)
    scheme.on_publish(actor=actor, notice=notice, subjects=items)
    audit(actor=actor, verb=f"{scheme.audit_prefix}.publish", obj=notice, node_path=node.path,
          new={"title": notice.title, "starts_on": starts_on, "ends_on": notice.ends_on,
               scheme.subject_field + "s": ids})
    return notice


def _notice_for_write(scheme: NoticeScheme, actor, notice):
    require(actor, scheme.capability)
    ensure_path_in_scope(actor, notice.node_path)
    return scheme.notice_model.objects.select_for_update().get(pk=notice.pk)


@transaction.atomic
def notice_objection_record(*, scheme: NoticeScheme, actor, notice, content: str, subject=None,
                            received_on: dt.date | None = None, channel: str = ""):
    notice = _notice_for_write(scheme, actor, notice)
    if notice.status != NoticeStatus.PUBLISHED:
        raise ValidationError(_("公示已结束，不能再登记异议"))
    if not (content or "").strip():
        raise ValidationError({"content": _("请填写异议内容")})
    fk = scheme.subject_field
    if subject is not None and not scheme.entry_model.objects.filter(notice=notice, **{f"{fk}_id": subject.pk}).exists():
        raise ValidationError({fk: scheme.say("not_on_notice", _("该事项不在本次公示中"))})
    received_on = received_on or scheme.today()
    obj = scheme.objection_model.objects.create(notice=notice, **{fk: subject}, received_on=received_on,
                                                channel=channel, content=content.strip(), recorded_by=actor)
    audit(actor=actor, verb=f"{scheme.audit_prefix}.objection", obj=notice, node_path=notice.node_path,
          new={"objection": obj.pk, fk: subject.pk if subject is not None else None, "channel": channel})
    return obj


@transaction.atomic
def notice_objection_resolve(*, scheme: NoticeScheme, actor, objection, upheld: bool, resolution: str,
                             outcome: str = ""):
    """Record how an objection was handled. Upheld (with an item): the domain's on_uphold takes the item
    off its way to payment (to `outcome`), and its row leaves the notice."""
    notice = _notice_for_write(scheme, actor, objection.notice)
    obj = scheme.objection_model.objects.select_for_update().get(pk=objection.pk)
    if obj.resolved_at is not None:
        raise ValidationError(_("该异议已处理"))
    if not (resolution or "").strip():
        raise ValidationError({"resolution": _("请填写处理结果")})
    if scheme.uphold_outcomes and outcome not in scheme.uphold_outcomes:
        raise ValidationError({"outcome": _("无效的处理方式")})
    fk = scheme.subject_field
    subject_id = getattr(obj, f"{fk}_id")
    if upheld and subject_id:
        item = scheme.subject_model.objects.select_for_update(of=("self",)).get(pk=subject_id)
        scheme.on_uphold(actor=actor, objection=obj, subject=item, outcome=outcome)
        scheme.entry_model.objects.filter(**{f"{fk}_id": subject_id}).delete()
    obj.upheld = bool(upheld)
    obj.resolution = resolution.strip()
    obj.resolved_at = timezone.now()
    obj.save(update_fields=["upheld", "resolution", "resolved_at"])
    audit(actor=actor, verb=f"{scheme.audit_prefix}.objection_resolve", obj=notice, node_path=notice.node_path,
          new={"objection": obj.pk, "upheld": obj.upheld})
    return obj


def notice_end_blocker(scheme: NoticeScheme, notice, today: dt.date | None = None) -> str | None:
    """Why the notice cannot end yet (its period still runs, objections are open), or None: the page
    disables its button with this reason, and ending refuses with it."""
    today = today or scheme.today()
    if notice.status != NoticeStatus.PUBLISHED:
        return _("公示当前状态为“%(s)s”") % {"s": notice.get_status_display()}
    if today < notice.ends_on:
        return _("公示期到 %(d)s 才结束") % {"d": notice.ends_on.isoformat()}
    if scheme.objection_model.objects.filter(notice=notice, resolved_at__isnull=True).exists():
        return _("还有未处理的异议")
    return None


def _end(scheme: NoticeScheme, notice, actor, today: dt.date):
    blocker = notice_end_blocker(scheme, notice, today)
    if blocker:
        raise ValidationError(blocker)
    ids = list(scheme.entry_model.objects.filter(notice=notice).values_list(f"{scheme.subject_field}_id", flat=True))
    scheme.on_end(actor=actor, notice=notice, subject_ids=ids)
    notice.status = NoticeStatus.ENDED
    notice.save(update_fields=["status"])
    audit(actor=actor, verb=f"{scheme.audit_prefix}.end", obj=notice, node_path=notice.node_path,
          old={"status": NoticeStatus.PUBLISHED}, new={"status": NoticeStatus.ENDED, scheme.subject_field + "s": ids})
    return notice


@transaction.atomic
def notice_end(*, scheme: NoticeScheme, actor, notice):
    notice = _notice_for_write(scheme, actor, notice)
    return _end(scheme, notice, actor, scheme.today())


def notices_tick(scheme: NoticeScheme) -> list[int]:
    """End every published notice of the scheme whose period is over and has no open objection."""
    today = scheme.today()
    done = []
    model = scheme.notice_model
    due = model.objects.filter(status=NoticeStatus.PUBLISHED, ends_on__lte=today).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            notice = model.objects.select_for_update().get(pk=pk)
            if notice.status != NoticeStatus.PUBLISHED or \
                    scheme.objection_model.objects.filter(notice=notice, resolved_at__isnull=True).exists():
                continue
            _end(scheme, notice, None, today)
            done.append(pk)
    return done


def notices_tick_all() -> dict[str, list[int]]:
    """The periodic job: `notices_tick` for every registered scheme."""
    return {key: notices_tick(scheme) for key, scheme in SCHEMES.items()}
