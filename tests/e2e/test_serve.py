"""The product as shipped: `snapshelf serve` in its own process (waitress, SQLite, in-process
worker), driven by Chromium: sign up, save a page, watch it become ready, read it."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, screenshot
from tests.paths import CORPORA
from tests.webserver import instance_env

SNAPSHELF = Path(sys.executable).parent / "snapshelf"
ARTICLE = "/mdn/css/styling-text/web-fonts/web-font-finished.html"


@pytest.fixture
def served(tmp_path):
    """A running `snapshelf serve` on a free port; yields its base URL."""
    env = instance_env(tmp_path / "data", SNAPSHELF_WORKERS="2", SNAPSHELF_OPEN_SIGNUP="1")
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(SNAPSHELF), "serve", "--port", "0"], env=env, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 60
        while not (m := re.search(r"running at (http://\S+?)/", log.read_text())):
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield m.group(1)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_sign_up_save_and_read_on_snapshelf_serve(browser, served, fixture_server):
    fixture_server.mount("/mdn/", CORPORA / "mdn-learning-area-pages")
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(served + "/accounts/signup/")
        expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
        page.fill("input[name=username]", "lin")
        page.fill("input[name=password1]", PASSWORD)
        page.fill("input[name=password2]", PASSWORD)
        page.locator("main button[type=submit]").click()
        page.wait_for_url(served + "/")

        url = fixture_server.url(ARTICLE)
        page.locator("#add-form input[name=url]").fill(url)
        page.locator("#add-form input[name=url]").press("Enter")
        row = page.locator("#link-list > li.link-row").first
        expect(row).to_contain_text(url)
        expect(row.locator(".title")).to_have_text("Web font example", timeout=60_000)
        assert page.url == served + "/"
        screenshot(page, "serve-library-zh-phone")

        row.locator(".title").click()
        expect(page.locator("article.reader")).to_contain_text("Tacos actually microdosing")
        static = page.request.get(served + "/static/snapshelf/app.css")
        assert static.ok and "text/css" in static.headers["content-type"]
    finally:
        context.close()
