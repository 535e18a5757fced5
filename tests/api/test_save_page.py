"""POST /links/page: a page as the user's browser shows it (the browser extension's "send
the page as shown"), saved through the door's save_page with its tags and note."""

from __future__ import annotations

import pytest
from huey.contrib.djhuey import HUEY

from snapshelf.jobs.capture import run_capture
from snapshelf.library.models import Link

pytestmark = pytest.mark.django_db

SECRET = "Only members see this: the reading room opens on Tuesday."
PAGE = (
    "<html><head><title>Members</title></head><body><article><h1>Members</h1>"
    + f"<p>{SECRET}</p>" * 5
    + "</article></body></html>"
)


def queued() -> list[int]:
    return [t.args[0] for t in HUEY.pending() if t.name.endswith("capture_snapshot")]


def test_the_sent_html_is_the_document_with_tags_and_note(
    api, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post(
            "/links/page",
            {
                "url": "http://intranet.example/members?utm_source=x",
                "html": PAGE,
                "tags": ["club", "Club", "news"],
                "title": "  Members   page ",
                "note": "from the *extension*",
            },
        )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (
        body["link"]["tags"] == ["club", "news"] and body["link"]["note"] == "from the *extension*"
    )
    assert body["link"]["title"] == "Members page"
    assert body["snapshot"]["status"] == "queued" and body["snapshot"]["mode"] == "upload"
    assert queued() == [body["snapshot"]["id"]]
    link = Link.objects.get(owner=user, pk=body["link"]["id"])
    assert link.url_normalized == "http://intranet.example/members"
    # the capture reads the sent HTML; it fetches nothing for the document itself
    snap = run_capture(body["snapshot"]["id"]).snapshot
    assert snap.status == "done" and SECRET in snap.text


def test_refusals_save_nothing(api, read_api, anon, settings):
    page = {"url": "https://example.org/p", "html": PAGE}
    r = anon.post("/links/page", page)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = read_api.post("/links/page", page)
    assert r.status_code == 403 and r.json()["error"]["code"] == "insufficient_scope"
    r = api.post("/links/page", {**page, "url": "ftp://example.org/p"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_url"
    r = api.post("/links/page", {"url": "https://example.org/p", "html": ""})
    assert r.status_code == 422
    settings.SNAPSHELF_CAPTURE = {**settings.SNAPSHELF_CAPTURE, "max_document_bytes": 1000}
    r = api.post("/links/page", {**page, "html": "x" * 1001})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert not Link.objects.exists() and queued() == []


def test_quota_applies(api, settings):
    settings.SNAPSHELF_USER_CAPTURES_PER_HOUR = 1
    assert (
        api.post("/links/page", {"url": "https://example.org/1", "html": PAGE}).status_code == 201
    )
    r = api.post("/links/page", {"url": "https://example.org/2", "html": PAGE})
    assert r.status_code == 429 and r.json()["error"]["code"] == "quota_exceeded"
    assert not Link.objects.filter(url="https://example.org/2").exists()
