"""Every main page at phone size (360 px) and desktop size, in English and Chinese
(issue 21.3): nothing overflows sideways, tables become stacked rows, and a screenshot of
each page stays in .artifacts/e2e/ for people to look at."""

from __future__ import annotations

import pytest

from snapshelf.jobs.capture import run_capture
from snapshelf.library.models import Link
from snapshelf.library.records import add_link, new_snapshot
from tests.e2e.conftest import PASSWORD, make_user, screenshot
from tests.library.helpers import capture
from tests.paths import CORPORA
from tests.webserver import Reply

pytestmark = pytest.mark.django_db(transaction=True)

MDN = CORPORA / "mdn-learning-area-pages"
ARTICLE = "/mdn/css/styling-text/web-fonts/web-font-finished.html"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
LOCALES = {"en": "en-US", "zh": "zh-CN"}
LONG_URL = "/a-very-long-address/" + "with-many-words-and-no-spaces-" * 6 + "end"


@pytest.fixture
def world(fixture_server):
    """A library with something on every page: versions, a failure, tags, shared links."""
    fixture_server.mount("/mdn/", MDN)
    fixture_server.route(LONG_URL, lambda r: Reply(status=404, body=b"gone"))
    user = make_user("pia", nickname="pia")
    snap = capture(user, fixture_server.url(ARTICLE), tags=["css", "fonts", "typography/web"])
    assert snap.status == "done", snap.error
    link = Link.objects.get(pk=snap.link_id)
    again = new_snapshot(link, force=True)
    run_capture(again.pk)
    failed = capture(user, fixture_server.url(LONG_URL), tags=["broken"])
    assert failed.status == "failed"
    Link.objects.filter(pk=link.pk).update(visibility="public", note="A *note* on fonts.")
    unlisted, _ = add_link(user, "https://example.org/unlisted-page")
    Link.objects.filter(pk=unlisted.pk).update(visibility="unlisted")
    unlisted.refresh_from_db()
    return {"link": link, "failed": failed.link_id, "unlisted": unlisted}


def pages(w: dict) -> list[tuple[str, str]]:
    link = w["link"].pk
    return [
        ("library", "/"),
        ("library-search", "/?q=fonts"),
        ("link-reader", f"/links/{link}/"),
        ("link-archive", f"/links/{link}/?tab=archive"),
        ("link-info", f"/links/{link}/?tab=info"),
        ("link-failed", f"/links/{w['failed']}/"),
        ("link-diff", f"/links/{link}/diff"),
        ("tags", "/tags/"),
        ("captures", "/jobs/"),
        ("settings", "/settings/"),
        ("import", "/import/"),
        ("export", "/export/"),
        ("public-profile", "/u/pia/"),
        ("public-link", f"/u/pia/{link}/"),
        ("shared-link", f"/shared/{w['unlisted'].share_token}/"),
    ]


def overflow(page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def sign_in(page, base: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", "pia")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_fits_a_phone(browser, live_server, world, lang, settings):
    settings.SNAPSHELF_OPEN_SIGNUP = True  # off by default; its page is checked too
    base = live_server.url
    wide: dict[str, int] = {}
    for size_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        context = browser.new_context(locale=LOCALES[lang], viewport=size)
        context.set_default_timeout(15_000)
        page = context.new_page()
        refused: list[str] = []  # the pages' own Content-Security-Policy must allow them
        page.on("console", lambda m, seen=refused: "Refused to" in m.text and seen.append(m.text))
        try:
            for name in ("login", "signup"):
                page.goto(base + f"/accounts/{name}/")
                screenshot(page, f"{size_name}-{lang}-{name}")
                if overflow(page) > 0:
                    wide[f"{size_name} {name}"] = overflow(page)
            sign_in(page, base)
            for name, path in pages(world):
                response = page.goto(base + path)
                assert response.status < 400, (name, response.status)
                if name == "link-reader":  # what the reader's header says in this language
                    assert page.locator("html").get_attribute("lang").startswith(lang)
                screenshot(page, f"{size_name}-{lang}-{name}")
                if overflow(page) > 0:
                    wide[f"{size_name} {name}"] = overflow(page)
        finally:
            context.close()
        assert refused == []
    assert wide == {}


def test_tables_stack_on_a_phone(browser, live_server, world):
    """The versions and captures tables become one block per row: no header is squeezed
    to a letter per line, no button is broken over lines."""
    context = browser.new_context(locale="en-US", viewport=PHONE)
    page = context.new_page()
    try:
        sign_in(page, live_server.url)
        page.goto(live_server.url + f"/links/{world['link'].pk}/")
        row = page.locator("table.versions tbody tr").first
        assert row.evaluate("r => getComputedStyle(r).display") == "block"
        assert row.locator("td").first.get_attribute("data-label") == "Version"
        assert page.locator("table.versions thead").bounding_box()["height"] <= 1  # hidden
        page.goto(live_server.url + "/jobs/")
        button = page.get_by_role("button", name="Try again")
        box = button.bounding_box()
        line = button.evaluate("b => parseFloat(getComputedStyle(b).lineHeight)")
        assert box["height"] < 2.5 * line  # one line of text plus padding
        assert (
            page.locator("table.jobs tbody tr").first.evaluate("r => getComputedStyle(r).display")
            == "block"
        )
    finally:
        context.close()
