"""Auto mode through the real pipeline (jobs.capture.run_capture) and real Chromium, for
pages whose text is all in the markup but whose load-time scripts finish what a reader
sees (issue 26.4): the snapshot records the browser mode and keeps the rendered page; a
page whose scripts change nothing at load keeps the cheap static path."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from snapshelf.capture import browser_service as svc_module
from snapshelf.jobs import capture as capture_module
from snapshelf.library.models import Snapshot
from snapshelf.library.records import add_link
from snapshelf.storage import get_blob_store
from tests.capture.test_auto_scripted import (
    STATUS_LIVE,
    STATUS_PLACEHOLDER,
    finished_page,
    quiet_page,
)
from tests.webserver import Reply

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def browser_on():
    """tests/settings.py turns the browser off for the suite; on for this module."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SNAPSHELF_BROWSER", "auto")
    assert svc_module.browser_available(refresh=True)[0], "make setup installs chromium"
    yield
    if capture_module._service is not None:
        capture_module._service.stop()
        capture_module._service = None
    mp.undo()
    svc_module.browser_available(refresh=True)


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("alice", "", "alice-password-123")


@pytest.fixture(autouse=True)
def fresh_blobs(settings, tmp_path):
    settings.SNAPSHELF_BLOB_DIR = tmp_path / "blobs"


def capture(user, url: str) -> tuple[Snapshot, str]:
    _link, snap = add_link(user, url)
    snap = capture_module.run_capture(snap.pk).snapshot
    assert snap.status == "done", snap.error
    return snap, get_blob_store().get(snap.root_blob_id).decode()


def test_auto_keeps_the_rendering_of_a_page_finished_by_script(browser_on, fixture_server, user):
    fixture_server.route("/finished", lambda req: Reply.html(finished_page()))
    snap, replay = capture(user, fixture_server.url("/finished"))
    assert snap.mode == "browser", snap.timings.get("auto_reason")
    assert "load-time scripts" in snap.timings["auto_reason"]
    # the live status line, not the placeholder the markup carries
    assert STATUS_LIVE in replay
    assert STATUS_PLACEHOLDER not in replay
    # the branches and the slides the script hid stay hidden in the archived copy
    assert replay.count("display: none") >= 4, replay
    assert "<script" not in replay.lower()


def test_auto_keeps_a_page_with_quiet_scripts_static(browser_on, fixture_server, user):
    fixture_server.route("/quiet", lambda req: Reply.html(quiet_page()))
    snap, _replay = capture(user, fixture_server.url("/quiet"))
    assert snap.mode == "static", snap.timings.get("auto_reason")
    assert snap.screenshot_blob_id is None
