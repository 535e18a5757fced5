"""The e2e harness itself: a user logs in through the real UI in Chromium."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in, make_user, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_log_in_reaches_the_library(page):
    make_user("erin")
    log_in(page, "erin")
    assert page.locator("header.top .brand").inner_text() == "Snapshelf"
    assert page.url.rstrip("/") == page.base_url.rstrip("/")
    assert screenshot(page, "smoke-library").stat().st_size > 1000
