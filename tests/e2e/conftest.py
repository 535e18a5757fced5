"""End-to-end fixtures: the real web UI in headless Chromium (Playwright) against a live server.

Chromium is Debian's (`make setup` installs it); Playwright's own browser download is
neither reachable nor needed. Screenshots go to `.artifacts/e2e/` for people to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

CHROMIUM = (
    os.environ.get("SNAPSHELF_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
)
ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts" / "e2e"
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "e2e-password-123"

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made
# from the test body (fixtures, assertions) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from tests.playwright_shared import playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make setup` (installs Debian's chromium)"
        )
    browser = playwright().chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser, live_server) -> Iterator:
    """A fresh browser context (English, desktop size) per test."""
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.base_url = live_server.url  # type: ignore[attr-defined]
    yield page
    context.close()


def make_user(username: str = "erin", **profile) -> object:
    user = get_user_model().objects.create_user(username, "", PASSWORD)
    for key, value in profile.items():
        setattr(user.profile, key, value)
    if profile:
        user.profile.save()
    return user


def log_in(page, username: str) -> None:
    page.goto(page.base_url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under .artifacts/e2e/ and return its path.

    Chromium sometimes answers "Unable to capture screenshot" when its compositor has no
    frame ready (seen once in CI with both test processes busy); the picture is for people,
    not an assertion, so a failed attempt waits for a frame and tries again twice.
    """
    from playwright.sync_api import Error

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    for _retry in range(2):
        try:
            page.screenshot(path=str(path), full_page=True)
            return path
        except Error as error:
            if "Unable to capture screenshot" not in str(error):
                raise
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
            page.wait_for_timeout(250)
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def worker(transactional_db) -> Iterator:
    """A real Huey consumer (threads) on the test queue, as inside `snapshelf serve`."""
    from huey.contrib.djhuey import HUEY

    from snapshelf.jobs import tasks  # noqa: F401  (registers the tasks)

    HUEY.flush()
    consumer = HUEY.create_consumer(workers=2, worker_type="thread", periodic=False)
    consumer.start()
    yield consumer
    consumer.stop(graceful=True)
