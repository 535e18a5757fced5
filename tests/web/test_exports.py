"""The export page and the link page's Download menu (issue 18): files come as
attachments with the archive headers, hold only the requester's links, and anyone else's
snapshot or tag is "not found"."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse
from warcio.archiveiterator import ArchiveIterator

from snapshelf.library.models import Link, Snapshot, Tag
from snapshelf.library.records import add_link
from tests.io.test_warc import capture_mdn

pytestmark = pytest.mark.django_db

HOSTILE = '"><img src=x onerror=alert(1)>'


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def assert_attachment(response, suffix: str) -> None:
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and disposition.endswith(f'{suffix}"')
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.fixture
def links(user, other_user):
    mine, _ = add_link(user, "https://example.org/mine", ["reading"])
    add_link(user, "https://example.org/untagged")
    Link.objects.filter(pk=mine.pk).update(title=HOSTILE)
    add_link(other_user, "https://example.org/bobs", ["secret-tag"])
    return mine


def test_the_export_page_offers_formats_and_only_the_users_tags(client, user, links):
    client.force_login(user)
    page = client.get(reverse("export")).content.decode()
    for fmt in ("netscape", "json", "csv", "zip", "warc"):
        assert f'value="{fmt}"' in page
    assert "reading" in page and "secret-tag" not in page


def test_exports_are_attachments_of_the_users_own_links(client, user, links):
    client.force_login(user)
    response = client.get(reverse("export"), {"format": "json"})
    assert_attachment(response, ".json")
    doc = json.loads(body(response))
    assert sorted(link["url"] for link in doc["links"]) == [
        "https://example.org/mine",
        "https://example.org/untagged",
    ]
    tag = Tag.objects.get(owner=user, name="reading")
    response = client.get(reverse("export"), {"format": "netscape", "tag": tag.pk})
    assert_attachment(response, ".html")
    data = body(response)
    assert b"https://example.org/mine" in data and b"untagged" not in data
    assert b"<img src=x" not in data and b"&lt;img src=x onerror=alert(1)&gt;" in data
    response = client.get(reverse("export"), {"format": "csv"})
    assert_attachment(response, ".csv")
    assert b"bobs" not in body(response)


def test_someone_elses_tag_or_a_bad_format_exports_nothing(client, user, links):
    client.force_login(user)
    theirs = Tag.objects.get(name="secret-tag")
    response = client.get(reverse("export"), {"format": "json", "tag": theirs.pk})
    assert response.status_code == 400
    assert "Content-Disposition" not in response and b"bobs" not in response.content
    response = client.get(reverse("export"), {"format": "exe"})
    assert response.status_code == 400 and "Content-Disposition" not in response


def test_a_snapshot_downloads_in_every_format_it_has(client, fixture_server, user):
    snap = capture_mdn(fixture_server, user)
    client.force_login(user)
    url = reverse("snapshot-download", args=[snap.pk])
    response = client.get(url, {"format": "warc"})
    assert_attachment(response, ".warc.gz")
    assert response["Content-Type"] == "application/warc"
    uris = [
        r.rec_headers.get_header("WARC-Target-URI")
        for r in ArchiveIterator(io.BytesIO(body(response)))
    ]
    assert snap.final_url in uris
    response = client.get(url, {"format": "singlefile"})
    assert_attachment(response, ".html")
    assert response["Content-Type"] == "application/octet-stream"  # never rendered here
    response = client.get(url, {"format": "markdown"})
    assert_attachment(response, ".md")
    assert body(response).startswith(b"# Birdwatching")
    response = client.get(url, {"format": "original"})
    assert_attachment(response, ".html")
    assert response["Content-Type"] == "application/octet-stream"
    assert client.get(url, {"format": "screenshot"}).status_code == 404  # a static capture
    assert client.get(url, {"format": "bogus"}).status_code == 404
    assert client.get(url).status_code == 404


def test_someone_elses_snapshot_is_not_found(client, fixture_server, user, other_user):
    snap = capture_mdn(fixture_server, user)
    client.force_login(other_user)
    url = reverse("snapshot-download", args=[snap.pk])
    for fmt in ("warc", "singlefile", "markdown", "original"):
        assert client.get(url, {"format": fmt}).status_code == 404


def test_the_link_page_has_a_download_menu(client, fixture_server, user):
    snap = capture_mdn(fixture_server, user)
    client.force_login(user)
    page = client.get(reverse("link", args=[snap.link_id])).content.decode()
    assert 'class="download-menu"' in page
    download = reverse("snapshot-download", args=[snap.pk])
    assert f"{download}?format=warc" in page and f"{download}?format=markdown" in page
    assert f"{download}?format=screenshot" not in page  # a static capture has none
    assert reverse("download-singlefile", args=[snap.pk]) in page


def test_an_unfinished_snapshot_offers_no_menu(client, user):
    link, snap = add_link(user, "https://example.org/queued")
    assert snap.status == Snapshot.Status.QUEUED
    client.force_login(user)
    page = client.get(reverse("link", args=[link.pk])).content.decode()
    assert 'class="download-menu"' not in page


def test_anonymous_is_sent_to_log_in(client, links):
    for url in (reverse("export") + "?format=json", reverse("snapshot-download", args=[1])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
