"""The draw itself, as pure functions anyone can re-run from what a draw publishes.

The entrant list is hashed in canonical order (ids ascending, one per line, UTF-8), so the hash names
the list whatever order it was read in. The order is each id's HMAC-SHA256 under the seed, ascending:
it depends only on the seed and the ids (not on Python's `random`, whose algorithm may change between
versions), and an entrant added or removed does not reorder the others, so a published list and seed
can be checked with any language's SHA-256."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_seed() -> str:
    return secrets.token_hex(16)


def canonical(ids) -> list[int]:
    return sorted(int(i) for i in ids)


def entrants_hash(ids) -> str:
    return hashlib.sha256("\n".join(str(i) for i in canonical(ids)).encode()).hexdigest()


def ticket(seed: str, entrant: int) -> str:
    return hmac.new(seed.encode(), str(int(entrant)).encode(), hashlib.sha256).hexdigest()


def order(seed: str, ids) -> list[int]:
    """The entrants in drawn order: first is drawn first."""
    return sorted(canonical(ids), key=lambda i: (ticket(seed, i), i))


def serial_dictatorship(ranked: list[int], preferences: dict[int, list[int]], places: dict[int, int],
                        sizes: dict[int, int] | None = None) -> dict[int, int | None]:
    """Ranked choice across alternatives: entrants in `ranked` order each get their most wanted
    alternative that still has a place (`places`: alternative -> places left) — for an entrant of
    `sizes[entrant]` places (a group), an alternative with that many left, all in it. Returns entrant ->
    alternative, or None for an entrant whose every choice was full. Nobody drawn later can take a place
    an earlier entrant wanted more, and nobody prefers another's outcome that was still open to them."""
    left = dict(places)
    sizes = sizes or {}
    out: dict[int, int | None] = {}
    for entrant in ranked:
        out[entrant] = None
        n = sizes.get(entrant, 1)
        for alt in preferences.get(entrant, []):
            if left.get(alt, 0) >= n:
                left[alt] -= n
                out[entrant] = alt
                break
    return out
