"""The service tiles of the portal's home and services pages, as the apps declare them
(contributions.tiles, core/contrib.py). A tile whose page does not exist (an app not installed or not
built yet) is left out: URLs go through safe_reverse."""

from __future__ import annotations

from huigong.accounts.templatetags.console import safe_reverse
from huigong.core import contrib
from huigong.core.contrib import Tile


def tiles() -> list[Tile]:
    """Every app's declared tiles (contributions.tiles), by their order key."""
    return contrib.ordered("tiles")


def _resolve(account, items: list[Tile]) -> list[dict]:
    from .cards import active_membership

    is_member = account is not None and active_membership(account) is not None
    out = []
    for t in items:
        url = safe_reverse(t.url_name)
        if t.only == "member" and not is_member or t.only == "applicant" and is_member:
            continue
        if url:
            out.append({"label": t.label, "url": url, "icon": t.icon, "tone": t.tone, "note": t.note})
    return out


def home_tiles(account) -> list[dict]:
    return _resolve(account, tiles())


def service_groups(account) -> list[dict]:
    groups: dict[str, list[Tile]] = {}
    for t in tiles():
        groups.setdefault(str(t.group), []).append(t)
    return [{"label": g, "tiles": tiles} for g, tiles in ((g, _resolve(account, ts)) for g, ts in groups.items())
            if tiles]
