"""64-bit SimHash of a text, for change detection and near-duplicate collapsing.

Features are lower-cased words for space-separated scripts and overlapping
character bigrams for CJK runs (the same idea as the search analyzer), so a
Chinese article fingerprints as well as an English one. Similar texts get
fingerprints a few bits apart; unrelated texts differ in about half the bits.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter

__all__ = ["fingerprint", "hamming", "shingles"]

_CJK_RUN = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]+"
)
_WORD = re.compile(r"\w+")


def shingles(text: str) -> Counter[str]:
    """Word tokens plus CJK character bigrams, with their counts."""
    text = unicodedata.normalize("NFKC", text).casefold()
    feats: Counter[str] = Counter()
    pos = 0
    for m in _CJK_RUN.finditer(text):
        feats.update(_WORD.findall(text, pos, m.start()))
        run = m.group()
        if len(run) == 1:
            feats[run] += 1
        else:
            feats.update(run[i : i + 2] for i in range(len(run) - 1))
        pos = m.end()
    feats.update(_WORD.findall(text, pos))
    return feats


def fingerprint(text: str) -> str:
    """SimHash (64 bits, 16 hex digits) over word / CJK-bigram features."""
    feats = shingles(text)
    if not feats:
        return "0" * 16
    # sum the weights per byte position and byte value first (cheap), then
    # spread them over the 8 bits of each byte
    per_byte: list[Counter[int]] = [Counter() for _ in range(8)]
    total = 0
    for feat, weight in feats.items():
        digest = hashlib.blake2b(feat.encode("utf-8"), digest_size=8).digest()
        total += weight
        for i, value in enumerate(digest):
            per_byte[i][value] += weight
    bits = 0
    for i, counter in enumerate(per_byte):
        for bit in range(8):
            mask = 1 << bit
            ones = sum(w for value, w in counter.items() if value & mask)
            if ones * 2 > total:
                bits |= 1 << (8 * (7 - i) + bit)
    return f"{bits:016x}"


def hamming(a: str, b: str) -> int:
    """Number of differing bits between two fingerprints."""
    return (int(a, 16) ^ int(b, 16)).bit_count()
