"""Person facets: facts one domain knows about a person that another domain needs, without importing it.

Events filter their audience by "model workers"; education weighs "model workers" and "hardship files" in
its priorities; a model worker's page links to her hardship file. Each of those facts belongs to one app
(honours, assistance), which declares it as a `PersonFacet` in its Contributions; the others ask here by
key. An unknown key is an error at the caller (a typo must not silently match nobody), except through
`known()`, which lets a form offer only the facets this installation has.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from huigong.core import contrib


class UnknownFacet(LookupError):
    pass


def all_facets() -> dict[str, contrib.PersonFacet]:
    return {f.key: f for f in contrib.collect("facets")}


def known(key: str) -> bool:
    return key in all_facets()


def choices() -> list[tuple[str, Any]]:
    """(key, label) of every declared facet, in INSTALLED_APPS order (for forms)."""
    return [(f.key, f.label) for f in contrib.collect("facets")]


def _facet(key: str) -> contrib.PersonFacet:
    try:
        return all_facets()[key]
    except KeyError:
        raise UnknownFacet(key) from None


def person_ids(key: str) -> QuerySet:
    """A subquery of the primary keys of the people who have the facet (use as `person__in=`)."""
    return contrib.resolve(_facet(key).persons)()


def has(key: str, person_id: int) -> bool:
    return person_ids(key).filter(pk=person_id).exists()


def links(user, person_ids_: list[int] | tuple[int, ...]) -> dict[int, list[tuple[Any, str]]]:
    """{person id: [(label, url), ...]} from every facet with links, for pages the user may open."""
    out: dict[int, list[tuple[Any, str]]] = {}
    ids = list(person_ids_)
    if not ids:
        return out
    for f in contrib.collect("facets"):
        if not f.links:
            continue
        for pid, items in contrib.resolve(f.links)(user, ids).items():
            out.setdefault(pid, []).extend(items)
    return out
