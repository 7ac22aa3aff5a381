"""Sending one-time codes by SMS. The sender is chosen by settings.HUIGONG_SMS_SENDER (a dotted path):
ConsoleSmsSender logs the code (development, demo), MemorySmsSender keeps an outbox tests read,
DisabledSmsSender sends nothing (a deployment without an SMS gateway yet); a real gateway implements the
same one-method protocol. The production settings refuse the first two (NON_DELIVERING_SMS_SENDERS in
settings/base.py): a code in a log is a sign-in for whoever reads the log."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from huigong.core.crypto import mask_phone

log = logging.getLogger("huigong.sms")


class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> None:
        """Deliver `text` to `phone` (11-digit mainland mobile) or raise."""


class ConsoleSmsSender:
    """Development and demo only: writes the message, code included, to the log (README says where to
    find it); the phone is masked, as everywhere else in logs."""

    def send(self, phone: str, text: str) -> None:
        log.warning("SMS to %s: %s", mask_phone(phone), text)


class SmsNotConfigured(RuntimeError):
    pass


class DisabledSmsSender:
    """No SMS gateway configured: every message is refused, so sign-up and sign-in by code answer
    短信发送失败 while staff pages and password sign-in work. Allowed in production, unlike the console
    sender."""

    def send(self, phone: str, text: str) -> None:
        raise SmsNotConfigured("no SMS gateway is configured (HUIGONG_SMS_SENDER)")


@dataclass(frozen=True)
class SentSms:
    phone: str
    text: str


class MemorySmsSender:
    """Keeps every message in a process-wide outbox (tests and browser tests read codes from it)."""

    outbox: list[SentSms] = []
    _lock = threading.Lock()

    def send(self, phone: str, text: str) -> None:
        with self._lock:
            MemorySmsSender.outbox.append(SentSms(phone, text))

    @classmethod
    def last_code(cls, phone: str) -> str:
        import re

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


@lru_cache(maxsize=4)
def _sender_class(path: str):
    return import_string(path)


def get_sender() -> SmsSender:
    return _sender_class(getattr(settings, "HUIGONG_SMS_SENDER", "huigong.portal.sms.ConsoleSmsSender"))()
