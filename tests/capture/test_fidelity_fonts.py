"""Issue 26.6: only the web fonts the page can use are fetched, one format each.

A font-service-like stylesheet lists two weights of a family in three subsets, in two
formats each, plus a family the page never uses: the capture fetches the Latin faces'
WOFF2 files and nothing else (the next format only when the first fails), and the
archived copy and single file draw the text with the web font as the live page does.
"""

from __future__ import annotations

import pytest

from snapshelf.capture.css.fonts import FontUse, font_faces
from tests.capture.fidelity import capture, chromium, open_page, serve_archive
from tests.paths import CORPORA
from tests.webserver import Reply

FONT = CORPORA / "mdn-learning-area-pages/css/styling-text/web-fonts/fonts/zantroke-webfont.woff2"
SUBSETS = {
    "latin": "U+0000-00FF, U+0131, U+2000-206F",
    "cyrillic": "U+0400-045F, U+0490-0491",
    "greek": "U+0370-03FF",
}


def face(family: str, weight: int, subset: str, first: str = "woff2") -> str:
    name = f"{family.replace(' ', '')}-{weight}-{subset}"
    return (
        f"@font-face {{ font-family: '{family}'; font-weight: {weight};"
        f" src: url(/f/{name}.{first}) format('{first}'), url(/f/{name}.woff) format('woff');"
        f" unicode-range: {SUBSETS[subset]}; }}\n"
    )


CSS = (
    "".join(face("Fixture Sans", w, s) for w in (400, 700) for s in SUBSETS)
    + face("Unused Serif", 400, "latin")
    + face("Broken Sans", 400, "latin").replace(".woff2", ".missing")
    + "body { margin: 0; font-family: 'Fixture Sans', sans-serif }\n"
    + 'b { font-family: "Broken Sans"; font-weight: 700 }\n'
)
PAGE = """<!doctype html><html><head><title>Fonts</title>
<link rel="stylesheet" href="CSS_URL">
</head><body><p><span id="t">Plain Latin text – with a dash</span> <b>bold</b></p></body></html>"""


@pytest.fixture
def site(fixture_server):
    css_url = fixture_server.url("/css2?family=Fixture+Sans:wght@400;700", host="cdn.test")
    fixture_server.route("/fonts.html", lambda r: Reply.html(PAGE.replace("CSS_URL", css_url)))
    fixture_server.route(
        "/css2", lambda r: Reply(200, {"Content-Type": "text/css"}, CSS.encode()), host="cdn.test"
    )

    def font(request):
        if request.path.endswith(".missing"):
            return Reply(404, {"Content-Type": "text/plain"}, b"gone")
        return Reply(
            200,
            {"Content-Type": "font/woff2", "Access-Control-Allow-Origin": "*"},
            FONT.read_bytes(),
        )

    fixture_server.route("/f/*", font, host="cdn.test")
    return fixture_server


def test_font_use_rule():
    faces = font_faces(CSS, "http://cdn.test/css2")
    assert len(faces) == 8
    use = FontUse({ord(c) for c in "Plain text"})
    use.add_css(CSS)
    wanted = {f.urls[0].rsplit("/", 1)[-1] for f in faces if use.wants(f)}
    assert wanted == {"FixtureSans-400-latin.woff2", "FixtureSans-700-latin.woff2",
                      "BrokenSans-400-latin.missing"}  # fmt: skip
    assert FontUse({ord("Ж")}).wants(faces[1]) is False  # family not used anywhere yet


def test_only_used_faces_in_one_format_are_fetched(site):
    result = capture(site.url("/fonts.html"))
    fetched = sorted(p.rsplit("/", 1)[-1] for h, p in site.requests if p.startswith("/f/"))
    assert fetched == [
        "BrokenSans-400-latin.missing",  # failed: its next format is tried
        "BrokenSans-400-latin.woff",
        "FixtureSans-400-latin.woff2",
        "FixtureSans-700-latin.woff2",
    ]
    stored = [r for r in result.resources if r.kind == "font" and r.key]
    assert len(stored) == 3


def test_text_is_drawn_with_the_web_font_everywhere(site):
    archived = serve_archive(site, capture(site.url("/fonts.html")))
    probe = """() => [document.fonts.check('16px "Fixture Sans"'),
        Math.round(document.getElementById('t').getBoundingClientRect().width)]"""
    with chromium(site) as browser:
        seen = []
        for url in (site.url("/fonts.html"), archived.served_url, archived.single_url):
            with open_page(browser, url) as page:
                seen.append(page.evaluate(probe))
    loaded, width = seen[0]
    assert loaded is True
    assert seen[1] == seen[0] and seen[2] == seen[0]
