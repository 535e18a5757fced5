"""Decoding a document: the order of evidence (BOM, HTTP, declarations, detection, default)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from snapshelf.capture.decode.checks import acceptable, byte_order_mark, is_ascii
from snapshelf.capture.decode.detect import detect_encoding
from snapshelf.capture.decode.labels import normalize_encoding
from snapshelf.capture.decode.prescan import PRESCAN_BYTES, prescan_meta, xml_declared_encoding


@dataclass
class Decoded:
    """Decoded text plus how we chose the codec (stored with the snapshot)."""

    text: str
    encoding: str  # Python codec name actually used
    source: str  # "bom" | "http" | "meta" | "detected" | "default"


def _decode(
    body: bytes, http_charset: str | None, declared: Callable[[], list[str | None]]
) -> Decoded:
    bom = byte_order_mark(body)
    if bom is not None:
        codec, skip = bom
        return Decoded(body[skip:].decode(codec, "replace"), codec, "bom")

    http_codec = normalize_encoding(http_charset)
    tried: set[str] = set()
    if http_codec is not None:
        tried.add(http_codec)
        text = acceptable(body, http_codec)
        if text is not None:
            return Decoded(text, http_codec, "http")
    # the HTTP label was missing or lied: an in-document declaration is the
    # next best witness
    for codec in declared():
        if codec is not None and codec not in tried:
            tried.add(codec)
            text = acceptable(body, codec)
            if text is not None:
                return Decoded(text, codec, "meta")

    detected = detect_encoding(body)
    if detected is not None:
        return Decoded(body.decode(detected, "replace"), detected, "detected")
    if is_ascii(body):
        return Decoded(body.decode("ascii"), "utf-8", "default")
    return Decoded(body.decode("cp1252", "replace"), "cp1252", "default")


def decode_html(body: bytes, http_charset: str | None = None) -> Decoded:
    """Decode an HTML document: BOM, HTTP charset, ``<meta>``/XML declaration, detection."""

    def declared() -> list[str | None]:
        head = body[:PRESCAN_BYTES]
        return [xml_declared_encoding(head), prescan_meta(head)]

    return _decode(body, http_charset, declared)


def decode_text(body: bytes, http_charset: str | None = None) -> Decoded:
    """Decode a non-HTML text document (no ``<meta>`` prescan; XML declarations count)."""
    return _decode(body, http_charset, lambda: [xml_declared_encoding(body)])
