"""The reading side on the web (issue 22.2-22.4): the progress endpoint (owner only,
clear errors), the reader page (restored position, direction, typography, the e-book in
the Download menu), the reader settings form, "Continue reading" on the library page,
and e-books from the export page."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.urls import reverse

from snapshelf.library.models import Link, ReadingProgress, Snapshot
from snapshelf.library.records import add_link
from snapshelf.services import reading
from tests.library.helpers import capture
from tests.web.test_reader_offline import serve_article

pytestmark = pytest.mark.django_db

TEXT = "<p>" + "Tomatoes want sun and water in the morning. " * 60 + "</p>"


def done(user, url: str, **fields) -> Link:
    link, snap = add_link(user, url)
    values = {"status": "done", "title": url, "readable_html": TEXT, "word_count": 480}
    Snapshot.objects.filter(pk=snap.pk).update(**{**values, **fields})
    return Link.objects.select_related("latest_snapshot").get(pk=link.pk)


def post_progress(client, link_id: int, body) -> object:
    return client.post(
        reverse("link-progress", args=[link_id]),
        data=json.dumps(body),
        content_type="application/json",
    )


def test_progress_endpoint_saves_for_the_owner_only(client, user, other_user):
    link = done(user, "https://example.org/a")
    client.force_login(user)
    response = post_progress(client, link.pk, {"fraction": 0.4, "offset": 900})
    assert response.status_code == 200
    assert response.json() == {"fraction": 0.4, "offset": 900, "marked_read": False}
    assert ReadingProgress.objects.get(link=link).fraction == 0.4
    bad = post_progress(client, link.pk, {"fraction": "lots"})
    assert bad.status_code == 400 and "between 0 and 1" in bad.json()["error"]
    not_an_object = post_progress(client, link.pk, [1, 2])
    assert not_an_object.status_code == 400
    assert "not valid JSON" in not_an_object.json()["error"]
    assert client.get(reverse("link-progress", args=[link.pk])).status_code == 405
    assert ReadingProgress.objects.get(link=link).fraction == 0.4

    client.force_login(other_user)
    assert post_progress(client, link.pk, {"fraction": 0.9}).status_code == 404
    assert ReadingProgress.objects.get(link=link).fraction == 0.4
    client.logout()
    assert post_progress(client, link.pk, {"fraction": 0.9}).status_code == 302


def test_the_reader_restores_the_position_and_applies_the_settings(client, user):
    link = done(user, "https://example.org/a")
    reading.save_progress(user, link.pk, 0.42, 1000)
    reading.set_reader_settings(user, font_size=150, font="sans", width="narrow")
    client.force_login(user)
    page = client.get(reverse("link", args=[link.pk])).content.decode()
    assert 'data-fraction="0.4200"' in page
    assert f'data-progress-url="{reverse("link-progress", args=[link.pk])}"' in page
    assert "reader-size-150 reader-font-sans reader-width-narrow" in page
    assert 'value="42"' in page  # the progress bar
    assert 'dir="ltr"' in page
    assert "?format=epub" in page  # the Download menu's e-book


def test_a_right_to_left_page_reads_right_to_left(client, user):
    arabic = done(user, "https://example.org/ar", language="ar", readable_html="<p>مرحبا</p>")
    unknown = done(user, "https://example.org/he", language="", text="שלום עולם, זה עמוד")
    client.force_login(user)
    for link in (arabic, unknown):
        page = client.get(reverse("link", args=[link.pk])).content.decode()
        assert 'dir="rtl"' in page, link.url


def test_reader_settings_form_saves_and_refuses_bad_values(client, user):
    client.force_login(user)
    settings_page = client.get(reverse("settings")).content.decode()
    assert 'id="settings-reader-font-size"' in settings_page
    response = client.post(
        reverse("reader-settings"), {"font_size": "125", "font": "sans", "width": "wide"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#reading")
    assert reading.reader_settings(user) == reading.ReaderSettings(125, "sans", "wide")
    page = client.get(reverse("settings")).content.decode()
    assert '<option value="125" selected>' in page
    bad = client.post(
        reverse("reader-settings"),
        {"font_size": "3", "font": "sans", "width": "wide"},
        HTTP_ACCEPT="application/json",
    )
    assert bad.status_code == 400 and "error" in bad.json()
    assert reading.reader_settings(user).font_size == 125
    away = client.post(reverse("reader-settings"), {"font": "serif", "next": "https://evil.test/"})
    assert away["Location"].startswith(reverse("settings"))


def test_continue_reading_on_the_library_page(client, user, other_user):
    started = done(user, "https://example.org/started")
    finished = done(user, "https://example.org/finished")
    theirs = done(other_user, "https://example.org/theirs")
    reading.save_progress(user, started.pk, 0.5)
    reading.save_progress(user, finished.pk, 1.0)
    reading.save_progress(other_user, theirs.pk, 0.5)
    client.force_login(user)
    page = client.get(reverse("home")).content.decode()
    section = page.split('class="continue-reading"')[1].split("</section>")[0]
    assert "https://example.org/started" in section
    assert "finished" not in section and "theirs" not in section
    assert "50% read" in section and "min read" in section
    filtered = client.get(reverse("home") + "?is=unread").content.decode()
    assert 'class="continue-reading"' not in filtered


def test_ebooks_from_the_export_page_and_the_download_menu(
    client, user, other_user, fixture_server
):
    snap = capture(user, serve_article(fixture_server), ["garden"])
    client.force_login(user)
    tag = snap.link.tags.get()
    home = client.get(reverse("home") + "?tag=garden").content.decode()
    assert f"format=epub&amp;tag={tag.pk}" in home
    response = client.get(reverse("export"), {"format": "epub", "tag": tag.pk})
    assert response.status_code == 200 and response["Content-Type"] == "application/epub+zip"
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        assert zf.read("mimetype") == b"application/epub+zip"
        assert any(name.startswith("EPUB/images/") for name in zf.namelist())
    one = client.get(reverse("snapshot-download", args=[snap.pk]), {"format": "epub"})
    assert one.status_code == 200 and one.content.startswith(b"PK")

    client.force_login(other_user)
    assert (
        client.get(reverse("snapshot-download", args=[snap.pk]), {"format": "epub"}).status_code
        == 404
    )
    empty = client.get(reverse("export"), {"format": "epub"})
    assert empty.status_code == 400
    assert "no captured article" in empty.content.decode()
    assert client.get(reverse("export"), {"format": "epub", "tag": tag.pk}).status_code == 400
