"""What a domain tells the tracker about its items: one `Kind` each, registered in its AppConfig.ready().

The kernel imports no domain; it learns a kind's label, the capabilities that act on its items, its
own words for the statuses and categories, and where the source row's page is, from this registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Kind:
    code: str  # "<app>.<thing>", e.g. "checkups.finding", "research.recommendation"
    label: Any  # a lazy gettext string, e.g. _("体检问题")
    capability: str  # to update progress, add evidence, submit, drop, link, change the due date
    verify_capability: str = ""  # to give the verdict on effect (default: `capability`)
    status_labels: dict = field(default_factory=dict)  # the domain's own words for some statuses
    categories: Callable[[], dict[str, str]] | None = None  # category code -> label
    severities: Callable[[], dict[str, str]] | None = None
    source_url: Callable[[Any], str] | None = None  # item -> URL of the source row's page ("" for none)
    # Called inside the transition's transaction after the item moved: (item, old_status, actor). It may
    # mirror the status on the domain's row; it must never move another tracked item.
    on_status: Callable[[Any, str, Any], None] | None = None

    @property
    def verifier_capability(self) -> str:
        return self.verify_capability or self.capability

    def status_label(self, status: str) -> str:
        from .models import Status

        if status in self.status_labels:
            return str(self.status_labels[status])
        return str(Status(status).label) if status in Status.values else status

    def category_label(self, code: str) -> str:
        return str((self.categories() if self.categories else {}).get(code, code))

    def severity_label(self, code: str) -> str:
        return str((self.severities() if self.severities else {}).get(code, code))


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.code] = kind
    return kind


def get(code: str) -> Kind:
    try:
        return KINDS[code]
    except KeyError:
        raise LookupError(f"unknown tracked-item kind {code!r}: register it in the domain's AppConfig.ready()") from None


def label_of(code: str) -> str:
    kind = KINDS.get(code)
    return str(kind.label) if kind else code
