"""The archived page at full size (issue 21.4): a full view over the whole window and the
copy opened in a tab of its own, still without script."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, make_user, screenshot
from tests.library.helpers import capture
from tests.web.test_reader_offline import serve_article

pytestmark = pytest.mark.django_db(transaction=True)


def test_full_view_and_new_tab(page, fixture_server):
    user = make_user("fay")
    snap = capture(user, serve_article(fixture_server))
    assert snap.status == "done", snap.error
    log_in(page, "fay")
    page.goto(page.base_url + f"/links/{snap.link_id}/?tab=archive")
    expect(page.frame_locator("iframe.archive").locator("body")).to_contain_text("Tomatoes")

    page.get_by_role("link", name="Full view").click()
    frame = page.locator("iframe.archive-full")
    expect(page.frame_locator("iframe.archive-full").locator("body")).to_contain_text("Tomatoes")
    box = frame.bounding_box()
    assert box["width"] == page.viewport_size["width"]
    assert box["height"] > 0.85 * page.viewport_size["height"]
    screenshot(page, "link-archive-full")
    page.get_by_role("link", name="Back to the link").click()
    expect(page.locator("iframe.archive")).to_be_visible()

    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Open in new tab").click()
    tab = opened.value
    tab.wait_for_load_state()
    expect(tab.locator("body")).to_contain_text("Tomatoes")
    assert "/a/" in tab.url
    assert tab.evaluate("() => window.opener") is None
