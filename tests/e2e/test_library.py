"""The library page in Chromium: add a link with Enter, watch it capture, bulk-tag, filter."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from snapshelf.library.models import Link
from snapshelf.library.records import add_link
from tests.e2e.conftest import log_in, make_user, screenshot
from tests.paths import CORPORA

pytestmark = pytest.mark.django_db(transaction=True)

MDN = CORPORA / "mdn-learning-area-pages"
PAGE = "/mdn/css/styling-text/web-fonts/web-font-finished.html"


def test_add_capture_bulk_tag_and_filter(page, worker, fixture_server):
    fixture_server.mount("/mdn/", MDN)
    user = make_user("erin")
    add_link(user, "https://example.org/older")  # queued forever (no network): stays live
    log_in(page, "erin")
    start_url = page.url

    box = page.get_by_label("Save a link")
    box.fill(fixture_server.url(PAGE))
    box.press("Enter")
    row = page.locator("#link-list > li.link-row").first
    expect(row).to_contain_text(fixture_server.url(PAGE)[:30], timeout=10_000)
    assert page.url == start_url  # inserted without navigation
    link = Link.objects.get(owner=user, url=fixture_server.url(PAGE))
    row = page.locator(f"#link-{link.pk}")
    expect(row.locator(".title")).not_to_have_text(fixture_server.url(PAGE), timeout=60_000)
    title = Link.objects.get(pk=link.pk).latest_snapshot.title
    assert title
    expect(row.locator(".title")).to_have_text(title)
    expect(box).to_have_value("")

    # the same URL again: captured again, still one row, at the top; the text is the
    # same, so no second version is kept (the check is recorded on v1)
    box.fill(fixture_server.url(PAGE))
    box.press("Enter")
    known = page.locator("#add-errors")
    expect(known).to_contain_text("Already saved")  # asked first (issue 21.8)
    known.get_by_role("button", name="Snapshot again").click()
    expect(row.locator(".favicon")).to_have_attribute("src", re.compile(r"-(queued|running)$"))
    expect(page.locator(f"[id=link-{link.pk}]")).to_have_count(1)
    expect(page.locator("#link-list > li.link-row").first).to_have_id(f"link-{link.pk}")
    expect(row.locator(".favicon")).to_have_attribute("src", re.compile(r"-done$"), timeout=60_000)
    expect(row.locator(".title")).to_have_text(title)
    (kept,) = Link.objects.get(pk=link.pk).snapshots.all()
    assert kept.version == 1 and kept.checks == 1

    # invalid URL: inline error, nothing saved
    box.fill("javascript:alert(1)")
    box.press("Enter")
    expect(page.locator("#add-errors")).to_contain_text("http")
    assert Link.objects.filter(owner=user).count() == 2

    page.locator("#select-all").check()
    page.locator("#bulk-action").select_option("add_tags")
    page.locator("#bulk-tags").fill("reading")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator(".messages")).to_contain_text("2")
    assert all(x.tags.filter(name="reading").exists() for x in Link.objects.filter(owner=user))

    page.locator(".tag-list").get_by_role("link", name="reading").click()
    expect(page.locator(".active-filters")).to_contain_text("reading")
    expect(page.locator("#link-list > li.link-row")).to_have_count(2)
    screenshot(page, "library-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    assert screenshot(page, "library-phone").stat().st_size > 1000
