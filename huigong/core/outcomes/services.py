"""The outcome tracker's writes: one service per transition, each `@transaction.atomic`, checking the
kind's capability and the actor's scope, writing a timeline entry and an audit event with the change.

States (models.Status):

    open ──progress──▶ in_progress ──submit (needs evidence of effect)──▶ verifying
      │                    ▲   │                                           │
      │                    │   └──────────────submit─────────────────────▶ │
      │          reopened ◀┴─── verdict "not effective" ◀──────────────────┤ (also from closed)
      │                                                                    ▼
      └── drop (reason) ──▶ dropped                       verdict "effective" ──▶ closed (100 %)

Invariants (tests/test_state_machine.py checks them on random walks):
- an item is closed only through an "effective" verdict given by someone other than whoever submitted
  it, with at least one piece of evidence of effect added in the current cycle;
- a "not effective" verdict starts a new cycle (earlier evidence no longer proves anything) and
  reopens the item, closed or verifying;
- ended_at is set exactly when the item is closed or dropped; a closed item is at 100 %;
- every status change leaves a timeline entry (from, to) and an audit event;
- a link never changes the status, progress or due date of either item.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.core import scope
from huigong.core.audit import actor_label, audit
from huigong.core.db import for_update
from huigong.core.duties import ensure_not_party

from . import kinds
from .models import (
    DONE,
    LIVE,
    WORKING,
    EntryKind,
    Evidence,
    EvidenceKind,
    ItemLink,
    OwnerKind,
    Relation,
    Status,
    TimelineEntry,
    TrackedItem,
)

# Days before the due date on which the item's union is reminded (largest first).
REMIND_DAYS = (7, 1)
# Overdue escalation: level 1 (the item's union) on the first overdue day, then one union further up the
# tree every ESCALATE_EVERY_DAYS days overdue.
ESCALATE_EVERY_DAYS = 14


def _now(at: dt.datetime | None) -> dt.datetime:
    return at or timezone.now()


def _entry(item: TrackedItem, *, actor, kind: str, at, text: str = "", from_status: str = "",
           to_status: str = "", progress: int | None = None) -> TimelineEntry:
    return TimelineEntry.objects.create(item=item, at=at, kind=kind, text=text, from_status=from_status,
                                        to_status=to_status, progress=progress,
                                        actor=actor if getattr(actor, "pk", None) else None,
                                        actor_label=actor_label(actor))


def _lock(item: TrackedItem) -> TrackedItem:
    return for_update(TrackedItem.objects.select_related("node")).get(pk=item.pk)


def _require(actor, item: TrackedItem, *, verify: bool = False) -> kinds.Kind:
    kind = kinds.get(item.kind)
    scope.require(actor, kind.verifier_capability if verify else kind.capability)
    scope.ensure_path_in_scope(actor, item.node.path)
    return kind


def _move(item: TrackedItem, *, actor, to: str, at, text: str = "", verb: str, extra: dict | None = None):
    old = item.status
    item.status = to
    fields = ["status", "updated_at"]
    if to in DONE:
        item.ended_at = at
        fields.append("ended_at")
    elif item.ended_at is not None:
        item.ended_at = None
        fields.append("ended_at")
    for k, v in (extra or {}).items():
        setattr(item, k, v)
        fields.append(k)
    item.save(update_fields=fields)
    _entry(item, actor=actor, kind=EntryKind.STATUS if verb != "verdict" else EntryKind.VERDICT, at=at,
           text=text, from_status=old, to_status=to, progress=item.progress)
    audit(actor=actor, verb=f"outcomes.{verb}", obj=item, node_path=item.node.path,
          old={"status": old}, new={"status": to, **({k: v for k, v in (extra or {}).items()
                                                       if k not in ("submitted_by",)})})
    hook = kinds.get(item.kind).on_status
    if hook is not None:
        hook(item, old, actor)


def _bad_status(item: TrackedItem, action: str):
    return ValidationError(_("事项当前状态为“%(status)s”，不能%(action)s")
                           % {"status": kinds.get(item.kind).status_label(item.status), "action": action})


# --- create ----------------------------------------------------------------------------------------------


@transaction.atomic
def item_create(*, actor, kind: str, node, title: str, source_id: str = "", description: str = "",
                category: str = "", severity: str = "", owner_kind: str = OwnerKind.UNION, owner_enterprise=None,
                owner_name: str = "", due_date: dt.date | None = None, at: dt.datetime | None = None,
                check_scope: bool = True) -> TrackedItem:
    """A new item tracked by `node`. A domain calls it in the transaction that creates its own row and
    then points that row at the item (`Finding.item`); `source_id` names the row back (one item per
    source row). `check_scope=False` is for a domain service that has checked the actor itself."""
    k = kinds.get(kind)
    if check_scope:
        scope.require(actor, k.capability)
        scope.ensure_path_in_scope(actor, node.path)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("事项：请填写")})
    if owner_kind not in OwnerKind.values:
        raise ValidationError({"owner_kind": _("责任主体类型：无效的选项")})
    if owner_kind == OwnerKind.ENTERPRISE and owner_enterprise is None:
        raise ValidationError({"owner_enterprise": _("责任企业：请选择")})
    if owner_enterprise is not None and not owner_name:
        owner_name = owner_enterprise.name
    if owner_kind == OwnerKind.UNION and not owner_name:
        owner_name = node.name
    at = _now(at)
    item = TrackedItem.objects.create(
        kind=kind, source_id=str(source_id or ""), title=title[:200], description=description, category=category,
        severity=severity, node=node, owner_kind=owner_kind, owner_enterprise=owner_enterprise,
        owner_name=owner_name[:200], due_date=due_date, created_by=actor if getattr(actor, "pk", None) else None,
        created_at=at)
    _entry(item, actor=actor, kind=EntryKind.CREATED, at=at, to_status=Status.OPEN, progress=0, text=title)
    audit(actor=actor, verb="outcomes.create", obj=item, node_path=node.path,
          new={"kind": kind, "source_id": item.source_id, "title": item.title, "owner": item.owner_name,
               "due_date": due_date})
    return item


# --- work ------------------------------------------------------------------------------------------------


@transaction.atomic
def item_progress(*, actor, item: TrackedItem, progress: int, note: str = "", at=None) -> TrackedItem:
    """Progress in per cent; the first report moves an open item to in progress. 100 % is allowed but does
    not close: closing needs evidence of effect and a verdict."""
    _require(actor, item)
    item = _lock(item)
    if item.status not in WORKING:
        raise _bad_status(item, _("更新进度"))
    try:
        progress = int(progress)
    except (TypeError, ValueError):
        raise ValidationError({"progress": _("进度：请填写 0 到 100 之间的整数")}) from None
    if not 0 <= progress <= 100:
        raise ValidationError({"progress": _("进度：请填写 0 到 100 之间的整数")})
    at = _now(at)
    old = item.progress
    item.progress = progress
    item.save(update_fields=["progress", "updated_at"])
    _entry(item, actor=actor, kind=EntryKind.PROGRESS, at=at, text=note, progress=progress)
    audit(actor=actor, verb="outcomes.progress", obj=item, node_path=item.node.path,
          old={"progress": old}, new={"progress": progress})
    if item.status == Status.OPEN and (progress > 0 or note):
        _move(item, actor=actor, to=Status.IN_PROGRESS, at=at, verb="start")
    return item


@transaction.atomic
def item_note(*, actor, item: TrackedItem, text: str, at=None) -> TimelineEntry:
    _require(actor, item)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("内容：请填写")})
    audit(actor=actor, verb="outcomes.note", obj=item, node_path=item.node.path, new={"length": len(text)})
    return _entry(item, actor=actor, kind=EntryKind.NOTE, at=_now(at), text=text)


@transaction.atomic
def evidence_add(*, actor, item: TrackedItem, kind: str, title: str = "", upload=None, doc_number: str = "",
                 issuer: str = "", issued_on: dt.date | None = None, text: str = "", of_effect: bool = False,
                 at=None) -> Evidence:
    """A document or photo (stored encrypted, checked by content), a policy's document number, a leader's
    批示 or a written account. `of_effect`: it shows the fix worked, which closing needs."""
    _require(actor, item)
    item = _lock(item)
    if item.status not in LIVE:
        raise _bad_status(item, _("添加佐证材料"))
    if kind not in EvidenceKind.values:
        raise ValidationError({"kind": _("材料类型：无效的选项")})
    doc_number, issuer, text, title = (doc_number or "").strip(), (issuer or "").strip(), (text or "").strip(), \
        (title or "").strip()
    content_type = ""
    if kind in (EvidenceKind.DOCUMENT, EvidenceKind.PHOTO):
        if upload is None:
            raise ValidationError({"upload": _("文件：请上传")})
        from huigong.core.uploads import check_upload

        checked = check_upload(upload, field_label=str(_("文件")), allow_pdf=kind == EvidenceKind.DOCUMENT)
        content_type = checked.content_type
    elif upload is not None:
        raise ValidationError({"upload": _("文件：此类材料不附文件")})
    if kind == EvidenceKind.POLICY and not doc_number:
        raise ValidationError({"doc_number": _("文号：政策文件请填写文号")})
    if kind == EvidenceKind.INSTRUCTION and not (issuer and text):
        raise ValidationError({"issuer": _("批示：请填写批示人和批示内容")})
    if kind == EvidenceKind.NOTE and not text:
        raise ValidationError({"text": _("内容：请填写")})
    at = _now(at)
    ev = Evidence(item=item, kind=kind, title=title[:200], doc_number=doc_number[:100], issuer=issuer[:100],
                  issued_on=issued_on, text=text, of_effect=bool(of_effect), cycle=item.cycle,
                  content_type=content_type, added_by=actor if getattr(actor, "pk", None) else None, added_at=at)
    if upload is not None:
        upload.seek(0)
        ev.file.save(f"evidence.{content_type.rsplit('/', 1)[-1]}", upload, save=False)
    ev.save()
    label = title or doc_number or EvidenceKind(kind).label
    _entry(item, actor=actor, kind=EntryKind.EVIDENCE, at=at,
           text=f"{EvidenceKind(kind).label}：{label}" + (f"（{_('成效证据')}）" if of_effect else ""))
    audit(actor=actor, verb="outcomes.evidence_add", obj=item, node_path=item.node.path,
          new={"evidence": ev.pk, "kind": kind, "of_effect": ev.of_effect, "doc_number": doc_number})
    return ev


def effect_evidence(item: TrackedItem):
    return item.evidence.filter(of_effect=True, cycle=item.cycle)


@transaction.atomic
def item_submit(*, actor, item: TrackedItem, note: str = "", at=None) -> TrackedItem:
    """Done, says the owner: the item waits for a verdict on its effect. Refused without evidence of
    effect in this cycle."""
    _require(actor, item)
    item = _lock(item)
    if item.status not in WORKING:
        raise _bad_status(item, _("提交验证"))
    if not effect_evidence(item).exists():
        raise ValidationError(_("请先上传能证明整改或落实成效的佐证材料（成效证据），再提交验证"))
    _move(item, actor=actor, to=Status.VERIFYING, at=_now(at), text=note, verb="submit",
          extra={"submitted_by": actor if getattr(actor, "pk", None) else None})
    return item


@transaction.atomic
def item_verify(*, actor, item: TrackedItem, effective: bool, comment: str = "", at=None) -> TrackedItem:
    """The verdict on effect. Effective: closed at 100 % (only from verifying, with evidence of effect, by
    someone who did not submit it). Not effective (from verifying, or later from closed, e.g. at a return
    visit): reopened in a new cycle, and the item's union is told."""
    _require(actor, item, verify=True)
    item = _lock(item)
    at = _now(at)
    comment = (comment or "").strip()
    if effective:
        if item.status != Status.VERIFYING:
            raise _bad_status(item, _("确认办结"))
        if not effect_evidence(item).exists():
            raise ValidationError(_("没有成效证据，不能办结"))
        ensure_not_party(actor, [item.submitted_by_id], action=_("验证成效"), role=_("提交了验证"))
        item.progress = 100
        _move(item, actor=actor, to=Status.CLOSED, at=at, text=comment, verb="verdict",
              extra={"progress": 100})
        return item
    if item.status not in (Status.VERIFYING, Status.CLOSED):
        raise _bad_status(item, _("作出未见成效的结论"))
    if not comment:
        raise ValidationError({"comment": _("意见：认定未见成效时请说明理由")})
    _move(item, actor=actor, to=Status.REOPENED, at=at, text=comment, verb="verdict",
          extra={"cycle": item.cycle + 1, "submitted_by": None})
    _notify_union(item, event="outcome.reopened", key=f"outcome:{item.pk}:reopened:{item.cycle}",
                  title=_("跟踪事项成效未达标，已重新办理：%(title)s") % {"title": item.title[:60]},
                  body=comment, node=item.node)
    return item


@transaction.atomic
def item_drop(*, actor, item: TrackedItem, reason: str, at=None) -> TrackedItem:
    _require(actor, item)
    item = _lock(item)
    if item.status not in LIVE:
        raise _bad_status(item, _("撤销"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("撤销理由：请填写")})
    _move(item, actor=actor, to=Status.DROPPED, at=_now(at), text=reason, verb="drop")
    return item


@transaction.atomic
def item_set_due(*, actor, item: TrackedItem, due_date: dt.date | None, reason: str = "", at=None) -> TrackedItem:
    """A new due date (an extension, say): reminders and escalation start again from it."""
    _require(actor, item)
    item = _lock(item)
    if item.status not in LIVE:
        raise _bad_status(item, _("调整期限"))
    if item.due_date is not None and not (reason or "").strip():
        raise ValidationError({"reason": _("调整理由：请填写")})
    old = item.due_date
    item.due_date, item.reminded_days, item.escalation_level = due_date, None, 0
    item.save(update_fields=["due_date", "reminded_days", "escalation_level", "updated_at"])
    _entry(item, actor=actor, kind=EntryKind.DUE, at=_now(at),
           text=f"{old or '—'} → {due_date or '—'}" + (f"：{reason.strip()}" if reason else ""))
    audit(actor=actor, verb="outcomes.due", obj=item, node_path=item.node.path,
          old={"due_date": old}, new={"due_date": due_date})
    return item


@transaction.atomic
def item_set_owner(*, actor, item: TrackedItem, owner_name: str, at=None) -> TrackedItem:
    _require(actor, item)
    item = _lock(item)
    owner_name = (owner_name or "").strip()
    if not owner_name:
        raise ValidationError({"owner_name": _("责任主体：请填写")})
    old = item.owner_name
    if old == owner_name:
        return item
    item.owner_name = owner_name[:200]
    item.save(update_fields=["owner_name", "updated_at"])
    _entry(item, actor=actor, kind=EntryKind.OWNER, at=_now(at), text=f"{old} → {owner_name}")
    audit(actor=actor, verb="outcomes.owner", obj=item, node_path=item.node.path,
          old={"owner_name": old}, new={"owner_name": owner_name})
    return item


# --- links -----------------------------------------------------------------------------------------------


@transaction.atomic
def link_create(*, actor, src: TrackedItem, dst: TrackedItem, relation: str, note: str = "", at=None) -> ItemLink:
    """Links two items (a finding that led to a research topic, a recommendation that became a policy).
    The link is read, never acted on: neither item's status, progress or due date changes."""
    _require(actor, src)
    scope.ensure_path_in_scope(actor, dst.node.path)
    if relation not in Relation.values:
        raise ValidationError({"relation": _("关系：无效的选项")})
    if src.pk == dst.pk:
        raise ValidationError({"dst": _("关联事项：不能关联事项自身")})
    if ItemLink.objects.filter(src=src, dst=dst, relation=relation).exists():
        raise ValidationError({"dst": _("关联事项：这条关联已经存在")})
    at = _now(at)
    link = ItemLink.objects.create(src=src, dst=dst, relation=relation, note=(note or "")[:200],
                                   created_by=actor if getattr(actor, "pk", None) else None, created_at=at)
    text = f"{Relation(relation).label} #{dst.pk} {dst.title}"
    _entry(src, actor=actor, kind=EntryKind.LINK, at=at, text=text)
    _entry(dst, actor=actor, kind=EntryKind.LINK, at=at, text=f"#{src.pk} {src.title} {Relation(relation).label}")
    audit(actor=actor, verb="outcomes.link", obj=src, node_path=src.node.path,
          new={"dst": dst.pk, "relation": relation})
    return link


@transaction.atomic
def link_delete(*, actor, link: ItemLink) -> None:
    _require(actor, link.src)
    audit(actor=actor, verb="outcomes.unlink", obj=link.src, node_path=link.src.node.path,
          old={"dst": link.dst_id, "relation": link.relation})
    link.delete()


# --- reminders and escalation ----------------------------------------------------------------------------


def _staff_of(node, capability: str) -> list:
    """Active accounts holding `capability` at `node` (the spine's approver source, which answers who holds
    a capability at a union)."""
    from huigong.core.approvals.services import approvers_at

    ids = approvers_at([node.pk], capability).get(node.pk, set())
    return list(get_user_model().objects.filter(pk__in=ids).order_by("pk"))


def _notify_union(item: TrackedItem, *, event: str, key: str, title: str, body: str, node) -> int:
    from django.urls import NoReverseMatch, reverse

    from huigong.core.notify.services import notify

    try:
        link = reverse("outcomes:detail", args=[item.pk])
    except NoReverseMatch:  # pragma: no cover - the console URLs are always mounted
        link = ""
    sent = 0
    for user in _staff_of(node, kinds.get(item.kind).capability):
        sent += len(notify(event=event, key=f"{key}:u{user.pk}", title=title[:120], body=body, link=link,
                           node_path=node.path, user=user))
    return sent


def _ancestor(node, levels_up: int):
    step = node.steplen
    path = node.path[: max(step, len(node.path) - step * levels_up)]
    return type(node).objects.filter(path=path).first() or node


def escalation_target(days_overdue: int, depth: int) -> int:
    """The escalation level an item `days_overdue` late should be at: 1 on the first day, one more every
    ESCALATE_EVERY_DAYS days, never above the tracking union's depth in the tree."""
    if days_overdue <= 0:
        return 0
    return min(1 + days_overdue // ESCALATE_EVERY_DAYS, max(1, depth))


def remind_and_escalate(today: dt.date | None = None, *, limit: int = 5000) -> dict[str, int]:
    """The periodic job `outcomes.remind`: reminds the tracking union REMIND_DAYS before the due date and,
    once overdue, escalates one union further up every ESCALATE_EVERY_DAYS days. Idempotent: each step is
    a conditional UPDATE on the item (a second run, or a concurrent one, finds nothing to do) and the
    notifications have keys."""
    today = today or timezone.localdate()
    counts = {"reminded": 0, "escalated": 0}
    horizon = today + dt.timedelta(days=max(REMIND_DAYS))
    soon = (TrackedItem.objects.filter(status__in=WORKING, due_date__gte=today, due_date__lte=horizon)
            .select_related("node").order_by("due_date", "pk")[:limit])
    for item in soon:
        left = (item.due_date - today).days
        threshold = min(d for d in REMIND_DAYS if d >= left)
        if item.reminded_days is not None and item.reminded_days <= threshold:
            continue
        with transaction.atomic():
            moved = (TrackedItem.objects.filter(pk=item.pk, due_date=item.due_date, status__in=WORKING)
                     .exclude(reminded_days__lte=threshold).update(reminded_days=threshold))
            if not moved:
                continue
            _entry(item, actor=None, kind=EntryKind.REMINDER, at=timezone.now(),
                   text=_("距办结期限还有 %(days)d 天") % {"days": left})
            _notify_union(item, event="outcome.due_soon", key=f"outcome:{item.pk}:due:{item.due_date}:{threshold}",
                          title=_("跟踪事项即将到期：%(title)s") % {"title": item.title[:60]},
                          body=_("办结期限：%(due)s") % {"due": item.due_date}, node=item.node)
            counts["reminded"] += 1
    late = (TrackedItem.objects.filter(status__in=LIVE, due_date__lt=today).select_related("node")
            .order_by("due_date", "pk")[:limit])
    for item in late:
        days = (today - item.due_date).days
        depth = len(item.node.path) // item.node.steplen
        target = escalation_target(days, depth)
        if target <= item.escalation_level:
            continue
        with transaction.atomic():
            moved = (TrackedItem.objects.filter(pk=item.pk, due_date=item.due_date, escalation_level__lt=target,
                                                status__in=LIVE).update(escalation_level=target))
            if not moved:
                continue
            to_node = _ancestor(item.node, target - 1)
            _entry(item, actor=None, kind=EntryKind.ESCALATION, at=timezone.now(),
                   text=_("已逾期 %(days)d 天，督办至%(node)s") % {"days": days, "node": to_node.name})
            audit(actor=None, verb="outcomes.escalate", obj=item, node_path=item.node.path,
                  old={"escalation_level": item.escalation_level}, new={"escalation_level": target,
                                                                         "to_node": to_node.pk})
            _notify_union(item, event="outcome.overdue", key=f"outcome:{item.pk}:overdue:{item.due_date}:{target}",
                          title=_("跟踪事项已逾期 %(days)d 天：%(title)s") % {"days": days, "title": item.title[:60]},
                          body=_("责任主体：%(owner)s；办结期限：%(due)s") % {"owner": item.owner_name, "due": item.due_date},
                          node=to_node)
            counts["escalated"] += 1
    return counts
