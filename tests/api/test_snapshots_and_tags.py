"""Snapshots and their artefacts (sandboxed attachments), tags, search and capture status
through the API, on a real capture from the fixture server."""

from __future__ import annotations

import pytest

from snapshelf.api.snapshots import ARCHIVE_CSP
from snapshelf.jobs.capture import run_capture
from snapshelf.library.models import Link, Tag
from snapshelf.library.records import add_link
from snapshelf.web.archive import ARCHIVE_CSP as WEB_ARCHIVE_CSP
from tests.webserver import Reply

pytestmark = pytest.mark.django_db

PAGE = """<html><head><title>Volumes in Docker</title></head><body><article>
<h1>Volumes in Docker</h1><p>Docker volumes keep data outside the container, so a
container can be replaced without losing the database files it wrote.</p>
<p>Named volumes are managed by Docker; bind mounts map a host directory.</p>
<script>document.title = 'owned'</script></article></body></html>"""


@pytest.fixture
def captured(fixture_server, user):
    fixture_server.route("/docker", lambda req: Reply.html(PAGE))
    link, snap = add_link(user, fixture_server.url("/docker"), ["docker"])
    run_capture(snap.pk)
    return Link.objects.get(pk=link.pk)


def test_snapshot_status_metadata_and_artefacts(api, captured):
    snap_id = captured.latest_snapshot_id
    listed = api.get(f"/links/{captured.pk}/snapshots").json()
    assert [s["id"] for s in listed] == [snap_id] and listed[0]["status"] == "done"
    snap = api.get(f"/snapshots/{snap_id}").json()
    assert snap["title"] == "Volumes in Docker" and snap["link_id"] == captured.pk
    assert {"reader_html", "markdown", "text", "singlefile", "original"} <= set(snap["artefacts"])
    assert "screenshot" not in snap["artefacts"]  # a static capture makes none
    for name in snap["artefacts"]:
        r = api.get(f"/snapshots/{snap_id}/artefacts/{name}")
        assert r.status_code == 200, name
        assert r["Content-Disposition"].startswith("attachment;"), name
        assert r["Content-Security-Policy"] == WEB_ARCHIVE_CSP, name
        assert r["X-Content-Type-Options"] == "nosniff"
        again = api.get(
            f"/snapshots/{snap_id}/artefacts/{name}", headers={"If-None-Match": r["ETag"]}
        )
        assert again.status_code == 304
    text = api.get(f"/snapshots/{snap_id}/artefacts/text").content.decode()
    assert "Docker volumes keep data outside the container" in text
    single = api.get(f"/snapshots/{snap_id}/artefacts/singlefile")
    assert single["Content-Type"] == "application/octet-stream"  # never rendered inline
    assert b"document.title = 'owned'" not in single.content  # scripts were removed
    r = api.get(f"/snapshots/{snap_id}/artefacts/screenshot")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert api.get(f"/snapshots/{snap_id}/artefacts/warc").status_code == 422


def test_the_api_sandbox_policy_is_the_web_ones():
    assert ARCHIVE_CSP == WEB_ARCHIVE_CSP


def test_search_finds_the_capture_with_a_snippet(api, captured, other_api):
    r = api.get("/search", data={"q": "volumes container"})
    assert r.status_code == 200
    hits = r.json()["items"]
    assert [h["link_id"] for h in hits] == [captured.pk]
    assert "container" in hits[0]["snippet"].lower()
    assert other_api.get("/search", data={"q": "volumes container"}).json()["items"] == []
    assert api.get("/search", data={"q": ""}).status_code == 422


def test_capture_status_is_the_users_own(api, captured, other_user, other_api):
    add_link(other_user, "https://example.org/queued")
    mine = api.get("/status").json()
    assert mine["done_24h"] == 1 and mine["queued"] == 0
    theirs = other_api.get("/status").json()
    assert theirs["queued"] == 1 and theirs["done_24h"] == 0


def test_tags_list_rename_merge_delete_and_complete(api, user):
    a, _ = add_link(user, "https://example.org/a", ["dev", "docker"])
    b, _ = add_link(user, "https://example.org/b", ["devops"])
    tags = {t["name"]: t for t in api.get("/tags").json()}
    assert {n: t["count"] for n, t in tags.items()} == {"dev": 1, "devops": 1, "docker": 1}
    assert api.get("/tags/complete", data={"q": "de"}).json()["tags"] == ["dev", "devops"]
    r = api.patch(f"/tags/{tags['dev']['id']}", {"name": "development"})
    assert r.status_code == 200 and r.json()["tag"]["name"] == "development"
    # renaming onto an existing name merges
    r = api.patch(f"/tags/{tags['devops']['id']}", {"name": "Development"})
    assert r.json()["merged"] is True and r.json()["tag"]["count"] == 2
    r = api.post("/tags/merge", {"ids": [tags["docker"]["id"]], "into": "containers"})
    assert r.status_code == 200 and r.json()["name"] == "containers"
    assert set(Link.objects.get(pk=a.pk).tags.values_list("name", flat=True)) == {
        "development",
        "containers",
    }
    bad = api.patch(f"/tags/{r.json()['id']}", {"name": " , "})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_tag"
    assert api.delete(f"/tags/{r.json()['id']}").status_code == 204
    assert not Tag.objects.filter(name="containers").exists()
    assert Link.objects.filter(pk=a.pk).exists()
