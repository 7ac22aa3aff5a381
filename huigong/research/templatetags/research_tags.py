from django import template

from huigong.core.money import format_yuan

register = template.Library()


@register.filter
def yuan(fen) -> str:
    """Integer fen as yuan with two decimals and thousands separators ("—" for none)."""
    if fen is None or fen == "":
        return "—"
    return format_yuan(int(fen))


@register.filter
def pct(part, whole) -> int:
    try:
        return max(0, min(100, round(int(part or 0) * 100 / int(whole))))
    except (TypeError, ValueError, ZeroDivisionError):
        return 0
