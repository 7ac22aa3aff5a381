"""The worker's membership card (QR code of a signed token, never the ID number) and the list of their
applications across apps."""

from __future__ import annotations

import importlib
import logging

import segno
from django.core import signing
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from huigong.accounts.templatetags.console import safe_reverse
from huigong.members.models import Membership, MembershipStatus

from .models import JoinApplication, JoinStatus

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
            .filter(account=account, status__in=[JoinStatus.SUBMITTED, JoinStatus.TRANSFER_OFFERED]).first())


def card_token(membership: Membership) -> str:
    """A signed, tamper-evident token naming the membership and its card number (no personal data)."""
    return signing.dumps({"m": membership.pk, "c": membership.card_no}, salt=CARD_SALT, compress=True)


def card_token_read(token: str, max_age: int | None = None) -> dict:
    return signing.loads(token, salt=CARD_SALT, max_age=max_age)


def card_qr_svg(membership: Membership) -> str:
    qr = segno.make("HGCARD:" + card_token(membership), error="m")
    return mark_safe(qr.svg_inline(scale=5, border=2, omitsize=True, dark="#1f2937"))


# Other apps expose small selectors named `*_for_person(person)` in <app>.selectors; each item is either a
# dict with title, status (a label), date, url and optional tone ("ok", "warn", "bad", "muted"), or a
# model instance with get_status_display(), a date-like attribute and optionally get_portal_url().
FOREIGN_SELECTOR_MODULES = ("huigong.benefits.selectors", "huigong.assistance.selectors")

_TONES = {JoinStatus.SUBMITTED: "warn", JoinStatus.TRANSFER_OFFERED: "warn", JoinStatus.ACCEPTED: "ok",
          JoinStatus.REJECTED: "bad", JoinStatus.WITHDRAWN: "muted"}


def _item_from(obj, kind: str) -> dict:
    if isinstance(obj, dict):
        return {"kind": obj.get("kind", kind), "title": obj.get("title", ""), "status": obj.get("status", ""),
                "tone": obj.get("tone", "muted"), "date": obj.get("date"), "url": obj.get("url", "")}
    status = obj.get_status_display() if hasattr(obj, "get_status_display") else ""
    date = next((getattr(obj, a) for a in ("submitted_at", "created_at", "claimed_at", "applied_at")
                 if getattr(obj, a, None)), None)
    url = obj.get_portal_url() if hasattr(obj, "get_portal_url") else ""
    return {"kind": kind, "title": str(obj), "status": status, "tone": "muted", "date": date, "url": url}


def foreign_items(person) -> list[dict]:
    items: list[dict] = []
    for module_name in FOREIGN_SELECTOR_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name in sorted(dir(module)):
            fn = getattr(module, name)
            if not (name.endswith("_for_person") and callable(fn)):
                continue
            try:
                for obj in fn(person):
                    items.append(_item_from(obj, getattr(fn, "portal_kind", "")))
            except Exception:  # one app's broken selector must not take the worker's page down
                log.exception("portal: %s.%s failed", module_name, name)
    return items


def my_applications(account) -> list[dict]:
    items = [{"kind": _("入会申请"), "title": _("入会申请 · %(union)s") % {"union": a.routed_to.name}, "status": a.get_status_display(),
              "tone": _TONES.get(a.status, "muted"), "date": a.submitted_at,
              "url": safe_reverse("portal:join_detail", a.pk)}
             for a in JoinApplication.objects.select_related("routed_to").filter(account=account)[:20]]
    if account.person_id:
        items += foreign_items(account.person)
    items.sort(key=lambda i: (i["date"] is not None, i["date"] and i["date"].isoformat()), reverse=True)
    return items
