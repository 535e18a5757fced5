"""Replay bundles built from real corpus pages: self-contained, safe, and complete.

The fetch callback here serves files from ../shared/corpora the way a static file server
would (path percent-decoded once, query ignored, 404 when missing, other hosts offline).
It is a local fetch, not a mock: the pipeline's real HTTP client is exercised end-to-end
elsewhere.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from pathlib import Path
from urllib.parse import unquote_to_bytes, urljoin, urlsplit

import lxml.html
import pytest
import tinycss2
import webencodings

from snapshelf.capture.html import document_base_url, find_resources, parse_html, parse_srcset
from snapshelf.capture.replay import build_replay
from snapshelf.capture.resources import collect
from snapshelf.capture.types import Fetched
from tests.paths import CORPORA

HOST = "site.test"
CORPUS_DIRS = [
    "mdn-learning-area-pages",
    "monolith-fixtures",
    "warc2zim-test-website/content",
]
KEY_REF = re.compile(r"r/[0-9a-f]{64}(#.*)?")
SIBLING_REF = re.compile(r"[0-9a-f]{64}(#.*)?")


# --------------------------------------------------------------------------- helpers


def corpus_pages() -> list[tuple[str, str]]:
    pages = []
    for corpus in CORPUS_DIRS:
        root = CORPORA / corpus
        for path in sorted(root.rglob("*.html")) + sorted(root.rglob("*.html.gz")):
            rel = path.relative_to(root).as_posix().removesuffix(".gz")
            pages.append((corpus, rel))
    return pages


def local_path(root: Path, url: str) -> Path | None:
    """Which corpus file a static file server would answer ``url`` with (None: other host)."""
    parts = urlsplit(url)
    if parts.hostname != HOST:
        return None
    rel = unquote_to_bytes(parts.path).decode("utf-8", "surrogateescape").lstrip("/")
    return root / rel


def read_local(path: Path) -> bytes | None:
    if path.is_file():
        return path.read_bytes()
    gz = path.with_name(path.name + ".gz")
    if gz.is_file():
        return gzip.decompress(gz.read_bytes())
    return None


class LocalFetch:
    """fetch(url, kind) -> Fetched, reading corpus files; records every call."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.calls: list[tuple[str, str]] = []

    def __call__(self, url: str, kind: str) -> Fetched:
        self.calls.append((url, kind))
        path = local_path(self.root, url)
        if path is None:
            return Fetched(url, url, 0, "", None, b"", "connection", "host unreachable offline")
        body = read_local(path)
        if body is None:
            return Fetched(url, url, 404, "text/html", None, b"not found")
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".woff2":
            ctype = "font/woff2"
        return Fetched(url, url, 200, ctype, None, body)


def decode_page(data: bytes) -> tuple[str, str]:
    """Minimal <meta> charset prescan for the test pages (the real one: capture.decode)."""
    match = re.search(rb"charset=[\"']?([A-Za-z0-9_.:-]+)", data[:2048])
    enc = webencodings.lookup(match.group(1).decode("ascii")) if match else None
    name = enc.name if enc else "utf-8"
    if name == "gbk":
        name = "gb18030"
    codec = enc.codec_info.name if enc and name != "gb18030" else name
    return data.decode(codec, "replace"), name


def capture(corpus: str, rel: str):
    """The static-capture steps this package owns, on one corpus page."""
    root = CORPORA / corpus
    url = f"http://{HOST}/{rel}"
    text, charset = decode_page(read_local(root / rel))
    tree = parse_html(text)
    base = document_base_url(tree, url)
    refs = find_resources(tree, base)
    fetch = LocalFetch(root)
    fetched = collect(refs, fetch, document_charset=charset)
    bundle = build_replay(tree, base, fetched, document_charset=charset)
    return bundle, fetch, base, tree


def css_urls(css: str, *, inline: bool = False) -> list[str]:
    """Every URL a stylesheet loads, found with tinycss2 directly (independent of our code)."""
    nodes = (
        tinycss2.parse_component_value_list(css)
        if inline
        else tinycss2.parse_stylesheet(css, skip_comments=True)
    )
    out: list[str] = []

    def walk(items) -> None:
        for node in items or []:
            if node.type == "url":
                out.append(node.value)
            elif node.type == "function" and node.lower_name in ("url", "src"):
                out.extend(a.value for a in node.arguments if a.type == "string")
            elif node.type == "function" and "image-set" in node.lower_name:
                out.extend(a.value for a in node.arguments if a.type == "string")
                walk(node.arguments)
            elif node.type == "function":
                walk(node.arguments)
            elif node.type == "at-rule" and node.lower_at_keyword == "import":
                first = [t for t in node.prelude if t.type not in ("whitespace", "comment")]
                if first and first[0].type == "string":
                    out.append(first[0].value)
                walk(node.prelude)
            elif node.type in ("at-rule", "qualified-rule") or hasattr(node, "content"):
                walk(node.content)

    walk(nodes)
    return out


RESOURCE_ATTRS = ("src", "poster", "background", "data")


def resource_refs(doc) -> list[tuple[str, str]]:
    """(where, value) of every resource reference in a parsed output document."""
    refs: list[tuple[str, str]] = []
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag
        for attr in RESOURCE_ATTRS:
            if el.get(attr) is not None and tag not in ("a", "form"):
                refs.append((f"{tag}@{attr}", el.get(attr)))
        for attr in ("srcset", "imagesrcset"):
            if el.get(attr):
                # data: URLs contain commas: split with the (separately tested) HTML algorithm
                for url, _descriptors in parse_srcset(el.get(attr)):
                    refs.append((f"{tag}@{attr}", url))
        if tag == "link":
            refs.append(("link@href", el.get("href") or ""))
        if tag not in ("a", "link"):
            for attr in ("href", "xlink:href"):
                if el.get(attr) is not None:
                    refs.append((f"{tag}@{attr}", el.get(attr)))
        if el.get("style"):
            refs += [(f"{tag}@style", u) for u in css_urls(el.get("style"), inline=True)]
        if tag == "style":
            refs += [("style", u) for u in css_urls(el.text or "")]
    return refs


def allowed_in_document(value: str) -> bool:
    v = value.strip()
    return bool(
        KEY_REF.fullmatch(v) or v.startswith(("data:", "#")) or v == "about:blank" or v == ""
    )


# --------------------------------------------------------------------------- corpus-wide


PAGES = corpus_pages()


def test_corpus_pages_found():
    assert len(PAGES) > 60  # 14 MDN + 12 monolith + 41 warc2zim pages


@pytest.mark.parametrize(("corpus", "rel"), PAGES, ids=[f"{c.split('/')[0]}:{r}" for c, r in PAGES])
def test_replay_of_corpus_page(corpus: str, rel: str):
    bundle, fetch, base, _tree = capture(corpus, rel)
    stored = {r.key: r for r in bundle.resources if r.key}

    # Keys are the SHA-256 of exactly the bytes that will be served.
    for res in bundle.resources:
        if res.key:
            served = res.replay if res.replay is not None else res.original
            assert res.key == hashlib.sha256(served).hexdigest()
        else:
            assert res.error_code
            assert res.original == b""

    out = lxml.html.document_fromstring(bundle.html)

    # Safety: nothing that runs, nothing that navigates by itself.
    assert not out.xpath("//script"), "script left in replay"
    assert not out.xpath("//noscript"), "noscript must be unwrapped"
    assert not out.xpath("//base")
    for el in out.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), f"event handler {name} on <{el.tag}>"
            assert name not in ("integrity", "nonce")
            assert not value.strip().lower().startswith(("javascript:", "vbscript:"))
    for meta in out.iter("meta"):
        assert (meta.get("http-equiv") or "").lower() not in (
            "refresh",
            "content-security-policy",
            "content-type",
        )
    charsets = [m for m in out.iter("meta") if m.get("charset") is not None]
    assert len(charsets) == 1
    assert charsets[0].get("charset") == "utf-8"
    assert out.find("head")[0] is charsets[0]
    for frame in out.xpath("//iframe|//frame"):
        assert frame.get("src") in (None, "about:blank")

    # Every resource reference stays inside the archive.
    refs = resource_refs(out)
    for where, value in refs:
        assert allowed_in_document(value), f"{corpus}/{rel}: {where} -> {value!r}"
        match = KEY_REF.fullmatch(value.strip())
        if match:
            assert value.strip()[2:66] in stored, f"{where} points at a key not stored"

    # Stored stylesheets only reference siblings or data: URLs.
    for res in bundle.resources:
        if res.replay is not None:
            for value in css_urls(res.replay.decode("utf-8")):
                assert SIBLING_REF.fullmatch(value) or value.startswith(("data:", "#")), value
                if SIBLING_REF.fullmatch(value):
                    assert value[:64] in stored

    # Completeness: every local file the page (or its CSS) uses was fetched and stored.
    root = CORPORA / corpus
    for path in naive_local_dependencies(root, rel, base):
        data = read_local(path)
        if data is None:
            continue
        matches = [r for r in bundle.resources if r.key and local_path(root, r.url) == path]
        assert matches, f"{path.relative_to(root)} referenced by {rel} but not stored"
        for res in matches:
            assert res.original == data
            if res.replay is None:
                assert res.key == hashlib.sha256(data).hexdigest()

    # Responsive images: of each, at least one candidate (what a reader's screen loads).
    for group in responsive_groups(root, rel, base):
        stored_paths = {local_path(root, r.url) for r in bundle.resources if r.key}
        existing = {p for p in group if read_local(p) is not None}
        assert not existing or existing & stored_paths, f"no candidate of {group} stored"

    # Each distinct URL fetched once.
    urls = [u for u, _ in fetch.calls]
    assert len(urls) == len(set(urls))


def responsive_groups(root: Path, rel: str, base: str) -> list[set[Path]]:
    """Per responsive image (srcset or <picture>), the local files of all its candidates."""
    doc = lxml.html.document_fromstring(decode_page(read_local(root / rel))[0])
    groups = []
    for img in doc.xpath("//img[@srcset or parent::picture]"):
        parent = img.getparent()
        holders = [s for s in parent if s.tag == "source"] if parent.tag == "picture" else []
        values = [img.get("src") or ""]
        for el in [*holders, img]:
            values += [c.split()[0] for c in (el.get("srcset") or "").split(",") if c.strip()]
        paths = {local_path(root, urljoin(base, v.strip())) for v in values if v.strip()}
        if paths - {None}:
            groups.append(paths - {None})
    return groups


def naive_local_dependencies(root: Path, rel: str, base: str) -> set[Path]:
    """Files a page loads, found with xpath + tinycss2 and urljoin: an independent oracle."""
    html = read_local(root / rel)
    doc = lxml.html.document_fromstring(decode_page(html)[0])
    found: set[Path] = set()
    values: list[str] = []
    # responsive images (srcset, <picture>): see responsive_groups
    values += doc.xpath("//img[not(@srcset) and not(parent::picture)]/@src")
    values += doc.xpath("//video/@poster|//audio/@src|//source/@src|//track/@src")
    values += doc.xpath("//input[@type='image']/@src|//*[@background]/@background")
    for el in doc.iter("image", "use"):
        values += [el.get(a) for a in ("href", "xlink:href") if el.get(a)]
    for link in doc.iter("link"):
        rel_tokens = (link.get("rel") or "").lower().split()
        if {"stylesheet", "icon", "apple-touch-icon"} & set(rel_tokens) and link.get("href"):
            values.append(link.get("href"))
    for el in doc.xpath("//*[@style]"):
        values += css_urls(el.get("style"), inline=True)
    sheets: list[tuple[str, str]] = [(s.text or "", base) for s in doc.iter("style")]
    for value in values:
        if value.strip().startswith(("data:", "#")) or not value.strip():
            continue
        absolute = urljoin(base, value.strip())
        path = local_path(root, absolute)
        if path is not None:
            found.add(path)
            if path.suffix == ".css" and path.is_file():
                sheets.append((path.read_text("utf-8", "replace"), absolute))
    seen_sheets: set[str] = set()
    while sheets:
        css, sheet_base = sheets.pop()
        # web fonts: only the faces the page uses, in one format (test_fidelity_fonts)
        css = re.sub(r"@font-face\s*\{[^{}]*\}", "", css, flags=re.IGNORECASE)
        for value in css_urls(css):
            if value.startswith(("data:", "#")) or not value.strip():
                continue
            absolute = urljoin(sheet_base, value)
            path = local_path(root, absolute)
            if path is None:
                continue
            found.add(path)
            if path.suffix == ".css" and path.is_file() and absolute not in seen_sheets:
                seen_sheets.add(absolute)
                sheets.append((path.read_text("utf-8", "replace"), absolute))
    return found


# --------------------------------------------------------------------------- specific pages


def _resource(bundle, suffix: str):
    matches = [r for r in bundle.resources if r.url.endswith(suffix)]
    assert matches, f"no resource ending with {suffix}"
    return matches[0]


def test_typesetting_page_fonts_are_stored_in_one_format():
    bundle, _fetch, _base, _ = capture(
        "mdn-learning-area-pages", "css/styling-text/typesetting-a-homepage-finished/index.html"
    )
    sheet = _resource(bundle, "typesetting-a-homepage-finished/style.css")
    css = sheet.replay.decode()
    fonts = [r for r in bundle.resources if "/fonts/" in r.url]
    # two faces, both used, each in its first format browsers read (not eot, svg, ttf...)
    assert sorted(r.url.rsplit("/", 1)[-1] for r in fonts) == [
        "Lovato-Light-webfont.woff2",
        "josefinslab-bold-webfont.woff2",
    ]
    assert all(r.kind == "font" and r.key for r in fonts)
    for font in fonts:
        assert f"({font.key})" in css or f'"{font.key}"' in css
    assert "#lovatolight" not in css  # the SVG font, not fetched, is data:, without fragment
    link_icon = _resource(bundle, "external-link-52.png")
    assert link_icon.kind == "image"
    assert f"url({link_icon.key})" in css
    assert all(SIBLING_REF.fullmatch(u) or u == "data:," for u in css_urls(css))
    assert "See https://www.fontspring.com/fonts/philatype/lovato" in css  # comments kept


def test_google_font_degrades_to_empty_data_url():
    bundle, _fetch, _base, _ = capture(
        "mdn-learning-area-pages", "css/styling-text/web-fonts/google-font.html"
    )
    google = _resource(bundle, "family=Lobster|Raleway")
    assert google.key == ""
    assert google.error_code == "connection"
    doc = lxml.html.document_fromstring(bundle.html)
    hrefs = [link.get("href") for link in doc.iter("link")]
    local = _resource(bundle, "google-font.css")
    assert hrefs == ["data:,", f"r/{local.key}"]


def test_import_of_data_url_stylesheet_is_stored_and_its_relative_import_dropped():
    bundle, fetch, _base, _ = capture("monolith-fixtures", "import-css-via-data-url/index.html")
    # A data: URL is not a base for relative URLs: "style.css" (the pink page) must not load.
    assert fetch.calls == []
    sheet = _resource(bundle, "QGltcG9ydCAic3R5bGUuY3NzIjsK")
    assert sheet.kind == "stylesheet"
    assert sheet.original == b'@import "style.css";\n'
    assert sheet.replay == b'@import "data:,";\n'
    assert f'href="r/{sheet.key}"' in bundle.html


def test_base_href_resolution():
    bundle, fetch, base, _ = capture("warc2zim-test-website/content", "base-href.html")
    assert base == f"http://{HOST}/base-href/"
    fetched_urls = {url for url, _ in fetch.calls}
    assert f"http://{HOST}/base-href/image1.png" in fetched_urls  # relative to <base>
    assert f"http://{HOST}/images/image1.png" in fetched_urls
    assert f"http://{HOST}/icons/favicon.ico" in fetched_urls  # ../icons from base-href/
    assert f"http://{HOST}/image1.png" not in fetched_urls  # not relative to the page
    for suffix in ("/base-href/image1.png", "/images/image1.png", "/icons/favicon.ico"):
        assert _resource(bundle, suffix).key
    doc = lxml.html.document_fromstring(bundle.html)
    assert [a.get("href") for a in doc.iter("a")][0] == f"http://{HOST}/base-href/something.html"


def test_url_encoded_and_unicode_file_names():
    bundle, fetch, _base, _ = capture("warc2zim-test-website/content", "url-encoding.html")
    root = CORPORA / "warc2zim-test-website/content"
    images = root / "images"
    nfd = (
        images
        / "urlencoding1_ico\u0302ne-de\u0301buter-Solidarite\u0301-Nume\u0301rique_1@300x.png"
    )
    expected = {
        nfd: 3,  # raw NFD (and the mixed form, same URL once encoded), %40 form, with query
        images / "urlencoding4_(_[_|_]_).png": 1,
        images / "urlencoding4_\u063c.png": 1,
    }
    for path, count in expected.items():
        stored = [r for r in bundle.resources if r.key and local_path(root, r.url) == path]
        assert len(stored) == count, path.name
        assert all(r.original == path.read_bytes() for r in stored)
    assert f"http://{HOST}/images/urlencoding4_%D8%BC.png" in {u for u, _ in fetch.calls}
    doc = lxml.html.document_fromstring(bundle.html)
    srcs = [img.get("src") for img in doc.iter("img")]
    assert len(srcs) == 16
    assert all(KEY_REF.fullmatch(s) for s in srcs[:4] + srcs[10:12])
    assert srcs[0] == srcs[2]  # same file spelled raw and half-encoded: one URL
    assert srcs[3].endswith("#anchor%233")  # fragment kept, not fetched
    # "not working on the source website" cases must not work here either
    assert srcs[4:10] == ["data:,"] * 6
    # an unreachable host degrades cleanly
    assert srcs[12:] == ["data:,"] * 4


def test_broken_css_file_still_rewritten():
    bundle, _fetch, _base, _ = capture("warc2zim-test-website/content", "css-broken-file.html")
    sheet = _resource(bundle, "css-broken-file.css")
    css = sheet.replay.decode()
    assert 'background-image: url("data:,")' in css  # offline image, cleanly empty
    assert "display= 12;" in css
    assert "font-size: ;" in css
    assert "text-align: center;" in css
    assert "mediaelementjs" not in css


def test_gb2312_text_survives_rewrite():
    bundle, _fetch, _base, tree = capture("monolith-fixtures", "unusual_encodings/gb2312.html")
    title = tree.findtext(".//title")
    assert title
    assert any("\u4e00" <= ch <= "\u9fff" for ch in title)
    out = lxml.html.document_fromstring(bundle.html)
    assert out.findtext(".//title") == title
    assert out.findtext(".//h1") == tree.findtext(".//h1")


def test_failed_and_missing_resources_recorded_and_emptied():
    bundle, _fetch, _base, _ = capture("monolith-fixtures", "basic/local-file.html")
    missing_css = _resource(bundle, "local-style-does-not-exist.css")
    missing_png = _resource(bundle, "monolith.png")
    assert missing_css.key == missing_png.key == ""
    assert missing_css.status == 404
    assert missing_css.error_code == "http_error"
    doc = lxml.html.document_fromstring(bundle.html)
    assert doc.find(".//img").get("src") == "data:,"
    assert [link.get("href") for link in doc.iter("link")][1] == "data:,"
    assert "local-script.js" not in bundle.html  # scripts are not resources


# --------------------------------------------------------------------------- synthetic


def _fetched(url: str, body: bytes, ctype: str = "text/css", charset: str | None = None):
    return Fetched(url, url, 200, ctype, charset, body)


def test_import_cycle_is_broken_and_keys_are_bottom_up():
    a, b, img = "http://h.test/a.css", "http://h.test/b.css", "http://h.test/i.png"
    fetched = {
        a: _fetched(a, b'@import "b.css";\n.a { background: url(i.png) }'),
        b: _fetched(b, b'@import url(a.css);\n@import "b.css";\n.b { color: red }'),
        img: _fetched(img, b"\x89PNG...", "image/png"),
    }
    tree = parse_html('<link rel="stylesheet" href="http://h.test/a.css">')
    bundle = build_replay(tree, "http://h.test/", fetched)
    by_url = {r.url: r for r in bundle.resources}
    css_b = by_url[b].replay.decode()
    assert css_b.count('"data:,"') == 2 or css_b.count("data:,") == 2  # both cycle edges
    css_a = by_url[a].replay.decode()
    assert by_url[b].key in css_a
    assert by_url[img].key in css_a
    assert by_url[a].key == hashlib.sha256(by_url[a].replay).hexdigest()
    assert f'href="r/{by_url[a].key}"' in bundle.html


def test_unreferenced_fetched_resources_are_still_listed():
    extra = "http://h.test/extra.png"
    fetched = {extra: _fetched(extra, b"x", "image/png")}
    bundle = build_replay(parse_html("<p>hi</p>"), "http://h.test/", fetched)
    assert [r.url for r in bundle.resources] == [extra]
    assert bundle.resources[0].key == hashlib.sha256(b"x").hexdigest()


def test_css_charset_fallback_uses_document_charset():
    url = "http://h.test/zh.css"
    body = ".t:before { content: '中文' }".encode("gb18030")
    fetched = {url: _fetched(url, body)}
    tree = parse_html('<link rel="stylesheet" href="zh.css">')
    bundle = build_replay(tree, "http://h.test/", fetched, document_charset="gb2312")
    assert "中文" in bundle.resources[0].replay.decode("utf-8")


# --------------------------------------------------------------------------- SVG <use>


def _hidden_svgs(doc) -> list:
    return [svg for svg in doc.iter("svg") if svg.get("aria-hidden") == "true"]


def test_external_svg_use_is_copied_into_the_replay_document():
    # monolith-fixtures/svg: <use xlink:href="icons.svg#icon-1"> (the only corpus page whose
    # <use> points at another file). A sandboxed replay (opaque origin) cannot render an
    # external <use>, so the symbol must be in the document itself.
    bundle, _fetch, _base, _ = capture("monolith-fixtures", "svg/svg.html")
    icons = _resource(bundle, "svg/icons.svg")
    data = (CORPORA / "monolith-fixtures/svg/icons.svg").read_bytes()
    assert icons.key == hashlib.sha256(data).hexdigest()  # still a stored resource
    assert icons.original == data
    prefix = f"sf{icons.key[:12]}-"
    doc = parse_html(bundle.html)
    use = doc.find(".//use")
    assert use.get("xlink:href") == f"#{prefix}icon-1"
    assert "r/" not in bundle.html  # nothing else refers to the file
    hidden = _hidden_svgs(doc)
    assert len(hidden) == 1
    assert doc.find("body")[0] is hidden[0]
    assert "width:0" in hidden[0].get("style")
    symbols = hidden[0].findall("defs/symbol")
    assert [s.get("id") for s in symbols] == [f"{prefix}icon-1"]  # icon-2 is not used
    assert symbols[0].find("path").get("d").startswith("M10 20h4V10")
    assert 'viewBox="0 0 24 24"' in bundle.html  # SVG attribute case kept
    assert use.getparent().findtext("title") == "Like"


SPRITE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE svg [<!ENTITY boom "boom">]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape">
  <style>.c { fill: url(#grad) } .d { fill: url(http://elsewhere.test/x.svg#g) }</style>
  <script>alert("sprite")</script>
  <defs>
    <linearGradient id="grad"><stop offset="0" stop-color="red"/></linearGradient>
    <linearGradient id="unused-grad"><stop offset="1"/></linearGradient>
  </defs>
  <symbol id="a" viewBox="0 0 10 10" onclick="steal()" inkscape:label="layer">
    <rect class="c" width="10" height="10" fill="url(#pat)" style="stroke: url('#grad')"/>
    <use xlink:href="#b"/>
    <image href="http://elsewhere.test/track.png" width="1" height="1"/>
    <a href="javascript:alert(1)"><text>t</text></a>
    <foreignObject><div xmlns="http://www.w3.org/1999/xhtml">html</div></foreignObject>
  </symbol>
  <symbol id="b"><circle r="2"/></symbol>
  <pattern id="pat" width="1" height="1"><path d="M0 0h1"/></pattern>
  <symbol id="unused"><path d="M9 9"/></symbol>
  <symbol id="t"><text>one <!-- note --> two<script>x()</script> three</text></symbol>
  <symbol id="ic\xc3\xb3n"><path d="M1 1"/></symbol>
</svg>"""


def _svg_page(body: str, files: dict[str, tuple[bytes, str] | None]):
    fetched = {}
    for url, item in files.items():
        if item is None:
            fetched[url] = Fetched(url, url, 404, "text/html", None, b"", "http_error", "404")
        else:
            fetched[url] = _fetched(url, item[0], item[1])
    tree = parse_html(f"<html><body><p>text</p>{body}</body></html>")
    return build_replay(tree, "http://h.test/page.html", fetched)


def test_svg_use_copies_only_what_is_used_and_makes_it_inert():
    sprite = "http://h.test/icons/sprite.svg"
    bundle = _svg_page(
        '<img src="icons/sprite.svg">'
        '<svg><use href="icons/sprite.svg#a"></use></svg>'
        '<svg><use xlink:href="http://h.test/icons/sprite.svg#a" href="#local"></use></svg>'
        '<svg><use href="/missing.svg#x"></use><use href="/pic.png#x"></use></svg>'
        '<svg><use href="icons/sprite.svg#not-there"></use></svg>',
        {
            sprite: (SPRITE, "image/svg+xml"),
            "http://h.test/missing.svg": None,
            "http://h.test/pic.png": (b"\x89PNG\r\n\x1a\n", "image/png"),
        },
    )
    key = hashlib.sha256(SPRITE).hexdigest()
    prefix = f"sf{key[:12]}-"
    by_url = {r.url: r for r in bundle.resources}
    assert by_url[sprite].key == key  # stored, and still what <img> shows
    doc = parse_html(bundle.html)
    assert doc.find(".//img").get("src") == f"r/{key}"
    uses = [u for u in doc.iter("use") if not _in_hidden(u)]
    assert [(u.get("href"), u.get("xlink:href")) for u in uses] == [
        (f"#{prefix}a", None),
        ("#local", f"#{prefix}a"),
        ("data:,", None),  # failed fetch
        ("data:,", None),  # not an SVG file
        (f"#{prefix}not-there", None),  # dangling, as it is on the live page
    ]
    hidden = _hidden_svgs(doc)
    assert len(hidden) == 1  # one copy per file, however often it is used
    ids = [el.get("id") for el in hidden[0].iter() if el.get("id")]
    assert sorted(ids) == sorted(f"{prefix}{i}" for i in ("grad", "a", "b", "pat"))
    rect = hidden[0].find(".//rect")
    assert rect.get("fill") == f"url(#{prefix}pat)"
    assert f"#{prefix}grad" in rect.get("style")
    # The file's rules are confined to its copies: classes renamed, subjects marked.
    assert rect.get("class") == f"{prefix}c {prefix[:-1]}"
    style = hidden[0].findtext(".//style")
    assert f".{prefix}c.{prefix[:-1]} {{ fill: url(#{prefix}grad) }}" in style
    assert f".{prefix}d.{prefix[:-1]} {{ fill: url(data:,) }}" in style
    assert "elsewhere.test" not in bundle.html
    assert hidden[0].find(".//symbol//use").get("href") == f"#{prefix}b"
    assert hidden[0].find(".//image").get("href") == "data:,"
    assert hidden[0].find(".//a").get("href") is None  # javascript: dropped
    for gone in ("alert", "steal", "onclick", "foreignobject", "inkscape", "unused", "boom"):
        assert gone not in bundle.html.lower()
    assert 'viewBox="0 0 10 10"' in bundle.html
    assert "<linearGradient" in bundle.html


def test_svg_use_copy_keeps_text_around_comments_and_dropped_elements():
    sprite = "http://h.test/s.svg"
    bundle = _svg_page('<svg><use href="s.svg#t"></use></svg>', {sprite: (SPRITE, "image/svg+xml")})
    text = parse_html(bundle.html).find(".//symbol/text")
    assert "".join(text.itertext()) == "one  two three"
    assert "x()" not in bundle.html


def _in_hidden(el) -> bool:
    return any(a.get("aria-hidden") == "true" for a in el.iterancestors("svg"))


def test_svg_use_without_fragment_and_with_encoded_fragment():
    sprite = "http://h.test/s.svg"
    bundle = _svg_page(
        '<svg><use href="s.svg"></use><use href="s.svg#ic%C3%B3n"></use>'
        '<use href="s.svg#ic\u00f3n"></use></svg>',
        {sprite: (SPRITE, "image/svg+xml")},
    )
    prefix = f"sf{hashlib.sha256(SPRITE).hexdigest()[:12]}-"
    doc = parse_html(bundle.html)
    uses = [u.get("href") for u in doc.iter("use") if not _in_hidden(u)]
    assert uses == [f"#{prefix[:-1]}", f"#{prefix}ic%C3%B3n", f"#{prefix}ic%C3%B3n"]
    hidden = _hidden_svgs(doc)
    copy = hidden[0].find("defs/svg")  # the whole file, for the fragment-less <use>
    assert copy.get("id") == prefix[:-1]
    assert copy.xpath(f".//symbol[@id='{prefix}ic\u00f3n']")
    assert copy.xpath(f".//symbol[@id='{prefix}unused']")
    assert "alert" not in bundle.html
