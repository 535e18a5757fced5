"""Decide what a fetched body is, trusting bytes over labels where bytes are sure.

Servers mislabel: PDFs go out as ``text/html`` or ``application/octet-stream``,
images as ``octet-stream``, HTML with no type at all. Magic numbers are
unambiguous, so they win; textual guesses (does it look like HTML?) only fill
in when the header is missing or generic, following the spirit of the WHATWG
MIME Sniffing standard (a ``text/plain`` page is never upgraded to HTML).
"""

from __future__ import annotations

import re

__all__ = ["classify", "image_mime", "is_binary", "looks_like_html", "looks_like_svg"]

# (prefix, MIME) pairs checked against the first bytes
_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"\x00\x00\x01\x00", "image/x-icon"),
    (b"\x00\x00\x02\x00", "image/x-icon"),  # .cur
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"\xff\x0a", "image/jxl"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "image/jxl"),
)

_ISOBMFF_IMAGE_BRANDS = {
    b"avif": "image/avif",
    b"avis": "image/avif",
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"heim": "image/heic",
    b"heis": "image/heic",
    b"mif1": "image/heif",
    b"msf1": "image/heif",
}

_GENERIC_TYPES = frozenset(
    {
        "",
        "application/octet-stream",
        "application/unknown",
        "unknown/unknown",
        "application/x-unknown-content-type",
        "binary/octet-stream",
        "*/*",
    }
)

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "application/vnd.wap.xhtml+xml"})

_TEXT_APPLICATION_TYPES = frozenset(
    {
        "application/json",
        "application/ld+json",
        "application/xml",
        "application/javascript",
        "application/x-javascript",
        "application/ecmascript",
        "application/x-ndjson",
        "application/yaml",
        "application/x-yaml",
        "application/toml",
        "application/csv",
        "application/x-sh",
        "application/sql",
        "application/rtf",
    }
)

# WHATWG "tag-terminated" HTML signatures (after leading whitespace)
_HTML_START = re.compile(
    rb"<(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p"
    rb"|meta|link|section|article|header|nav|main|span|form|center|ul|img)(?=[\s>/])",
    re.I,
)
# Possessive loops over single whitespace characters: a nested ``(\s+)*`` would
# backtrack exponentially on the long indentation real pages start with.
_LEADING_JUNK = re.compile(rb"\A(?:\s|<!--.*?-->|<\?xml[^>]*>)++", re.S)
_SVG_ROOT = re.compile(rb"\A(?:\s|<!--.*?-->|<\?[^>]*>|<!doctype[^>]*>)*+<svg[\s>]", re.I | re.S)

_BINARY_BYTES = frozenset(
    b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1c\x1d\x1e\x1f"
)


def _mime_of(content_type: str | None) -> str:
    if not content_type:
        return ""
    return content_type.split(";", 1)[0].strip().lower()


def _strip_bom(head: bytes) -> bytes:
    for bom in (b"\xef\xbb\xbf", b"\xfe\xff", b"\xff\xfe"):
        if head.startswith(bom):
            return head[len(bom) :]
    return head


def image_mime(body: bytes) -> str | None:
    """The image type the bytes really are (for serving with ``nosniff``), or None."""
    head = body[:64]
    for magic, mime in _IMAGE_MAGIC:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:2] == b"BM" and len(head) >= 26 and head[6:10] == b"\x00\x00\x00\x00":
        return "image/bmp"  # "BM" alone is too weak; the reserved field is zero
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _ISOBMFF_IMAGE_BRANDS:
            return _ISOBMFF_IMAGE_BRANDS[brand]
        # compatible brands list
        box_end = min(int.from_bytes(head[:4], "big"), len(head))
        for i in range(16, box_end - 3, 4):
            if head[i : i + 4] in _ISOBMFF_IMAGE_BRANDS:
                return _ISOBMFF_IMAGE_BRANDS[head[i : i + 4]]
        return None
    if looks_like_svg(body):
        return "image/svg+xml"
    return None


def looks_like_svg(body: bytes) -> bool:
    """An XML document whose root element is ``<svg>``."""
    return bool(_SVG_ROOT.match(_strip_bom(body[:4096])))


def looks_like_html(body: bytes) -> bool:
    """Does the body start (after BOM, whitespace, comments) like an HTML document?"""
    head = _strip_bom(body[:4096])
    m = _LEADING_JUNK.match(head)
    if m:
        head = head[m.end() :]
    return bool(_HTML_START.match(head))


def is_binary(body: bytes) -> bool:
    """WHATWG "binary data byte" test on the first 512 bytes (UTF-16 BOMs excepted)."""
    head = body[:512]
    if head.startswith((b"\xfe\xff", b"\xff\xfe")):
        return False
    return any(b in _BINARY_BYTES for b in head)


def _is_pdf(body: bytes) -> bool:
    head = _strip_bom(body[:1024]).lstrip()
    return head.startswith(b"%PDF-")


def _extension(url: str | None) -> str:
    if not url:
        return ""
    path = url.split("#", 1)[0].split("?", 1)[0]
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def classify(body: bytes, content_type: str | None, url: str | None = None) -> str:
    """Return "html", "pdf", "image", "text" or "other" for a fetched body.

    Magic numbers (PDF, raster images, SVG roots) beat the header; the header
    decides between HTML and text; sniffing for HTML happens only when the
    header is missing or generic. Binary bytes under a text type are "other".
    """
    mime = _mime_of(content_type)

    if _is_pdf(body):
        return "pdf"
    if image_mime(body) is not None:
        return "image"

    binary = is_binary(body) and not _markup_with_stray_controls(body)
    if mime in _HTML_TYPES:
        return "other" if binary else "html"
    if mime == "application/pdf":
        # the magic was not there: an error page, or a damaged file
        if not binary and looks_like_html(body):
            return "html"
        return "pdf"
    if mime.startswith("image/"):
        return "other" if not binary and looks_like_html(body) else "image"
    if (
        mime.startswith("text/")
        or mime in _TEXT_APPLICATION_TYPES
        or mime.endswith(("+json", "+xml"))
    ):
        return "other" if binary else "text"

    if mime in _GENERIC_TYPES:
        if binary:
            return "other"
        if looks_like_html(body) or _markup_with_stray_controls(body):
            return "html"
        ext = _extension(url)
        if ext in ("html", "htm", "xhtml", "shtml"):
            return "html"
        if ext == "pdf":
            return "pdf"
        if not body.strip():
            return "other"
        return "text" if _mostly_text(body) else "other"
    return "other"


_CONTROL_AND_SPACE = bytes(sorted(_BINARY_BYTES)) + b" \t\r\n\f"


def _markup_with_stray_controls(body: bytes) -> bool:
    """HTML that carries a few stray control bytes (a NUL or 0x1A near the top) is still HTML.

    Binary formats are dense in control bytes; a page that starts like HTML
    and has fewer than one in a hundred of its first bytes is markup.
    """
    head = body[:4096]
    if not looks_like_html(head.lstrip(_CONTROL_AND_SPACE)):
        return False
    return sum(head.count(bytes([b])) for b in _BINARY_BYTES) * 100 < len(head)


def _mostly_text(body: bytes) -> bool:
    """No type given and no magic: text if no control bytes appear early on."""
    return not any(b in _BINARY_BYTES for b in body[:4096])
