"""Resident identity card numbers (GB 11643-1999): 6-digit region, 8-digit birth date,
3-digit sequence (odd = male), ISO 7064 MOD 11-2 check character."""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


class IdNumberError(ValueError):
    """Carries a translated reason; `code` lets callers map it."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class IdInfo:
    number: str
    region_code: str
    birth_date: dt.date
    gender: str  # "M" / "F"


def check_char(first17: str) -> str:
    total = 0
    for w, c in zip(WEIGHTS, first17):
        total += w * (ord(c) - 48)
    return CHECK_CHARS[total % 11]


def normalize(raw: str) -> str:
    """NFKC first: real Excel files carry full-width digits (１２３), the full-width Ｘ and ideographic
    spaces, which NFKC folds to ASCII digits, X and a plain space."""
    return unicodedata.normalize("NFKC", str(raw)).strip().replace(" ", "").upper()


def parse(raw: str) -> IdInfo:
    number = normalize(raw)
    if len(number) != 18:
        raise IdNumberError("length", _("身份证号应为18位"))
    body = number[:17]
    if not body.isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdNumberError("chars", _("身份证号含非法字符"))
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError("birth", _("身份证号中的出生日期无效")) from None
    if birth.year < 1900 or birth > dt.date.today():
        raise IdNumberError("birth", _("身份证号中的出生日期无效"))
    if check_char(body) != number[17]:
        raise IdNumberError("check", _("身份证号校验位错误"))
    gender = "M" if (ord(number[16]) - 48) % 2 == 1 else "F"
    return IdInfo(number=number, region_code=number[:6], birth_date=birth, gender=gender)


def is_valid(raw: str) -> bool:
    try:
        parse(raw)
    except IdNumberError:
        return False
    return True


def make(region_code: str, birth: dt.date, seq: int, gender: str | None = None) -> str:
    """Build a valid number (synthetic people in demo and tests)."""
    if gender is not None:
        seq = seq - seq % 2 + (1 if gender == "M" else 0)
        seq = seq % 1000
    body = f"{region_code}{birth:%Y%m%d}{seq:03d}"
    return body + check_char(body)


def random_number(rng: random.Random, region_code: str = "330102", gender: str | None = None,
                  min_age: int = 18, max_age: int = 60) -> str:
    today = dt.date.today()
    days = rng.randint(min_age * 365, max_age * 365)
    birth = today - dt.timedelta(days=days)
    return make(region_code, birth, rng.randint(0, 999), gender)


@dataclass(frozen=True, slots=True)
class IdTail:
    """What a user typed to find someone by the end of an ID number: the tail, and the visible head of a
    masked number ("1101**********041X") when there is one."""
    tail: str
    head: str = ""


_MASK_CHARS = "*.·•"


def parse_tail(raw: str) -> IdTail | None:
    """The last 4 to 6 characters of an ID number as users copy them from a list: "041X", "…041x",
    "****041X", "1101**********041X" (full-width characters and spaces folded as in normalize()).
    None when `raw` is not such a tail (a name, a full number, a phone)."""
    text = normalize(raw or "")
    if not text:
        return None
    body = text.rstrip("0123456789X")
    tail = text[len(body):]
    if not 4 <= len(tail) <= 6 or not tail[:-1].isdigit():
        return None
    head = body.rstrip(_MASK_CHARS)
    if head == body and body:  # something other than a mask before the tail
        return None
    if head and (not head.isdigit() or len(head) + (len(body) - len(head)) + len(tail) > 18):
        return None
    if body and not head and body.strip(_MASK_CHARS):
        return None
    return IdTail(tail=tail, head=head)


def mask(number: str) -> str:
    """330102********1234 — region and last four kept, birth date hidden."""
    if not number:
        return ""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]
