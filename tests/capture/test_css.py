"""CSS decoding, discovery and rewriting, plus the shared URL helpers."""

from __future__ import annotations

import base64
import gzip
import re
from urllib.parse import urljoin

import pytest
import tinycss2
from hypothesis import given
from hypothesis import strategies as st

from snapshelf.capture.css import (
    Ref,
    classify,
    decode_css,
    decode_data_url,
    find_css_resources,
    find_inline_style_resources,
    resolve_url,
    rewrite_css,
    rewrite_inline_style,
    scope_selectors,
)
from tests.paths import CORPORA

BASE = "http://h.test/css/main.css"


def tag(url: str, kind: str) -> str:
    """A mapper that makes every rewrite visible in the output."""
    return f"K[{kind}:{url.rsplit('/', 1)[-1]}]"


# --------------------------------------------------------------------------- decoding


def test_decode_order_bom_http_charset_rule_fallback_utf8():
    text = "p::before { content: 'é中' }"
    # BOM beats everything
    assert decode_css(b"\xef\xbb\xbf" + text.encode(), "latin-1", "gbk") == text
    assert decode_css(b"\xff\xfe" + text.encode("utf-16-le"), "utf-8") == text
    # HTTP charset beats @charset
    body = ('@charset "utf-8";' + text).encode("gb18030")
    assert decode_css(body, "gbk").endswith(text)
    # @charset beats the referring document
    body = ('@charset "gb2312";' + text).encode("gb18030")
    assert decode_css(body, None, "windows-1252").endswith(text)
    # then the document's charset, then UTF-8
    assert decode_css(text.encode("gb18030"), None, "gb2312") == text
    assert decode_css(text.encode("utf-8"), None, None) == text


def test_decode_labels_follow_whatwg():
    # latin1/iso-8859-1 mean windows-1252 on the web; GB2312 is read as GB18030
    assert decode_css(b"\x93q\x94", "iso-8859-1") == "\u201cq\u201d"
    assert decode_css("\u20ac".encode("gb18030"), "GB2312") == "\u20ac"
    # @charset "utf-16" on ASCII-compatible bytes means UTF-8
    assert decode_css('@charset "utf-16"; a{content:"é"}'.encode(), None).endswith('"é"}')
    # an unknown label is ignored, bad bytes never raise
    assert decode_css(b"a{}\xff", "no-such-charset") == "a{}\ufffd"


# --------------------------------------------------------------------------- discovery


def test_find_kinds_imports_fonts_images():
    css = """
    @charset "utf-8";
    @import "a.css";
    @import url(b.css) screen;
    @import url('c.css') layer(base) supports(display: grid);
    @namespace svg url(http://www.w3.org/2000/svg);
    /* url(commented.png) */
    body { background: url(bg.png) no-repeat; content: "url(not-a-url.png)"; }
    @font-face { font-family: X; src: local(X), url("f.woff2") format("woff2"); }
    @media (min-width: 1px) {
      @font-face { src: url(nested.woff) }
      @supports (display: grid) { .g { list-style-image: url(nested.png) } }
    }
    .set { background-image: image-set("i1.png" 1x, url(i2.png) 2x, "i3.avif" type("image/avif")); }
    .wk { background-image: -webkit-image-set(url(w1.png) 1x, "w2.png" 2x); }
    .frag { filter: url(#blur); mask: url(data:image/png;base64,AAAA); cursor: url( ); }
    .nest { color: red; &:hover { background: url(hover.png) } }
    """
    refs = find_css_resources(css, BASE)
    got = {r.url.rsplit("/", 1)[-1]: r.kind for r in refs}
    assert got == {
        "a.css": "stylesheet",
        "b.css": "stylesheet",
        "c.css": "stylesheet",
        "bg.png": "image",
        "f.woff2": "font",
        "nested.woff": "font",
        "nested.png": "image",
        "i1.png": "image",
        "i2.png": "image",
        "i3.avif": "image",
        "w1.png": "image",
        "w2.png": "image",
        "hover.png": "image",
    }
    assert refs[0] == Ref("http://h.test/css/a.css", "stylesheet")
    assert len(refs) == len({r.url for r in refs})


def test_url_quotes_and_escapes():
    css = r"""
    a { background: url("q\"uote.png") }
    b { background: url('apo\'s.png') }
    c { background: url(sp\ ace.png) }
    d { background: url(\66 oo.png) }
    e { background: url(  padded.png  ) }
    f { background: url("sp ace 2.png") }
    g { background: URL(upper.png) }
    """
    urls = [r.url for r in find_css_resources(css, "http://h.test/")]
    assert urls == [
        "http://h.test/q%22uote.png",
        "http://h.test/apo's.png",
        "http://h.test/sp%20ace.png",
        "http://h.test/foo.png",
        "http://h.test/padded.png",
        "http://h.test/sp%20ace%202.png",
        "http://h.test/upper.png",
    ]
    out = rewrite_css(css, "http://h.test/", tag)
    for name in ("q%22uote.png", "apo's.png", "sp%20ace.png", "foo.png", "upper.png"):
        assert f"K[image:{name}]" in out.replace("\\'", "'")


def test_font_face_in_media_and_supports_gets_font_kind():
    css = "@media screen { @supports (x: y) { @font-face { src: url(deep.woff2) } } }"
    assert find_css_resources(css, BASE) == [Ref("http://h.test/css/deep.woff2", "font")]


def test_data_url_import_is_looked_into():
    inner = '@import "relative.css";\n@import url(http://other.test/abs.css);\nb{background:url(https://other.test/i.png)}'
    encoded = base64.b64encode(inner.encode()).decode()
    css = f"@import url(data:text/css;base64,{encoded});"
    refs = find_css_resources(css, BASE)
    # relative references cannot resolve against a data: URL (browsers agree)
    assert refs == [
        Ref("http://other.test/abs.css", "stylesheet"),
        Ref("https://other.test/i.png", "image"),
    ]
    seen: list[tuple[str, str]] = []

    def mapper(url: str, kind: str) -> str:
        seen.append((url[:21], kind))
        return "KEY"

    assert rewrite_css(css, BASE, mapper) == "@import url(KEY);"
    assert seen == [("data:text/css;base64,", "stylesheet")]


def test_inline_style_resources():
    style = "background: url('a.png'), url(b.png); --x: url(c.png); color: red"
    refs = find_inline_style_resources(style, "http://h.test/p/")
    assert [r.url for r in refs] == [f"http://h.test/p/{n}" for n in ("a.png", "b.png", "c.png")]
    out = rewrite_inline_style(style, "http://h.test/p/", tag)
    assert out.count("K[image:") == 3
    assert out.endswith("color: red")
    assert rewrite_inline_style("color: red;  margin:0", BASE, tag) == "color: red;  margin:0"


# --------------------------------------------------------------------------- rewriting


def test_rewrite_keeps_fragments_and_drops_charset():
    css = (
        '@charset "utf-8";\n@font-face{src:url(f.svg#font) format("svg"),url(f.woff)}\n'
        ".x{background:url(x.png#frag)}"
    )
    out = rewrite_css(css, BASE, lambda url, kind: "0" * 64)
    assert "@charset" not in out
    assert f"url({'0' * 64}#font)" in out
    assert f"url({'0' * 64}#frag)" in out
    # an empty placeholder never gets a fragment
    out = rewrite_css(css, BASE, lambda url, kind: "data:,")
    assert "data:,#" not in out
    assert out.count("data:,") == 3


def test_rewrite_unsafe_and_unfetchable_urls_become_empty():
    css = ".a{background:url('javascript:alert(1)')}.b{background:url(ftp://h/x.png)}.c{behavior:url(file:///etc/passwd)}"
    out = rewrite_css(css, BASE, tag)
    assert out.count("data:,") == 3
    assert "javascript" not in out
    assert "ftp:" not in out


def test_unchanged_stylesheet_is_returned_verbatim():
    css = "/* c */ a { font-family: 'Quoted', serif; background: url(data:image/gif;base64,R0=) }"
    assert rewrite_css(css, BASE, tag) == css


def test_broken_css_from_corpus_survives():
    path = CORPORA / "warc2zim-test-website" / "content" / "css-broken-file.css"
    css = path.read_text()
    refs = find_css_resources(css, "http://site.test/css-broken-file.css")
    assert refs == [Ref("http://www.mediaelementjs.com/images/big_buck_bunny.jpg", "image")]
    out = rewrite_css(css, "http://site.test/css-broken-file.css", lambda u, k: "data:,")
    for kept in ("not_exits_prop: red;", "font-size: ;", "display= 12;", "margin: 2rem;"):
        assert kept in out
    assert "mediaelementjs" not in out


@pytest.mark.parametrize(
    "css",
    [
        'a{b:"unterminated\n;c:url(x.png)}',
        "a{b:url(bad url.png);c:url(ok.png)}",
        "}}{{",
        "@import",
        '"x',
    ],
)
def test_garbage_never_raises(css):
    rewrite_css(css, BASE, tag)
    find_css_resources(css, BASE)
    rewrite_inline_style(css, BASE, tag)


@given(st.text(max_size=200))
def test_arbitrary_text_never_raises(css):
    out = rewrite_css(css, BASE, lambda u, k: "0" * 64)
    rewrite_css(out, BASE, lambda u, k: "0" * 64)
    rewrite_inline_style(css, BASE, lambda u, k: "0" * 64)


def test_css_rewrite_uses_no_regex_for_urls_in_strings_and_comments():
    css = '.a::after{content:"url(x.png)"} /* @import "y.css"; */ .b{background:url(z.png)}'
    out = rewrite_css(css, BASE, tag)
    assert 'content:"url(x.png)"' in out
    assert '/* @import "y.css"; */' in out
    assert "K[image:z.png]" in out


_PIECES = [
    "a{background:url(x.png)}",
    "b { background: url( 'y.png' ) }",
    'c{background:url("z z.png#f")}',
    "d{background:URL(\\75 rl.png)}",
    "e{background:\\75 rl(esc.png)}",
    "f{background:url(bad url.png)}",
    "g{background:url(a\\)b.png)}",
    '@import "i.css";',
    "@import url(j.css) screen;",
    "@media print{@font-face{src:url(k.woff) format('woff')}}",
    "h{background:image-set('l.png' 1x, url(m.png) 2x)}",
    "i{content:'url(not.png)'}",
    "/* url(comment.png) */",
    'j{content:"esc\\"aped\\\nnext"}',
    "k{background:url(data:image/png;base64,AAAA)}",
    "l{x:src('n.png')}",
    "\r\n",
    "\f",
    "\x00",
    " ",
    "}",
    "{",
    "m{background:url(eof.png",
    "n{content:'eof",
    '@charset "utf-8";',
]


def _shape(css: str) -> str:
    """The token structure of a stylesheet with every URL and string value blanked out."""

    def walk(nodes):
        out = []
        for node in nodes:
            if node.type == "error":
                if node.kind.startswith("eof"):
                    continue  # a replaced token is written closed: same meaning at EOF
                node = tinycss2.ast.LiteralToken(0, 0, f"<error {node.kind}>")
            elif node.type == "url":
                node = tinycss2.ast.URLToken(0, 0, "U", "url(U)")
            elif node.type == "string":
                node = tinycss2.ast.StringToken(0, 0, "S", '"S"')
            for attr in ("content", "prelude", "arguments"):
                value = getattr(node, attr, None)
                if isinstance(value, list):
                    setattr(node, attr, walk(value))
            out.append(node)
        return out

    return tinycss2.serialize(walk(tinycss2.parse_stylesheet(css)))


@given(st.lists(st.sampled_from(_PIECES), max_size=12))
def test_rewrite_changes_url_tokens_only(pieces):
    css = "".join(pieces)
    if css.startswith('@charset "utf-8";'):
        css = " " + css  # a leading @charset is dropped: covered elsewhere
    out = rewrite_css(css, BASE, tag)
    assert _shape(out) == _shape(css)
    before, after = _css_values(css), _css_values(out)
    assert len(before) == len(after)
    for old, new in zip(before, after, strict=True):
        if new != old:
            assert new.startswith("K[") or new == "data:,"
    # nothing in a URL position was left out
    for ref in find_css_resources(out, BASE):
        assert ref.url.rsplit("/", 1)[-1].startswith("K["), ref


def _css_values(css: str) -> list[str]:
    values: list[str] = []

    def walk(nodes):
        for node in nodes:
            if node.type in ("url", "string"):
                values.append(node.value)
            for attr in ("content", "prelude", "arguments"):
                value = getattr(node, attr, None)
                if isinstance(value, list):
                    walk(value)

    walk(tinycss2.parse_stylesheet(css))
    return values


def test_rewrite_keeps_everything_but_the_urls_byte_for_byte():
    css = "/* keep */\r\n@media screen{ .a { background : url( a.png ) ; color:RED } }\f.b{}"
    out = rewrite_css(css, BASE, tag)
    assert (
        out
        == "/* keep */\n@media screen{ .a { background : url(K[image:a.png]) ; color:RED } }\n.b{}"
    )
    css = '@charset "latin1";\n.c{background:url("c.png")} @charset "x"; }}'
    out = rewrite_css(css, BASE, tag)
    assert out == '\n.c{background:url("K[image:c.png]")} @charset "x"; }}'


# --------------------------------------------------------------------------- URLs


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("img.png", "http://h.test/a/b/img.png"),
        ("../x.png", "http://h.test/a/x.png"),
        ("../../../../x.png", "http://h.test/x.png"),
        ("./double//slash", "http://h.test/a/b/double//slash"),
        (".//", "http://h.test/a/b//"),
        ("//cdn.test/x", "http://cdn.test/x"),
        ("/abs", "http://h.test/abs"),
        ("?q=1", "http://h.test/a/b/page.html?q=1"),
        ("", "http://h.test/a/b/page.html?x=1"),
        ("a\\b.png", "http://h.test/a/b/a/b.png"),
        ("  \n sp\nace.png\t", "http://h.test/a/b/space.png"),
        ("é 1.png?q=é", "http://h.test/a/b/%C3%A9%201.png?q=%C3%A9"),
        ("%C3%A9.png", "http://h.test/a/b/%C3%A9.png"),
        ("HTTPS://Ex.AMPLE:443/P", "https://ex.ample/P"),
        ("http://h.test:80/x", "http://h.test/x"),
        ("http:rel.png", "http://h.test/a/b/rel.png"),
        ("http://jédéacçents.test/", "http://xn--jdacents-v0aqb.test/"),
        ("x.png?a=1,2&b='3'", "http://h.test/a/b/x.png?a=1,2&b=%273%27"),
    ],
)
def test_resolve_like_a_browser(ref, expected):
    resolved = resolve_url("http://h.test/a/b/page.html?x=1", ref)
    assert resolved is not None
    assert resolved[0] == expected


def test_resolve_fragment_and_failures():
    assert resolve_url(BASE, "f.svg#id x") == ("http://h.test/css/f.svg", "id%20x")
    assert resolve_url(BASE, "mailto:x@y") is None
    assert resolve_url("data:text/css,a", "rel.css") is None
    assert resolve_url("data:text/css,a", "https://ok.test/x") == ("https://ok.test/x", None)
    assert resolve_url(BASE, "http://exa mple/") is None
    assert resolve_url(BASE, "http://h:port/") is None


def test_classify_schemes():
    assert classify("  JaVa\tScRiPt:alert(1)", BASE).kind == "script"
    assert classify("vbscript:x", BASE).kind == "script"
    assert classify("#top", BASE).kind == "fragment"
    assert classify("  ", BASE).kind == "empty"
    assert classify("data:,x", BASE).kind == "data"
    assert classify("about:blank", BASE).kind == "about"
    assert classify("ftp://x/y", BASE).kind == "other"
    assert classify("x.png#f", BASE) == classify("http://h.test/css/x.png#f", BASE)


_SEGMENT = st.text(alphabet="abcé/._-%?#&=中 ", max_size=30)


@given(_SEGMENT)
def test_resolution_is_idempotent_and_ascii(ref):
    resolved = resolve_url("http://h.test/a/b/c", ref)
    if resolved is None:
        return
    url, fragment = resolved
    assert url.isascii()
    assert " " not in url
    assert "#" not in url
    again = resolve_url("http://other.test/", url)
    assert again == (url, None)


@given(st.from_regex(r"[a-z]{1,5}(/[a-z]{1,5}){0,3}(\.png)?", fullmatch=True))
def test_agrees_with_urljoin_on_plain_relative_paths(ref):
    base = "http://h.test/a/b/c"
    assert resolve_url(base, ref)[0] == urljoin(base, ref)


def test_decode_data_url():
    assert decode_data_url("data:,Hello%2C%20World") == ("text/plain", None, b"Hello, World")
    assert decode_data_url("data:text/css;charset=GBK;base64,YQ==") == ("text/css", "GBK", b"a")
    assert decode_data_url("data:text/css;base64,YW Jj\nZA") == ("text/css", None, b"abcd")
    assert decode_data_url("data:image/png;base64,!!!") in (None, ("image/png", None, b""))
    assert decode_data_url("data:no-comma") is None
    assert decode_data_url("http://x/") is None


@pytest.mark.parametrize(
    ("css", "expected"),
    [
        (".st0{fill:#FFF;}.st1{fill:none}", ".P-st0.M{fill:#FFF;}.P-st1.M{fill:none}"),
        ("#a .b, path { x: y }", "#P-a .P-b.M, path.M { x: y }"),
        ("svg > g:hover, .c::before, i:after {}", "svg > g:hover.M, .P-c.M::before, i.M:after {}"),
        (":not(.q) ~ * + rect[class~=q] {}", ":not(.P-q) ~ * + rect[class~=q].M {}"),
        ("@media (min-width: 1px) { .a { b: c } }", "@media (min-width: 1px) { .P-a.M { b: c } }"),
        ("@keyframes k { from { a: b } } @font-face { x: y }", None),
        ("fill: url(#g) /* not a rule */", ""),  # browsers drop it too
    ],
)
def test_scope_selectors(css, expected):
    out = scope_selectors(css, lambda name: "P-" + name, "M")
    assert out == (css if expected is None else expected)


def test_scan_cache_is_bounded_and_consistent(monkeypatch):
    from snapshelf.capture.css import scan as module

    monkeypatch.setattr(module, "_SCAN_CACHE_CHARS", 2000)
    module._SCAN_CACHE.clear()
    monkeypatch.setattr(module, "_scan_cache_size", 0)
    sheets = [f".a{i}{{background:url(i{i}.png)}}" * 10 for i in range(40)]
    first = [rewrite_css(css, BASE, tag) for css in sheets]
    assert module._scan_cache_size <= 2000
    assert sum(len(css) for inline, css in module._SCAN_CACHE) == module._scan_cache_size
    assert [rewrite_css(css, BASE, tag) for css in sheets] == first  # cached or not: same
    # the same text as a stylesheet and as a style="" value is scanned separately
    assert rewrite_css('@import "s.css";', BASE, tag) == '@import "K[stylesheet:s.css]";'
    assert rewrite_inline_style('@import "s.css";', BASE, tag) == '@import "s.css";'
    module._SCAN_CACHE.clear()


def test_token_tree_fallback_when_offsets_do_not_check_out(monkeypatch):
    from snapshelf.capture.css import scan as module

    monkeypatch.setattr(module, "_token_at", lambda *args: False)
    module._SCAN_CACHE.clear()
    css = '@charset "x";\n.a{background:url( a.png )} .b{content:"k"}'
    assert rewrite_css(css, BASE, tag) == '\n.a{background:url(K[image:a.png])} .b{content:"k"}'
    assert find_css_resources(css, BASE) == [Ref("http://h.test/css/a.png", "image")]
    assert rewrite_inline_style("background:url('b.png')", BASE, tag) == (
        'background:url("K[image:b.png]")'
    )
    module._SCAN_CACHE.clear()


# ------------------------------------------------------------- tokenising only some rules
#
# Only the top-level rules that may hold a URL are tokenised (tinycss2 is slow); the
# result must be what tokenising the whole stylesheet gives.

_SPLIT_PIECES = [
    *_PIECES,
    "@import url(p.css)",  # no ";": the at-rule runs on into what follows
    "@media screen{o{background:url(q.png)}",  # an unclosed block
    "p{background:url(r{;}.png)}",  # brackets and ";" inside an unquoted url()
    "q{x:'}';y:url(s.png)}",
    "r{x:(};[{])}",
    's{x:"a\\"}"}',
    ".md\\:t{background:url(t.png)}",
    "u;v{background:url(u.png)}",  # ";" in a qualified rule's prelude does not end it
    "@font-face{src:url(v.woff)}",
    "@x;",
    "@ w{background:url(w.png)}",
    "\n\n",
    "xurl(y;)",
    "y{background:url(z\\);}.png)}",  # an escaped ")" does not end the url()
    "a{width:auto\\9;background:url(a9.png)}",  # IE hack: an escaped digit in a name
    ".i\\31 0{background:url(b.png)}",
    "c{content:\\f101;x:(\\31 );background:url(c.png)}",
    "d{x:\\9 url(d;}.png)}",  # "\9 url(" is a function, not a url() token
    "e{background:ur\\6c(e;{.png)}",
    "f{background:\\55 R\\4c (f;}.png)}",
    "g{background:u\\72l(g.png)}",
]


def test_escaped_letters_outside_function_names_keep_the_split_scan():
    from snapshelf.capture.css.scan import _rules_with_urls

    css = "a{width:auto\\9}b{content:\\f101}c{x:\\31 0}d{background:url(d.png)}"
    assert _rules_with_urls(css) == [(0, 15), (15, 31), (31, 41), (41, 65)]  # rule by rule
    # in a function name they could spell "url(": the whole sheet is tokenised
    for name in ("\\75 rl", "ur\\6c", "\\55\\52\\4c", "\\9 url"):
        whole = f"a{{width:auto\\9}}b{{x:{name}(y;}})}}"
        assert _rules_with_urls(whole) == [(0, len(whole))], name


@pytest.mark.parametrize("piece", _SPLIT_PIECES)
def test_scanning_some_rules_on_each_tricky_piece(piece):
    for css in (piece, piece + "z{background:url(after.png)}", "@import 'a.css';" + piece):
        whole, split = _whole_and_split(css)
        assert split == whole, css


def _whole_and_split(css: str):
    from snapshelf.capture.css import scan as module

    whole = module._scan_whole(css)
    return whole, module._scan_uncached(css, False)


@given(st.lists(st.sampled_from(_SPLIT_PIECES), max_size=14))
def test_scanning_some_rules_finds_what_scanning_all_does(pieces):
    whole, split = _whole_and_split("".join(pieces))
    assert split == whole


def test_scanning_some_rules_agrees_on_corpus_stylesheets():
    texts = [p.read_text(errors="replace") for p in sorted(CORPORA.rglob("*.css"))]
    for path in sorted((CORPORA / "trafilatura-eval").rglob("*.html.gz"))[::25]:
        html = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
        texts += re.findall(r"<style[^>]*>(.*?)</style>", html, re.S | re.I)
    checked = 0
    for text in texts:
        whole, split = _whole_and_split(text)
        assert split == whole
        checked += bool(whole and whole.urls)
    assert checked >= 10


@given(st.text(alphabet=st.sampled_from("ab'\"\\ \t\n\r\f()é\x00"), max_size=30) | st.text())
def test_url_serialisation_matches_tinycss2(value):
    from tinycss2.serializer import serialize_url as reference

    from snapshelf.capture.css import serialize_url

    assert serialize_url(value) == reference(value)


def _dot_segments_step_by_step(path: str) -> str:
    """RFC 3986 dot-segment removal, segment by segment (with the %2e spellings)."""
    out: list[str] = []
    segments = path.split("/")[1:]
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg.lower() in ("..", ".%2e", "%2e.", "%2e%2e"):
            if out:
                out.pop()
            if last:
                out.append("")
        elif seg.lower() in (".", "%2e"):
            if last:
                out.append("")
        else:
            out.append(seg)
    return "/" + "/".join(out)


@given(st.lists(st.sampled_from(["/", ".", "%2e", "%2E", "a", "b.c", "%20"]), max_size=12))
def test_dot_segment_removal(pieces):
    # the quick return for paths without a possible dot segment must change nothing
    from snapshelf.capture.css.urls import _remove_dot_segments

    path = "/" + "".join(pieces)
    assert _remove_dot_segments(path) == _dot_segments_step_by_step(path)
    assert _remove_dot_segments("/a/./b/../c/%2E%2e/d") == "/a/d"
    assert _remove_dot_segments("/a/b.c/.d/e.") == "/a/b.c/.d/e."
