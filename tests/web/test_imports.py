"""The import page: upload, a worker's run, the report; one user's runs are theirs."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from snapshelf.io.importers import open_import
from snapshelf.io.models import ImportRun
from snapshelf.io.runs import ATTEMPTS, LEASE, recover_stale, run_import_now, upload_path
from snapshelf.library.models import Link
from snapshelf.services.imports import import_links
from tests.paths import CORPORA

pytestmark = pytest.mark.django_db

HOSTILE = (
    "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n"
    '<DT><A HREF="https://ok.example/" ADD_DATE="1600000000">'
    "&lt;img src=x onerror=alert(1)&gt;</A>\n"
    '<DT><A HREF="javascript:alert(document.cookie)">&lt;b&gt;js&lt;/b&gt;</A>\n'
    "</DL><p>\n"
)


@pytest.fixture
def client_in(client, user, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    client.force_login(user)
    return client


def upload(client, name: str, data: bytes, **fields):
    return client.post(
        reverse("import"),
        {"file": SimpleUploadedFile(name, data), "tags": "imported", **fields},
    )


def test_an_upload_is_imported_by_a_worker_and_reported(
    client_in, user, django_capture_on_commit_callbacks
):
    data = (CORPORA / "bookmarks-netscape-browser-exports/input/firefox_nested.htm").read_bytes()
    with django_capture_on_commit_callbacks(execute=False):  # the worker runs it below
        response = upload(client_in, "bookmarks.html", data, capture="on")
    run = ImportRun.objects.get(owner=user)
    assert response.status_code == 302 and response["Location"] == f"/import/{run.pk}/"
    assert run.state == ImportRun.State.QUEUED and upload_path(run).read_bytes() == data

    page = client_in.get(f"/import/{run.pk}/", headers={"HX-Request": "true"})
    assert b'hx-trigger="every 1s"' in page.content  # follows the run while it is live

    run = run_import_now(run.pk)
    assert (run.state, run.format, run.added, run.rejected_count) == ("done", "netscape", 21, 3)
    assert not upload_path(run).exists()
    assert Link.objects.filter(owner=user, tags__name="imported").count() == 21
    page = client_in.get(f"/import/{run.pk}/").content.decode()
    assert "21 new links" in page and "only http and https links" in page
    assert 'hx-trigger="every 1s"' not in page  # done: the page stops polling
    assert run_import_now(run.pk).added == 21  # a second delivery does nothing


def test_hostile_rows_are_escaped_in_the_report_and_the_library(
    client_in, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        upload(client_in, "x.html", HOSTILE.encode())
    run = run_import_now(ImportRun.objects.get(owner=user).pk)
    assert (run.added, run.rejected_count) == (1, 1)
    report = client_in.get(f"/import/{run.pk}/").content.decode()
    assert "javascript:alert(document.cookie)" in report  # shown, as text
    assert "<b>js" not in report and "<img src=x" not in report
    library = client_in.get("/").content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in library and "<img src=x" not in library


def test_a_file_of_no_known_format_fails_with_its_reason(
    client_in, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        upload(client_in, "odd.json", b'{"hello": "world"}')
    run = run_import_now(ImportRun.objects.get(owner=user).pk)
    assert run.state == ImportRun.State.FAILED and "neither a Chrome nor a Firefox" in run.error
    assert "neither a Chrome nor a Firefox" in client_in.get(f"/import/{run.pk}/").content.decode()


def test_someone_elses_import_is_not_found(client, user, other_user):
    run = ImportRun.objects.create(owner=other_user, filename="theirs.html")
    client.force_login(user)
    assert client.get(f"/import/{run.pk}/").status_code == 404
    assert "theirs.html" not in client.get("/import/").content.decode()


def test_the_form_needs_a_file(client_in):
    response = client_in.post(reverse("import"), {"tags": "x"})
    assert response.status_code == 400 and ImportRun.objects.count() == 0


def _stale(run: ImportRun, attempts: int) -> None:
    """What a worker killed mid-import leaves: the run claimed, its last progress old."""
    ImportRun.objects.filter(pk=run.pk).update(
        state=ImportRun.State.RUNNING,
        attempts=attempts,
        heartbeat=timezone.now() - LEASE - timedelta(seconds=1),
    )


def test_an_import_whose_worker_died_is_run_again_without_duplicates(
    client_in, user, django_capture_on_commit_callbacks
):
    data = (CORPORA / "bookmarks-netscape-browser-exports/input/firefox_nested.htm").read_bytes()
    with django_capture_on_commit_callbacks(execute=False):
        upload(client_in, "bookmarks.html", data)
    run = ImportRun.objects.get(owner=user)
    # the dead worker had written part of the file: its batches are committed
    opened_rows = list(open_import(upload_path(run), ExitStack()).rows)
    import_links(user, opened_rows[:10], tags=["imported"], capture=False)
    written = Link.objects.filter(owner=user).count()
    assert 0 < written < 21
    _stale(run, attempts=1)
    assert recover_stale(lease=LEASE * 2) == []  # not yet past a longer lease
    assert recover_stale() == [run.pk]
    assert ImportRun.objects.get(pk=run.pk).state == ImportRun.State.QUEUED
    run = run_import_now(run.pk)
    assert (run.state, run.attempts) == ("done", 2)
    assert Link.objects.filter(owner=user).count() == 21  # nothing saved twice
    assert (run.added, run.merged) == (21 - written, written)


def test_an_import_that_kills_every_worker_fails_with_a_reason(
    client_in, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        upload(client_in, "bookmarks.txt", b"https://a.example/\n")
    run = ImportRun.objects.get(owner=user)
    _stale(run, attempts=ATTEMPTS)
    assert recover_stale() == []
    run.refresh_from_db()
    assert run.state == ImportRun.State.FAILED and "stopped on each of its 3 tries" in run.error
    assert not upload_path(run).exists()
    page = client_in.get(f"/import/{run.pk}/").content.decode()
    assert "stopped on each of its 3 tries" in page


def test_a_run_left_running_before_leases_existed_is_recovered_by_its_age(
    client_in, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        upload(client_in, "bookmarks.txt", b"https://a.example/\n")
    run = ImportRun.objects.get(owner=user)
    ImportRun.objects.filter(pk=run.pk).update(state=ImportRun.State.RUNNING, heartbeat=None)
    assert recover_stale() == []  # a new run is not stale
    ImportRun.objects.filter(pk=run.pk).update(created=timezone.now() - LEASE * 2)
    assert recover_stale() == [run.pk]
    assert run_import_now(run.pk).added == 1
