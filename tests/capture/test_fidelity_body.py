"""Issue 26.2: the real <body> tag's attributes survive content that opens the body early.

libxml2 opens an implicit body at the first thing that cannot be in <head> and then drops
the attributes of the page's own <body> tag; browsers keep them. The single-file download
re-parses the replay document, so it lost them; now both parses keep them.
"""

from __future__ import annotations

from snapshelf.capture.html import parse_html, serialize_html
from tests.capture.fidelity import capture, chromium, open_page, serve_archive
from tests.webserver import Reply

PAGE = """<!doctype html><html><head><title>Body</title>
<style>body{margin:0} .box{width:100px;height:20px;background:#c00}
body.home.wide .box{width:300px}</style>
<span class="stray">head content that opens the body early</span>
</head><body class="home wide" data-theme="dark"><div class="box"></div></body></html>"""


def test_parse_keeps_body_attributes_after_an_implicit_body():
    root = parse_html(PAGE)
    assert root.find("body").get("class") == "home wide"
    assert root.find("body").get("data-theme") == "dark"


def test_body_tag_inside_a_script_or_comment_is_not_taken():
    html = (
        "<html><head><p>early</p><!-- <body class=comment> -->"
        "<script>var s = '<body class=script>'</script></head><body><p>x</p></body></html>"
    )
    assert parse_html(html).find("body").get("class") is None
    assert 'class="real"' in serialize_html(
        parse_html(html.replace("<body>", '<body class="real">'))
    )


def test_single_file_keeps_the_body_class_layout(fixture_server):
    fixture_server.route("/body.html", lambda r: Reply.html(PAGE))
    archived = serve_archive(fixture_server, capture(fixture_server.url("/body.html")))
    assert '<body class="home wide" data-theme="dark">' in archived.single_html
    with chromium(fixture_server) as browser:
        for url in (fixture_server.url("/body.html"), archived.served_url, archived.single_url):
            with open_page(browser, url) as page:
                assert page.locator(".box").bounding_box()["width"] == 300, url
