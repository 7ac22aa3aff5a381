"""{% ticket_slot registration %}: what the worker's registration page shows beside the member card."""

from django import template

from ..checkin_services import admissible
from ..checkin_tickets_qr import ticket_qr_svg

register = template.Library()


@register.simple_tag
def ticket_qr(registration):
    """The seat's signed QR (inline SVG), or "" when the seat cannot be admitted (waiting, cancelled…)."""
    if registration is None or not admissible(registration):
        return ""
    return ticket_qr_svg(registration, scale=5)


@register.filter
def seat_admissible(registration) -> bool:
    return registration is not None and admissible(registration)
