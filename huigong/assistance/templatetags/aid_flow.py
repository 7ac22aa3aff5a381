"""Template filters of the flow pages: {% load aid_flow %} … {{ fen|yuan }}."""

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
def yuan_left(total_fen, used_fen) -> str:
    """{{ total|yuan_left:used }}: what is left, in yuan."""
    return format_yuan(int(total_fen or 0) - int(used_fen or 0))


@register.filter
def node_level(code) -> str:
    from huigong.orgs.models import NodeLevel

    try:
        return str(NodeLevel(code).label)
    except ValueError:
        return code
