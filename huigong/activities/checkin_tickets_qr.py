"""The ticket as a QR image (inline SVG: the CSP allows no other image source but ours and data:)."""

from __future__ import annotations

import segno
from django.utils.safestring import mark_safe

from .checkin_services import ticket_code


def ticket_qr_svg(registration, *, scale: int = 5) -> str:
    # Alphanumeric mode at level M: version 3 (29 modules), big enough to read from a phone screen.
    qr = segno.make(ticket_code(registration), error="m")
    return mark_safe(qr.svg_inline(scale=scale, border=2, omitsize=True, dark="#111827"))
