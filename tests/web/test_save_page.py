"""Saving a page as the user's browser shows it (behind a login): the uploaded HTML is
the document; its subresources are fetched through the egress guard."""

from __future__ import annotations

import pytest
from django.urls import reverse

from snapshelf.jobs.capture import run_capture
from snapshelf.library.models import Link, Snapshot
from snapshelf.storage import get_blob_store
from tests.capture.fixtures_js import png
from tests.webserver import Reply

pytestmark = pytest.mark.django_db

PRIVATE = "Quarterly numbers only members can read: revenue grew in every region this year."


def page_html(fixture_server, canary_server) -> str:
    return f"""<!doctype html><html><head><title>Members area</title></head><body>
<article><h1>Members area</h1>{"<p>" + PRIVATE + "</p>" * 1}
<p>{PRIVATE} {PRIVATE}</p>
<img src="{fixture_server.url("/chart.png")}" alt="chart">
<img src="{canary_server.url("/tracker.png")}" alt="">
<script>document.title = "ran"</script></article></body></html>"""


def test_uploaded_page_is_captured_with_its_resources(client, user, fixture_server, canary_server):
    fixture_server.route("/members", lambda req: Reply.html("<title>Log in</title>Please log in"))
    fixture_server.route(
        "/chart.png", lambda req: Reply(200, {"Content-Type": "image/png"}, png(40, 20, (9, 9, 9)))
    )
    client.force_login(user)
    url = fixture_server.url("/members")
    r = client.post(
        reverse("bookmarklet-save"),
        {
            "url": url,
            "title": "Members area",
            "tags": "work",
            "html": page_html(fixture_server, canary_server),
        },
    )
    assert r.status_code == 200 and b"Saved" in r.content
    snap = Link.objects.get(owner=user).latest_snapshot
    assert snap.mode == Snapshot.Mode.UPLOAD and snap.status == "queued"
    snap = run_capture(snap.pk).snapshot
    assert snap.status == "done", snap.error
    assert snap.mode == "upload"
    assert PRIVATE in snap.text and "Please log in" not in snap.text
    assert "/members" not in fixture_server.paths()  # the page itself was not fetched
    assert "/chart.png" in fixture_server.paths()  # its image was, through the guard
    assert canary_server.requests == []
    replay = get_blob_store().get(snap.root_blob_id).decode()
    assert "<script" not in replay.lower() and PRIVATE in replay
    assert snap.resources.filter(kind="image", blob__isnull=False).count() == 1


def test_too_large_page_is_refused_and_nothing_saved(client, user, settings):
    settings.SNAPSHELF_CAPTURE = {**settings.SNAPSHELF_CAPTURE, "max_document_bytes": 1000}
    client.force_login(user)
    r = client.post(
        reverse("bookmarklet-save"), {"url": "https://example.org/big", "html": "x" * 5000}
    )
    assert r.status_code == 200 and b"too large" in r.content
    assert not Link.objects.filter(owner=user).exists()


def test_settings_offer_the_page_bookmarklet(client, user):
    client.force_login(user)
    html = client.get(reverse("settings")).content.decode()
    assert "from=page" in html and "snapshelf-ready" in html and "postMessage" in html


def test_only_the_page_popup_relaxes_the_opener_policy(client, user):
    client.force_login(user)
    plain = client.get(reverse("bookmarklet-save") + "?url=https://example.org/")
    assert plain["Cross-Origin-Opener-Policy"] == "same-origin"
    page = client.get(reverse("bookmarklet-save") + "?from=page&url=https://example.org/")
    assert page["Cross-Origin-Opener-Policy"] == "unsafe-none"
    assert b"data-page-receiver" in page.content
