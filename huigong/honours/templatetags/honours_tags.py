from django import template

from huigong.core.money import format_yuan

register = template.Library()


@register.filter
def yuan(fen) -> str:
    return format_yuan(int(fen or 0))


@register.filter
def pct(value) -> int:
    """A percentage as a whole number 0..100 for the pct-N width classes."""
    try:
        return max(0, min(100, round(float(value))))
    except (TypeError, ValueError):
        return 0


@register.filter
def has(values, item) -> bool:
    return item in (values or [])
