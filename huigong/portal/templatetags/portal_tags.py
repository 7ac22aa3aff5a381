"""Template helpers for portal/base.html and the worker pages of every app that extends it."""

from django import template

from huigong.accounts.templatetags.console import safe_reverse

register = template.Library()


@register.simple_tag(takes_context=True)
def portal_unread(context) -> int:
    """Unread messages of the signed-in worker (0 for anyone else); computed once per request."""
    from huigong.portal.auth import current_account
    from huigong.portal.selectors import message_unread_count

    request = context.get("request")
    if request is None:
        return 0
    if not hasattr(request, "_portal_unread"):
        account = current_account(request)
        request._portal_unread = message_unread_count(account) if account is not None else 0
    return request._portal_unread


@register.simple_tag
def portal_url(name: str, *args) -> str:
    """{% portal_url 'benefits_portal:programmes' as u %}{% if u %}…{% endif %}: "" when the page is absent."""
    return safe_reverse(name, *args)


@register.simple_tag(takes_context=True)
def portal_tab(context) -> str:
    """Which bottom tab is current: the view's `tab` if it set one; otherwise another app's worker page
    counts as 服务."""
    if context.get("tab"):
        return context["tab"]
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    if match.view_name in ("portal:home",):
        return "home"
    if match.view_name.startswith("portal:message"):
        return "messages"
    if match.view_name in ("portal:me",):
        return "me"
    return "services"


@register.filter
def area_place(area) -> str:
    """A work-area (district) union named with its city: "杭州市 西湖区"."""
    from huigong.portal.selectors import area_place as place

    return place(area)
