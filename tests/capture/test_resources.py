"""Concurrent, bounded, recursive collection of subresources."""

from __future__ import annotations

import threading
import time
from collections import Counter
from urllib.parse import urlsplit

from snapshelf.capture.css import Ref
from snapshelf.capture.html import find_resources, parse_html
from snapshelf.capture.resources import collect
from snapshelf.capture.types import Fetched
from tests.capture.test_replay import LocalFetch
from tests.paths import CORPORA


class SiteFetch:
    """Serves a dict of url -> (content type, body); counts calls and concurrency."""

    def __init__(self, site: dict[str, tuple[str, bytes]] | None = None, delay: float = 0.0):
        self.site = site or {}
        self.delay = delay
        self.lock = threading.Lock()
        self.calls: list[tuple[str, str]] = []
        self.threads: set[str] = set()
        self.active = 0
        self.active_per_host: Counter[str] = Counter()
        self.max_active = 0
        self.max_per_host: Counter[str] = Counter()

    def __call__(self, url: str, kind: str) -> Fetched:
        host = urlsplit(url).hostname
        with self.lock:
            self.calls.append((url, kind))
            self.threads.add(threading.current_thread().name)
            self.active += 1
            self.active_per_host[host] += 1
            self.max_active = max(self.max_active, self.active)
            self.max_per_host[host] = max(self.max_per_host[host], self.active_per_host[host])
        try:
            if self.delay:
                time.sleep(self.delay)
            if url in self.site:
                ctype, body = self.site[url]
                return Fetched(url, url, 200, ctype, None, body)
            return Fetched(url, url, 200, "image/png", None, b"x" * 100)
        finally:
            with self.lock:
                self.active -= 1
                self.active_per_host[host] -= 1


def refs(urls: list[str], kind: str = "image") -> list[Ref]:
    return [Ref(u, kind) for u in urls]


def test_concurrency_bounded_overall_and_per_host():
    urls = [f"http://h{h}.test/{i}.png" for h in range(3) for i in range(8)]
    fetch = SiteFetch(delay=0.03)
    result = collect(refs(urls), fetch, concurrency=5, per_host=2)
    assert set(result) == set(urls)
    assert len(fetch.calls) == len(urls)
    assert fetch.max_active == 5  # 3 hosts x 2 would allow 6: the overall bound holds
    assert all(v == 2 for v in fetch.max_per_host.values())
    assert all(name.startswith("snapshelf-fetch") for name in fetch.threads)


def test_per_host_bound_with_one_host():
    urls = [f"http://one.test/{i}.png" for i in range(12)]
    fetch = SiteFetch(delay=0.02)
    collect(refs(urls), fetch, concurrency=8, per_host=3)
    assert fetch.max_per_host["one.test"] == 3
    # a busy host does not block others queued behind it
    urls = [f"http://busy.test/{i}.png" for i in range(6)] + ["http://free.test/x.png"]
    fetch = SiteFetch(delay=0.05)
    started = time.monotonic()
    collect(refs(urls), fetch, concurrency=4, per_host=1)
    assert fetch.max_active == 2  # busy.test's one slot plus free.test, concurrently
    assert time.monotonic() - started < 0.05 * 6 + 0.2


def test_same_url_fetched_once():
    css = b"a{background:url(/img.png)} b{background:url('img.png')} @import 'more.css';"
    more = b"c{background:url(http://h.test/img.png)}"
    site = {"http://h.test/s.css": ("text/css", css), "http://h.test/more.css": ("text/css", more)}
    html = """<img src="img.png"><img src="/img.png"><div style="background:url(img.png)">
    <img srcset="img.png 1x, img.png 2x"><link rel=stylesheet href=s.css>"""
    roots = find_resources(parse_html(html), "http://h.test/")
    fetch = SiteFetch(site)
    result = collect(roots + roots, fetch)
    urls = [u for u, _ in fetch.calls]
    assert sorted(urls) == [
        "http://h.test/img.png",
        "http://h.test/more.css",
        "http://h.test/s.css",
    ]
    assert set(result) == set(urls)


def test_stylesheets_followed_recursively_with_cycles_and_kinds():
    site = {
        "http://h.test/a.css": ("text/css", b"@import 'b.css'; @font-face{src:url(f.woff2)}"),
        "http://h.test/b.css": ("text/css", b"@import 'a.css'; @import 'sub/c.css';"),
        "http://h.test/sub/c.css": ("text/css", b"x{background:url(../bg.png)} @import 'c.css';"),
        # served as CSS although referenced as an image: still looked into
        "http://h.test/odd": ("text/css", b"y{background:url(from-odd.png)}"),
    }
    fetch = SiteFetch(site)
    result = collect(
        [Ref("http://h.test/a.css", "stylesheet"), Ref("http://h.test/odd", "image")], fetch
    )
    assert dict(fetch.calls) == {
        "http://h.test/a.css": "stylesheet",
        "http://h.test/odd": "image",
        "http://h.test/b.css": "stylesheet",
        "http://h.test/f.woff2": "font",
        "http://h.test/sub/c.css": "stylesheet",
        "http://h.test/bg.png": "image",
        "http://h.test/from-odd.png": "image",
    }
    assert len(fetch.calls) == len(result) == 7


def test_redirected_stylesheet_resolves_against_final_url():
    def fetch(url: str, kind: str) -> Fetched:
        if url == "http://h.test/old.css":
            return Fetched(
                url,
                "http://cdn.test/new/main.css",
                200,
                "text/css",
                None,
                b"a{background:url(x.png)}",
            )
        return Fetched(url, url, 200, "image/png", None, b"p")

    result = collect([Ref("http://h.test/old.css", "stylesheet")], fetch)
    assert set(result) == {"http://h.test/old.css", "http://cdn.test/new/x.png"}


def test_failed_stylesheet_not_parsed_and_failures_kept():
    def fetch(url: str, kind: str) -> Fetched:
        if url.endswith("404.css"):
            return Fetched(url, url, 404, "text/css", None, b"a{background:url(never.png)}")
        if url.endswith("boom.png"):
            raise RuntimeError("callback bug")
        return Fetched(url, url, 0, "", None, b"", "connection", "refused")

    roots = refs(["http://h.test/404.css"], "stylesheet") + refs(
        ["http://h.test/boom.png", "http://h.test/down.png"]
    )
    result = collect(roots, fetch)
    assert set(result) == {
        "http://h.test/404.css",
        "http://h.test/boom.png",
        "http://h.test/down.png",
    }
    boom = result["http://h.test/boom.png"]
    assert boom.error_code == "internal"
    assert "callback bug" in boom.error
    assert boom.status == 0
    assert result["http://h.test/down.png"].error_code == "connection"


def test_only_http_urls_are_fetched():
    fetch = SiteFetch()
    roots = refs(
        [
            "data:image/png;base64,AA==",
            "ftp://h.test/x.png",
            "https://h.test/ok.png",
            "file:///etc/passwd",
        ]
    )
    result = collect(roots, fetch)
    assert list(result) == ["https://h.test/ok.png"]


def test_max_resources_stops_scheduling():
    urls = [f"http://h.test/{i}.png" for i in range(10)]
    fetch = SiteFetch()
    result = collect(refs(urls), fetch, max_resources=3)
    assert len(fetch.calls) == 3
    assert len(result) == 3
    # discovered-through-CSS resources count too
    site = {
        "http://h.test/s.css": ("text/css", b"a{background:url(1.png)} b{background:url(2.png)}")
    }
    fetch = SiteFetch(site)
    collect(refs(["http://h.test/s.css"], "stylesheet"), fetch, max_resources=2)
    assert len(fetch.calls) == 2


def test_max_total_bytes_stops_scheduling():
    urls = [f"http://h.test/{i}.png" for i in range(10)]  # 100 bytes each
    fetch = SiteFetch()
    result = collect(refs(urls), fetch, max_total_bytes=250, concurrency=1)
    assert len(fetch.calls) == 3
    assert len(result) == 3


def test_deadline_stops_scheduling_but_keeps_results():
    urls = [f"http://h.test/{i}.png" for i in range(10)]
    fetch = SiteFetch()
    result = collect(
        refs(urls), fetch, concurrency=1, deadline_expired=lambda: len(fetch.calls) >= 4
    )
    assert len(fetch.calls) == 4
    assert len(result) == 4
    assert all(f.ok for f in result.values())


def test_collect_on_a_corpus_page():
    root = CORPORA / "mdn-learning-area-pages"
    rel = "css/styling-text/web-fonts/fonts/cicle_fina-demo.html"
    page = (root / rel).read_text()
    tree = parse_html(page)
    fetch = LocalFetch(root)
    result = collect(find_resources(tree, f"http://site.test/{rel}"), fetch, concurrency=4)
    names = {u.rsplit("/", 1)[-1] for u in result}
    # the specimen stylesheet @imports the grid stylesheet; stylesheet.css pulls the fonts
    assert {"specimen_stylesheet.css", "grid_12-825-55-15.css", "stylesheet.css"} <= names
    # the one face the page uses, in its first readable format; not the unused family
    assert "cicle_fina-webfont.woff2" in names
    assert not {"cicle_fina-webfont.woff", "cicle_fina-webfont.ttf"} & names
    assert not [n for n in names if n.startswith("zantroke")]
    assert not any(u.endswith(".js") for u in result)  # scripts are not captured


def test_stylesheets_then_fonts_are_fetched_first():
    # Only stylesheets reveal more to fetch, so they go first (then fonts, then the rest,
    # each in document order), as browsers prioritise them.
    site = {"http://h.test/s.css": ("text/css", b"@font-face{src:url(f.woff2)} a{b:url(c.png)}")}
    roots = [
        Ref("http://h.test/1.png", "image"),
        Ref("http://h.test/x.woff", "font"),
        Ref("http://h.test/2.png", "image"),
        Ref("http://h.test/s.css", "stylesheet"),
    ]
    fetch = SiteFetch(site)
    collect(roots, fetch, concurrency=1)
    assert [u.rsplit("/", 1)[-1] for u, _ in fetch.calls] == [
        "s.css",
        "x.woff",
        "f.woff2",
        "1.png",
        "2.png",
        "c.png",
    ]


def test_priority_does_not_break_the_bounds():
    roots = [Ref(f"http://h.test/{i}.css", "stylesheet") for i in range(4)]
    roots += [Ref(f"http://{h}.test/{i}.png", "image") for h in "abc" for i in range(3)]
    fetch = SiteFetch(delay=0.02)
    result = collect(roots, fetch, concurrency=3, per_host=2, max_resources=10)
    assert len(result) == len(fetch.calls) == 10
    assert fetch.max_active == 3
    assert max(fetch.max_per_host.values()) == 2
    assert [u for u, _ in fetch.calls[:2]] == ["http://h.test/0.css", "http://h.test/1.css"]
