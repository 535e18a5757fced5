"""The installable web app: the manifest, and the share target that hands a shared link
to the save page (saved only on the user's POST, after log-in)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from snapshelf.library.models import Link
from snapshelf.web.views.share import shared_url

pytestmark = pytest.mark.django_db


def test_manifest_declares_an_installable_app_with_a_share_target(client):
    r = client.get(reverse("webmanifest"))
    assert r.status_code == 200 and r["Content-Type"] == "application/manifest+json"
    data = json.loads(r.content)
    assert data["display"] == "standalone" and data["start_url"] == "/"
    assert data["icons"] and data["share_target"]["action"] == reverse("share-target")
    assert data["share_target"]["method"] == "GET"


def test_pages_link_the_manifest(client, user):
    client.force_login(user)
    assert f'rel="manifest" href="{reverse("webmanifest")}"' in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("url", "text", "expected"),
    [
        ("https://example.org/a", "whatever", "https://example.org/a"),
        ("", "Look at this: https://example.org/b?x=1.", "https://example.org/b?x=1"),
        ("", "no address here", ""),
    ],
)
def test_the_shared_address_is_found(url, text, expected):
    assert shared_url(url, text) == expected


def test_sharing_needs_log_in_then_saves_only_on_post(client, user):
    share = reverse("share-target") + "?title=A+page&text=see+https://example.org/shared"
    r = client.get(share)
    assert r.status_code == 302 and r["Location"].startswith(reverse("login"))
    client.force_login(user)
    r = client.get(share)
    assert r.status_code == 302
    target = urlsplit(r["Location"])
    assert target.path == reverse("bookmarklet-save")
    assert parse_qs(target.query) == {"url": ["https://example.org/shared"], "title": ["A page"]}
    form = client.get(r["Location"])
    assert 'value="https://example.org/shared"' in form.content.decode()
    assert not Link.objects.exists()  # a GET saves nothing
    saved = client.post(
        reverse("bookmarklet-save"), {"url": "https://example.org/shared", "title": "A page"}
    )
    assert saved.status_code == 200
    assert Link.objects.get(owner=user).url == "https://example.org/shared"
