"""The draw itself, as pure functions anyone can re-run from what a draw publishes.

The entrant list is hashed in canonical order (ids ascending, one per line, UTF-8), so the hash names
the list whatever order it was read in. The order is each id's HMAC-SHA256 under the seed, ascending:
it depends only on the seed and the ids (not on Python's `random`, whose algorithm may change between
versions), and an entrant added or removed does not reorder the others, so a published list and seed
can be checked with any language's SHA-256.

A draw may publish a precedence per entrant (an integer, higher drawn first: priority tiers, merit
points): the order is then by precedence descending, the HMAC ticket breaking ties; the hashed list
names each entrant with a precedence as `id:precedence` (an entrant without one stays `id`), so the
hash covers the precedences as they were at the draw."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_seed() -> str:
    return secrets.token_hex(16)


def canonical(ids) -> list[int]:
    return sorted(int(i) for i in ids)


def entrant_lines(ids, precedence: dict | None = None) -> list[str]:
    """The published entrant list, one line per entrant in canonical order (`id` or `id:precedence`)."""
    prec = {int(k): int(v) for k, v in (precedence or {}).items()}
    return [f"{i}:{prec[i]}" if prec.get(i) else str(i) for i in canonical(ids)]


def parse_lines(lines) -> tuple[list[int], dict[int, int]]:
    """The inverse of `entrant_lines`: (ids, {id: precedence}) from the published list's lines."""
    ids, prec = [], {}
    for line in lines:
        line = line.strip()
        if not line:
            continue
        i, _sep, p = line.partition(":")
        ids.append(int(i))
        if p and int(p):
            prec[int(i)] = int(p)
    return ids, prec


def entrants_hash(ids, precedence: dict | None = None) -> str:
    return hashlib.sha256("\n".join(entrant_lines(ids, precedence)).encode()).hexdigest()


def ticket(seed: str, entrant: int) -> str:
    return hmac.new(seed.encode(), str(int(entrant)).encode(), hashlib.sha256).hexdigest()


def order(seed: str, ids, precedence: dict | None = None) -> list[int]:
    """The entrants in drawn order: first is drawn first (higher precedence first, then by ticket)."""
    prec = {int(k): int(v) for k, v in (precedence or {}).items()}
    return sorted(canonical(ids), key=lambda i: (-prec.get(i, 0), ticket(seed, i), i))


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
