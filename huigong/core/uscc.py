"""Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from a 31-character
alphabet (no I, O, Z, S, V), last one a MOD 31 check character."""

import unicodedata

from django.utils.translation import gettext as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


class UsccError(ValueError):
    pass


def check_char(first17: str) -> str:
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def normalize(raw: str) -> str:
    # NFKC folds full-width letters and digits (and the ideographic space) to ASCII.
    return unicodedata.normalize("NFKC", str(raw)).strip().replace(" ", "").upper()


def validate(raw: str) -> str:
    code = normalize(raw)
    if len(code) != 18:
        raise UsccError(_("统一社会信用代码应为18位"))
    if any(c not in _VALUE for c in code):
        raise UsccError(_("统一社会信用代码含非法字符"))
    if check_char(code[:17]) != code[17]:
        raise UsccError(_("统一社会信用代码校验位错误"))
    return code


def make(body17: str) -> str:
    return body17 + check_char(body17)
