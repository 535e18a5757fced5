"""The reader in Chromium (issue 21.1, 21.2): it makes no request outside the application
while showing a captured article with images, and English text is set in a Latin font
(Chinese text in a CJK one)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, make_user, screenshot
from tests.library.helpers import capture
from tests.web.test_reader_offline import serve_article
from tests.webserver import Reply

pytestmark = pytest.mark.django_db(transaction=True)

CJK_FONT = ("CJK", "Han ", "Song", "SimSun", "YaHei", "PingFang", "Hiragino")

ZH_ARTICLE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>种番茄</title></head><body><article><h1>种番茄</h1>
<p>番茄喜欢阳光，早上浇水，还需要一根竹竿让它们顺着往上爬。每一个在阳台上种过几棵番茄的人，第一个夏天都会学到这些。</p>
<p>到了季节后期，果实变红；用拇指轻轻一按有点软的时候就可以摘了，并且要均匀地浇水，这样下雨之后果皮才不会裂开。</p>
<p>从最好的果实里留下几粒种子，放在纸巾上阴干，明年再种。这样一年一年，阳台上的番茄会越来越适应这里的气候。</p>
</article></body></html>"""


def platform_fonts(page, selector: str) -> list[str]:
    """The fonts Chromium really drew the element's text with (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return [f["familyName"] for f in fonts]


def test_reader_makes_no_request_outside_the_app(page, fixture_server):
    user = make_user("rita")
    snap = capture(user, serve_article(fixture_server))
    assert snap.status == "done", snap.error
    served_before = len(fixture_server.requests)
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            r.url.startswith(("http:", "https:"))
            and not r.url.startswith(page.base_url)
            and outside.append(r.url)
        ),
    )
    log_in(page, "rita")
    page.goto(page.base_url + f"/links/{snap.link_id}/")
    reader = page.locator("article.reader")
    expect(reader).to_contain_text("Tomatoes want sun")
    image = reader.locator("img")
    expect(image).to_have_count(1)
    image.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('article.reader img').complete")
    assert image.evaluate("img => img.naturalWidth") == 1  # the stored copy, shown
    expect(reader.locator(".img-missing")).to_contain_text("A ripe tomato")
    screenshot(page, "reader-stored-images")
    assert outside == []
    assert len(fixture_server.requests) == served_before

    # English text is drawn with a Latin font, never a CJK font's Latin glyphs.
    fonts = platform_fonts(page, "article.reader p")
    assert fonts and not any(mark in f for f in fonts for mark in CJK_FONT), fonts


def test_chinese_reader_uses_a_cjk_font(page, fixture_server):
    user = make_user("wei")
    fixture_server.route("/zh", lambda r: Reply.html(ZH_ARTICLE))
    snap = capture(user, fixture_server.url("/zh"))
    assert snap.status == "done", snap.error
    log_in(page, "wei")
    page.goto(page.base_url + f"/links/{snap.link_id}/")
    expect(page.locator("article.reader")).to_contain_text("番茄喜欢阳光")
    fonts = platform_fonts(page, "article.reader p")
    assert any(mark in f for f in fonts for mark in CJK_FONT), fonts
