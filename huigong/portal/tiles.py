"""The service tiles of the portal's home and services pages. A tile whose page does not exist (an app
not installed or not built yet) is left out: URLs go through safe_reverse."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from huigong.accounts.templatetags.console import safe_reverse


@dataclass(frozen=True)
class Tile:
    label: str
    url_name: str
    icon: str
    tone: str  # colour of the round icon: red, orange, green, blue, purple, teal
    note: str = ""
    group: str = ""
    only: str = ""  # "member": members only; "applicant": only for those not (yet) members


GROUP_MEMBER = _("会员服务")
GROUP_BENEFITS = _("惠工福利")
GROUP_CARE = _("关爱帮扶")
GROUP_MINE = _("我的")

TILES: list[Tile] = [
    Tile(_("网上入会"), "portal:join_start", "user-plus", "red", _("几分钟办好"), GROUP_MEMBER, "applicant"),
    Tile(_("会员卡"), "portal:me", "id-card", "red", _("电子会员卡"), GROUP_MEMBER, "member"),
    Tile(_("体检福利"), "benefits_portal:programmes", "gift", "orange", _("免费体检·福利名额"), GROUP_BENEFITS),
    Tile(_("先办后补"), "benefits_portal:reimbursements", "receipt", "green", _("上传票据申领补贴"), GROUP_BENEFITS),
    Tile(_("服务阵地"), "benefits_portal:sites", "pin", "blue", _("职工之家·爱心驿站"), GROUP_BENEFITS),
    Tile(_("困难帮扶"), "assistance_portal:home", "heart", "purple", _("生活·大病·助学"), GROUP_CARE),
    Tile(_("我的消息"), "portal:messages", "bell", "teal", _("审核结果通知"), GROUP_MINE),
    Tile(_("我的申请"), "portal:me", "list", "teal", _("进度随时查"), GROUP_MINE),
]


def _resolve(account, tiles: list[Tile]) -> list[dict]:
    from .cards import active_membership

    is_member = account is not None and active_membership(account) is not None
    out = []
    for t in tiles:
        url = safe_reverse(t.url_name)
        if t.only == "member" and not is_member or t.only == "applicant" and is_member:
            continue
        if url:
            out.append({"label": t.label, "url": url, "icon": t.icon, "tone": t.tone, "note": t.note})
    return out


def home_tiles(account) -> list[dict]:
    return _resolve(account, TILES)


def service_groups(account) -> list[dict]:
    groups: dict[str, list[Tile]] = {}
    for t in TILES:
        groups.setdefault(str(t.group), []).append(t)
    return [{"label": g, "tiles": tiles} for g, tiles in ((g, _resolve(account, ts)) for g, ts in groups.items())
            if tiles]
