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
def km(value) -> str:
    if value is None:
        return ""
    return f"{value * 1000:.0f} m" if value < 1 else f"{value:.1f} km"


@register.filter
def percent_of(part, whole) -> int:
    try:
        return max(0, min(100, round(int(part or 0) * 100 / int(whole))))
    except (TypeError, ValueError, ZeroDivisionError):
        return 0


@register.filter
def minus(a, b) -> int:
    return int(a or 0) - int(b or 0)
