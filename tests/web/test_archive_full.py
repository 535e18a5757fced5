"""The archived page in full view and in a new tab (issue 21.4)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from snapshelf.library.models import Snapshot
from snapshelf.library.records import add_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def done(user):
    link, snap = add_link(user, "https://example.org/article")
    Snapshot.objects.filter(pk=snap.pk).update(status="done", title="An article")
    return link, snap


def test_archive_tab_offers_full_view_and_a_new_tab(client, user, done):
    link, snap = done
    client.force_login(user)
    html = client.get(reverse("link", args=[link.pk]) + "?tab=archive").content.decode()
    assert reverse("link-archive-full", args=[link.pk]) in html
    new_tab = re.search(r'<a class="button" href="([^"]+)" target="_blank" rel="([^"]+)"', html)
    assert new_tab and "/a/" in new_tab.group(1) and "noopener" in new_tab.group(2)
    assert client.get(new_tab.group(1).replace("&amp;", "&")).status_code in (200, 404)


def test_full_view_is_the_frame_over_the_whole_window(client, user, done):
    link, snap = done
    client.force_login(user)
    r = client.get(reverse("link-archive-full", args=[link.pk]))
    assert r.status_code == 200
    html = r.content.decode()
    assert re.search(r'<iframe class="archive-full" sandbox src="[^"]*/a/', html)
    assert "default-src 'self'" in r["Content-Security-Policy"]
    assert reverse("link", args=[link.pk]) in html  # the way back


def test_full_view_is_owner_only_and_needs_a_finished_snapshot(client, user, other_user, done):
    link, snap = done
    client.force_login(other_user)
    assert client.get(reverse("link-archive-full", args=[link.pk])).status_code == 404
    client.force_login(user)
    Snapshot.objects.filter(pk=snap.pk).update(status="failed")
    assert client.get(reverse("link-archive-full", args=[link.pk])).status_code == 404
