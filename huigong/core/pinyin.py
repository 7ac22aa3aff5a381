"""Pinyin keys for Chinese names: 张三 → ("zhangsan", "zs"). Per-character cache because
pypinyin is the slowest step of a bulk import otherwise."""

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=20000)
def _char(c: str) -> str:
    return lazy_pinyin(c, style=Style.NORMAL, errors="default")[0].lower()


def keys(name: str) -> tuple[str, str]:
    parts = [_char(c) for c in name if not c.isspace()]
    return "".join(parts), "".join(p[0] for p in parts if p)
