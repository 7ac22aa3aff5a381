"""Sending SMS: one-time codes (portal sign-up, sign-in, linking) and notifications (the outbox's SMS
channel) go through the same sender, chosen by settings.HUIGONG_SMS_SENDER (a dotted path):

- AliyunSmsSender: Aliyun SMS (dysmsapi SendSms, RPC signature v1, HMAC-SHA1), the production gateway;
- DisabledSmsSender: no gateway (an explicit opt-out, allowed in production): every send is refused;
- ConsoleSmsSender logs the text (development, demo), MemorySmsSender keeps an outbox tests read. The
  production settings refuse these two (NON_DELIVERING_SMS_SENDERS in settings/base.py): a code in a log
  is a sign-in for whoever reads the log.

Mainland gateways send only pre-approved templates, so a sender receives both the rendered `text` (what
the console and memory senders show) and the logical `template` with its `params` (what a gateway sends).
Errors are TransientSmsError (retry later: throttled, busy, network) or PermanentSmsError (retrying cannot
help: a bad number, a template not approved, wrong credentials)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import threading
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol
from urllib import error as urlerror
from urllib import parse, request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from huigong.core.crypto import mask_phone

log = logging.getLogger("huigong.sms")


class SmsError(RuntimeError):
    pass


class TransientSmsError(SmsError):
    """Try again later (throttled, gateway busy, network)."""


class PermanentSmsError(SmsError):
    """Retrying cannot help (bad number, template or credentials)."""


class SmsNotConfigured(PermanentSmsError):
    pass


class SmsSender(Protocol):
    def send(self, phone: str, text: str, *, template: str = "", params: dict | None = None) -> str:
        """Deliver to `phone` (11-digit mainland mobile) or raise SmsError; returns the gateway's id."""


class ConsoleSmsSender:
    """Development and demo only: writes the message, code included, to the log (README says where to
    find it); the phone is masked, as everywhere else in logs."""

    def send(self, phone: str, text: str, *, template: str = "", params: dict | None = None) -> str:
        log.warning("SMS to %s: %s", mask_phone(phone), text)
        return ""


class DisabledSmsSender:
    """No SMS gateway configured: every message is refused, so sign-up and sign-in by code answer
    短信发送失败 and notifications by SMS end failed, while staff pages, password sign-in and portal
    messages work. Allowed in production, unlike the console sender: it leaks nothing."""

    def send(self, phone: str, text: str, *, template: str = "", params: dict | None = None) -> str:
        raise SmsNotConfigured("no SMS gateway is configured (HUIGONG_SMS_SENDER)")


@dataclass(frozen=True)
class SentSms:
    phone: str
    text: str
    template: str = ""
    params: dict = field(default_factory=dict)


class MemorySmsSender:
    """Keeps every message in a process-wide outbox (tests and browser tests read codes from it)."""

    outbox: list[SentSms] = []
    _lock = threading.Lock()

    def send(self, phone: str, text: str, *, template: str = "", params: dict | None = None) -> str:
        with self._lock:
            MemorySmsSender.outbox.append(SentSms(phone, text, template, dict(params or {})))
            return f"memory-{len(MemorySmsSender.outbox)}"

    @classmethod
    def last_code(cls, phone: str) -> str:
        for sms in reversed(cls.outbox):
            if sms.phone == phone:
                m = re.search(r"\b(\d{6})\b", sms.text)
                if m:
                    return m.group(1)
        raise LookupError(f"no code sent to {phone}")

    @classmethod
    def clear(cls) -> None:
        with cls._lock:
            cls.outbox.clear()


# --- Aliyun SMS (dysmsapi 2017-05-25, SendSms) --------------------------------------------------------

def _pct(value: str) -> str:
    """Aliyun's POP percent-encoding: RFC 3986 unreserved characters stay, everything else (space too) is %XX."""
    return parse.quote(value, safe="-_.~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    """RPC signature v1: HMAC-SHA1 over METHOD&%2F&pct(sorted canonical query), key = secret + "&"."""
    canonical = "&".join(f"{_pct(k)}={_pct(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{_pct('/')}&{_pct(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# Codes Aliyun documents for SendSms that a later try can get past; every other non-OK code is permanent.
ALIYUN_TRANSIENT = frozenset({
    "isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "isv.OUT_OF_SERVICE", "isv.AMOUNT_NOT_ENOUGH",
    "isp.SYSTEM_ERROR", "SignatureNonceUsed", "Throttling.User",
    "ServiceUnavailable", "InternalError",
})


class AliyunSmsSender:
    """Aliyun SMS over its documented HTTP API (no SDK: the standard library's urllib speaks it, so there
    is nothing to pin). Settings: HUIGONG_ALIYUN_SMS = {"access_key_id", "access_key_secret", "sign_name",
    "templates": {logical name: TemplateCode}, "endpoint" (default https://dysmsapi.aliyuncs.com/),
    "timeout" (seconds, default 10)}. Logical templates: code, link, registered, not_registered (the
    portal's codes and notices) and notice (the outbox: ${title})."""

    def __init__(self, config: dict | None = None):
        cfg = config if config is not None else getattr(settings, "HUIGONG_ALIYUN_SMS", None)
        if not cfg or not cfg.get("access_key_id") or not cfg.get("access_key_secret") or not cfg.get("sign_name"):
            raise ImproperlyConfigured("HUIGONG_ALIYUN_SMS needs access_key_id, access_key_secret and sign_name")
        self.cfg = cfg

    def _params(self, phone: str, template_code: str, params: dict, out_id: str) -> dict[str, str]:
        p = {
            "AccessKeyId": self.cfg["access_key_id"],
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone,
            "RegionId": self.cfg.get("region", "cn-hangzhou"),
            "SignName": self.cfg["sign_name"],
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": template_code,
            "TemplateParam": json.dumps(params, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        if out_id:
            p["OutId"] = out_id
        return p

    def send(self, phone: str, text: str, *, template: str = "", params: dict | None = None,
             out_id: str = "") -> str:
        template_code = self.cfg.get("templates", {}).get(template or "notice")
        if not template_code:
            raise PermanentSmsError(f"no Aliyun template configured for {template or 'notice'!r}")
        p = self._params(phone, template_code, params or {}, out_id)
        p["Signature"] = aliyun_signature(p, self.cfg["access_key_secret"])
        body = parse.urlencode(p, quote_via=parse.quote).encode()
        req = request.Request(self.cfg.get("endpoint", "https://dysmsapi.aliyuncs.com/"), data=body, method="POST",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with request.urlopen(req, timeout=self.cfg.get("timeout", 10)) as resp:  # a configured https endpoint
                status, raw = resp.status, resp.read()
        except urlerror.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except (urlerror.URLError, TimeoutError, OSError) as exc:
            raise TransientSmsError(f"Aliyun SMS unreachable: {type(exc).__name__}") from None
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            answer = {}
        code = str(answer.get("Code", "")) or f"HTTP{status}"
        if code == "OK":
            return str(answer.get("BizId", ""))
        # The message never contains the phone (Aliyun echoes codes and reasons); keep it short for the row.
        reason = f"{code}: {str(answer.get('Message', ''))[:200]}"
        if code in ALIYUN_TRANSIENT or status >= 500:
            raise TransientSmsError(reason)
        raise PermanentSmsError(reason)


@lru_cache(maxsize=4)
def _sender_class(path: str):
    return import_string(path)


def get_sender() -> SmsSender:
    return _sender_class(getattr(settings, "HUIGONG_SMS_SENDER", "huigong.core.notify.sms.ConsoleSmsSender"))()
