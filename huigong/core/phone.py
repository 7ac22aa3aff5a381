import re

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalize(raw: str) -> str:
    s = str(raw).strip().replace(" ", "").replace("-", "")
    if s.startswith("+86"):
        s = s[3:]
    if s.endswith(".0"):  # Excel turns numbers into floats
        s = s[:-2]
    return s


def is_valid(phone: str) -> bool:
    return bool(_MOBILE.match(phone))
