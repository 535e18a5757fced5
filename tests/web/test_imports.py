"""The import page: upload, a worker's run, the report; one user's runs are theirs."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from snapshelf.io.models import ImportRun
from snapshelf.io.runs import run_import_now, upload_path
from snapshelf.library.models import Link
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
