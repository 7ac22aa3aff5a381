from django import template

from huigong.core.money import format_yuan

register = template.Library()


@register.filter
def yuan(fen) -> str:
    return format_yuan(int(fen or 0))


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)
