"""Single-file HTML: nothing outside the file, and the inlined bytes are the stored bytes."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import unquote_to_bytes

import pytest
import tinycss2

from snapshelf.capture.html import parse_html, parse_srcset, serialize_html
from snapshelf.capture.singlefile import inline
from tests.capture.test_replay import PAGES, capture, css_urls, resource_refs
from tests.paths import CORPORA


def decode_data(url: str) -> tuple[str, bytes]:
    header, _, payload = url[5:].partition(",")
    payload = payload.split("#", 1)[0]
    if header.endswith(";base64"):
        return header[: -len(";base64")], base64.b64decode(payload)
    return header, unquote_to_bytes(payload)


def masked(css: str) -> str:
    """A stylesheet with every URL replaced by a placeholder (to compare the rest exactly)."""

    def walk(nodes):
        if nodes:  # rules browsers skip stay in stored CSS; tinycss2 cannot write them
            nodes[:] = [n for n in nodes if n.type != "error"]
        for i, node in enumerate(nodes or []):
            if node.type == "url":
                nodes[i] = tinycss2.ast.URLToken(0, 0, "U", "url(U)")
            elif node.type == "string":
                nodes[i] = tinycss2.ast.StringToken(0, 0, "U", '"U"') if node.value else node
            for attr in ("arguments", "content", "prelude"):
                walk(
                    getattr(node, attr, None)
                    if isinstance(getattr(node, attr, None), list)
                    else None
                )

    rules = tinycss2.parse_stylesheet(css)
    walk(rules)
    return tinycss2.serialize(rules)


class Checker:
    """Every data: URL is either one the replay already had, or exactly a stored resource."""

    def __init__(self, bundle_html: str, resources) -> None:
        self.store = {r.key: r for r in resources if r.key}
        self.stored_css = {masked(r.replay.decode()) for r in resources if r.replay is not None}
        self.original_data = {v for _w, v in resource_refs(parse_html(bundle_html))}
        for r in resources:
            if r.replay is not None:
                self.original_data.update(css_urls(r.replay.decode()))
        self.inlined: set[str] = set()

    def data_url(self, value: str) -> None:
        if value == "data:," or value in self.original_data:
            return
        mime, data = decode_data(value)
        if mime.startswith("text/css"):
            css = data.decode("utf-8")
            # an inlined stylesheet is a stored one with its URLs turned into data: URLs
            assert masked(css) in self.stored_css
            for url in css_urls(css):
                assert url.startswith(("data:", "#")), url
                if url.startswith("data:"):
                    self.data_url(url)
        else:
            key = hashlib.sha256(data).hexdigest()
            assert key in self.store, "inlined bytes are not stored bytes"
            self.inlined.add(key)


@pytest.mark.parametrize(("corpus", "rel"), PAGES, ids=[f"{c.split('/')[0]}:{r}" for c, r in PAGES])
def test_single_file_of_corpus_page(corpus: str, rel: str):
    bundle, _fetch, _base, _tree = capture(corpus, rel)
    store = {r.key: (r.content_type, r.replay if r.replay is not None else r.original)
             for r in bundle.resources if r.key}  # fmt: skip
    checker = Checker(bundle.html, bundle.resources)
    original_refs = resource_refs(parse_html(bundle.html))
    html = inline(bundle.html, store.get)
    doc = parse_html(html)
    refs = resource_refs(doc)
    # nothing dropped but the candidates of responsive images the capture viewport did not
    # show: each such image keeps exactly one
    responsive = ("img@srcset", "img@src", "source@srcset")
    assert len([r for r in refs if r[0] not in responsive]) >= len(
        [r for r in original_refs if r[0] not in responsive]
    )
    assert not doc.xpath("//picture/source[@srcset]")
    for img in doc.iter("img"):
        assert len(parse_srcset(img.get("srcset") or "")) <= 1
        assert not (img.get("srcset") and img.get("src")), "one copy of the image only"
    for where, value in refs:
        v = value.strip()
        assert v.startswith(("data:", "#")) or v in ("", "about:blank"), f"{where}: {v[:80]}"
        if v.startswith("data:"):
            checker.data_url(v)
    # every stored resource the replay uses (directly or through CSS) is inside the file
    replay_doc = parse_html(bundle.html)
    for el in replay_doc.xpath("//img[@srcset or parent::picture]|//picture/source"):
        el.attrib.pop("srcset", None)  # candidates: one of them is kept (checked above)
        el.attrib.pop("src", None)
    used = {
        r.key
        for r in bundle.resources
        if r.key
        and r.replay is None
        and f"{r.key}"
        in serialize_html(replay_doc)
        + "".join(x.replay.decode() for x in bundle.resources if x.replay is not None)
    }
    svg_uses = {v[2:66] for w, v in original_refs if w.startswith("use@")}
    assert used - svg_uses <= checker.inlined
    assert "<script" not in html
    assert "r/" not in {v[:2] for _w, v in refs}


def test_svg_use_is_inlined_as_local_symbol():
    bundle, _fetch, _base, _ = capture("monolith-fixtures", "svg/svg.html")
    store = {r.key: (r.content_type, r.original) for r in bundle.resources if r.key}
    html = inline(bundle.html, store.get)
    doc = parse_html(html)
    use = doc.find(".//use")
    ref = use.get("xlink:href")
    assert ref.startswith("#sf")
    assert ref.endswith("-icon-1")
    symbol = doc.xpath(f"//symbol[@id='{ref[1:]}']")
    assert len(symbol) == 1
    assert symbol[0].get("viewbox") == "0 0 24 24"  # the browser's HTML parser fixes the case
    assert symbol[0].find("path").get("d").startswith("M10 20h4V10")
    assert '<symbol id="' in html
    hidden = symbol[0].xpath("ancestor::svg[last()]")[0]
    assert "width:0" in hidden.get("style")
    assert hidden.get("aria-hidden") == "true"
    assert len(doc.xpath("//svg[@aria-hidden]")) == 1  # the replay's copy, kept, not doubled
    assert "icons.svg" not in html
    assert "r/" not in html.replace("tm-votes-lever", "")


def test_legacy_replay_use_reference_is_inlined():
    """Replay documents stored before build_replay copied SVG symbols point at r/<key>#id."""
    data = (CORPORA / "monolith-fixtures/svg/icons.svg").read_bytes()
    key = hashlib.sha256(data).hexdigest()
    html = f'<svg><use xlink:href="r/{key}#icon-2"></use></svg>'
    out = inline(html, {key: ("image/svg+xml", data)}.get)
    doc = parse_html(out)
    assert doc.find(".//use").get("xlink:href") == f"#sf{key[:12]}-icon-2"
    assert [s.get("id") for s in doc.iter("symbol")] == [f"sf{key[:12]}-icon-2"]
    assert 'viewBox="0 0 24 24"' in out


def test_svg_use_copy_is_sanitised_and_ids_prefixed():
    key = "a" * 64
    sprite = b"""<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">
      <script>alert(1)</script>
      <linearGradient id="g"><stop offset="0"/></linearGradient>
      <symbol id="s" onclick="x()"><rect fill="url(#g)" style="stroke:url(#g)"/>
        <image xlink:href="http://evil.test/track.png"/><use href="#other"/></symbol>
      <g id="other"/></svg>"""
    html = f'<svg><use href="r/{key}#s"></use><use href="r/{key}#other"></use></svg>'
    out = inline(html, {key: ("image/svg+xml", sprite)}.get)
    prefix = f"sf{key[:12]}-"
    doc = parse_html(out)
    assert [u.get("href") for u in doc.iter("use")] == [
        f"#{prefix}other",  # the copied sprite's own <use>, first in the document
        f"#{prefix}s",
        f"#{prefix}other",
    ]
    assert doc.xpath("//rect")[0].get("fill") == f"url(#{prefix}g)"
    assert f"url(#{prefix}g)" in doc.xpath("//rect")[0].get("style")
    assert "evil.test" not in out
    assert "alert" not in out
    assert "onclick" not in out
    assert len(doc.xpath("//svg[@aria-hidden]")) == 1  # copied once, used twice


def test_missing_blob_and_foreign_references_become_empty():
    key = "b" * 64
    html = f"""<img src="r/{key}"><img src="r/{"c" * 64}#x"><img src="r/not-a-key">
    <svg><use href="r/{"d" * 64}#i"></use></svg>
    <a href="https://example.test/">link stays</a>"""
    out = inline(html, {key: ("image/png", b"PNG")}.get)
    doc = parse_html(out)
    srcs = [i.get("src") for i in doc.iter("img")]
    assert srcs == ["data:image/png;base64,UE5H", "data:,", "data:,"]
    assert doc.find(".//use").get("href") == "data:,"
    assert doc.find(".//a").get("href") == "https://example.test/"


def test_stylesheet_cycle_and_nesting_in_single_file():
    ka, kb, kimg = "a" * 64, "b" * 64, "e" * 64
    store = {
        ka: ("text/css", f'@import "{kb}";\n.a{{background:url({kimg}#f)}}'.encode()),
        kb: ("text/css", f'@import "{ka}";'.encode()),
        kimg: ("image/svg+xml", b"<svg/>"),
    }
    html = f'<link rel="stylesheet" href="r/{ka}"><p style="background:url(r/{kimg})">x</p>'
    out = inline(html, store.get)
    link = parse_html(out).find(".//link").get("href")
    css_a = decode_data(link)[1].decode()
    imported = css_urls(css_a)[0]
    assert imported.startswith("data:text/css;charset=utf-8;base64,")
    assert decode_data(imported)[1].decode() == '@import "data:,";'  # the cycle is cut
    assert "url(data:image/svg+xml;base64,PHN2Zy8+#f)" in css_a
    assert (
        'url("data:image/svg+xml;base64,PHN2Zy8+")' in out
        or "url(data:image/svg+xml;base64,PHN2Zy8+)" in out
    )


def test_data_url_stylesheet_left_in_document_is_reembedded():
    key = "f" * 64
    inner = base64.b64encode(f'@import "rel.css";\np{{background:url({key})}}'.encode()).decode()
    html = f'<link rel="stylesheet" href="data:text/css;base64,{inner}">'
    out = inline(html, {key: ("image/png", b"PNG")}.get)
    css = decode_data(parse_html(out).find(".//link").get("href"))[1].decode()
    # relative references cannot resolve against a data: URL, in browsers or here
    assert css == '@import "data:,";\np{background:url(data:,)}'
