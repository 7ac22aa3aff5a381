"""Template helpers for the console shell (base.html and pages that extend it)."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from huigong.accounts.models import Cap

register = template.Library()


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str
    # Highlight the item when the current view name starts with one of these.
    match: tuple[str, ...]
    cap: str | None = None
    # View names that start with a match prefix but belong to another item.
    exclude: tuple[str, ...] = ()
    # A count shown beside the label when not zero (the user's exports ready to download).
    badge: str | None = None


NAV: list[NavItem] = [
    NavItem(_("首页"), "console:home", "home", ("console:home",)),
    NavItem(_("组织架构"), "orgs:tree", "tree", ("orgs:tree", "orgs:node")),
    NavItem(_("会员"), "members:list", "users", ("members:",), exclude=("members:import", "members:export")),
    NavItem(_("单位"), "orgs:enterprise_list", "building", ("orgs:enterprise",)),
    NavItem(_("服务阵地"), "orgs:site_list", "pin", ("orgs:site",)),
    NavItem(_("数据看板"), "insights:dashboard", "chart", ("insights:",)),
    NavItem(_("困难帮扶"), "assistance:home", "heart", ("assistance:",)),
    NavItem(_("惠工服务"), "benefits:home", "gift", ("benefits:",)),
    NavItem(_("入会申请"), "portal:staff_join_list", "user-plus", ("portal:staff_",)),
    NavItem(_("名册导入"), "members:import_list", "upload", ("members:import",), cap=Cap.IMPORT),
    NavItem(_("我的导出"), "members:export_list", "download", ("members:export_",), cap=Cap.EXPORT,
            badge="member_exports_ready"),
    NavItem(_("通知发送记录"), "notify:list", "bell", ("notify:",)),
    NavItem(_("审计日志"), "console:audit", "shield", ("console:audit",), cap=Cap.AUDIT_VIEW),
    NavItem(_("账号管理"), "accounts:staff_list", "user-cog", ("accounts:staff",), cap=Cap.STAFF_MANAGE),
    NavItem(_("接口令牌"), "accounts:tokens", "key", ("accounts:token",)),
]


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


def _active(item: NavItem, view_name: str) -> bool:
    if not view_name or any(view_name.startswith(x) for x in item.exclude):
        return False
    return any(view_name.startswith(m) for m in item.match)


@register.inclusion_tag("partials/nav.html", takes_context=True)
def console_nav(context) -> dict:
    request = context.get("request")
    staff = context.get("staff")
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match else ""
    items = []
    for item in NAV:
        if staff is None or (item.cap is not None and not staff.can(item.cap)):
            continue
        url = safe_reverse(item.url_name)
        if not url:
            continue
        count = _badge(item.badge, request) if item.badge else 0
        items.append({"label": item.label, "url": url, "icon": item.icon, "active": _active(item, view_name),
                      "badge": count})
    return {"items": items}


def _badge(name: str, request) -> int:
    user = getattr(request, "user", None)
    if name == "member_exports_ready" and user is not None and user.is_authenticated:
        from huigong.members.roster.export_jobs import member_exports_ready_count

        return member_exports_ready_count(user)
    return 0


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
