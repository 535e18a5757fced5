"""A ``</p>`` with no open paragraph is an empty paragraph in browsers (HTML5), and now in
the archived copy too (libxml2 dropped it: the copy came out shorter than the page)."""

from __future__ import annotations

import pytest

from snapshelf.capture.html import parse_html, serialize_html
from snapshelf.capture.html.paragraphs import fill_stray_paragraph_ends
from tests.capture.fidelity import capture, chromium, open_page, serve_archive
from tests.webserver import Reply

STANDARDS = "<!doctype html><html><head><title>p</title></head><body>"


@pytest.mark.parametrize(
    ("html", "empty_paragraphs"),
    [
        (f"{STANDARDS}<p>a<table><tr><td>x</td></tr></table></p>", 1),  # table closed it
        (f"{STANDARDS}<p>a<div>b</div></p>", 1),
        (f"{STANDARDS}<div><p>a</div></p>", 1),  # </div> closed it
        (f"{STANDARDS}<p>a</p></p>", 1),
        (f"{STANDARDS}<p>a<span>b</span></p>", 0),  # an inline element leaves it open
        (f"{STANDARDS}<p>a<button></p></button></p>", 1),  # out of button scope
        (f"{STANDARDS}<p>a<script>'</p>'</script><!-- </p> --></p>", 0),  # text, comments
        # quirks mode (no doctype): a table stays inside the open paragraph
        ("<html><body><p>a<table><tr><td>x</td></tr></table></p>", 0),
    ],
)
def test_stray_paragraph_ends_become_empty_paragraphs(html, empty_paragraphs):
    assert fill_stray_paragraph_ends(html).count("<p></p>") == empty_paragraphs
    out = serialize_html(parse_html(html))
    assert out.count("<p></p>") == empty_paragraphs, out


PAGE = f"""{STANDARDS}<style>body {{ margin: 0; font: 16px/20px sans-serif }}
p {{ margin: 0 0 40px }} table, div {{ margin: 0 }} #end {{ height: 10px; background: #c00 }}
</style>
<p>Intro<table><tr><td>cell</td></tr></table></p>
<div><p>Inside a block</div></p>
<p>Closed twice</p></p>
<div id="end"></div></body></html>"""


def test_the_archived_copy_keeps_the_empty_paragraphs_offset(fixture_server):
    fixture_server.route("/paragraphs.html", lambda r: Reply.html(PAGE))
    archived = serve_archive(fixture_server, capture(fixture_server.url("/paragraphs.html")))
    tops = []
    with chromium(fixture_server) as browser:
        for url in (
            fixture_server.url("/paragraphs.html"),
            archived.served_url,
            archived.single_url,
        ):
            with open_page(browser, url) as page:
                tops.append(page.locator("#end").bounding_box()["y"])
    assert tops[0] == tops[1] == tops[2], tops
