"""Detection when nothing trustworthy is declared: UTF-8, charset-normalizer, CJK fallback."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

from snapshelf.capture.decode.checks import decode_errors, is_ascii, is_utf8, mess
from snapshelf.capture.decode.labels import LATIN_SINGLE_BYTE, SUPERSET, canonical

#: How many bytes charset-normalizer sees. It decodes its input once per
#: candidate codec, so a bounded sample keeps detection in the milliseconds.
DETECT_SAMPLE_BYTES = 64 * 1024


def detect_encoding(body: bytes) -> str | None:
    """Guess a codec from the bytes alone (no declarations); None for pure ASCII.

    Strict UTF-8 first, then charset-normalizer on a bounded sample, then a
    small CJK fallback for pages charset-normalizer gives up on (a few invalid
    bytes make it discard every multi-byte candidate). A single-byte guess
    never beats a CJK codec that reads the bytes cleanly: every byte string
    "decodes" in a single-byte table, so a GBK page with two stray bytes
    would otherwise come out as Cyrillic or Latin-2 mojibake.
    """
    if is_ascii(body):
        # 7-bit ISO-2022-JP announces itself with escape sequences
        if b"\x1b$B" in body or b"\x1b$@" in body or b"\x1b(J" in body:
            return "iso2022_jp_ext"
        return None
    if is_utf8(body):
        return "utf-8"
    sample = _sample(body)
    found = _charset_normalizer(sample)
    if found is not None and not _single_byte(found):
        return found
    return _clean_chinese(sample) or found or _cjk_fallback(sample)


@lru_cache(maxsize=256)
def _single_byte(codec: str) -> bool:
    """Does this codec map every byte to one character (no multi-byte sequences)?"""
    try:
        return len(_HIGH_BYTES.decode(codec, "replace")) == len(_HIGH_BYTES)
    except LookupError:
        return False


_HIGH_BYTES = bytes(range(0x80, 0x100)) * 2


def _clean_chinese(sample: bytes) -> str | None:
    """GB18030 or Big5 when one of them reads the bytes almost without errors.

    Only Chinese codecs, and only a near-perfect reading (at most three errors,
    or one in 500 characters; nine in ten in the common core; no kana; 50 characters at
    least):
    Cyrillic single-byte text also "decodes" as a CJK codec, but with an error
    every few characters.
    """
    for codec, family in (("gb18030", "zh-hans"), ("big5hkscs", "zh-hant")):
        text, errors = decode_errors(sample, codec)
        counts = Counter(ch for ch in text if ch > "\x7f" and ch != "\ufffd")
        total = sum(counts.values())
        if total < 50 or errors > max(3, total / 500):
            continue
        common = sum(k for ch, k in counts.items() if _is_common(ch, family)) / total
        kana = sum(k for ch, k in counts.items() if "\u3040" <= ch <= "\u30ff") / total
        if common >= 0.9 and kana < 0.02:  # EUC-JP shares GB2312's rows, but has kana
            return codec
    return None


def _sample(body: bytes) -> bytes:
    if len(body) <= DETECT_SAMPLE_BYTES:
        return body
    cut = body.rfind(b"\n", 0, DETECT_SAMPLE_BYTES)
    if cut < DETECT_SAMPLE_BYTES // 2:
        cut = body.rfind(b"<", 0, DETECT_SAMPLE_BYTES)
    if cut < DETECT_SAMPLE_BYTES // 2:
        cut = DETECT_SAMPLE_BYTES
    return body[:cut]


def _charset_normalizer(sample: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover
        return None
    results = from_bytes(sample, preemptive_behaviour=False)
    best = results.best()
    if best is None:
        return None
    codec = canonical(best.encoding)
    if codec in ("utf-7", "utf_7") or codec.startswith(("utf-16", "utf-32", "utf_16", "utf_32")):
        # UTF-7 is a script-smuggling vector and never sniffed by browsers;
        # UTF-16/32 without a BOM is not something HTML arrives in
        return None
    codec = _prefer_superset(sample, codec)
    if codec in LATIN_SINGLE_BYTE and codec != "cp1252":
        # Western text fits several Latin code pages equally well; windows-1252
        # is by far the most common, so keep it unless it reads worse.
        try:
            as_1252 = sample.decode("cp1252")
        except UnicodeDecodeError:
            return codec
        if mess(as_1252) <= best.chaos + 0.03:
            return "cp1252"
    return codec


def _prefer_superset(sample: bytes, codec: str) -> str:
    wider = SUPERSET.get(codec)
    if wider is None:
        return codec
    if sample.decode(wider, "replace").count("\ufffd") <= sample.decode(codec, "replace").count(
        "\ufffd"
    ):
        return wider
    return codec


@lru_cache(maxsize=65536)
def _is_common(ch: str, family: str) -> bool:
    """Is this character in the frequent core of the family's national standard?

    Text decoded with the wrong CJK codec still "decodes", but lands on rare
    characters; text decoded with the right one is dominated by common ones.
    """
    try:
        if family == "zh-hans":
            ch.encode("gb2312")  # GB2312: the 6,763 common hanzi plus symbols
            return True
        if family == "zh-hant":
            return 0xA1 <= ch.encode("big5")[0] <= 0xC6  # symbols + level-1 hanzi
        if family == "ja":
            lead = ch.encode("euc_jp")[0]
            return lead in (0x8E, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5) or 0xB0 <= lead <= 0xCF
        if family == "ko":
            ch.encode("euc_kr")  # KS X 1001: 2,350 hangul syllables, hanja, symbols
            return True
    except UnicodeEncodeError:
        return False
    return False


_CJK_CODECS = (
    ("gb18030", "zh-hans"),
    ("big5hkscs", "zh-hant"),
    ("cp932", "ja"),
    ("euc_jp", "ja"),
    ("cp949", "ko"),
)


def _cjk_fallback(sample: bytes) -> str | None:
    """Pick the CJK codec that decodes cleanly into the most common characters.

    Kana tells Japanese from Chinese where the byte ranges overlap (GB2312 and
    EUC-JP share rows), so kana lowers a Chinese reading and its absence halves
    a Japanese one.
    """
    best: tuple[float, str] | None = None
    for codec, family in _CJK_CODECS:
        text, errors = decode_errors(sample, codec)
        counts = Counter(ch for ch in text if ch > "\x7f" and ch != "\ufffd")
        total = sum(counts.values())
        if not total or errors > total * 0.02:
            continue
        common = sum(k for ch, k in counts.items() if _is_common(ch, family)) / total
        kana = (
            sum(
                k
                for ch, k in counts.items()
                if "\u3040" <= ch <= "\u30ff" or "\uff66" <= ch <= "\uff9f"
            )
            / total
        )
        score = common - 5 * errors / total
        if family.startswith("zh"):
            score -= kana
        elif family == "ja" and kana < 0.05:
            score /= 2
        if score >= 0.3 and (best is None or score > best[0]):
            best = (score, codec)
    return best[1] if best else None
