import re
import unicodedata

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalize(raw: str) -> str:
    # NFKC: full-width digits, ＋ and ideographic spaces from real spreadsheets become ASCII.
    s = unicodedata.normalize("NFKC", str(raw)).strip().replace(" ", "").replace("-", "")
    if s.startswith("+86"):
        s = s[3:]
    if s.endswith(".0"):  # Excel turns numbers into floats
        s = s[:-2]
    return s


def is_valid(phone: str) -> bool:
    return bool(_MOBILE.match(phone))
