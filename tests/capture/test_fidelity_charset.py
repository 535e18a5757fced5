"""Issue 26.5: a page declared UTF-8 with a few invalid bytes stays UTF-8, as in browsers.

The bytes below are two GB2312 characters pasted into a UTF-8 page (the case of the
warc2zim bad-encoding page): browsers show four U+FFFD; detection on four bytes guessed
cp775 and showed "╟╟ūų".
"""

from __future__ import annotations

import pytest

from snapshelf.capture.decode import decode_html
from tests.capture.fidelity import capture, chromium, open_page, serve_archive
from tests.webserver import Reply

PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>Déjà vu</title></head>"
    "<body><p id='ok'>Café – naïve</p><p id='bad'>\n        BAD\n    </p></body></html>"
)
BODY = PAGE.encode("utf-8").replace(b"BAD", b"\xba\xba\xd7\xd6")


@pytest.mark.parametrize("header", [None, "utf-8"])
def test_declared_utf8_with_a_few_bad_bytes_stays_utf8(header):
    got = decode_html(BODY, header)
    assert got.encoding == "utf-8"
    assert "Café – naïve" in got.text
    assert "\ufffd\ufffd\ufffd\ufffd" in got.text


def test_a_page_in_another_encoding_declared_utf8_is_still_overruled():
    text = "<meta charset='utf-8'><p>" + "快照平台保存网页。" * 40 + "</p>"
    got = decode_html(text.encode("gb18030"), "utf-8")
    assert got.encoding == "gb18030"


def test_archived_copy_shows_what_the_live_page_shows(fixture_server):
    fixture_server.route("/bad.html", lambda r: Reply(200, {"Content-Type": "text/html"}, BODY))
    archived = serve_archive(fixture_server, capture(fixture_server.url("/bad.html")))
    assert archived.result.document.charset == "utf-8"
    with chromium(fixture_server) as browser:
        texts = []
        for url in (fixture_server.url("/bad.html"), archived.served_url, archived.single_url):
            with open_page(browser, url) as page:
                texts.append((page.inner_text("#ok"), page.inner_text("#bad")))
    assert texts[0] == ("Café – naïve", "\ufffd" * 4)
    assert texts[1] == texts[0] and texts[2] == texts[0]
