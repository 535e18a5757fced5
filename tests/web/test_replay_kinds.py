"""Archived bytes are served by the kind Snapshelf detected, never as raw HTML from the
application origin (issue 23.4): a body the classifier calls "other" (NUL bytes first)
or a PDF, though the site labelled it text/html, and a sub-resource labelled text/html
that Snapshelf did not rewrite, all keep their <script> out of an HTML document."""

from __future__ import annotations

import pytest

from snapshelf.library.models import Snapshot
from snapshelf.web.archive import archive_url, make_token, resource_url
from tests.library.helpers import capture
from tests.webserver import Reply

pytestmark = pytest.mark.django_db

SCRIPT = b"<html><body><script>parent.document.title='pwned'</script></body></html>"
HTML_TYPES = ("text/html", "application/xhtml+xml", "text/xml", "application/xml")


def _labelled_html(body: bytes):
    return lambda req: Reply(200, {"Content-Type": "text/html; charset=utf-8"}, body)


def _media(response) -> str:
    return response["Content-Type"].split(";")[0].strip()


@pytest.mark.parametrize(
    ("body", "kind", "served"),
    [
        (b"\x00\x00\x00" + SCRIPT, "other", "application/octet-stream"),
        (b"%PDF-1.4\n" + SCRIPT + b"\n%%EOF\n", "pdf", "application/pdf"),
    ],
)
def test_a_document_labelled_html_is_served_as_what_it_is(
    client, user, fixture_server, body, kind, served
):
    fixture_server.route("/doc", _labelled_html(body))
    snap = capture(user, fixture_server.url("/doc"))
    assert snap.kind == kind and snap.content_type.startswith("text/html")
    response = client.get(archive_url(snap.pk))
    assert response.status_code == 200 and response.content == body
    assert _media(response) == served
    if served == "application/octet-stream":
        assert response["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response["Content-Security-Policy"]


def test_an_unrewritten_resource_labelled_html_is_served_as_text(client, user, fixture_server):
    fixture_server.route("/evil.png", _labelled_html(SCRIPT))
    fixture_server.route(
        "/page", lambda req: Reply.html('<title>P</title><p>Text here.</p><img src="/evil.png">')
    )
    snap = capture(user, fixture_server.url("/page"))
    assert snap.status == Snapshot.Status.DONE, snap.error
    res = snap.resources.get(url__endswith="/evil.png")
    assert res.content_type.startswith("text/html") and not res.replay_blob_id
    response = client.get(resource_url(make_token(snap.pk), res.blob_id))
    assert response.status_code == 200 and response.content == SCRIPT
    assert _media(response) not in HTML_TYPES
    assert _media(response) == "text/plain"
