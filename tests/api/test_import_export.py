"""/import, /imports and /export: a bookmark file uploaded through the API is imported by
a worker (io.runs) and reported; the library streams out in each format as an attachment
under the archive's headers; someone else's run is 404, a read token cannot import."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from snapshelf.io.models import ImportRun
from snapshelf.io.runs import run_import_now, upload_path
from snapshelf.library.models import Link
from snapshelf.library.records import add_link
from tests.paths import CORPORA

pytestmark = pytest.mark.django_db

FIREFOX = CORPORA / "bookmarks-netscape-browser-exports/input/firefox_nested.htm"


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


def upload(client, name: str, data: bytes, **fields):
    body = {"file": SimpleUploadedFile(name, data), **fields}
    return client.client.post("/api/v1/import", body, headers=client.headers)


def test_an_uploaded_file_is_imported_by_a_worker_and_reported(
    api, other_api, user, django_capture_on_commit_callbacks
):
    data = FIREFOX.read_bytes()
    with django_capture_on_commit_callbacks(execute=False):  # the worker runs it below
        r = upload(api, "bookmarks.html", data, tags="imported, api", capture="false")
    assert r.status_code == 202, r.content
    body = r.json()
    run = ImportRun.objects.get(pk=body["id"], owner=user)
    assert body["state"] == "queued" and body["tags"] == ["imported", "api"]
    assert body["capture"] is False and upload_path(run).read_bytes() == data

    run_import_now(run.pk)
    r = api.get(f"/imports/{run.pk}")
    assert r.status_code == 200
    report = r.json()
    assert (report["state"], report["format"], report["added"]) == ("done", "netscape", 21)
    assert report["rejected_count"] == 3 and report["percent"] == 100
    assert all(row["reason"] for row in report["rejected"])
    assert Link.objects.filter(owner=user, tags__name="api").count() == 21
    assert [r["id"] for r in api.get("/imports").json()] == [run.pk]

    # someone else's run is not found, and not listed
    assert other_api.get(f"/imports/{run.pk}").status_code == 404
    assert other_api.get("/imports").json() == []


def test_a_file_of_no_known_format_fails_with_its_reason(api, user):
    r = upload(api, "odd.json", b'{"hello": "world"}')
    run_import_now(r.json()["id"])
    report = api.get(f"/imports/{r.json()['id']}").json()
    assert report["state"] == "failed" and "neither a Chrome nor a Firefox" in report["error"]
    assert not Link.objects.filter(owner=user).exists()


def test_import_refusals_change_nothing(api, read_api, anon, monkeypatch):
    data = FIREFOX.read_bytes()
    assert upload(anon, "b.html", data).status_code == 401
    r = upload(read_api, "b.html", data)
    assert r.status_code == 403 and r.json()["error"]["code"] == "insufficient_scope"
    r = api.client.post("/api/v1/import", {"tags": "x"}, headers=api.headers)
    assert r.status_code == 422  # no file
    monkeypatch.setattr("snapshelf.api.transfer.MAX_UPLOAD_BYTES", 100)
    r = upload(api, "b.html", data)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert not ImportRun.objects.exists() and not Link.objects.exists()


def test_export_streams_only_your_links_as_an_attachment(api, read_api, user, other_user):
    add_link(user, "https://example.org/mine", ["dev"])
    add_link(user, "https://example.org/also-mine", ["other"])
    add_link(other_user, "https://example.org/theirs", ["dev"])

    r = read_api.get("/export?format=json")  # reading is enough
    assert r.status_code == 200
    assert r["Content-Disposition"].startswith("attachment; filename=")
    assert "sandbox" in r["Content-Security-Policy"] and r["X-Content-Type-Options"] == "nosniff"
    data = json.loads(b"".join(r.streaming_content))
    urls = sorted(link["url"] for link in data["links"])
    assert urls == ["https://example.org/also-mine", "https://example.org/mine"]

    r = api.get("/export?format=netscape&tag=DEV")
    page = b"".join(r.streaming_content).decode()
    assert r.status_code == 200 and "NETSCAPE-Bookmark-file-1" in page
    assert "https://example.org/mine" in page and "also-mine" not in page and "theirs" not in page

    r = api.get("/export?format=csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")


def test_export_errors(api, anon, other_user):
    add_link(other_user, "https://example.org/theirs", ["secret-tag"])
    assert anon.get("/export?format=json").status_code == 401
    r = api.get("/export?format=json&tag=secret-tag")  # someone else's tag: not found
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = api.get("/export?format=docx")
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
