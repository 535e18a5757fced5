"""In-document declarations: the ``<meta>`` charset prescan and the XML declaration."""

from __future__ import annotations

import re

from snapshelf.capture.decode.labels import normalize_encoding

#: How far the ``<meta>`` prescan looks. The spec says 1024 bytes; real pages
#: (163.com, sina, ifeng) put the declaration after 2 KB of scripts and styles.
PRESCAN_BYTES = 32 * 1024


_WS = b" \t\n\x0c\r"


def _skip_ws(buf: bytes, pos: int) -> int:
    n = len(buf)
    while pos < n and buf[pos] in _WS:
        pos += 1
    return pos


def _get_attribute(buf: bytes, pos: int) -> tuple[str, str, int] | None:
    """WHATWG "get an attribute": returns (name, value, new position) or None."""
    n = len(buf)
    while pos < n and (buf[pos] in _WS or buf[pos] == 0x2F):
        pos += 1
    if pos >= n or buf[pos] == 0x3E:
        return None
    name = bytearray()
    value = bytearray()
    # name
    while True:
        if pos >= n:
            return None
        c = buf[pos]
        if c == 0x3D and name:
            pos += 1
            break
        if c in _WS:
            pos = _skip_ws(buf, pos)
            if pos >= n:
                return None
            if buf[pos] != 0x3D:
                return name.decode("latin-1"), "", pos
            pos += 1
            break
        if c in (0x2F, 0x3E):
            return name.decode("latin-1"), "", pos
        name.append(c + 0x20 if 0x41 <= c <= 0x5A else c)
        pos += 1
    # value
    pos = _skip_ws(buf, pos)
    if pos >= n:
        return None
    c = buf[pos]
    if c in (0x22, 0x27):
        end = buf.find(bytes([c]), pos + 1)
        if end < 0:
            return None
        value = bytearray(buf[pos + 1 : end].lower())
        return name.decode("latin-1"), value.decode("latin-1"), end + 1
    if c == 0x3E:
        return name.decode("latin-1"), "", pos
    while pos < n:
        c = buf[pos]
        if c in _WS or c == 0x3E:
            return name.decode("latin-1"), value.decode("latin-1"), pos
        value.append(c + 0x20 if 0x41 <= c <= 0x5A else c)
        pos += 1
    return None


_CHARSET_IN_CONTENT = re.compile(r"charset\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s;\"']+))", re.I)


def _charset_from_content(content: str) -> str | None:
    """WHATWG "extract a character encoding from a meta element" (simplified)."""
    m = _CHARSET_IN_CONTENT.search(content)
    if not m:
        return None
    return next((g for g in m.groups() if g is not None), None)


_TAG_START = re.compile(rb"<(!--|/?[A-Za-z]|[!/?])")
_META = re.compile(rb"<meta[\s/]", re.I)
_RAW_TEXT_TAGS = (b"script", b"style", b"textarea", b"xmp")


def prescan_meta(body: bytes, limit: int = PRESCAN_BYTES) -> str | None:
    """Find the charset of the first real ``<meta>`` declaration (WHATWG prescan).

    Attributes of other tags (``<script charset="gbk">``), comments and the
    contents of scripts and styles are skipped, so they cannot fool it. A UTF-16
    declaration means UTF-8 (bytes that reached a prescan are not UTF-16).
    Returns a Python codec name or None.
    """
    buf = body[:limit]
    n = len(buf)
    pos = 0
    while pos < n:
        m = _TAG_START.search(buf, pos)
        if not m:
            return None
        pos = m.start()
        if buf.startswith(b"<!--", pos):
            end = buf.find(b"-->", pos + 2)
            if end < 0:
                return None
            pos = end + 3
            continue
        if _META.match(buf, pos):
            found = _meta_charset(buf, pos + 5)
            if found is None:
                return None
            codec, pos = found
            if codec is not None:
                return codec
            continue
        if buf[pos + 1] == 0x2F or 0x41 <= (buf[pos + 1] | 0x20) <= 0x7A:
            # a start or end tag: skip its name, then its attributes
            tag_start = pos + 1 + (buf[pos + 1] == 0x2F)
            pos = tag_start
            while pos < n and buf[pos] not in _WS and buf[pos] != 0x3E:
                pos += 1
            tag = buf[tag_start:pos].lower()
            while True:
                attr = _get_attribute(buf, pos)
                if attr is None:
                    break
                pos = attr[2]
            if pos >= n:
                return None
            pos += 1  # past ">"
            if buf[m.start() + 1] != 0x2F and tag in _RAW_TEXT_TAGS:
                # not in the spec, but a quoted '<meta charset=...>' inside a
                # script is not a declaration
                close = re.compile(rb"</" + tag + rb"[\s/>]", re.I).search(buf, pos)
                if close is None:
                    return None
                pos = close.start()
            continue
        # <!, </ not followed by a letter, <?: skip to ">"
        end = buf.find(b">", pos + 1)
        if end < 0:
            return None
        pos = end + 1
    return None


def _meta_charset(buf: bytes, pos: int) -> tuple[str | None, int] | None:
    """Parse one ``<meta>`` tag's attributes; return (codec or None, position)."""
    seen: set[str] = set()
    got_pragma = False
    need_pragma: bool | None = None
    charset: str | None = None
    while True:
        attr = _get_attribute(buf, pos)
        if attr is None:
            break
        name, value, pos = attr
        if name in seen:
            continue
        seen.add(name)
        if name == "http-equiv":
            if value == "content-type":
                got_pragma = True
        elif name == "content":
            if charset is None:
                cs = _charset_from_content(value)
                if cs is not None:
                    charset = cs
                    need_pragma = True
        elif name == "charset":
            charset = value
            need_pragma = False
    if pos >= len(buf):
        # the tag is cut off by the prescan window: the spec still uses what it
        # found, but an unterminated tag at the end is too unreliable
        return None
    if need_pragma is None or (need_pragma and not got_pragma) or charset is None:
        return None, pos
    codec = normalize_encoding(charset)
    if codec is None:
        return None, pos
    if codec.startswith("utf-16"):
        codec = "utf-8"
    return codec, pos


_XML_DECL = re.compile(
    rb"""\A\s*<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""",
)


def xml_declared_encoding(body: bytes) -> str | None:
    """The ``encoding`` of an XML declaration at the very start, as a codec name."""
    m = _XML_DECL.match(body[:512])
    if not m:
        return None
    codec = normalize_encoding(m.group(1).decode("ascii"))
    if codec and codec.startswith("utf-16"):
        return "utf-8"  # a UTF-16 document would have started with a BOM
    return codec
