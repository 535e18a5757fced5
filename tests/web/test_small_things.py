"""The small things of issue 21.8: dates in words, languages in their own names, the
original download's real type and name, "What changed" only with two captured versions,
suggested tags showing up among the link's tags at once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from snapshelf.library.models import Blob, Snapshot, Tag
from snapshelf.library.records import add_link, new_snapshot
from snapshelf.storage import get_blob_store

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def saved(user, client):
    client.force_login(user)
    link, snap = add_link(user, "https://example.org/docs/report.pdf")
    Snapshot.objects.filter(pk=snap.pk).update(status="done", title="Report")
    snap.refresh_from_db()
    return link, snap


def test_publication_date_is_shown_in_words(client, saved):
    link, snap = saved
    Snapshot.objects.filter(pk=snap.pk).update(published="2024-03-05")
    html = client.get(reverse("link", args=[link.pk])).content.decode()
    assert "published March 5, 2024" in html and "2024-03-05" not in html
    zh = client.get(reverse("link", args=[link.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "2024年3月5日" in zh.content.decode()


def test_language_menu_names_each_language_in_itself(client, saved):
    for accept in ("en", "zh-hans"):
        html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE=accept).content.decode()
        assert ">English</option>" in html and ">简体中文</option>" in html
        assert "英语" not in html


def test_original_download_has_its_real_type_and_name(client, saved):
    link, snap = saved
    info = get_blob_store().put(b"%PDF-1.4 report")
    Blob.objects.get_or_create(
        sha256=info.sha256, defaults={"size": info.size, "stored_size": info.stored_size}
    )
    Snapshot.objects.filter(pk=snap.pk).update(
        original_blob_id=info.sha256, content_type="application/pdf"
    )
    r = client.get(reverse("download-original", args=[snap.pk]))
    assert r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"] == 'attachment; filename="report-v1.pdf"'
    assert "sandbox" in r["Content-Security-Policy"]
    Snapshot.objects.filter(pk=snap.pk).update(content_type="text/html", charset="utf-8")
    Snapshot.objects.filter(pk=snap.pk).update(final_url="https://example.org/")
    r = client.get(reverse("download-original", args=[snap.pk]))
    assert r["Content-Type"] == "text/html; charset=utf-8"
    assert r["Content-Disposition"] == 'attachment; filename="example.org-v1.html"'


def test_what_changed_needs_two_captured_versions(client, saved):
    link, snap = saved
    failed = new_snapshot(link)
    Snapshot.objects.filter(pk=failed.pk).update(status="failed", error_code="timeout")
    html = client.get(reverse("link", args=[link.pk])).content.decode()
    assert "What changed" not in html
    again = new_snapshot(link)
    Snapshot.objects.filter(pk=again.pk).update(status="done")
    html = client.get(reverse("link", args=[link.pk])).content.decode()
    assert "What changed" in html


def test_accepting_a_suggested_tag_refreshes_the_tag_chips(client, user, saved):
    link, snap = saved
    Tag.objects.create(owner=user, name="reports")
    r = client.post(reverse("link-tag-accept", args=[link.pk]), {"tag": "reports"}, **HX)
    html = r.content.decode()
    assert '<span id="link-tag-chips" hx-swap-oob="true">' in html
    assert "#reports</a>" in html.split('id="link-tag-chips"', 1)[1].split("</span>")[0]
