"""The bridge to the kernel's outcome tracker: each recommendation of an accepted report becomes a
tracked item, followed there through to adoption."""

from __future__ import annotations


def track_recommendations(*, actor, report) -> list[int]:
    return []
