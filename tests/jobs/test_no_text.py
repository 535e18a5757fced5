"""A page with no readable text is still archived, and the snapshot says its text is missing
(issue 20.7) instead of showing an empty article as if the capture had found one."""

from __future__ import annotations

import pytest

from snapshelf.jobs.capture import run_capture
from snapshelf.library.records import add_link
from tests.webserver import Reply

pytestmark = pytest.mark.django_db

HTML = {"Content-Type": "text/html; charset=utf-8"}
EMPTY = (
    b"<!doctype html><html><head></head><body><div><img src='/a.png' alt=''></div></body></html>"
)
ARTICLE = (
    b"<!doctype html><html><head><title>Field notes</title></head><body><article><h1>Field notes"
    b"</h1>"
    + b"<p>The river rose twice this spring, and the old ford was under water for a week.</p>" * 6
    + b"</article></body></html>"
)


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("notext", password="x")


def test_a_page_without_text_is_done_with_the_missing_text_reported(user, fixture_server):
    fixture_server.route("/empty.html", lambda req: Reply(200, HTML, EMPTY))
    _link, snap = add_link(user, fixture_server.url("/empty.html"))
    snap = run_capture(snap.pk).snapshot
    assert snap.status == "done" and snap.kind == "html"
    assert snap.error_code == "extract_failed"
    assert "no readable text" in snap.error
    assert snap.text == "" and snap.title  # a title all the same (from the URL)


def test_a_page_with_text_has_no_extraction_error(user, fixture_server):
    fixture_server.route("/notes.html", lambda req: Reply(200, HTML, ARTICLE))
    _link, snap = add_link(user, fixture_server.url("/notes.html"))
    snap = run_capture(snap.pk).snapshot
    assert snap.status == "done"
    assert snap.error_code == "" and snap.error == ""
    assert "old ford" in snap.text
