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
from itertools import compress

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
    # spread them over the 8 bits of each byte; plain lists and C-level sums, as this
    # runs once per captured page over thousands of features
    per_byte = [[0] * 256 for _ in range(8)]
    b0, b1, b2, b3, b4, b5, b6, b7 = per_byte
    blake2b = hashlib.blake2b
    for feat, weight in feats.items():
        d = blake2b(feat.encode("utf-8"), digest_size=8).digest()
        b0[d[0]] += weight
        b1[d[1]] += weight
        b2[d[2]] += weight
        b3[d[3]] += weight
        b4[d[4]] += weight
        b5[d[5]] += weight
        b6[d[6]] += weight
        b7[d[7]] += weight
    total = sum(feats.values())
    bits = 0
    for i, weights in enumerate(per_byte):
        for bit, selectors in enumerate(_BIT_SET):
            ones = sum(compress(weights, selectors))
            if ones * 2 > total:
                bits |= 1 << (8 * (7 - i) + bit)
    return f"{bits:016x}"


# For each bit of a byte, which of the 256 byte values have it set (as compress() selectors).
_BIT_SET = [[(value >> bit) & 1 for value in range(256)] for bit in range(8)]


def hamming(a: str, b: str) -> int:
    """Number of differing bits between two fingerprints."""
    return (int(a, 16) ^ int(b, 16)).bit_count()
