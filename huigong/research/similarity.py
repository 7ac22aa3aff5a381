"""Duplication check of reports: shingled character n-grams, sampled by hash value.

A report is cut into overlapping n-character shingles (n = 5 fits Chinese, which has no spaces) after
removing whitespace and punctuation. Each shingle is hashed (BLAKE2b, 64 bits); only hashes ≡ 0 mod
`MOD` are kept (Broder's "mod-m" sample, 1996). For two documents the kept sets are an unbiased sample of
their shingles, so |A ∩ B| / |A| on the samples estimates the share of report A's text that is in report
B (containment), which is what "this report copies an earlier one" means — resemblance (Jaccard) would
let a long report hide a copied one. A sample is about 1/MOD of the text: a 20,000-character report
keeps ~1,250 hashes (5 KB), so the text itself need not be kept to check later reports against it.

datasketch's MinHash/LSH would fit a very large corpus, but it needs numpy and scipy; a programme has
tens to hundreds of reports, which this compares exactly in milliseconds.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Iterable

N = 5
MOD = 16
_DROP = re.compile(r"[\s\u3000-\u303f\uff00-\uffef!-/:-@\[-`{-~，。、；：？！“”‘’（）《》【】—…·]+")


def normalise(text: str) -> str:
    return _DROP.sub("", text).lower()


def char_count(text: str) -> int:
    """The length a programme's limits are about: characters without whitespace (字数, as Word counts)."""
    return len(re.sub(r"\s+", "", text))


def shingle_hashes(text: str, *, n: int = N, mod: int = MOD) -> set[int]:
    clean = normalise(text)
    out: set[int] = set()
    for i in range(max(0, len(clean) - n + 1)):
        h = int.from_bytes(hashlib.blake2b(clean[i:i + n].encode(), digest_size=8).digest(), "big")
        if h % mod == 0:
            out.add(h)
    return out


def pack(hashes: Iterable[int]) -> bytes:
    values = sorted(hashes)
    return struct.pack(f">{len(values)}Q", *values)


def unpack(data: bytes | memoryview) -> set[int]:
    data = bytes(data)
    return set(struct.unpack(f">{len(data) // 8}Q", data))


def containment(new: set[int], old: set[int]) -> int:
    """The estimated share (whole percent) of `new`'s text found in `old`."""
    if not new:
        return 0
    return round(100 * len(new & old) / len(new))
