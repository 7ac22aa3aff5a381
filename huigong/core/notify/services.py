"""The notifications outbox.

`notify()` is called by a domain inside the transaction of its decision. It writes one row per channel the
person receives the event by (idempotent: UNIQUE recipient + channel + event key, so a retried decision or
a second call with the same key writes nothing new). In-transaction channels (the portal inbox) are
delivered there and then; the rest stay pending and are sent after commit (a task enqueued on commit,
and the periodic job `notify.deliver` for retries). A rolled-back decision leaves no row and sends nothing.

Delivery claims due rows with SELECT … FOR UPDATE SKIP LOCKED, counts the attempt and pushes
next_attempt_at out by a lease before sending outside the transaction, so two workers never send the same
row at once and a worker that dies mid-send leaves a row that becomes due again (at-least-once). A
transient error retries after base·2^(attempt-1) seconds (capped); a permanent error, or the last allowed
attempt, ends the row failed with its reason. Phones are stored encrypted and logged never: logs name
the row's id only."""

from __future__ import annotations

import datetime as dt
import logging
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from huigong.core.audit import audit
from huigong.core.crypto import mask_phone

from . import channels
from .models import Channel, Notification, Preference, Status

log = logging.getLogger("huigong.notify")

LEASE = dt.timedelta(minutes=5)


def retry_policy() -> tuple[int, int, int]:
    """(base seconds, cap seconds, max attempts) from settings.HUIGONG_NOTIFY_RETRY."""
    cfg = getattr(settings, "HUIGONG_NOTIFY_RETRY", {}) or {}
    return int(cfg.get("base", 60)), int(cfg.get("cap", 6 * 3600)), int(cfg.get("max_attempts", 6))


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed try: base, 2·base, 4·base… up to the cap."""
    base, cap, _ = retry_policy()
    return dt.timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def recipient_key(*, person=None, user=None) -> str:
    if person is not None:
        return f"p:{person.pk}"
    if user is not None:
        return f"u:{user.pk}"
    raise ValueError("notify needs a person or a user")


def wanted_channels(recipient: str, event: str) -> set[str]:
    """The channels `recipient` receives `event` by: its defaults, changed by the person's preferences
    for the switchable channels; the portal inbox always."""
    ev = channels.EVENTS.get(event)
    if ev is None:
        raise ValueError(f"unknown notification event {event!r}: declare it in <app>/notifications.py")
    chosen = set(ev.defaults)
    for channel, enabled in Preference.objects.filter(recipient=recipient, event=event).values_list(
            "channel", "enabled"):
        if channel in ev.optional:
            (chosen.add if enabled else chosen.discard)(channel)
    chosen.add(Channel.PORTAL)
    return chosen


def notify(*, event: str, key: str, title: str, body: str = "", link: str = "", node_path: str = "",
           person=None, user=None) -> list[Notification]:
    """Tells a worker (`person`, and/or the `user` of their portal account) or a staff `user` about an
    event. Call it inside the decision's transaction; `key` names the decision ("join:12:accepted") so
    that calling again sends nothing twice. Returns the rows written now (none for a repeat)."""
    recipient = recipient_key(person=person, user=user)
    contact = channels.resolve_contact(person=person, user=user)
    rows: list[Notification] = []
    pending = False
    with transaction.atomic():
        for code in sorted(wanted_channels(recipient, event)):
            handler = channels.CHANNELS.get(code)
            if handler is None or not handler.enabled():
                continue
            address = handler.address(contact)
            stored = address if address and not handler.in_transaction else None
            row = Notification(recipient=recipient, person=person, user=user, node_path=node_path, event=event,
                               event_key=key[:120], channel=code, title=title[:120], body=body, link=link[:255],
                               address=stored, address_mask=handler.mask(stored) if stored else "")
            if not address:
                row.status, row.last_error = Status.SKIPPED, "no address for this channel"
            elif not handler.in_transaction:
                row.next_attempt_at = timezone.now()
            try:
                with transaction.atomic():  # a savepoint: a repeat leaves the decision's transaction usable
                    row.save()
            except IntegrityError:
                if not Notification.objects.filter(recipient=recipient, channel=code, event_key=row.event_key).exists():
                    raise
                continue  # already notified of this decision by this channel
            if handler.in_transaction and row.status == Status.PENDING:
                handler.deliver(row)  # a failure rolls back the decision: the inbox is the record
                Notification.objects.filter(pk=row.pk).update(status=Status.SENT, attempts=1, sent_at=timezone.now())
                row.status = Status.SENT
            pending = pending or row.status == Status.PENDING
            rows.append(row)
    if pending:
        from huigong.core.tasks import enqueue

        from .tasks import deliver

        enqueue(deliver)
    return rows


def _claim(limit: int) -> list[Notification]:
    now = timezone.now()
    with transaction.atomic():
        rows = list(Notification.objects.select_for_update(skip_locked=True)
                    .filter(status=Status.PENDING, next_attempt_at__lte=now)
                    .order_by("next_attempt_at", "pk")[:limit])
        for row in rows:
            row.attempts += 1
            row.next_attempt_at = now + LEASE
        Notification.objects.bulk_update(rows, ["attempts", "next_attempt_at"])
    return rows


_PHONE_LIKE = re.compile(r"(?<!\d)(?:\+?86)?1[3-9]\d{9}(?!\d)")


def _scrub(text: str, row: Notification) -> str:
    """A provider's or sender's error text, fit for the row and the log: no phone or openid in it."""
    if row.address:
        text = text.replace(row.address, row.address_mask or "***")
    return _PHONE_LIKE.sub(lambda m: mask_phone(m.group(0)[-11:]), text)[:255]


def deliver_one(row: Notification) -> str:
    """Sends one claimed row and records the outcome; returns the new status."""
    _, _, max_attempts = retry_policy()
    handler = channels.CHANNELS.get(row.channel)
    now = timezone.now()
    fields: dict = {}
    try:
        if handler is None:
            raise channels.PermanentError(f"channel {row.channel!r} is not installed")
        provider_id = handler.deliver(row)
        fields = {"status": Status.SENT, "sent_at": now, "provider_id": (provider_id or "")[:64], "last_error": "",
                  "next_attempt_at": None}
    except channels.PermanentError as exc:
        fields = {"status": Status.FAILED, "last_error": _scrub(str(exc), row), "next_attempt_at": None}
    except Exception as exc:  # transient, or anything unexpected: retried, bounded by max_attempts
        reason = _scrub(str(exc), row) if isinstance(exc, channels.TransientError) else f"{type(exc).__name__}"
        if row.attempts >= max_attempts:
            fields = {"status": Status.FAILED, "last_error": reason, "next_attempt_at": None}
        else:
            fields = {"last_error": reason, "next_attempt_at": now + backoff(row.attempts)}
    status = fields.get("status", Status.PENDING)
    if status != Status.PENDING:
        fields["address"] = None  # done with the phone: only the mask stays (data minimisation)
    # Only the claim that counted this attempt may record it (a stale worker after its lease does not).
    Notification.objects.filter(pk=row.pk, status=Status.PENDING, attempts=row.attempts).update(**fields)
    if status != Status.SENT:
        log.warning("notification %s via %s: attempt %s %s (%s)", row.pk, row.channel, row.attempts,
                    "failed for good" if status == Status.FAILED else "will be retried", fields["last_error"])
    return status


def deliver_due(limit: int = 500) -> dict[str, int]:
    """The periodic job and the after-commit task: sends every due row, in claimed batches of 50."""
    out = {Status.SENT: 0, Status.FAILED: 0, Status.PENDING: 0}
    done = 0
    while done < limit:
        rows = _claim(min(50, limit - done))
        if not rows:
            break
        for row in rows:
            out[deliver_one(row)] += 1
        done += len(rows)
    return {str(k): v for k, v in out.items()}


# --- preferences --------------------------------------------------------------------------------------

def preferences_for(recipient: str) -> list[dict]:
    """Every declared event with the channels it reaches `recipient` by, for the preferences page."""
    saved = {(e, c): on for e, c, on in Preference.objects.filter(recipient=recipient)
             .values_list("event", "channel", "enabled")}
    out = []
    for ev in sorted(channels.EVENTS.values(), key=lambda e: e.code):
        switches = []
        for code in (Channel.SMS, Channel.WECHAT):
            handler = channels.CHANNELS.get(code)
            if code not in ev.optional or handler is None or not handler.enabled():
                continue
            switches.append({"channel": code, "label": Channel(code).label,
                             "enabled": saved.get((ev.code, code), code in ev.defaults)})
        out.append({"event": ev.code, "label": ev.label, "switches": switches})
    return out


@transaction.atomic
def preferences_set(*, actor, recipient: str, choices: dict[tuple[str, str], bool], node_path: str = "") -> int:
    """Saves a person's switches {(event, channel): on}. Unknown events or channels are refused whole."""
    for event, channel in choices:
        ev = channels.EVENTS.get(event)
        if ev is None or channel not in ev.optional:
            raise ValueError(f"unknown event or channel: {event}/{channel}")
    changed = {}
    for (event, channel), enabled in choices.items():
        pref, created = Preference.objects.get_or_create(recipient=recipient, event=event, channel=channel,
                                                         defaults={"enabled": bool(enabled)})
        if not created and pref.enabled != bool(enabled):
            pref.enabled = bool(enabled)
            pref.save(update_fields=["enabled", "updated_at"])
        elif not created:
            continue
        changed[f"{event}/{channel}"] = bool(enabled)
    if changed:
        audit(actor=actor, verb="notify.preferences", object_type="notify.preference", object_id=recipient,
              object_repr=recipient, node_path=node_path, new=changed)
    return len(changed)
