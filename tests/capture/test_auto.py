"""Auto mode switches to the browser for script-rendered pages, and only for them."""

from __future__ import annotations

import pytest

from snapshelf.capture.auto import count_words, decide, decide_html
from snapshelf.capture.static import Limits, capture_static, read_document
from snapshelf.net import Fetcher
from tests.capture.corpora import corpus, read_bytes, sample
from tests.capture.fixtures_js import (
    JS_PAGES,
    cjk_page,
    fetch_page,
    infinite_page,
    lazy_page,
    mount_js_pages,
    paragraphs,
    template_page,
)
from tests.webserver import Reply, make_test_guard


def judge(html: str):
    doc = read_document(
        html.encode(), "text/html", "utf-8", "http://site.test/", "http://site.test/", 200
    )
    return decide_html(doc.text, doc.extracted.word_count)


ARTICLE = (
    "<!doctype html><html><head><title>An article</title>"
    '<script src="/analytics.js"></script></head><body><article><h1>Plain article</h1>'
    + "".join(f"<p>{p}</p>" for p in paragraphs(9, 8))
    + "</article><noscript>Please enable JavaScript to view the comments.</noscript>"
    "<div id='root'></div><script>console.log(1)</script></body></html>"
)


@pytest.mark.parametrize("page", [template_page, fetch_page, infinite_page])
def test_fixture_shells_switch_to_the_browser(page):
    decision = judge(page())
    assert decision.use_browser, decision.reason


@pytest.mark.parametrize(
    ("html", "needle"),
    [
        ('<div id="root"></div><script src="/static/js/main.js"></script>', "#root"),
        ('<div id="__next"></div><script src="/_next/app.js"></script>', "#__next"),
        ("<app-root></app-root><script src=main.js></script>", "app-root"),
        ('<div ng-app="x"><p>{{ title }}</p></div><script src=a.js></script>', "ng-app"),
        ("<p>Loading…</p><script src=bundle.js></script>", "visible words"),
    ],
)
def test_known_shells_are_recognised(html, needle):
    decision = judge(f"<!doctype html><title>x</title><body>{html}</body>")
    assert decision.use_browser and needle in decision.reason, decision


def test_a_long_page_saying_it_needs_javascript_is_a_shell():
    filler = " ".join(f"Menu{i} link" for i in range(60))  # navigation words, no article
    html = (
        f"<!doctype html><title>x</title><body><nav>{filler}</nav>"
        "<noscript>You need to enable JavaScript to run this app.</noscript>"
        "<script src=bundle.js></script></body>"
    )
    decision = decide_html(html, 10)
    assert decision.use_browser and "JavaScript" in decision.reason


@pytest.mark.parametrize(
    "html",
    [
        ARTICLE,  # scripts, a <noscript> and an empty #root widget, but real text
        lazy_page(),  # text is static; only images are lazy
        cjk_page("这是一篇很长的中文文章，" * 30),
        "<!doctype html><title>tiny</title><p>Short note without any scripts.</p>",
    ],
)
def test_static_pages_stay_static(html):
    decision = judge(html)
    assert not decision.use_browser, decision.reason


def test_non_html_never_switches(fixture_server):
    fixture_server.route(
        "/doc.txt", lambda req: Reply(200, {"Content-Type": "text/plain"}, b"just text")
    )
    with Fetcher(make_test_guard()) as fetcher:
        result = capture_static(fixture_server.url("/doc.txt"), fetcher, Limits())
    assert decide(result).use_browser is False


@pytest.mark.parametrize("path", JS_PAGES)
def test_auto_switches_for_real_static_captures_of_js_pages(fixture_server, path):
    mount_js_pages(fixture_server)
    with Fetcher(make_test_guard()) as fetcher:
        result = capture_static(fixture_server.url(path), fetcher, Limits())
    decision = decide(result)
    assert decision.use_browser, decision.reason


def test_count_words_counts_cjk_characters():
    assert count_words("hello world") == 2
    assert count_words("中文测试 ok") == 5


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("trafilatura-eval", "cache/*.html*"),
        ("mozilla-readability-testpages", "test-pages/*/source.html"),
    ],
)
def test_articles_in_the_corpora_stay_static(name, pattern):
    files = sample(sorted(corpus(name).glob(pattern)), step=2)
    assert len(files) > 40
    flagged = []
    for path in files:
        doc = read_document(
            read_bytes(path), "text/html", None, "http://x.test/", "http://x.test/", 200
        )
        decision = decide_html(doc.text or "", doc.extracted.word_count)
        if decision.use_browser and decision.signal == "shell":
            flagged.append((path.name, decision.reason))
    # none, or at most 1 %, judged script-rendered shells; pages whose load-time scripts
    # change what a reader sees are judged (and their share bounded) in test_auto_scripted
    assert len(flagged) <= len(files) // 100, flagged
