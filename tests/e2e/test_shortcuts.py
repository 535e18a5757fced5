"""Keyboard shortcuts with their help, and the theme choice, in Chromium (issue 21.10)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from snapshelf.library.models import Snapshot
from snapshelf.library.records import add_link
from tests.e2e.conftest import log_in, make_user, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def library(user, n: int) -> list[int]:
    ids = []
    for i in range(n):
        link, snap = add_link(user, f"https://example.org/page-{i}")
        Snapshot.objects.filter(pk=snap.pk).update(
            status="done", title=f"Page {i}", word_count=900, language="en"
        )
        ids.append(link.pk)
    return ids


def test_shortcuts_move_through_the_library_and_the_link_page(page):
    user = make_user("kai")
    ids = library(user, 3)
    log_in(page, "kai")
    page.goto(page.base_url + "/")

    page.keyboard.press("?")
    help_dialog = page.locator("#shortcuts-help")
    expect(help_dialog).to_be_visible()
    screenshot(page, "shortcuts-help")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    page.keyboard.press("/")
    expect(page.locator("#lib-q")).to_be_focused()
    page.keyboard.press("Escape")  # leaves the field; shortcuts work again
    page.keyboard.press("a")
    expect(page.locator("#add-form input[name=url]")).to_be_focused()
    page.keyboard.type("jk")  # typed into the field, not taken as shortcuts
    expect(page.locator("#add-form input[name=url]")).to_have_value("jk")
    page.keyboard.press("Escape")

    page.keyboard.press("j")
    page.keyboard.press("j")  # the second row (newest first: Page 1)
    expect(page.locator("li.link-row.is-current .title")).to_have_text("Page 1")
    page.keyboard.press("x")
    expect(page.locator(f"#pick-{ids[1]}")).to_be_checked()
    page.keyboard.press("o")
    page.wait_for_url(f"**/links/{ids[1]}/")
    expect(page.locator(".reading-time")).to_have_text("4 min read")

    page.keyboard.press("p")
    page.wait_for_url("**tab=archive**")
    page.keyboard.press("i")
    page.wait_for_url("**tab=info**")
    page.keyboard.press("e")
    expect(page.locator("details.edit-panel")).to_have_attribute("open", "")
    page.keyboard.press("Escape")
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("g")
    page.keyboard.press("t")
    page.wait_for_url("**/tags/")


def test_theme_choice_overrides_the_system(browser, live_server):
    make_user("tia")
    context = browser.new_context(locale="en-US", color_scheme="light")
    page = context.new_page()
    page.base_url = live_server.url
    try:
        log_in(page, "tia")
        background = "getComputedStyle(document.body).backgroundColor"
        assert page.evaluate(background) == "rgb(255, 255, 255)"
        page.locator("#theme-select").select_option("dark")
        page.wait_for_load_state()
        expect(page.locator("html")).to_have_attribute("data-theme", "dark")
        assert page.evaluate(background) == "rgb(18, 21, 27)"
        bulk_tags = page.locator("#bulk-tags")  # a type-less input: styled like the rest
        assert bulk_tags.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(18, 21, 27)"
        screenshot(page, "library-dark")
        page.locator("#theme-select").select_option("system")
        page.wait_for_load_state()
        expect(page.locator("html")).not_to_have_attribute("data-theme", "dark")
        assert page.evaluate(background) == "rgb(255, 255, 255)"
        page.emulate_media(color_scheme="dark")  # "system" follows the OS
        assert page.evaluate(background) == "rgb(18, 21, 27)"
    finally:
        context.close()
