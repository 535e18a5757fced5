"""Stylesheet bytes to text, in the order a browser decodes them; data: URL stylesheets."""

from __future__ import annotations

from collections.abc import Callable

import webencodings  # hard dependency of tinycss2: the WHATWG encoding label table

from snapshelf.capture.css.urls import decode_data_url


def _codec(label: str | None) -> Callable[[bytes], str] | None:
    """A decoder for a WHATWG encoding label; GB2312/GBK are read as GB18030 (superset)."""
    if not label:
        return None
    enc = webencodings.lookup(label.strip().strip("\"'"))
    if enc is None or enc.name == "replacement":
        return None
    if enc.name in ("gbk", "gb18030"):
        return lambda b: b.decode("gb18030", "replace")
    info = enc.codec_info
    return lambda b: info.decode(b, "replace")[0]


def _charset_rule(body: bytes) -> str | None:
    # CSS Syntax §3.2: only the exact byte pattern @charset "label"; counts.
    if not body.startswith(b'@charset "'):
        return None
    end = body.find(b'"', 10, 100)
    if end < 0 or not body.startswith(b'";', end):
        return None
    label = body[10:end].decode("latin-1")
    enc = webencodings.lookup(label)
    if enc is not None and enc.name in ("utf-16be", "utf-16le"):
        return "utf-8"
    return label


def decode_css(body: bytes, http_charset: str | None, fallback: str | None = None) -> str:
    """Decode stylesheet bytes in the browser's order, so the archive reads what the page read.

    Order: BOM, HTTP charset, ``@charset``, the referring document's charset (fallback),
    UTF-8. Undecodable bytes become U+FFFD rather than failing the capture.
    """
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", "replace")
    if body.startswith(b"\xff\xfe"):
        return body[2:].decode("utf-16-le", "replace")
    if body.startswith(b"\xfe\xff"):
        return body[2:].decode("utf-16-be", "replace")
    for label in (http_charset, _charset_rule(body), fallback):
        decode = _codec(label)
        if decode is not None:
            return decode(body)
    return body.decode("utf-8", "replace")


def data_stylesheet_text(url: str) -> tuple[str, bytes] | None:
    decoded = decode_data_url(url)
    if decoded is None:
        return None
    _mime, charset, body = decoded
    return decode_css(body, charset), body


def data_stylesheet(url: str) -> tuple[str, bytes] | None:
    """(decoded text, raw bytes) of a data: URL stylesheet, or None when malformed."""
    return data_stylesheet_text(url)
