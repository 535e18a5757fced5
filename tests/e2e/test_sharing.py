"""Sharing an unlisted link in Chromium (issue 21.5): the owner copies the secret address
with one button, a logged-out visitor reads it there, the sequential address does not
answer, and "New address" kills the copied one."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from snapshelf.library.models import Link
from snapshelf.library.records import add_link
from tests.e2e.conftest import log_in, make_user, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_copy_and_revoke_an_unlisted_address(page, browser):
    user = make_user("una", nickname="una")
    link, _snap = add_link(user, "https://example.org/secret-plans")
    Link.objects.filter(pk=link.pk).update(visibility="unlisted", title="Secret plans")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, "una")
    page.goto(page.base_url + f"/links/{link.pk}/")
    expect(page.locator("header.top .who")).to_have_text("una")
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    token = Link.objects.get(pk=link.pk).share_token
    assert copied == f"{page.base_url}/shared/{token}/"
    screenshot(page, "link-unlisted-share")

    visitor = browser.new_context(locale="en-US")
    try:
        vpage = visitor.new_page()
        assert vpage.goto(copied).status == 200
        expect(vpage.locator("h1")).to_have_text("Secret plans")
        assert vpage.goto(page.base_url + f"/u/una/{link.pk}/").status == 404

        page.get_by_role("button", name="New address").click()
        expect(page.locator(".messages")).to_contain_text("new share address")
        assert vpage.goto(copied).status == 404
        fresh = page.locator("#share-url").input_value()
        assert fresh != copied and vpage.goto(fresh).status == 200
    finally:
        visitor.close()
