"""Template helpers for the console shell (base.html and pages that extend it)."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

from huigong.core import contrib

register = template.Library()


def nav_entries() -> list:
    """The console menu: every app's declared nav entries (contributions.nav), by their order key."""
    return contrib.ordered("nav")


def safe_reverse(name: str, *args) -> str:
    """reverse() that returns "" for a URL name not (yet) defined, so one missing route hides a
    link instead of taking the whole console down."""
    try:
        return reverse(name, args=args or None)
    except NoReverseMatch:
        return ""


@register.simple_tag
def nav_url(name: str, *args) -> str:
    """{% nav_url 'orgs:tree' as u %}{% if u %}<a href="{{ u }}">…{% endif %}"""
    return safe_reverse(name, *args)


@register.filter
def can(staff, cap: str) -> bool:
    """{% if staff|can:'audit_view' %} — False for anonymous or non-staff users."""
    return bool(staff is not None and staff.can(cap))


def _active(item: contrib.NavEntry, view_name: str) -> bool:
    if not view_name or any(view_name.startswith(x) for x in item.exclude):
        return False
    return any(view_name.startswith(m) for m in item.match)


@register.inclusion_tag("partials/nav.html", takes_context=True)
def console_nav(context) -> dict:
    """The menu in sections: an entry without a group on its own, then (in their first entry's order) one
    collapsible section per group (NavEntry.group), open when it holds the current page. `items` is every
    entry shown, in display order."""
    request = context.get("request")
    staff = context.get("staff")
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match else ""
    sections: list[dict] = []
    by_group: dict[str, dict] = {}
    for item in nav_entries():
        if staff is None or (item.cap is not None and not staff.can(item.cap)):
            continue
        url = safe_reverse(item.url_name)
        if not url:
            continue
        count = _badge(item.badge, request) if item.badge else 0
        entry = {"label": item.label, "url": url, "icon": item.icon, "active": _active(item, view_name),
                 "badge": count}
        if not item.group:
            sections.append({"label": "", "items": [entry]})
            continue
        key = str(item.group)
        if key not in by_group:
            by_group[key] = {"label": item.group, "key": f"nav-group-{len(by_group) + 1}", "items": [],
                             "open": False, "badge": 0}
            sections.append(by_group[key])
        section = by_group[key]
        section["items"].append(entry)
        section["open"] = section["open"] or entry["active"]
        section["badge"] += count
    return {"sections": sections, "items": [e for s in sections for e in s["items"]]}


def _badge(dotted: str, request) -> int:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return int(contrib.resolve(dotted)(user) or 0)


@register.inclusion_tag("partials/icon.html")
def icon(name: str, extra_class: str = "") -> dict:
    return {"name": name, "extra_class": extra_class}


@register.simple_tag
def page_window(page_obj, on_each_side: int = 2, on_ends: int = 1) -> list:
    """Page numbers around the current one, with "…" gaps, so a 1,000-page list renders a short pager."""
    return list(page_obj.paginator.get_elided_page_range(page_obj.number, on_each_side=on_each_side,
                                                          on_ends=on_ends))


@register.filter
def td_minutes(value) -> int:
    """A timedelta as whole minutes (rounded up), e.g. for the lockout cool-off."""
    try:
        return max(1, -(-int(value.total_seconds()) // 60))
    except AttributeError:
        return 0
