"""The signed event ticket a worker's portal shows as a QR code and a gate verifies without a list.

    HGT1<base32 of 31 bytes>    e.g. HGT1AEAADYSAAAAAGFISGRLHQAOI5N3ADSHMUIAW7CSHA4S75LHNAY

Text, not a URL: a keyboard-wedge scanner types it into the gate page as it is, and every character is in
QR's alphanumeric set (upper-case base32, no padding), which packs 5.5 bits a character: 54 characters
make a version-3 code at level M that a phone camera reads from another phone's screen. Payload (big
endian): version (1 byte), registration id (4), session id (4), the seat's ticket nonce (4: the first
bytes of `Registration.ticket`, so issuing a new ticket UUID voids every earlier code of the seat),
valid from and valid until (4 each, minutes since the Unix epoch, UTC), party size (1: the people this
code admits; a seat is one), then the first 9 bytes (72 bits) of HMAC-SHA256 over those 22 bytes.

The MAC key is per session: HMAC-SHA256 keyed from the project's SECRET_KEY (and each of
SECRET_KEY_FALLBACKS, so tickets survive a key rotation) with a purpose salt, over "session:<id>". The gate
page of an event gets the keys of that event's sessions only, so a gate verifies tickets offline with
WebCrypto and a leaked gate key forges tickets for one session, which the server still refuses (an
unknown registration, a cancelled one) or flags (offline admissions, see checkin_services).

No personal data is in a ticket: the ids mean nothing without the database.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import struct
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import salted_hmac

PREFIX = "HGT1"
VERSION = 1
MAC_BYTES = 9
_BODY = struct.Struct(">BIIIIIB")  # version, registration, session, nonce, from, until, party
PAYLOAD_BYTES = _BODY.size + MAC_BYTES  # 31
TEXT_LENGTH = len(PREFIX) + 50  # base32 of 31 bytes without padding
KEY_SALT = "huigong.activities.ticket"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class TicketError(ValueError):
    """A code that is not a genuine ticket. `reason` is one of REASONS' keys (Scan.reason)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Ticket:
    registration_id: int
    session_id: int
    valid_from: dt.datetime
    valid_until: dt.datetime
    nonce: int = 0
    party: int = 1

    @property
    def key(self) -> str:
        """What the gate's offline memory and the UNIQUE admission key are about: one registration at one
        session."""
        return f"{self.registration_id}:{self.session_id}"


def _minutes(when: dt.datetime) -> int:
    return int((when - _EPOCH).total_seconds() // 60)


def _from_minutes(m: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(minutes=m)


def _secrets() -> list[str]:
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def session_key(session_id: int, secret: str | None = None) -> bytes:
    """The 32-byte MAC key of one session's tickets (the current SECRET_KEY unless `secret` is given)."""
    return salted_hmac(KEY_SALT, f"session:{int(session_id)}", secret=secret or settings.SECRET_KEY,
                       algorithm="sha256").digest()


def session_keys(session_id: int) -> list[bytes]:
    """Every key a genuine ticket of the session may carry: the current one first, then the fallbacks'."""
    return [session_key(session_id, s) for s in _secrets()]


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()[:MAC_BYTES]


def nonce_of(ticket_uuid) -> int:
    """The 32-bit nonce a seat's ticket UUID gives its codes."""
    return int.from_bytes(ticket_uuid.bytes[:4], "big")


def issue(*, registration_id: int, session_id: int, nonce: int, valid_from: dt.datetime, valid_until: dt.datetime,
          party: int = 1) -> str:
    if valid_until <= valid_from:
        raise ValueError("a ticket's validity must end after it starts")
    body = _BODY.pack(VERSION, int(registration_id), int(session_id), int(nonce) & 0xFFFFFFFF, _minutes(valid_from),
                      _minutes(valid_until), max(1, min(int(party), 255)))
    raw = body + _mac(session_key(session_id), body)
    return PREFIX + base64.b32encode(raw).decode().rstrip("=")


def normalise(code: str) -> str:
    """What a scanner or a person may have typed: spaces, dashes, lower case, a stray newline."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def read(code: str) -> Ticket:
    """The ticket a code carries, its MAC checked against the session's keys; TicketError("malformed") or
    TicketError("bad_signature") otherwise. Validity in time is the caller's (it knows the scan's time)."""
    text = normalise(code)
    if not text.startswith(PREFIX) or len(text) != TEXT_LENGTH:
        raise TicketError("malformed")
    b32 = text[len(PREFIX):]
    try:
        raw = base64.b32decode(b32 + "=" * (-len(b32) % 8))
    except (ValueError, base64.binascii.Error):
        raise TicketError("malformed") from None
    if len(raw) != PAYLOAD_BYTES:
        raise TicketError("malformed")
    body, mac = raw[:_BODY.size], raw[_BODY.size:]
    version, registration, session, nonce, start, end, party = _BODY.unpack(body)
    if version != VERSION:
        raise TicketError("malformed")
    if not any(hmac.compare_digest(_mac(k, body), mac) for k in session_keys(session)):
        raise TicketError("bad_signature")
    return Ticket(registration, session, _from_minutes(start), _from_minutes(end), nonce, party)


def check_time(ticket: Ticket, when: dt.datetime) -> None:
    """TicketError("not_yet_valid") / ("expired") when `when` is outside the ticket's window."""
    if when < ticket.valid_from:
        raise TicketError("not_yet_valid")
    if when >= ticket.valid_until:
        raise TicketError("expired")


def peek(code: str) -> tuple[int, int] | None:
    """(registration id, session id) of a well-formed code whatever its MAC, for the failed-scan log (which
    names what a forged or stale code claimed to be); None for anything else."""
    text = normalise(code)
    if not text.startswith(PREFIX) or len(text) != TEXT_LENGTH:
        return None
    try:
        raw = base64.b32decode(text[len(PREFIX):] + "=" * (-(len(text) - len(PREFIX)) % 8))
    except (ValueError, base64.binascii.Error):
        return None
    _v, registration, session, *_rest = _BODY.unpack(raw[:_BODY.size])
    return registration, session
