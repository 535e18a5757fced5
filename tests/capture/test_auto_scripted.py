"""Auto mode and pages finished by their own load-time scripts (issue 26.4).

The pages here have all their words in the markup (a word count calls them static), but
their scripts hide navigation branches, replace a placeholder status line or turn a list
of slides into a carousel at load, so the static copy does not look like the live page.
Auto mode must judge them from the scripts and keep the browser's rendering, while pages
whose scripts change nothing at load (analytics, click handlers) stay on the static path.
"""

from __future__ import annotations

import pytest

from snapshelf.capture.auto import decide_html, finished_by_script
from snapshelf.capture.static import read_document
from tests.capture.corpora import corpus, read_bytes
from tests.capture.fixtures_js import paragraphs

ARTICLE = "".join(f"<p>{text}</p>" for text in paragraphs(5, 8))  # well over 150 words
STATUS_LIVE = "All systems operational"
STATUS_PLACEHOLDER = "Checking the service status"

NAV = """<ul id="nav">
<li><a href="/a">Alpha</a><ul id="alpha-sub"><li><a href="/a/1">Alpha one</a></li>
<li><a href="/a/2">Alpha two</a></li></ul></li>
<li><a href="/b">Beta</a><ul id="beta-sub"><li><a href="/b/1">Beta one</a></li>
<li><a href="/b/2">Beta two</a></li></ul></li></ul>"""

SLIDES = """<div class="gallery">
<div class="slide"><h2>First slide</h2><p>Harbour lantern orchard.</p></div>
<div class="slide"><h2>Second slide</h2><p>Meadow granite willow.</p></div>
<div class="slide"><h2>Third slide</h2><p>Compass thunder velvet.</p></div></div>"""


def page(body: str, script: str = "", head: str = "") -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Service page</title>"
        "<style>body { font: 16px/1.4 sans-serif; margin: 1em; } .slide { height: 240px; }"
        " #nav .current { font-weight: bold; }</style>"
        f"{head}</head><body><h1>Service page</h1>{body}<article>{ARTICLE}</article>"
        f"<script>{script}</script></body></html>"
    )


def finished_page() -> str:
    """Status text, navigation branches and a carousel, all finished by an inline script."""
    script = f"""
document.addEventListener('DOMContentLoaded', function () {{
  document.getElementById('status').textContent = '{STATUS_LIVE}';
  document.getElementById('alpha-sub').style.display = 'none';
  document.getElementById('beta-sub').style.display = 'none';
  document.querySelectorAll('.gallery .slide').forEach(function (slide, i) {{
    if (i > 0) slide.style.display = 'none';
  }});
}});"""
    return page(f'{NAV}<p id="status">{STATUS_PLACEHOLDER}</p>{SLIDES}', script)


def quiet_page() -> str:
    """Scripts that change nothing a reader sees at load: analytics and a click handler."""
    script = """
(function () {
  var s = document.createElement('script'); s.async = true; s.src = '/stats.js';
  var first = document.getElementsByTagName('script')[0];
  first.parentNode.insertBefore(s, first);
})();
document.getElementById('menu').addEventListener('click', function () {
  document.getElementById('alpha-sub').style.display = 'none';
  document.getElementById('beta-sub').hidden = true;
});
window.dataLayer = window.dataLayer || [];"""
    return page(f'<button id="menu">Menu</button>{NAV}', script)


def judge(html: str, css: str = ""):
    doc = read_document(
        html.encode(), "text/html", "utf-8", "http://site.test/", "http://site.test/", 200
    )
    assert doc.extracted.word_count >= 150  # the word count alone says "static"
    return decide_html(doc.text, doc.extracted.word_count, css)


def test_a_page_finished_by_its_load_time_script_needs_the_browser():
    decision = judge(finished_page())
    assert decision.use_browser, decision.reason
    assert "load-time scripts" in decision.reason and "#status" in decision.reason


def test_scripts_that_change_nothing_at_load_keep_the_page_static():
    decision = judge(quiet_page())
    assert not decision.use_browser, decision.reason


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        # a placeholder line replaced with text
        (f"document.querySelector('#status').innerText = '{STATUS_LIVE}';", True),
        # two navigation branches hidden in jQuery's ready handler (newline-separated)
        ('$(function () {\n$("#alpha-sub").hide()\n$("#beta-sub").hide()\n});', True),
        # through a variable
        (
            "var subs = document.querySelectorAll('#nav ul'); subs[0].hidden = true;"
            "var b = document.getElementById('beta-sub'); b.style.display = 'none';",
            True,
        ),
        # two placeholders replaced by what the script fetches
        (
            "fetch('/status').then((r) => r.text()).then((text) => {"
            " const s = document.getElementById('status'); s.innerHTML = text;"
            " document.querySelector('#alpha-sub').textContent = text; });",
            True,
        ),
        # one, or one element changed twice, is not enough
        ("fetch('/s').then((r) => r.text()).then((t) => { $('#status').html(t); });", False),
        ("var s = $('#status'); s.html(window.name); s.addClass('current');", False),
        # a jQuery plugin that rebuilds the slides
        ("jQuery('.gallery').slick({dots: true});", True),
        # one highlighted menu item: a class styled by the page, no more
        ("document.getElementById('alpha-sub').classList.add('current');", False),
        # reading is no change; hiding what does not exist neither
        ("var t = $('#status').text(); $('#nowhere').hide(); $('#gone').hide();", False),
        # already hidden in the markup: hiding it again changes nothing
        ("$('#hidden-note').hide(); $('#hidden-tip').hide();", False),
        # commented out
        ("// $('#alpha-sub').hide(); $('#beta-sub').hide();\n/* $('#nav').remove() */", False),
    ],
)
def test_what_counts_as_finishing_the_page(script, expected):
    body = (
        f'{NAV}<p id="status">{STATUS_PLACEHOLDER}</p>{SLIDES}'
        '<p id="hidden-note" style="display: none">Note</p><p id="hidden-tip" hidden>Tip</p>'
    )
    decision = judge(page(body, script))
    assert decision.use_browser is expected, decision.reason


def test_showing_what_the_page_css_hides_counts_only_when_it_hides_it():
    body = f'{NAV}<div id="panel">Panel text</div><div class="promo">Promo text</div>'
    script = "$('#panel').show(); $('.promo').fadeIn();"
    hiding = "#panel { display: none } .box .promo { display:none }"
    assert judge(page(body, script), css=hiding).use_browser
    assert not judge(page(body, script), css="#panel { color: red }").use_browser


def test_widget_markup_with_its_script_is_script_built():
    body = '<div class="owl-carousel"><div>One</div><div>Two</div></div>'
    head = '<script src="/assets/owl.carousel.min.js"></script>'
    assert "owl-carousel" in judge(page(body, "", head)).reason
    # the same markup without its script is only markup
    assert not judge(page(body, "")).use_browser


def test_iana_pages_hiding_their_navigation_are_judged_unfinished():
    """The pywb IANA crawl: /domains hides four navigation branches in jQuery's ready
    handler; the home page runs no inline script (both are real pages)."""
    records = iana_records()
    css = records["/_css/2013.1/screen.css"].decode()
    domains = decide_html(records["/domains"].decode(), 500, css)
    assert domains.use_browser and "#nav_dom_int_sub" in domains.reason
    home = decide_html(records["/"].decode(), 500, css)
    assert not home.use_browser, home.reason


@pytest.mark.slow
def test_share_of_corpus_articles_judged_finished_by_script():
    """Real article pages: the script judgment sends few of them to the browser (each one
    costs a browser run); the ones it sends hide, show or rebuild parts of the page."""
    import lxml.html

    files = sorted(corpus("trafilatura-eval").glob("cache/*.html*"))
    files += sorted(corpus("mozilla-readability-testpages").glob("test-pages/*/source.html"))
    assert len(files) > 200
    flagged = []
    for path in files:
        tree = lxml.html.document_fromstring(read_bytes(path))
        reason = finished_by_script(tree)
        if reason:
            flagged.append((path.parent.name, reason))
    assert len(flagged) <= len(files) * 6 // 100, flagged  # measured: 13 of 240


def iana_records() -> dict[str, bytes]:
    from urllib.parse import urlsplit

    from warcio.archiveiterator import ArchiveIterator

    records: dict[str, bytes] = {}
    with (corpus("pywb-iana-warc") / "iana.warc.gz").open("rb") as f:
        for record in ArchiveIterator(f):
            if record.rec_type == "response":
                path = urlsplit(record.rec_headers.get_header("WARC-Target-URI")).path
                records.setdefault(path, record.content_stream().read())
    return records
