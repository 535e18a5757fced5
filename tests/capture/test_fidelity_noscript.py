"""Issue 26.1: <noscript> content the live page never shows is neither fetched nor shown.

A real static capture from the fixture server: the head pixel, the body pixels and frames
are never requested; an "enable JavaScript" notice is gone; a lazy-image fallback stays;
and in Chromium the served copy's heading sits where the live page (scripts on) has it.
"""

from __future__ import annotations

import pytest

from tests.capture.fidelity import capture, chromium, open_page, serve_archive
from tests.webserver import Reply

PAGE = """<!doctype html><html><head><title>Noscript</title>
<style>body{margin:0;font:16px/1.5 sans-serif} h1{margin:0}</style>
<noscript><img height="1" width="1" style="display:none"
  src="http://other.test/tr?id=1&ev=PageView&noscript=1"></noscript>
<noscript><style>.reveal{opacity:1!important}</style></noscript>
<script>document.documentElement.className='js'</script>
</head><body class="home page">
<noscript><p><img src="/matomo.php?idsite=1&amp;rec=1" style="border:0" alt=""></p></noscript>
<noscript><iframe src="http://other.test/ns.html?id=GTM-X" height="0" width="0"></iframe></noscript>
<noscript><div class="banner">Please enable JavaScript to use this site.</div></noscript>
<h1 id="title">Title</h1>
<p class="reveal" style="opacity:0">Revealed by script on the live page.</p>
<img class="lazy" data-src="/photo.png" width="20" height="10">
<noscript><img src="/photo.png" width="20" height="10"></noscript>
<noscript><img src="/fallback.png" width="30" height="10"></noscript>
</body></html>"""

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5b1b2e80000000049454e44ae426082"
)


@pytest.fixture
def site(fixture_server):
    fixture_server.route("/page.html", lambda r: Reply.html(PAGE))
    for name in ("/photo.png", "/fallback.png"):
        fixture_server.route(name, lambda r: Reply(200, {"Content-Type": "image/png"}, PNG))
    return fixture_server


def test_no_request_for_noscript_pixels_and_frames(site):
    result = capture(site.url("/page.html"))
    paths = [(host, path) for host, path in site.requests]
    assert ("site.test", "/page.html") in paths
    assert not [p for p in paths if p[0] == "other.test"], paths
    assert not [p for p in paths if "matomo" in p[1]], paths
    fetched = {r.url.rsplit("/", 1)[-1] for r in result.resources}
    assert fetched == {"photo.png", "fallback.png"}
    html = result.replay_html or ""
    assert "enable JavaScript" not in html
    assert "noscript=1" not in html and "GTM-X" not in html
    assert ".reveal{opacity:1!important}" in html  # compensating CSS without requests stays


def test_served_copy_lays_out_like_the_live_page(site):
    archived = serve_archive(site, capture(site.url("/page.html")))
    with chromium(site) as browser:
        with open_page(browser, site.url("/page.html")) as live:
            live_top = live.locator("#title").bounding_box()["y"]
        with open_page(browser, archived.served_url) as served:
            served_top = served.locator("#title").bounding_box()["y"]
            body_class = served.locator("body").get_attribute("class")
            images = served.locator("img").count()
        with open_page(browser, archived.single_url) as single:
            single_top = single.locator("#title").bounding_box()["y"]
    assert live_top == 0
    assert served_top == live_top  # no empty paragraph or notice pushed it down
    assert single_top == live_top
    assert body_class == "home page"
    assert images == 2  # the promoted lazy image and the real fallback, no pixel
