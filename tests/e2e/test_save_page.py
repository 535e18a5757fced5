"""The "save this page as I see it" bookmarklet in Chromium: a page that shows its content
only to a logged-in member is saved with that content, not with its login wall."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from snapshelf.jobs.capture import run_capture
from snapshelf.library.models import Link
from tests.e2e.conftest import log_in, make_user, screenshot
from tests.webserver import Reply

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "Only members see this: the board approved the new reading room on Tuesday."


def members_only(req) -> Reply:
    if "member=1" in (req.headers.get("Cookie") or ""):
        body = f"<title>Members</title><article><h1>Members</h1>{('<p>' + SECRET + '</p>') * 4}"
    else:
        body = "<title>Log in</title><p>Please log in to read this page.</p>"
    return Reply.html(body)


def test_page_bookmarklet_saves_what_the_browser_shows(page, fixture_server):
    fixture_server.route("/members", members_only)
    user = make_user("ines")
    log_in(page, "ines")
    page.goto(page.base_url + "/settings/")
    code = page.locator("a.bookmarklet").nth(1).get_attribute("href")
    assert code.startswith("javascript:")

    members_url = fixture_server.url("/members", host="127.0.0.1")
    page.context.add_cookies([{"name": "member", "value": "1", "url": members_url}])
    site = page.context.new_page()
    site.goto(members_url)
    expect(site.locator("article")).to_contain_text(SECRET)
    # a bookmark click is a user gesture: give the page a button that runs the bookmarklet
    site.evaluate(
        """code => { const b = document.createElement('button'); b.id = 'bm';
        b.textContent = 'bookmarklet'; b.addEventListener('click', () => eval(code));
        document.body.appendChild(b); }""",
        code.removeprefix("javascript:"),
    )
    with site.expect_popup() as popup_info:
        site.click("#bm")
    popup = popup_info.value
    expect(popup.locator("#page-status")).to_contain_text("KB")
    screenshot(popup, "save-page-popup")
    popup.get_by_role("button", name="Save").click()
    expect(popup.locator("main")).to_contain_text("Saved")

    link = Link.objects.get(owner=user, url=members_url)
    snap = run_capture(link.latest_snapshot_id).snapshot
    assert snap.status == "done" and snap.mode == "upload"
    assert SECRET in snap.text and "Please log in" not in snap.text
