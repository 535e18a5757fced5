"""Tag suggestions in Chromium: loaded after the page, accepted with one click (htmx)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from snapshelf.library.models import Link
from tests.e2e.conftest import log_in, make_user, screenshot
from tests.search.test_related import DOCKER, DOCKER2, SPACE
from tests.search.test_related import page as saved_page

pytestmark = pytest.mark.django_db(transaction=True)


def test_accept_a_suggestion_then_save_the_edit_form(page):
    user = make_user("erin")
    saved_page(user, "docker2", "Back up a Docker volume", DOCKER2, ("dev", "ops"))
    saved_page(user, "space", "Rocket launch", SPACE, ("science",))
    link = saved_page(user, "docker", "Docker volumes explained", DOCKER, ("mine",))
    log_in(page, "erin")
    page.goto(f"{page.base_url}/links/{link.pk}/")

    block = page.locator("#tag-suggestions")
    dev = block.get_by_role("button", name="+ #dev")
    expect(dev).to_be_visible()  # fetched by htmx after the page loaded
    expect(block.get_by_role("button", name="+ #science")).to_have_count(0)
    url = page.url
    dev.click()
    expect(block.locator(".added")).to_have_text("#dev")
    expect(block.get_by_role("button", name="+ #dev")).to_have_count(0)
    assert page.url == url  # no navigation
    assert set(Link.objects.get(pk=link.pk).tags.values_list("name", flat=True)) == {"mine", "dev"}
    screenshot(page, "tag-suggestions")

    # the edit form got the new tag too: saving it (title changed) keeps the tag
    page.get_by_text("Edit", exact=True).click()
    expect(page.locator("#id_tags")).to_have_value("dev, mine")
    page.fill("#id_title", "Volumes")
    page.locator(".edit-form button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Volumes")
    link.refresh_from_db()
    assert set(link.tags.values_list("name", flat=True)) == {"mine", "dev"}
