"""Channels, events and contacts: the three registries the outbox reads.

- A channel delivers one Notification (portal message, SMS, WeChat template message). `in_transaction`
  channels write to this database and are delivered inside the decision's own transaction (nothing to
  retry); the others are delivered after commit by services.deliver_due, with retries.
- An event ("join.decided") has a label for the preferences page and default channels; apps declare theirs
  in <app>/notifications.py (collected by NotifyConfig.ready).
- A contact resolver tells the outbox a recipient's phone and WeChat openid; the portal registers one (it
  knows workers' accounts and members' phones), the kernel imports no app to find them."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib import error as urlerror
from urllib import parse, request

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from huigong.core.crypto import mask_phone

from . import sms
from .models import Channel

log = logging.getLogger("huigong.notify")


class DeliveryError(Exception):
    pass


class TransientError(DeliveryError):
    """Try again later, with back-off."""


class PermanentError(DeliveryError):
    """Retrying cannot help: the row ends failed at once."""


@dataclass(frozen=True)
class Contact:
    phone: str = ""
    wechat_openid: str = ""
    inbox: bool = False  # has a portal inbox (a member record or a worker's account)


class ChannelHandler(Protocol):
    code: str
    in_transaction: bool

    def enabled(self) -> bool: ...

    def address(self, contact: Contact) -> str: ...

    def mask(self, address: str) -> str: ...

    def deliver(self, notification) -> str: ...


@dataclass(frozen=True)
class Event:
    code: str
    label: str
    defaults: frozenset[str]
    optional: frozenset[str]  # channels the person may switch (the portal inbox is the record: always on)


CHANNELS: dict[str, ChannelHandler] = {}
EVENTS: dict[str, Event] = {}
_RESOLVERS: list[Callable[..., Contact | None]] = []


def register_channel(handler: ChannelHandler) -> None:
    CHANNELS[handler.code] = handler


def register_event(code: str, label: str, *, defaults=(Channel.PORTAL, Channel.SMS)) -> None:
    EVENTS[code] = Event(code, label, frozenset(defaults),
                         frozenset({Channel.SMS, Channel.WECHAT}))


def register_contact_resolver(func: Callable[..., Contact | None]) -> None:
    """`func(person=…, user=…)` returns the Contact it knows, or None to let the next resolver answer."""
    if func not in _RESOLVERS:
        _RESOLVERS.append(func)


def resolve_contact(*, person=None, user=None) -> Contact:
    for func in _RESOLVERS:
        contact = func(person=person, user=user)
        if contact is not None:
            return contact
    return Contact()


# --- SMS ----------------------------------------------------------------------------------------------

class SmsChannel:
    """Through the same sender as the portal's one-time codes (sms.get_sender), template "notice"."""

    code = Channel.SMS
    in_transaction = False

    def enabled(self) -> bool:
        return True  # DisabledSmsSender still records the notification as failed: staff see why

    def address(self, contact: Contact) -> str:
        return contact.phone or ""

    def mask(self, address: str) -> str:
        return mask_phone(address)

    def deliver(self, notification) -> str:
        text = f"【惠工e家】{notification.title}。详情请登录惠工e家查看。"
        try:
            return sms.get_sender().send(notification.address, text, template="notice",
                                         params={"title": notification.title[:35]}) or ""
        except sms.TransientSmsError as exc:
            raise TransientError(str(exc)) from None
        except sms.PermanentSmsError as exc:
            raise PermanentError(str(exc)) from None


# --- WeChat official account template messages ---------------------------------------------------------

# errcodes of cgi-bin/message/template/send that a later try can get past: system busy, rate limits, and
# access tokens that expired or were replaced (a fresh token is fetched on the next try).
WECHAT_TRANSIENT = frozenset({-1, 40001, 40014, 42001, 45009, 45047})


class WeChatChannel:
    """WeChat official-account template messages (公众号模板消息), per WeChat's documented HTTP API:
    GET cgi-bin/token (client_credential) for an access token, cached until shortly before it expires, then
    POST cgi-bin/message/template/send {touser, template_id, url, data}. Off unless settings.HUIGONG_WECHAT =
    {"appid", "secret", "template_id", "api" (default https://api.weixin.qq.com), "data" ({template key:
    "title" | "body" | "time"}), "link_base" (to make `url` absolute)} is set AND a contact resolver knows
    the worker's openid (no deployment binds openids yet)."""

    code = Channel.WECHAT
    in_transaction = False

    @staticmethod
    def cfg() -> dict | None:
        cfg = getattr(settings, "HUIGONG_WECHAT", None)
        return cfg if cfg and cfg.get("appid") and cfg.get("secret") and cfg.get("template_id") else None

    def enabled(self) -> bool:
        return self.cfg() is not None

    def address(self, contact: Contact) -> str:
        return contact.wechat_openid or ""

    def mask(self, address: str) -> str:
        return address[:4] + "…" if address else ""

    def _call(self, method: str, url: str, payload: dict | None = None) -> dict:
        data = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else None
        req = request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with request.urlopen(req, timeout=10) as resp:  # a configured https endpoint
                return json.loads(resp.read() or b"{}")
        except urlerror.HTTPError as exc:
            raise TransientError(f"WeChat HTTP {exc.code}") from None
        except (urlerror.URLError, TimeoutError, OSError, ValueError) as exc:
            raise TransientError(f"WeChat unreachable: {type(exc).__name__}") from None

    def _token(self, cfg: dict, *, fresh: bool = False) -> str:
        key = f"notify:wechat-token:{cfg['appid']}"
        token = None if fresh else cache.get(key)
        if token:
            return token
        api = cfg.get("api", "https://api.weixin.qq.com").rstrip("/")
        answer = self._call("GET", f"{api}/cgi-bin/token?" + parse.urlencode(
            {"grant_type": "client_credential", "appid": cfg["appid"], "secret": cfg["secret"]}))
        token = answer.get("access_token")
        if not token:
            code = answer.get("errcode")
            err = f"WeChat token {code}: {str(answer.get('errmsg', ''))[:120]}"
            raise (TransientError if code in WECHAT_TRANSIENT else PermanentError)(err)
        cache.set(key, token, max(60, int(answer.get("expires_in", 7200)) - 300))
        return token

    def deliver(self, notification) -> str:
        cfg = self.cfg()
        if cfg is None:
            raise PermanentError("WeChat is not configured (HUIGONG_WECHAT)")
        values = {"title": notification.title[:20], "body": (notification.body or notification.title)[:20],
                  "time": timezone.localtime(notification.created_at or timezone.now()).strftime("%Y-%m-%d %H:%M")}
        fields = cfg.get("data") or {"thing1": "title", "thing2": "body", "time3": "time"}
        payload = {"touser": notification.address, "template_id": cfg["template_id"],
                   "data": {k: {"value": values[v]} for k, v in fields.items()}}
        if notification.link and cfg.get("link_base"):
            payload["url"] = cfg["link_base"].rstrip("/") + notification.link
        api = cfg.get("api", "https://api.weixin.qq.com").rstrip("/")
        answer: dict = {}
        for fresh in (False, True):  # an expired token is fetched again once, then it is a retry's job
            token = self._token(cfg, fresh=fresh)
            answer = self._call("POST", f"{api}/cgi-bin/message/template/send?access_token={parse.quote(token)}",
                                payload)
            if answer.get("errcode") not in (40001, 42001):
                break
        code = answer.get("errcode", 0)
        if code == 0:
            return str(answer.get("msgid", ""))
        err = f"WeChat {code}: {str(answer.get('errmsg', ''))[:120]}"
        raise (TransientError if code in WECHAT_TRANSIENT else PermanentError)(err)


def register_builtin() -> None:
    register_channel(SmsChannel())
    register_channel(WeChatChannel())
