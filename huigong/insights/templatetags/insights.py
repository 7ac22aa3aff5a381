from django import template
from django.utils.translation import gettext as _

from huigong.insights.reports import display

register = template.Library()


@register.filter
def kpi_display(value, unit: str) -> str:
    return display(value, unit)


@register.filter
def signed(value, unit: str) -> str:
    if value is None:
        return "—"
    text = display(abs(value), unit)
    if unit == "percent":
        text = _("%(v)s 个百分点") % {"v": text.rstrip("%")}
    return ("+" if value > 0 else "−" if value < 0 else "±") + text
