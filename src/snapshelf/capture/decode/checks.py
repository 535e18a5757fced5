"""Checks on bytes and on a candidate decoding: BOM, ASCII, strict UTF-8, mojibake.

A declared charset is trusted only when :func:`acceptable` says its decoding is.
"""

from __future__ import annotations

import codecs
import re

from snapshelf.capture.decode.labels import SINGLE_BYTE


def byte_order_mark(body: bytes) -> tuple[str, int] | None:
    if body.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if body.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    if body.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    return None


def is_ascii(body: bytes) -> bool:
    return body.isascii()


def _utf8_status(body: bytes) -> tuple[str, int, int]:
    """(text, error count, good non-ASCII characters) for a UTF-8 reading.

    A multi-byte sequence cut off by the end of the body (a byte cap) does not
    count as an error (it becomes one U+FFFD).
    """
    try:
        text, consumed = codecs.utf_8_decode(body, "strict", False)
    except UnicodeDecodeError:
        pass
    else:
        if consumed >= len(body) - 3:
            if consumed < len(body):
                text += "\ufffd"
            return text, 0, len(text) - len(text.encode("ascii", "ignore"))
    text = body.decode("utf-8", "replace")
    legit = body.count(b"\xef\xbf\xbd")
    errors = text.count("\ufffd") - legit
    nonascii = len(text) - len(text.encode("ascii", "ignore")) - errors - legit
    return text, errors, nonascii


def is_utf8(body: bytes) -> bool:
    """Valid UTF-8 with real multi-byte text: almost never an accident."""
    if is_ascii(body):
        return False
    _, errors, good = _utf8_status(body)
    if not errors:
        return True
    # a few corrupt sequences in an otherwise UTF-8 page (bad copy/paste, cut
    # multi-byte characters inside truncated strings)
    return good >= 20 and errors * 50 <= good


_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def decode_errors(body: bytes, codec: str) -> tuple[str, int]:
    """Decode with replacement and count how many replacements were needed."""
    text = body.decode(codec, "replace")
    return text, text.count("\ufffd")


def mess(text: str) -> float:
    """How much decoded text looks like mojibake (0 = clean, > 0.2 = garbage)."""
    sample = _nonascii_sample(text)
    if not sample:
        return 0.0
    try:
        from charset_normalizer.md import mess_ratio
    except ImportError:  # pragma: no cover - API moved: fall back to a crude score
        odd = sum(1 for ch in sample if _CONTROL.match(ch) or ch in "ÃÂ¤¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿")
        return odd / max(1, len(sample))
    return float(mess_ratio(sample, maximum_threshold=1.0))


def _nonascii_sample(text: str, budget: int = 8000) -> str:
    """Windows of text around non-ASCII characters: what a wrong codec garbles."""
    out: list[str] = []
    size = 0
    pos = 0
    n = len(text)
    while size < budget and pos < n:
        m = _NONASCII.search(text, pos)
        if not m:
            break
        start = max(0, m.start() - 20)
        end = min(n, m.start() + 200)
        out.append(text[start:end])
        size += end - start
        pos = end
    return "\n".join(out)


_NONASCII = re.compile(r"[^\x00-\x7f]")


#: Invalid sequences a declared UTF-8 page may hold and stay UTF-8, whatever its size.
_FEW_UTF8_ERRORS = 8


def acceptable(body: bytes, codec: str) -> str | None:
    """Decode with a declared codec if the bytes agree with it, else None."""
    if codec == "utf-8":
        # A few bad bytes in a page declared UTF-8 (text pasted from another encoding)
        # are what browsers show as U+FFFD; only a page whose non-ASCII text mostly
        # fails is in another encoding. Detection on a handful of bytes is a guess.
        text, errors, good = _utf8_status(body)
        if errors <= _FEW_UTF8_ERRORS or errors * 200 <= good or errors * 1000 <= len(body):
            return text
        return None
    if codec.startswith("utf-16"):
        # a UTF-16 label on bytes without NULs (markup is ASCII, so real UTF-16
        # HTML is full of them) is a lie that would decode as CJK noise
        if body.count(b"\x00") * 8 < len(body):
            return None
        text, errors = decode_errors(body, codec)
        if errors * 100 > len(text) + 1 or len(_CONTROL.findall(text[:4096])) > 40:
            return None
        return text
    if is_ascii(body):
        return body.decode(codec, "replace")
    if is_utf8(body):
        # legacy label on bytes that are valid UTF-8 (qq.com, 163.com...): the
        # label was copied from an old template, the bytes were re-encoded
        return None
    text, errors = decode_errors(body, codec)
    nonascii = len(text) - len(text.encode("ascii", "ignore"))
    if errors > 3 and errors * 100 > nonascii:
        return None
    if codec in SINGLE_BYTE:
        controls = len(_CONTROL.findall(text))
        if controls > 3 and controls * 50 > nonascii:
            return None
        if mess(text) > 0.2:
            return None
    return text
