"""The worker's membership card (QR code of a signed token, never the ID number) and the list of their
applications across apps."""

from __future__ import annotations

import logging

import segno
from django.core import signing
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from huigong.accounts.templatetags.console import safe_reverse
from huigong.core import contrib
from huigong.members.models import Membership, MembershipStatus

from .models import OPEN_JOIN_STATUSES, JoinApplication, JoinStatus

log = logging.getLogger(__name__)
CARD_SALT = "huigong.portal.card"


def active_membership(account) -> Membership | None:
    if account is None or not account.person_id:
        return None
    cache = getattr(account, "_active_membership", "unset")
    if cache == "unset":
        cache = (Membership.objects.select_related("union", "person")
                 .filter(person_id=account.person_id, status=MembershipStatus.ACTIVE).first())
        account._active_membership = cache
    return cache


def pending_join(account) -> JoinApplication | None:
    return (JoinApplication.objects.select_related("routed_to")
            .filter(account=account, status__in=OPEN_JOIN_STATUSES).first())


# A screenshot of someone's card stops working soon: the card page redraws the code before this runs out.
CARD_TOKEN_MAX_AGE = 10 * 60
CARD_PAGE_REFRESH = 5 * 60


def card_token(membership: Membership) -> str:
    """A short signed, timestamped token naming the membership (no personal data): "<id>:<time>:<HMAC>",
    so the QR code stays coarse enough to scan from a phone screen."""
    return signing.TimestampSigner(salt=CARD_SALT).sign(str(membership.pk))


def card_token_read(token: str) -> int:
    """The membership id of a genuine token younger than CARD_TOKEN_MAX_AGE; BadSignature (SignatureExpired)
    otherwise."""
    return int(signing.TimestampSigner(salt=CARD_SALT).unsign(token or "", max_age=CARD_TOKEN_MAX_AGE))


def card_check_url(membership: Membership, request=None) -> str:
    """The URL the card's QR code holds: a staff member's phone camera opens the console's check page."""
    from django.urls import reverse
    from django.utils.http import urlencode

    path = f"{reverse('portal:staff_card_check')}?{urlencode({'t': card_token(membership)})}"
    return request.build_absolute_uri(path) if request is not None else path


def card_qr_svg(membership: Membership, request=None) -> str:
    qr = segno.make(card_check_url(membership, request), error="m")
    return mark_safe(qr.svg_inline(scale=5, border=2, omitsize=True, dark="#1f2937"))



_TONES = {JoinStatus.SUBMITTED: "warn", JoinStatus.TRANSFER_OFFERED: "warn", JoinStatus.TRANSFER_REQUESTED: "warn",
          JoinStatus.ACCEPTED: "ok", JoinStatus.REJECTED: "bad", JoinStatus.WITHDRAWN: "muted"}
_OK = {"granted", "approved", "paid", "accepted", "done", "used", "checked_in", "completed", "disbursed"}
_BAD = {"rejected", "failed", "refused"}
_MUTED = {"cancelled", "withdrawn", "expired", "closed", "draft"}


def _tone(status: str) -> str:
    return "ok" if status in _OK else "bad" if status in _BAD else "muted" if status in _MUTED else "warn"


def _item_from(obj, kind: str, url: str) -> dict:
    status = getattr(obj, "status", "")
    programme = getattr(obj, "programme", None)
    title = getattr(programme, "title", None) or getattr(programme, "name", None) or str(obj)
    date = next((getattr(obj, a) for a in ("submitted_at", "created_at") if getattr(obj, a, None)), None)
    if hasattr(obj, "get_portal_url"):
        url = obj.get_portal_url()
    label = obj.get_status_display() if hasattr(obj, "get_status_display") else status
    return {"kind": kind, "title": title, "status": label, "tone": _tone(status), "date": date, "url": url}


def foreign_items(person) -> list[dict]:
    """Other apps' records of the worker, shown on 我的 under 我的申请: each app declares its selectors
    (contributions.record_sections, core/contrib.py)."""
    items: list[dict] = []
    for section in contrib.collect("record_sections"):
        try:
            fn = contrib.resolve(section.selector)
        except ImportError:
            continue
        url = safe_reverse(section.url_name)
        try:
            items += [_item_from(obj, str(section.label), url) for obj in list(fn(person))[:20]]
        except Exception:  # one app's failing selector must not take the worker's page down
            log.exception("portal: %s failed", section.selector)
    return items


def my_applications(account) -> list[dict]:
    items = [{"kind": _("入会申请"), "title": a.routed_to.name, "status": a.get_status_display(),
              "tone": _TONES.get(a.status, "muted"), "date": a.submitted_at,
              "url": safe_reverse("portal:join_detail", a.pk)}
             for a in JoinApplication.objects.select_related("routed_to").filter(account=account)[:20]]
    if account.person_id:
        items += foreign_items(account.person)
    items.sort(key=lambda i: (i["date"] is not None, i["date"] and i["date"].isoformat()), reverse=True)
    return items
