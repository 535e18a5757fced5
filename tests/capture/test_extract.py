"""Readable extraction on real pages, sanitising, fallbacks, PDFs, fingerprints."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snapshelf.capture.decode import decode_html
from snapshelf.capture.extract import (
    Extracted,
    extract_html,
    extract_pdf,
    extract_text_document,
    fingerprint,
    sanitize_html,
)
from snapshelf.capture.fingerprint import hamming, shingles
from snapshelf.errors import Unsupported
from tests.capture.corpora import FULL, corpus, read_bytes, sample

# --------------------------------------------------------------------------- scoring

_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]|\w+")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _norm(text: str | None) -> str:
    text = re.sub(r"\s+", " ", text or "").strip().casefold()
    return re.sub(r"^by\s+", "", text)  # "By Jane Doe" names Jane Doe


def close_match(got: str, expected: str) -> bool:
    """Equal, or one contains the other and the lengths are within 60 %."""
    a, b = _norm(got), _norm(expected)
    if not a or not b:
        return False
    if a == b:
        return True
    return (a in b or b in a) and min(len(a), len(b)) / max(len(a), len(b)) >= 0.6


def token_recall(expected: str, got: str) -> float:
    """Share of the expected text's distinct tokens (CJK: characters) found in ours."""
    want = {t.lower() for t in _TOKEN.findall(expected)}
    have = {t.lower() for t in _TOKEN.findall(got)}
    return len(want & have) / len(want) if want else 1.0


def bigram_recall(expected: str, got: str) -> float:
    """Character-bigram recall, whitespace ignored (for Chinese text)."""

    def grams(s: str) -> set[str]:
        s = re.sub(r"\s+", "", s)
        return {s[i : i + 2] for i in range(len(s) - 1)}

    want = grams(expected)
    return len(want & grams(got)) / len(want) if want else 1.0


# --------------------------------------------------------------------------- readability pages

# Measured 2026-11-28 with trafilatura 2.3.1 (fast mode + conditional full
# retry). FULL = all 130 pages (SNAPSHELF_FULL_CORPORA=1); SAMPLE = every 5th
# page (26), the default run. Floors are the measured values rounded down; the
# references are Readability.js outputs, so 100 % is neither expected nor the
# goal.
READABILITY_FLOORS = {
    # name: (full floor, sample floor); measured full / sample
    # pages with an expected title: 121/127 / 25/26; misses are mostly titles
    # where we dropped the site name that Readability keeps ("Mozilla" vs
    # "Mozilla - Wikipedia"), which the 60 % length rule counts as different
    "title": (0.95, 0.96),
    "byline": (0.77, 0.75),  # 59/76 / 9/12 (pages with an expected byline)
    "lang": (1.00, 1.00),  # 73/73 / 15/15
    "text": (0.98, 0.96),  # 128/130 / 25/26 pages with expected-token recall >= 0.8
    "date": (1.00, 1.00),  # 33/33 / 5/5 (same instant)
    "site": (0.96, 1.00),  # 60/62 / 9/9
}


def _same_time(got: str, expected: str) -> bool:
    """Same instant when both carry a time zone, else the same calendar day."""
    try:
        a, b = datetime.fromisoformat(got), datetime.fromisoformat(expected.replace("Z", "+00:00"))
    except ValueError:
        return got[:10] == expected[:10]
    if a.tzinfo and b.tzinfo:
        return a == b
    return a.date() == b.date()


@cache
def _readability_results() -> dict[str, tuple[int, int, list[str]]]:
    root = corpus("mozilla-readability-testpages") / "test-pages"
    folders = sample(sorted(p for p in root.iterdir() if p.is_dir()))
    stats: dict[str, list] = {k: [0, 0, []] for k in READABILITY_FLOORS}

    def count(key: str, ok: bool, note: str) -> None:
        stats[key][1] += 1
        if ok:
            stats[key][0] += 1
        else:
            stats[key][2].append(note)

    for folder in folders:
        meta = json.loads((folder / "expected-metadata.json").read_text("utf-8"))
        got = extract_html(
            (folder / "source.html").read_text("utf-8"), f"http://fakehost/test/{folder.name}/"
        )
        assert got.title, folder.name  # a title signal always exists (at least the URL)
        if meta.get("title"):
            count("title", close_match(got.title, meta["title"]), f"{folder.name}: {got.title!r}")
        if meta.get("byline"):
            count(
                "byline", close_match(got.author, meta["byline"]), f"{folder.name}: {got.author!r}"
            )
        if meta.get("lang"):
            same = got.language.split("-")[0] == meta["lang"].split("-")[0].lower()
            count("lang", same, f"{folder.name}: {got.language!r}")
        if meta.get("publishedTime"):
            count(
                "date", _same_time(got.date, meta["publishedTime"]), f"{folder.name}: {got.date!r}"
            )
        if meta.get("siteName"):
            count(
                "site",
                close_match(got.site_name, meta["siteName"]),
                f"{folder.name}: {got.site_name!r}",
            )
        expected_text = lxml.html.fromstring(
            (folder / "expected.html").read_text("utf-8")
        ).text_content()
        recall = token_recall(expected_text, got.text)
        count("text", recall >= 0.8, f"{folder.name}: {recall:.2f}")
    return {k: (v[0], v[1], v[2]) for k, v in stats.items()}


@pytest.mark.parametrize("metric", sorted(READABILITY_FLOORS))
def test_readability_pages(metric: str) -> None:
    hits, total, misses = _readability_results()[metric]
    assert total > 0
    floor = READABILITY_FLOORS[metric][0 if FULL else 1]
    assert hits / total >= floor, f"{metric}: {hits}/{total}, misses: {misses}"


# --------------------------------------------------------------------------- GBK NetEase pages

CX_TEXT_RECALL = 0.9  # per page, character bigrams of the reference text
# measured 2026-11-28: 74/74 pages (full) and 15/15 (sample) reach it
CX_FLOOR = 1.0


def test_cx_163_gbk_pages() -> None:
    root = corpus("cx-extractor-163-gbk")
    pages = sample(
        sorted((root / "RawHtml").glob("*.html.gz"), key=lambda p: int(p.name.split(".")[0]))
    )
    good = 0
    misses = []
    for page in pages:
        html = decode_html(read_bytes(page)).text
        got = extract_html(html, f"http://news.163.com/{page.name.split('.')[0]}.html")
        assert got.title, page.name
        assert _HAN.search(got.title), (page.name, got.title)
        assert got.language.startswith("zh"), (page.name, got.language)
        assert got.word_count >= len(_HAN.findall(got.text)) > 0
        ref = (
            (root / "Text" / page.name.replace(".html.gz", ".txt"))
            .read_bytes()
            .decode("gb18030", "replace")
        )
        recall = bigram_recall(ref, got.text)
        if recall >= CX_TEXT_RECALL:
            good += 1
        else:
            misses.append((page.name, round(recall, 2)))
    assert good / len(pages) >= CX_FLOOR, misses


# --------------------------------------------------------------------------- GNE pages


def _gne_reference() -> dict[str, dict]:
    text = (corpus("gne-chinese-news") / "gne_output_result.txt").read_text("utf-8")
    blocks = re.finditer(r">>>>+tests/(\S+?)>>>>+\n(.*?)\n<<<<", text, re.S)
    return {m.group(1): json.loads(m.group(2)) for m in blocks}


def _ymd(text: str) -> tuple[int, int, int] | None:
    m = re.search(r"(\d{4})\D{1,3}(\d{1,2})\D{1,3}(\d{1,2})", text or "")
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


# Agreement with GNE's own output (a tool, not ground truth), measured
# 2026-11-28 on its 20 pages: title 20/20, date 18/19, author 10/14. GNE's
# "author" is often the 责任编辑 (editor); we prefer a named author/reporter,
# and on qq.html its date is a video player's build date.
GNE_FLOORS = {"title": 1.0, "date": 0.94, "author": 0.70, "text": 0.95}


def test_gne_pages_against_gne_output() -> None:
    root = corpus("gne-chinese-news") / "pages"
    reference = _gne_reference()
    assert len(reference) == 20
    hits = dict.fromkeys(GNE_FLOORS, 0)
    totals = dict.fromkeys(GNE_FLOORS, 0)
    misses: list = []
    for key, want in sorted(reference.items()):
        html = decode_html(read_bytes(root / (key + ".gz"))).text
        got = extract_html(html, f"https://{key.split('/')[0]}.example.cn/{key}")
        checks = {
            "title": close_match(re.sub(r"\s+", "", got.title), re.sub(r"\s+", "", want["title"])),
            "text": bigram_recall(want["content"], got.text) >= 0.8,
        }
        if want["author"] and want["author"] not in ("未知", "搜索"):
            checks["author"] = bool(got.author) and (
                got.author in want["author"] or want["author"] in got.author
            )
        if _ymd(want["publish_time"]):
            checks["date"] = _ymd(got.date) == _ymd(want["publish_time"])
        for name, ok in checks.items():
            totals[name] += 1
            hits[name] += ok
            if not ok:
                shown = {"title": got.title, "author": got.author, "date": got.date}
                misses.append((name, key, shown.get(name, "")))
    for name, floor in GNE_FLOORS.items():
        assert totals[name], name
        assert hits[name] / totals[name] >= floor, (name, hits[name], totals[name], misses)


def test_gne_pages_all_have_text() -> None:
    pages = sample(sorted((corpus("gne-chinese-news") / "pages").rglob("*.html.gz")), step=2)
    for page in pages:
        got = extract_html(decode_html(read_bytes(page)).text, "https://example.cn/a.html")
        assert len(got.text) >= 50, page
        assert got.title, page
        assert got.language.startswith("zh"), (page, got.language)


# --------------------------------------------------------------------------- behaviour

HOSTILE = """<!doctype html><html><head><title>Hostile</title>
<script>alert(1)</script><meta http-equiv="refresh" content="0;url=javascript:alert(1)">
<style>body{background:url(javascript:alert(1))}</style><base href="https://example.com/base/">
</head><body onload="alert(1)"><article><h1 onclick="x()">Hostile page</h1>
<p onclick="alert(2)" style="color:red">This paragraph has enough words to count as article text.
<a href="javascript:alert(3)">bad link</a>, <a href="JaVaScRiPt:alert(4)">mixed case</a>,
<a href="&#106;avascript:alert(8)">entity</a>, <a href=" javascript:alert(9)">spaced</a>,
<a href="vbscript:msgbox(1)">vb</a>, <a href="data:text/html,<script>alert(1)</script>">data</a>,
<a href="relative/path">relative</a> and <a href="//cdn.example.net/x">protocol relative</a>.</p>
<p>Second paragraph <img src="pic.png" onerror="alert(5)" alt="a picture">
<img src="data:image/png;base64,AAAA"> <script>evil()</script> with more words after the script.</p>
<iframe src="https://evil.example/"></iframe><svg onload="alert(6)"><script>alert(7)</script></svg>
<form action="https://evil.example/"><input name=x onfocus="alert(10)" autofocus></form>
<p>Third paragraph: <a href="https://ok.example/page" onmouseover="x()" target="_blank">ok</a>,
<math><mi xlink:href="javascript:alert(11)">x</mi></math> <object data="evil.swf"></object>
<embed src="evil.swf"> <details open ontoggle="alert(12)">d</details> and enough filler words.</p>
<p>Fourth <em>emphasis</em> and <strong>strong</strong> text, <code>code()</code> too.</p>
<ul><li>one item</li><li>two <b>items</b></li></ul>
</article></body></html>"""


def _assert_safe(html: str) -> None:
    lowered = html.lower()
    for bad in (
        "<script",
        "javascript:",
        "vbscript:",
        "data:",
        "<iframe",
        "<object",
        "<embed",
        "<svg",
        "<math",
        "<style",
        "<form",
        "<input",
        "<meta",
        "<base",
        "<details",
    ):
        assert bad not in lowered, (bad, html)
    assert not re.search(r"\son\w+\s*=", lowered), html
    assert "style=" not in lowered
    for url in re.findall(r'(?:href|src)="([^"]*)"', html):
        assert url.startswith(("http://", "https://")), url
    for anchor in re.findall(r"<a\b[^>]*>", html):
        assert 'rel="noopener noreferrer nofollow"' in anchor, anchor


def test_hostile_page_is_sanitised() -> None:
    got = extract_html(HOSTILE, "https://example.com/dir/page.html")
    _assert_safe(got.html)
    assert "Hostile page" in got.text
    assert "with more words after the script" in got.text
    assert "evil()" not in got.text
    assert "alert" not in got.text
    # relative URLs resolve against <base>, protocol-relative ones get a scheme
    assert 'href="https://example.com/base/relative/path"' in got.html
    assert 'href="https://cdn.example.net/x"' in got.html
    assert 'src="https://example.com/base/pic.png"' in got.html
    assert "<em>emphasis</em>" in got.html
    assert "<strong>strong</strong>" in got.html
    assert "<li>" in got.html
    assert "**strong**" in got.markdown
    assert "[ok](<https://ok.example/page>)" in got.markdown


_FRAGMENTS = [
    "<p>",
    "</p>",
    "<h1>",
    "</h1>",
    "<div>",
    "</div>",
    "<ul><li>",
    "</li></ul>",
    "<table><tr><td>",
    "</td></tr></table>",
    "Some words of ordinary article text. ",
    "快照平台的中文内容。",
    "&amp; &lt;b&gt; ",
    "<script>alert(1)</script>",
    "<style>p{}</style>",
    "<a href='javascript:alert(1)'>js</a>",
    "<a href='rel/ative'>rel</a>",
    "<img src=x onerror=alert(1)>",
    "<img src='data:image/png;base64,AA'>",
    "<svg onload=alert(1)><a href='javascript:1'>s</a></svg>",
    "<iframe src='https://e.org'></iframe>",
    "<base href='javascript:alert(1)//'>",
    "<meta property='og:image' content='javascript:alert(1)'>",
    "<meta property='og:title' content='<script>x</script>'>",
    "<!--",
    "-->",
    "<em>",
    "</em>",
    "<b onclick=1>",
    "<noscript><img src=y onerror=1></noscript>",
]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=40).map("".join))
def test_extract_never_fails_and_stays_safe(page: str) -> None:
    got = extract_html("<html><body>" + page + "</body></html>", "https://example.com/a/b.html")
    assert got.title
    _assert_safe(got.html)
    assert got.image == "" or got.image.startswith(("http://", "https://"))


def test_sanitize_html_directly() -> None:
    cleaned = sanitize_html(HOSTILE, "https://example.com/dir/page.html")
    _assert_safe(cleaned)
    assert 'href="https://example.com/dir/relative/path"' in cleaned
    assert "Hostile page" in cleaned
    # without a base, relative URLs are dropped rather than left dangling
    no_base = sanitize_html('<a href="rel/x">t</a><img src="/i.png">')
    assert "href" not in no_base
    assert "src" not in no_base
    assert sanitize_html("") == ""


def test_text_is_paragraphs_separated_by_blank_lines() -> None:
    got = extract_html(
        "<html><body><article><h1>Head</h1>"
        + "".join(
            f"<p>Paragraph number {i} with a reasonable amount of words in it.</p>"
            for i in range(5)
        )
        + "</article></body></html>"
    )
    paragraphs = got.text.split("\n\n")
    assert "Paragraph number 0 with a reasonable amount of words in it." in paragraphs
    assert len(paragraphs) >= 5
    assert got.word_count == len(got.text.split())


@pytest.mark.parametrize(
    ("page", "url", "title"),
    [
        (
            "<html><head><meta property='og:title' content='OG Only'></head>"
            "<body><p>x</p></body></html>",
            None,
            "OG Only",
        ),
        (
            "<html><head><title>Only Title</title></head><body><p>x</p></body></html>",
            None,
            "Only Title",
        ),
        ("<html><body><h1>Only <em>H1</em></h1><p>x</p></body></html>", None, "Only H1"),
        (
            '<html><head><script type="application/ld+json">{"@context":"https://schema.org",'
            '"@type":"NewsArticle","headline":"LD headline",'
            '"author":{"@type":"Person","name":"Ann Lee"}}'
            "</script></head><body><p>x</p></body></html>",
            None,
            "LD headline",
        ),
        (
            "<html><body><p>nothing</p></body></html>",
            "https://example.com/news/my-great-post.html",
            "my great post",
        ),
        ("<html><body><p>nothing</p></body></html>", "https://example.com/", "example.com"),
        ("", "https://example.com/files/report_2024.html", "report 2024"),
    ],
)
def test_title_fallbacks(page: str, url: str | None, title: str) -> None:
    assert extract_html(page, url).title == title


def test_site_suffix_is_trimmed_from_title() -> None:
    page = (
        "<html><head><title>Big news today | Example Times</title>"
        "<meta property='og:site_name' content='Example Times'></head><body><p>x</p></body></html>"
    )
    got = extract_html(page, "https://www.example-times.com/a")
    assert got.title == "Big news today"
    assert got.site_name == "Example Times"


def test_metadata_sources() -> None:
    page = """<html lang="en-us"><head><title>T</title>
    <meta name="author" content="By Jane Roe">
    <meta property="article:published_time" content="2021-03-04T05:06:07Z">
    <meta property="og:image" content="/img/lead.jpg">
    <meta name="description" content="A short description.">
    </head><body><article>
    <p>Some English text that is long enough to be an article with words.</p>
    </article></body></html>"""
    got = extract_html(page, "https://news.example.org/story/1")
    assert got.author == "Jane Roe"
    assert got.date == "2021-03-04T05:06:07+00:00"
    assert got.image == "https://news.example.org/img/lead.jpg"
    assert got.description == "A short description."
    assert got.language == "en-US"
    assert got.site_name == "news.example.org"


def test_chinese_metadata_patterns() -> None:
    page = """<html><head><title>快照平台发布新版本_科技频道</title></head><body>
    <div class="nav">首页 | 科技 | 2020年01月01日 星期三</div>
    <h1>快照平台发布新版本</h1>
    <div class="info">2016-03-01 10:22:33　来源：新华网　作者：李明</div>
    <div class="content"><p>本报讯 快照平台今天发布了新版本，支持中文全文检索和相关文章推荐。
    该版本还改进了网页归档的保真度。</p>
    <p>开发团队表示，新版本在性能方面也有明显提升，搜索延迟降低了一半。2009年5月14日的旧数据也能导入。</p></div>
    <p>责任编辑：王芳</p></body></html>"""
    got = extract_html(page, "https://tech.example.cn/a/1.html")
    assert got.title == "快照平台发布新版本"
    assert got.date == "2016-03-01T10:22:33"
    assert got.site_name == "新华网"
    assert got.author == "李明"
    assert got.language == "zh"
    assert got.word_count >= 60


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("这是一个中文句子，用来测试语言识别。快照平台支持中文。", "zh"),
        ("これは日本語の文章です。ひらがなとカタカナが含まれています。", "ja"),
        ("이것은 한국어 문장입니다. 스냅샷 플랫폼을 테스트합니다.", "ko"),
        ("هذه جملة باللغة العربية لاختبار التعرف على اللغة.", "ar"),
        ("Это предложение на русском языке для проверки определения.", "ru"),
        (
            "The quick brown fox jumps over the lazy dog and it is not the end of the story.",
            "en",
        ),
        (
            "Der schnelle braune Fuchs springt über den faulen Hund und das ist nicht das Ende.",
            "de",
        ),
    ],
)
def test_language_guess(text: str, language: str) -> None:
    page = f"<html><body><article><p>{text}</p><p>{text}</p></article></body></html>"
    assert extract_html(page).language == language


def test_fallback_when_trafilatura_finds_nothing() -> None:
    page = """<html><body><nav>Home About Contact</nav><header>Site header</header>
    <div><span>Short note.</span></div><footer>Copyright footer</footer>
    <script>var hidden = 1;</script></body></html>"""
    got = extract_html(page)
    assert "Short note." in got.text
    assert "Copyright footer" not in got.text
    assert "Home About" not in got.text
    assert "hidden" not in got.text
    assert got.html == "<p>Short note.</p>"


def test_garbage_input_does_not_crash() -> None:
    for junk in (
        "",
        "   ",
        "\x00\x01",
        "<",
        "<html",
        "plain text only",
        "<?xml version='1.0' encoding='utf-8'?><a/>",
    ):
        got = extract_html(junk, "https://example.com/x")
        assert isinstance(got, Extracted)
        assert got.title


def test_extract_text_document() -> None:
    text = "Release notes\n\nVersion 2 adds search.\nIt is fast.\n\n\n\nVersion 1 was the start.\n"
    got = extract_text_document(text, "https://example.com/NOTES.txt")
    assert got.title == "Release notes"
    assert (
        got.text
        == "Release notes\n\nVersion 2 adds search.\nIt is fast.\n\nVersion 1 was the start."
    )
    assert got.html.startswith("<p>Release notes</p>")
    assert "<br>" in got.html
    assert got.word_count == 14
    long_first = "x " * 200
    assert extract_text_document(long_first, "https://example.com/dir/readme.txt").title == "readme"
    hostile = extract_text_document("<script>alert(1)</script>\n\nok")
    assert "<script" not in hostile.html
    assert "&lt;script&gt;" in hostile.html


# --------------------------------------------------------------------------- PDF


def _pdf(lines: list[str], title: str | None = None) -> bytes:
    """A minimal valid PDF (Helvetica text), built by hand with a correct xref."""
    ops = ["BT", "/F1 18 Tf", "72 720 Td", "22 TL"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({escaped}) Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if title:
        objects.append(
            b"<< /Title (%s) /Author (Pat Doe) /CreationDate (D:20200102030405Z) >>"
            % title.encode()
        )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    info = b" /Info %d 0 R" % len(objects) if title else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        info,
        xref,
    )
    return bytes(out)


def test_pdf_text_and_metadata() -> None:
    got = extract_pdf(
        _pdf(["Snapshelf keeps PDFs", "and extracts their text."], title="A PDF Title"),
        "https://e.org/doc.pdf",
    )
    assert "Snapshelf keeps PDFs" in got.text
    assert "extracts their text" in got.text
    assert got.title == "A PDF Title"
    assert got.author == "Pat Doe"
    assert got.date.startswith("2020-01-02")
    assert got.word_count >= 7
    assert got.language == "en" or got.language == ""


def test_pdf_title_falls_back_to_first_line() -> None:
    got = extract_pdf(_pdf(["First line is the title", "Body text follows here."]))
    assert got.title == "First line is the title"


@pytest.mark.parametrize(
    "body",
    [b"", b"not a pdf at all", b"%PDF-1.4\n garbage \x00\x01", b"%PDF-1.7\n" + b"\xff" * 500],
)
def test_broken_pdf_is_unsupported(body: bytes) -> None:
    with pytest.raises(Unsupported) as info:
        extract_pdf(body)
    assert info.value.code == "unsupported"
    assert "PDF" in str(info.value)


def test_encrypted_pdf_is_unsupported(tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(__import__("io").BytesIO(_pdf(["secret text"])))
    writer = pypdf.PdfWriter(clone_from=reader)
    writer.encrypt(user_password="hunter2", owner_password="owner", algorithm="RC4-128")
    target = tmp_path / "locked.pdf"
    with target.open("wb") as fh:
        writer.write(fh)
    with pytest.raises(Unsupported, match="password"):
        extract_pdf(target.read_bytes())


# --------------------------------------------------------------------------- fingerprint

ARTICLE = (
    "Snapshelf is a self-hosted link snapshot platform. It saves a faithful copy of every page, "
    "extracts the readable article, and lets you search everything you saved, in English and in "
    "Chinese. Saving the same link again adds a new version, and versions can be compared. "
    "Related articles are recommended from your own library with the reason for each match."
)


def test_fingerprint_properties() -> None:
    fp = fingerprint(ARTICLE)
    assert re.fullmatch(r"[0-9a-f]{16}", fp)
    assert fingerprint(ARTICLE) == fp
    assert fingerprint("  " + ARTICLE.upper() + "\n") == fp  # case and spacing do not matter
    edited = ARTICLE.replace("recommended", "suggested")
    assert 0 < hamming(fp, fingerprint(edited)) <= 10
    unrelated = (
        "The recipe calls for two cups of flour, a pinch of salt, butter and cold water. Knead the "
        "dough briefly, rest it for an hour in the fridge, then roll it thin and bake until golden."
    )
    assert hamming(fp, fingerprint(unrelated)) >= 18
    assert fingerprint("") == "0" * 16


MIXED = "快照平台支持中文全文检索和相关文章推荐。 Snapshelf keeps a copy, a copy, a copy of it"


def _simhash_bit_by_bit(text: str) -> str:
    """The SimHash definition, one bit at a time: what fingerprint() must equal."""
    feats = shingles(text)
    total = sum(feats.values())
    bits = 0
    for position in range(64):  # bit 0 of the hex is the lowest bit of the digest's last byte
        byte, bit = 7 - position // 8, position % 8
        ones = sum(
            weight
            for feat, weight in feats.items()
            if hashlib.blake2b(feat.encode(), digest_size=8).digest()[byte] >> bit & 1
        )
        if ones * 2 > total:
            bits |= 1 << position
    return f"{bits:016x}" if feats else "0" * 16


@pytest.mark.parametrize(
    "text",
    [
        "",
        "one",
        "one two",  # an even split of weight: a bit is set only by a strict majority
        ARTICLE,
        MIXED,
    ],
)
def test_fingerprint_is_the_bit_by_bit_simhash(text) -> None:
    # Stored fingerprints are compared with new ones, so a faster implementation must
    # give exactly the same bits.
    assert fingerprint(text) == _simhash_bit_by_bit(text)


def test_fingerprint_value_is_stable() -> None:
    assert fingerprint(MIXED) == "026f9eb2327f600a"  # as computed before 2026-11-29


def test_fingerprint_chinese() -> None:
    text = (
        "快照平台支持中文全文检索和相关文章推荐。"
        "保存同一个链接会生成新的版本，不同版本之间可以比较文字的变化。"
    )
    edited = text.replace("比较", "对比")
    other = "今天天气晴朗，适合去公园散步。晚上我们一起吃饭，然后看一场电影，再回家休息。"
    assert hamming(fingerprint(text), fingerprint(edited)) <= 12
    assert hamming(fingerprint(text), fingerprint(other)) >= 18


def test_fingerprint_on_real_versions() -> None:
    """Two pages of the same story (163.com, GBK) vs. different stories."""
    root = corpus("cx-extractor-163-gbk") / "Text"
    texts = [(root / f"{i}.txt").read_bytes().decode("gb18030", "replace") for i in (1, 2, 3)]
    base = fingerprint(texts[0])
    trimmed = fingerprint(texts[0][: int(len(texts[0]) * 0.9)])
    assert hamming(base, trimmed) <= 12
    assert min(hamming(base, fingerprint(t)) for t in texts[1:]) >= 16
