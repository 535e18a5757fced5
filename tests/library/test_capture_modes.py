"""Capture modes through the real pipeline (jobs.capture.run_capture): auto switches
script-rendered pages to the browser and stores its screenshot and PDF; the mode used is
recorded; a link's mode can be forced; without a browser everything stays static."""

from __future__ import annotations

import pytest

from snapshelf.capture import browser_service as svc_module
from snapshelf.capture import static as static_module
from snapshelf.jobs import capture as capture_module
from snapshelf.library.models import Link, Snapshot
from snapshelf.library.records import add_link, new_snapshot
from snapshelf.storage import get_blob_store
from tests.capture.fixtures_js import FETCH_MARK, TEMPLATE_MARK, mount_js_pages, png_size
from tests.paths import CORPORA

pytestmark = pytest.mark.django_db

MDN = CORPORA / "mdn-learning-area-pages"
ARTICLE = "/mdn/css/styling-text/web-fonts/web-font-finished.html"


@pytest.fixture(scope="module")
def browser_on():
    """Turn the browser on for this module (tests/settings.py turns it off by default)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SNAPSHELF_BROWSER", "auto")
    assert svc_module.browser_available(refresh=True)[0], "make setup installs chromium"
    yield
    stop_browser_service()
    mp.undo()
    svc_module.browser_available(refresh=True)


def stop_browser_service() -> None:
    """The next capture starts a browser service from the current settings."""
    if capture_module._service is not None:
        capture_module._service.stop()
        capture_module._service = None


@pytest.fixture
def site(fixture_server):
    mount_js_pages(fixture_server)
    fixture_server.mount("/mdn/", MDN)
    return fixture_server


def run(user, url, mode=None) -> Snapshot:
    _link, snap = add_link(user, url, mode=mode)
    return capture_module.run_capture(snap.pk).snapshot


@pytest.mark.parametrize(
    ("path", "mark"), [("/js/template", TEMPLATE_MARK), ("/js/fetch", FETCH_MARK)]
)
def test_auto_captures_script_rendered_pages_in_the_browser(browser_on, site, user, path, mark):
    snap = run(user, site.url(path))
    assert snap.status == "done", snap.error
    assert snap.mode == "browser" and snap.timings.get("auto_reason")
    assert mark in snap.text
    replay = get_blob_store().get(snap.root_blob_id).decode()
    assert mark in replay and "<script" not in replay.lower()
    width, height = png_size(get_blob_store().get(snap.screenshot_blob_id))
    assert width == 1280 and height >= 600
    assert get_blob_store().get(snap.pdf_blob_id).startswith(b"%PDF")


def test_auto_keeps_ordinary_articles_static(browser_on, site, user):
    snap = run(user, site.url(ARTICLE))
    assert snap.status == "done" and snap.mode == "static"
    assert snap.screenshot_blob_id is None and snap.pdf_blob_id is None


def test_a_forced_mode_sticks_to_the_link(browser_on, site, user):
    static = run(user, site.url("/js/template"), mode="static")
    assert static.mode == "static" and TEMPLATE_MARK not in static.text
    link = Link.objects.get(pk=static.link_id)
    assert link.capture_mode == "static"
    again = capture_module.run_capture(new_snapshot(link).pk).snapshot  # re-snapshot keeps the mode
    assert again.mode == "static"
    forced = run(user, site.url(ARTICLE), mode="browser")
    assert forced.mode == "browser" and forced.screenshot_blob_id


def test_without_a_browser_auto_is_static_and_browser_is_refused(site, user, monkeypatch):
    monkeypatch.setenv("SNAPSHELF_BROWSER", "off")
    svc_module.browser_available(refresh=True)
    judged = []
    judge = static_module.decide_isolated
    monkeypatch.setattr(static_module, "decide_isolated", lambda *a: judged.append(a) or judge(*a))
    auto = run(user, site.url("/js/template"))
    assert auto.status == "done" and auto.mode == "static"
    assert judged == []  # no verdict: without a browser nobody would act on it
    forced = run(user, site.url("/js/fetch"), mode="browser")
    assert forced.status == "failed" and forced.error_code == "unsupported"
    assert "SNAPSHELF_BROWSER=off" in forced.error


def test_auto_keeps_the_static_capture_when_the_browser_dies(site, user, tmp_path, monkeypatch):
    # A "Chromium" that answers --version (so it counts as installed) and dies at start.
    broken = tmp_path / "chromium"
    broken.write_text('#!/bin/sh\n[ "$1" = "--version" ] && echo "Chromium 1" && exit 0\nexit 1\n')
    broken.chmod(0o755)
    monkeypatch.setenv("SNAPSHELF_BROWSER", str(broken))
    stop_browser_service()
    assert svc_module.browser_available(refresh=True)[0]
    try:
        auto = run(user, site.url("/js/template"))
        assert auto.status == "done", auto.error
        assert auto.mode == "static" and auto.timings["auto_reason"]
        assert "Chromium exited at start" in auto.timings["browser_error"]
        assert auto.screenshot_blob_id is None and auto.root_blob_id
        forced = run(user, site.url("/js/fetch"), mode="browser")
        # a forced browser capture has nothing to fall back on: it is tried again later
        assert forced.status == "queued" and "Chromium exited at start" in forced.error
    finally:
        stop_browser_service()
        monkeypatch.undo()
        svc_module.browser_available(refresh=True)
