"""Issues 26.3 and 26.6: responsive images load what a reader's screen would, and are drawn
at the live page's size in the served copy and in the single file.

Only the candidates of the capture viewport (1280 px at 1x), the same screen at 2x and a
phone are fetched; a candidate that failed is dropped with its descriptor (it used to lose
it and turn into a broken candidate); the single file keeps the one the capture showed.
"""

from __future__ import annotations

import pytest

from snapshelf.capture.html.responsive import CAPTURE, Context, media_matches, source_size
from tests.capture.fidelity import capture, chromium, open_page, png, serve_archive
from tests.webserver import Reply

PAGE = """<!doctype html><html><head><title>Srcset</title>
<style>body{margin:0} img{display:block}</style></head><body>
<img id="w" src="/img/w-1600.png" sizes="(max-width: 600px) 100vw, 400px"
  srcset="/img/w-200.png 200w, /img/w-400.png 400w, /img/w-800.png 800w, /img/w-1600.png 1600w">
<img id="x" src="/img/x-100.png" srcset="/img/x-200.png 2x, /img/x-300.png 3x">
<picture>
  <source media="(width >= 1400px)" srcset="/img/p-wide.png">
  <source media="(min-width: 800px)" srcset="/img/p-desk-250.png, /img/p-desk-500.png 2x">
  <source media="(max-width: 799px)" srcset="/img/p-phone.png">
  <img id="p" src="/img/p-fallback.png">
</picture>
<img id="f" sizes="300px" srcset="/img/f-300.png 300w, /img/missing-600.png 600w">
</body></html>"""

WIDTHS = {"w-200": 200, "w-400": 400, "w-800": 800, "w-1600": 1600, "x-100": 100,
          "x-200": 200, "x-300": 300, "p-wide": 700, "p-desk-250": 250, "p-desk-500": 500,
          "p-phone": 120, "p-fallback": 90, "f-300": 300}  # fmt: skip


@pytest.fixture
def site(fixture_server):
    fixture_server.route("/srcset.html", lambda r: Reply.html(PAGE))

    def image(request):
        name = request.path.rsplit("/", 1)[-1].removesuffix(".png")
        if name not in WIDTHS:
            return Reply(404, {"Content-Type": "text/plain"}, b"gone")
        return Reply(200, {"Content-Type": "image/png"}, png(WIDTHS[name], 20))

    fixture_server.route("/img/*", image)
    return fixture_server


def test_media_and_sizes():
    assert media_matches("(width >= 800px)", CAPTURE) is True
    assert media_matches("all and (max-width: 600px)", CAPTURE) is False
    assert media_matches("(400px < width < 1300px)", CAPTURE) is True
    assert media_matches("print, (min-width: 80em)", CAPTURE) is True
    assert media_matches("not all and (min-width: 1500px)", CAPTURE) is True
    assert media_matches("(min-resolution: 2dppx)", Context(390, 844, 2.0)) is True
    assert media_matches("(scripting: none)", CAPTURE) is None  # not understood
    assert source_size("(max-width: 600px) 100vw, 400px", CAPTURE) == 400
    assert source_size("(max-width: 600px) 100vw, 400px", Context(390, 844, 2)) == 390
    assert source_size("calc(100vw - 2rem)", CAPTURE) == 1248
    assert source_size(None, CAPTURE) == 1280


def test_only_the_candidates_screens_would_load_are_fetched(site):
    capture(site.url("/srcset.html"))
    fetched = {p.rsplit("/", 1)[-1] for h, p in site.requests if p.startswith("/img/")}
    assert fetched == {
        "w-400.png",  # 400px slot at 1x
        "w-800.png",  # at 2x, and a 390px phone at 2x (100vw -> 780)
        "x-100.png",  # the src is the 1x candidate
        "x-200.png",  # 2x screens; nobody needs 3x
        "p-desk-250.png",  # 1280 px
        "p-desk-500.png",  # 1280 px at 2x
        "p-phone.png",  # the phone
        "f-300.png",
        "missing-600.png",  # failed: dropped from the archived srcset
    }


def test_drawn_at_the_live_size_in_served_copy_and_single_file(site):
    archived = serve_archive(site, capture(site.url("/srcset.html")))
    assert "missing" not in (archived.result.replay_html or "")
    measure = """() => [...document.images].map(i => [i.id, i.naturalWidth,
        Math.round(i.getBoundingClientRect().width)])"""
    with chromium(site) as browser:
        seen = {}
        for name, url in (
            ("live", site.url("/srcset.html")),
            ("served", archived.served_url),
            ("single", archived.single_url),
        ):
            with open_page(browser, url) as page:
                seen[name] = page.evaluate(measure)
    assert seen["live"] == [["w", 400, 400], ["x", 100, 100], ["p", 250, 250], ["f", 300, 300]]
    assert seen["served"] == seen["live"]
    assert seen["single"] == seen["live"]
