"""Contribution points: what each app adds to the product, declared in one place, its AppConfig.

An app lists its console and portal URLs, API routers, nav entries, portal tiles, capabilities (and the
roles that get them), worker-record sections, demo builder, KPI definitions, periodic jobs and the rows
of the route × role test matrices in one `Contributions` value:

    class EventsConfig(AppConfig):
        name = "huigong.events"
        contributions = Contributions(
            console_urls=(UrlInclude("events/", "huigong.events.urls"),),
            nav=(NavEntry(75, _("活动"), "events:home", "flag", ("events:",)),),
            ...
        )

(an attribute, or a method `contributions(self) -> Contributions` when building it needs code). The
central places (huigong/urls.py, the API assembly, the console nav, the portal tiles, the KPI catalogue,
the demo, the test matrices) read `collect()` instead of keeping lists of apps, so adding an app is a
folder plus one INSTALLED_APPS line.

Everything here is data: modules, routers and functions are named by dotted path and imported by the
place that uses them, when it uses them. So apps.py files import nothing but this module and gettext,
and the kernel imports no app above it. Entries are collected in INSTALLED_APPS order; nav entries and
tiles carry an order key, because the menu's order is a product decision, not an accident of settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class UrlInclude:
    """`prefix` + the urlconf module. Console URLs are mounted at the site root ("members/"), portal URLs
    under "portal/" ("benefits/" → /portal/benefits/). The module's app_name is its URL namespace."""

    prefix: str
    urlconf: str


@dataclass(frozen=True)
class ApiRouter:
    """A django-ninja Router mounted at /api/v1/<prefix>; `router` is "module.attribute". `area` names the
    tag in the API's introduction (one router per tag is enough to name it)."""

    prefix: str
    router: str
    tags: tuple[str, ...]
    area: Any = None  # a lazy gettext string


@dataclass(frozen=True)
class NavEntry:
    """A console menu item. Shown to staff who hold `cap` (any staff when None); highlighted when the
    current view name starts with one of `match` and none of `exclude`. `badge` is "module.function"
    taking the user and returning a count shown beside the label when not zero. `group` is the heading
    of the collapsible section it sits in (entries with the same label share a section, sections in
    their first entry's order; "" for an entry of its own above the sections, like 首页)."""

    order: int
    label: Any
    url_name: str
    icon: str
    match: tuple[str, ...]
    cap: str | None = None
    exclude: tuple[str, ...] = ()
    badge: str | None = None
    group: Any = ""  # a lazy gettext string


@dataclass(frozen=True)
class Tile:
    """A service tile on the portal's home and services pages; `group` is the heading it sits under on
    the services page (tiles with the same label share a heading, headings in their first tile's order).
    only: "member" (members only), "applicant" (not yet members) or "" (everyone)."""

    order: int
    label: Any
    url_name: str
    icon: str
    tone: str  # colour of the round icon: red, orange, green, blue, purple, teal
    note: Any = ""
    group: Any = ""
    only: str = ""


@dataclass(frozen=True)
class Capability:
    """A capability (a string a view checks with staff.can(code)) and the roles that hold it. Two apps
    may grant the same code (e.g. "money" to pay aid and to pay reimbursements): the grants add up."""

    code: str
    label: Any
    roles: tuple[str, ...]


@dataclass(frozen=True)
class RecordSection:
    """A section of the worker's own record: this app's records of the person, listed under 我的申请 on
    the portal's 我的 page (the member card page, portal:me). `selector` is "module.function(person) ->
    iterable of model instances" (unscoped: it is called with the signed-in worker's own person only);
    `url_name` the portal page that lists them all."""

    label: Any
    selector: str
    url_name: str


@dataclass(frozen=True)
class PersonFacet:
    """A fact one app knows about a person that other apps may use without importing it (huigong.core.facets):
    "holds an active model-worker title" (honours), "has an open hardship file" (assistance). `persons` is
    "module.function() -> QuerySet" of Person primary keys (a `values("pk")`-style subquery, usable in
    `person__in=`), unscoped: the caller scopes its own rows. `links` (optional) is
    "module.function(user, person_ids) -> {person_id: [(label, url), ...]}" giving the pages of the fact the
    signed-in user may open (the function scopes them; nothing for a user who may not see them)."""

    key: str
    label: Any
    persons: str
    links: str | None = None


@dataclass(frozen=True)
class KpiModule:
    """A module of KPI definitions over the app's own tables: `module.kpis()` returns
    huigong.core.kpi.Kpi values (name, label, unit, description, SQL event source). `groups` labels the
    KPI groups the module defines; `order` places the module's KPIs in the catalogue."""

    module: str
    order: int
    groups: dict[str, Any] = field(default_factory=dict)
    group_order: int | None = None  # where the groups' sections sit on the dashboard (default: order)


@dataclass(frozen=True)
class DemoBuilder:
    """`func` is "module.function(builder) -> str": adds the app's scenarios to the demo world and returns
    a one-line summary. Builders run in `order` inside the demo's transaction, after the tree, units,
    sites, people and logins exist; a later one may use an earlier one's data."""

    order: int
    func: str


@dataclass(frozen=True)
class PeriodicJob:
    """A job for core.periodic: `func` is "module.function", run at most every `every_seconds`."""

    name: str
    every_seconds: int
    func: str


@dataclass(frozen=True)
class Contributions:
    console_urls: tuple[UrlInclude, ...] = ()
    portal_urls: tuple[UrlInclude, ...] = ()
    api_routers: tuple[ApiRouter, ...] = ()
    nav: tuple[NavEntry, ...] = ()
    tiles: tuple[Tile, ...] = ()
    capabilities: tuple[Capability, ...] = ()
    record_sections: tuple[RecordSection, ...] = ()
    facets: tuple[PersonFacet, ...] = ()
    demo_builder: DemoBuilder | None = None
    kpis: tuple[KpiModule, ...] = ()
    periodic: tuple[PeriodicJob, ...] = ()
    # Modules with the app's rows of the route × role matrices (see huigong/api/tests/test_matrix.py and
    # huigong/orgs/tests/test_views_matrix.py for what a module provides). The matrix tests fail for any
    # route the app exposes without a row.
    api_matrix: tuple[str, ...] = ()
    page_matrix: tuple[str, ...] = ()


EMPTY = Contributions()


def of(app_config) -> Contributions:
    """One app's declaration (EMPTY for apps that declare nothing, e.g. Django's own)."""
    value = getattr(app_config, "contributions", None)
    if value is None:
        return EMPTY
    if callable(value):
        value = value()
    if not isinstance(value, Contributions):
        raise TypeError(f"{app_config.name}.contributions must be a huigong.core.contrib.Contributions")
    return value


def declared() -> Iterator[tuple[Any, Contributions]]:
    """(app config, its contributions) for every installed app, in INSTALLED_APPS order. Read afresh on
    each call (cheap: a loop over a dozen configs), so a test that changes INSTALLED_APPS sees its app."""
    for config in apps.get_app_configs():
        c = of(config)
        if c is not EMPTY:
            yield config, c


def collect(kind: str) -> list:
    """Every app's entries of one kind (a Contributions field name), in INSTALLED_APPS order."""
    out: list = []
    for _config, c in declared():
        value = getattr(c, kind)
        if value is None:
            continue
        out.extend(value if isinstance(value, tuple) else [value])
    return out


def ordered(kind: str) -> list:
    """Entries with an order key (nav, tiles, kpis, demo builders), sorted by it; ties keep
    INSTALLED_APPS order."""
    return sorted(collect(kind), key=lambda e: e.order)


def role_caps(roles: list[str] | tuple[str, ...]) -> dict[str, frozenset[str]]:
    """{role: its capabilities} from every app's capability declarations."""
    grants: dict[str, set[str]] = {r: set() for r in roles}
    for cap in collect("capabilities"):
        for role in cap.roles:
            grants.setdefault(role, set()).add(cap.code)
    return {r: frozenset(c) for r, c in grants.items()}


def capability_labels() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for cap in collect("capabilities"):
        out.setdefault(cap.code, cap.label)
    return out


def resolve(dotted: str) -> Callable:
    """A function, router or list named "package.module.attribute"."""
    return import_string(dotted)
