"""Content classification: bytes beat labels where bytes are unambiguous."""

from __future__ import annotations

import gzip
import struct
import subprocess
import sys
import zlib

import pytest

from snapshelf.capture.classify import classify, image_mime
from tests.capture.corpora import corpus, read_bytes


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


PNG = _png()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00" + b"\x00" * 24
BMP = b"BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00" + b"\x00" * 40
ICO = b"\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x01\x00\x20\x00" + b"\x00" * 40
AVIF = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 16
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
SVG = (
    b'<?xml version="1.0"?>\n<!-- logo -->\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="1"></svg>'
)
HTML = (
    b"\n  <!-- saved page -->\n"
    b"<!DOCTYPE html><html><head><title>x</title></head><body></body></html>"
)


@pytest.mark.parametrize(
    ("body", "mime"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (GIF, "image/gif"),
        (WEBP, "image/webp"),
        (BMP, "image/bmp"),
        (ICO, "image/x-icon"),
        (AVIF, "image/avif"),
        (SVG, "image/svg+xml"),
        (HTML, None),
        (PDF, None),
        (b"BMW is a car maker", None),  # "BM" alone is not a bitmap
        (b"", None),
    ],
)
def test_image_mime(body: bytes, mime: str | None) -> None:
    assert image_mime(body) == mime


@pytest.mark.parametrize(
    ("body", "content_type", "url", "kind"),
    [
        # magic numbers win over the label
        (PDF, "text/html; charset=utf-8", None, "pdf"),
        (PDF, "application/octet-stream", None, "pdf"),
        (PDF, None, None, "pdf"),
        (b"\xef\xbb\xbf" + PDF, "text/plain", None, "pdf"),
        (PNG, "application/octet-stream", None, "image"),
        (PNG, "text/html", None, "image"),
        (JPEG, None, None, "image"),
        (GIF, "image/png", None, "image"),  # wrong image type is still an image
        (SVG, "image/svg+xml", None, "image"),
        (SVG, "text/xml", None, "image"),
        (SVG, None, None, "image"),
        # HTML
        (HTML, None, None, "html"),
        (HTML, "", None, "html"),
        (HTML, "application/octet-stream", None, "html"),
        (HTML, "text/html", None, "html"),
        (b"<p>fragment</p>", "text/html", None, "html"),
        (b"\xef\xbb\xbf<html><body>x</body></html>", None, None, "html"),
        (
            b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"></html>',
            None,
            None,
            "html",
        ),
        (b"<html><body>x</body></html>", "application/xhtml+xml", None, "html"),
        # text/plain that looks like HTML stays text (no upgrade)
        (HTML, "text/plain", None, "text"),
        (b"just some words", "text/plain; charset=utf-8", None, "text"),
        (b'{"a": 1}', "application/json", None, "text"),
        (b'{"a": 1}', "application/ld+json", None, "text"),
        (b"<rss></rss>", "application/rss+xml", None, "text"),
        (b"<a/>", "application/xml", None, "text"),
        (b"a,b\n1,2\n", "text/csv", None, "text"),
        (b"plain words without a type", None, "https://e.org/readme", "text"),
        # binary bytes under a text label
        (b"\x00\x01\x02\x03binary", "text/plain", None, "other"),
        (b"\x00\x01\x02\x03binary", "text/html", None, "other"),
        (b"\x00\x01\x02\x03binary", None, None, "other"),
        (b"PK\x03\x04\x14\x00\x00\x00", "application/zip", None, "other"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", None, None, "other"),
        (b"", None, None, "other"),
        # labels we trust when the bytes say nothing
        (b"\x00garbled pdf?", "application/pdf", None, "pdf"),
        (b"<html><body>Not found</body></html>", "application/pdf", None, "html"),
        (b"\x00\x00\x00 weird image", "image/heic", None, "image"),
        (b"<html><body>error</body></html>", "image/jpeg", None, "other"),
        (b"text without type", "application/octet-stream", "https://e.org/page.html", "html"),
    ],
)
def test_classify(body: bytes, content_type: str | None, url: str | None, kind: str) -> None:
    assert classify(body, content_type, url) == kind


def test_classify_real_pages() -> None:
    page = corpus("mozilla-readability-testpages") / "test-pages" / "bbc-1" / "source.html"
    assert classify(page.read_bytes(), None) == "html"
    gbk = sorted((corpus("cx-extractor-163-gbk") / "RawHtml").glob("*.html.gz"))[0]
    assert classify(read_bytes(gbk), None) == "html"
    assert classify(gzip.compress(read_bytes(gbk)), None) == "other"
    text = corpus("cx-extractor-163-gbk") / "Text" / "1.txt"
    assert classify(text.read_bytes(), "text/plain") == "text"
    assert classify(text.read_bytes(), None) == "text"  # GBK text, no type: still text


def test_classify_real_images_from_warc_site() -> None:
    root = corpus("warc2zim-test-website") / "content"
    images = [
        p
        for p in root.rglob("*")
        if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
    ]
    assert images
    for path in images:
        assert classify(path.read_bytes(), "application/octet-stream") == "image", path
        assert image_mime(path.read_bytes()) is not None, path


def test_indented_page_classifies_without_catastrophic_backtracking() -> None:
    # Real pages (a German news site among them) open with kilobytes of indentation
    # between conditional comments; a nested-quantifier regex never returned on them.
    head = "\n" + " " * 24 + "<!DOCTYPE html>\n"
    head += "".join(
        f"{' ' * 12}<!--[if IE {n}]> <html> <![endif]-->\n{' ' * 40}\n" for n in range(40)
    )
    body = head.encode() + b"<html><body><p>x</p></body></html>"
    code = (
        "import sys; from snapshelf.capture.classify import classify; "
        "print(classify(sys.stdin.buffer.read(), None))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input=body, capture_output=True, timeout=60, check=True
    )
    assert done.stdout.strip() == b"html"
