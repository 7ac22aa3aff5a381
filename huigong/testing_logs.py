"""The test suite's guard against personal data in logs (docs/architecture.md, "Personal data in logs and
URLs"). conftest.py wraps every test in `capture()`: a handler on the root logger and on the loggers that
do not propagate to it (Django's request-line logger, gunicorn's) keeps the text of every record, and at
the end of the test `assert_clean()` fails the test if one of them holds

- an 18-character ID number with a valid check digit and birth date (GB 11643),
- an 11-digit mainland mobile number,
- a one-time code: a 6-digit number after 验证码 / SMS code, or one the test's SMS outbox holds.

Only whole numbers count (word boundaries), so ids, timestamps and hashes do not match by accident; a
leak is reported with the logger's name and the offending text masked, and never depends on timing."""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager

ID_NUMBER = re.compile(r"\b\d{17}[\dXx]\b")
MOBILE = re.compile(r"\b1[3-9]\d{9}\b")
SIX_DIGITS = re.compile(r"\b\d{6}\b")
CODE_IN_CONTEXT = re.compile(r"(?:验证码|动态码|SMS code|one-time code|OTP)\D{0,12}?\b(\d{6})\b", re.IGNORECASE)
# Loggers whose records do not reach the root logger's handlers.
LOGGERS = ("", "django.server", "gunicorn.access", "gunicorn.error")
_OUTBOX_TAIL = 50


def _sent_codes() -> set[str]:
    """Codes in the memory SMS sender's latest messages (the test settings' sender)."""
    try:
        from huigong.portal.sms import MemorySmsSender
    except Exception:  # noqa: BLE001 - an app left out of INSTALLED_APPS
        return set()
    return {c for sms in MemorySmsSender.outbox[-_OUTBOX_TAIL:] for c in SIX_DIGITS.findall(sms.text)}


def findings(text: str, codes: set[str] = frozenset()) -> list[str]:
    """What in `text` is personal data (masked, for the failure message)."""
    from huigong.core import idnumber

    out = [f"ID number {m[:6]}********{m[-4:]}" for m in ID_NUMBER.findall(text) if idnumber.is_valid(m)]
    out += [f"mobile {m[:3]}****{m[-4:]}" for m in MOBILE.findall(text)]
    out += [f"SMS code {m[:1]}*****" for m in CODE_IN_CONTEXT.findall(text)]
    out += [f"SMS code {m[:1]}***** (sent in this test)" for m in SIX_DIGITS.findall(text) if m in codes]
    return out


def record_text(record: logging.LogRecord) -> str:
    try:
        text = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string is not this guard's business
        text = f"{record.msg} {record.args}"
    if record.exc_info and record.exc_info[1] is not None:
        text += "\n" + logging.Formatter().formatException(record.exc_info)
    elif record.exc_text:
        text += "\n" + record.exc_text
    if getattr(record, "stack_info", None):
        text += "\n" + record.stack_info
    return text


class LeakCollector(logging.Handler):
    """Checks each record as it is emitted (the SMS outbox of that moment) and keeps what it found."""

    def __init__(self):
        super().__init__(level=logging.NOTSET)
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record_text(record)
        codes = _sent_codes() if SIX_DIGITS.search(text) else set()
        for what in findings(text, codes):
            self.leaks.append(f"{record.name} [{record.levelname}]: {what}")

    def assert_clean(self) -> None:
        if self.leaks:
            import pytest

            pytest.fail("personal data in the log (docs/architecture.md, 'Personal data in logs and URLs'):\n  "
                        + "\n  ".join(dict.fromkeys(self.leaks)), pytrace=False)


@contextmanager
def capture():
    handler = LeakCollector()
    loggers = [logging.getLogger(name) for name in LOGGERS]
    for lg in loggers:
        lg.addHandler(handler)
    try:
        yield handler
    finally:
        for lg in loggers:
            lg.removeHandler(handler)
