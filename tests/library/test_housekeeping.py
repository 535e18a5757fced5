"""Blob housekeeping: deleting links and versions frees their unshared blobs; the orphan
sweep honours its grace period; `snapshelf gc` reports what it reclaims."""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from snapshelf import cli
from snapshelf.jobs.tasks import delete_blob_bytes
from snapshelf.library.housekeeping import RETRIES, _delete_rows, free_blobs, sweep
from snapshelf.library.models import Blob, Link, Resource, Snapshot
from snapshelf.library.records import get_or_create_link
from snapshelf.library.removal import VersionInUse, delete_snapshot
from snapshelf.services import bulk
from snapshelf.storage import get_blob_store
from tests.library.helpers import capture
from tests.webserver import Reply

pytestmark = pytest.mark.django_db

HOUR = 3600


def put(data: bytes, *, row: bool = True, age: float = 0) -> str:
    """Bytes in the store (and a Blob row), made `age` seconds old (row and file)."""
    info = get_blob_store().put(data)
    if row:
        Blob.objects.get_or_create(
            sha256=info.sha256, defaults={"size": info.size, "stored_size": info.stored_size}
        )
    if age:
        age_blobs([info.sha256], age)
    return info.sha256


def age_blobs(shas, seconds: float) -> None:
    """As if these blobs had been written `seconds` ago (a capture long finished)."""
    Blob.objects.filter(pk__in=shas).update(created=timezone.now() - timedelta(seconds=seconds))
    then = time.time() - seconds
    store = get_blob_store()
    for sha in shas:
        if store.exists(sha):
            os.utime(store.path(sha), (then, then))


def age_everything(seconds: float = 2 * HOUR) -> None:
    age_blobs(
        list(Blob.objects.values_list("pk", flat=True)) + list(get_blob_store().iter_keys()),
        seconds,
    )


def snapshot(owner, url: str, doc: bytes, resources=(), version: int = 1, status="done"):
    """A finished snapshot made of real rows and stored bytes (no network)."""
    link, _ = get_or_create_link(owner, url)
    snap = Snapshot.objects.create(
        link=link, version=version, status=status, original_blob_id=put(doc), title=url
    )
    Resource.objects.bulk_create(
        Resource(snapshot=snap, url=f"{url}/r{i}", blob_id=put(body))
        for i, body in enumerate(resources)
    )
    Link.objects.filter(pk=link.pk).update(latest_snapshot=snap)
    return snap


def blobs_of(snap: Snapshot) -> set[str]:
    shas = {snap.original_blob_id, snap.root_blob_id, snap.screenshot_blob_id, snap.pdf_blob_id}
    for blob, replay in Resource.objects.filter(snapshot=snap).values_list("blob", "replay_blob"):
        shas |= {blob, replay}
    return shas - {None}


def present(shas) -> set[str]:
    """Those of `shas` that still have both their row and their bytes."""
    store = get_blob_store()
    rows = set(Blob.objects.filter(pk__in=shas).values_list("pk", flat=True))
    return {s for s in shas if s in rows and store.exists(s)}


@pytest.fixture
def jobs_run_now():
    """The queue runs jobs as they are queued (the bytes of freed blobs go in a job)."""
    HUEY.immediate = True
    yield
    HUEY.immediate = False


def absent(shas) -> bool:
    store = get_blob_store()
    return not Blob.objects.filter(pk__in=shas).exists() and not any(store.exists(s) for s in shas)


# ------------------------------------------------------------------ deleting links


@pytest.fixture
def site(fixture_server):
    """Two pages sharing one stylesheet, each with a stylesheet of its own."""
    css = {
        "/shared.css": b"body{margin:0}",
        "/a.css": b"h1{color:red}",
        "/b.css": b"h1{color:blue}",
    }
    for path, body in css.items():
        fixture_server.route(path, lambda req, b=body: Reply(200, {"Content-Type": "text/css"}, b))
    for name in "ab":
        page = (
            f"<!doctype html><html><head><title>Page {name}</title>"
            f'<link rel="stylesheet" href="/shared.css"><link rel="stylesheet" href="/{name}.css">'
            f"</head><body><article><h1>Page {name}</h1><p>{('Words of page ' + name + '. ') * 40}"
            f"</p></article></body></html>"
        )
        fixture_server.route(f"/{name}", lambda req, p=page: Reply.html(p))
    return fixture_server


def test_deleting_a_link_frees_its_blobs_but_keeps_shared_ones(
    jobs_run_now, site, user, other_user, django_capture_on_commit_callbacks
):
    a = capture(user, site.url("/a"))
    b = capture(user, site.url("/b"))
    bobs_a = capture(other_user, site.url("/a"))
    assert a.status == b.status == bobs_a.status == "done", (a.error, b.error)
    age_everything()  # captured long ago: nothing is "in flight"
    only_b = blobs_of(b) - blobs_of(a)
    shared = blobs_of(b) & blobs_of(a)
    assert only_b and shared  # the page itself vs. /shared.css

    with django_capture_on_commit_callbacks(execute=True):
        Link.objects.get(pk=b.link_id).delete()
    assert absent(only_b)
    assert present(shared) == shared

    # the same page saved by another user keeps every blob of alice's copy alive
    with django_capture_on_commit_callbacks(execute=True):
        Link.objects.get(pk=a.link_id).delete()
    assert present(blobs_of(bobs_a)) == blobs_of(bobs_a)
    assert Link.objects.filter(owner=user).count() == 0


def test_freed_bytes_put_recently_stay_for_the_sweep(
    jobs_run_now, user, django_capture_on_commit_callbacks
):
    """A capture may have been told "already stored" a moment ago: its bytes are kept."""
    snap = snapshot(user, "https://example.org/x", b"<p>fresh</p>")
    sha = snap.original_blob_id
    with django_capture_on_commit_callbacks(execute=True):
        snap.link.delete()
    assert not Blob.objects.filter(pk=sha).exists()
    assert get_blob_store().exists(sha)  # no row, bytes kept: the sweep's after the grace
    age_blobs([sha], 2 * HOUR)
    report = sweep(grace=HOUR)
    assert (report.orphan_objects, report.orphan_rows) == (1, 0)
    assert not get_blob_store().exists(sha)


def test_deletion_rolled_back_frees_nothing(user, django_capture_on_commit_callbacks):
    snap = snapshot(user, "https://example.org/x", b"<p>kept</p>", [b"a{}"])
    age_everything()
    shas = blobs_of(snap)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            from django.db import transaction

            with transaction.atomic():
                snap.link.delete()
                raise RuntimeError("changed my mind")
        except RuntimeError:
            pass
    assert callbacks == []
    assert present(shas) == shas


def test_bulk_delete_reads_blobs_in_a_bounded_number_of_queries(
    jobs_run_now, user, django_capture_on_commit_callbacks
):
    """Hundreds of links: two reads of blob ids for the whole deletion, not one per link."""
    shared = b"common.js"
    snaps = [
        snapshot(
            user, f"https://example.org/{i}", f"<p>{i}</p>".encode(), [shared, f"{i}".encode()]
        )
        for i in range(120)
    ]
    keep = snapshot(user, "https://example.org/keep", b"<p>keep</p>", [shared])
    age_everything()
    ids = [s.link_id for s in snaps]
    unshared = set().union(*(blobs_of(s) for s in snaps)) - blobs_of(keep)
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert bulk.apply(user, ids, "delete") == 120
    resource_reads = [
        q["sql"]
        for q in queries
        if q["sql"].startswith("SELECT") and "library_resource" in q["sql"]
    ]
    assert len(resource_reads) <= 2, resource_reads
    assert absent(unshared)
    assert present(blobs_of(keep)) == blobs_of(keep)


def test_deleting_a_user_frees_their_blobs(
    jobs_run_now, user, other_user, django_capture_on_commit_callbacks
):
    mine = snapshot(user, "https://example.org/1", b"<p>mine</p>", [b"mine.css"])
    theirs = snapshot(other_user, "https://example.org/1", b"<p>theirs</p>", [b"mine.css"])
    age_everything()
    with django_capture_on_commit_callbacks(execute=True):
        user.delete()
    assert absent({mine.original_blob_id})
    assert present(blobs_of(theirs)) == blobs_of(theirs)


def test_the_bytes_go_in_a_worker_job(user, django_capture_on_commit_callbacks):
    """The request deleting links only deletes rows; a queued job deletes the files."""
    snap = snapshot(user, "https://example.org/x", b"<p>x</p>", [b"x.css"])
    age_everything()
    shas = blobs_of(snap)
    HUEY.flush()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            snap.link.delete()
        assert not Blob.objects.filter(pk__in=shas).exists()
        assert all(get_blob_store().exists(s) for s in shas)
        assert HUEY.pending_count() == 1
        job = HUEY.dequeue()
        assert delete_blob_bytes.call_local(*job.args, **job.kwargs) == len(shas)
    finally:
        HUEY.flush()
    assert absent(shas)


# ------------------------------------------------------------------ deleting versions


def test_deleting_the_latest_version_repoints_and_frees_its_blobs(
    jobs_run_now, user, other_user, django_capture_on_commit_callbacks
):
    v1 = snapshot(user, "https://example.org/p", b"<p>one</p>", [b"v1.css", b"both.css"])
    v2 = snapshot(user, "https://example.org/p", b"<p>two</p>", [b"v2.css", b"both.css"], 2)
    v3 = snapshot(user, "https://example.org/p", b"<p>3</p>", [b"v3.css"], 3, status="failed")
    Link.objects.filter(pk=v1.link_id).update(latest_snapshot=v2)  # v3 failed; v2 is shown
    age_everything()
    link = Link.objects.get(pk=v1.link_id)
    assert link.latest_snapshot_id == v2.pk
    with pytest.raises(Snapshot.DoesNotExist):  # someone else's version
        delete_snapshot(other_user, v2.pk)
    with django_capture_on_commit_callbacks(execute=True):
        link = delete_snapshot(user, v2.pk)
    assert Link.objects.get(pk=link.pk).latest_snapshot_id == v1.pk  # newest done left
    assert absent(blobs_of(v2) - blobs_of(v1))
    assert present(blobs_of(v1)) == blobs_of(v1)
    with django_capture_on_commit_callbacks(execute=True):
        delete_snapshot(user, v1.pk)
    assert Link.objects.get(pk=link.pk).latest_snapshot_id is None  # only a failed one left
    assert absent(blobs_of(v1) - blobs_of(v3))
    assert list(Snapshot.objects.filter(link=link)) == [v3]


def test_deleting_an_older_version_keeps_latest(user, django_capture_on_commit_callbacks):
    v1 = snapshot(user, "https://example.org/p", b"<p>one</p>")
    v2 = snapshot(user, "https://example.org/p", b"<p>two</p>", version=2)
    with django_capture_on_commit_callbacks(execute=True):
        delete_snapshot(user, v1.pk)
    assert Link.objects.get(pk=v2.link_id).latest_snapshot_id == v2.pk


def test_a_version_being_captured_is_not_deleted(user):
    snap = snapshot(user, "https://example.org/p", b"<p>one</p>", status="running")
    with pytest.raises(VersionInUse):
        delete_snapshot(user, snap.pk)
    assert Snapshot.objects.filter(pk=snap.pk).exists()


def test_version_delete_page_confirms_then_deletes(
    jobs_run_now, client, user, other_user, django_capture_on_commit_callbacks
):
    v1 = snapshot(user, "https://example.org/p", b"<p>one</p>")
    v2 = snapshot(user, "https://example.org/p", b"<p>two</p>", version=2)
    url = reverse("version-delete", args=[v2.link_id, v2.pk])
    client.force_login(other_user)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    client.force_login(user)
    page = client.get(reverse("link", args=[v2.link_id]))
    assert url in page.content.decode()  # the link page offers it
    confirm = client.get(url)
    assert confirm.status_code == 200 and b'method="post"' in confirm.content
    assert Snapshot.objects.filter(pk=v2.pk).exists()  # GET deletes nothing
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url)
    assert done.status_code == 302
    assert not Snapshot.objects.filter(pk=v2.pk).exists()
    assert Link.objects.get(pk=v2.link_id).latest_snapshot_id == v1.pk


# -------------------------------------------------------------------------- the sweep


@pytest.fixture
def orphans(user, settings):
    """Old and fresh orphans of both kinds, next to blobs that are in use."""
    settings.SNAPSHELF_GC_GRACE = HOUR
    used = snapshot(user, "https://example.org/u", b"<p>used</p>", [b"used.css"])
    age_everything(3 * HOUR)
    return {
        "used": blobs_of(used),
        "old_row": put(b"old orphan row", age=2 * HOUR),
        "fresh_row": put(b"fresh orphan row"),
        "old_object": put(b"old object, no row" * 50, row=False, age=2 * HOUR),
        "fresh_object": put(b"fresh object, no row", row=False),
    }


def test_sweep_dry_run_reports_and_deletes_nothing(orphans):
    before = set(get_blob_store().iter_keys()), set(Blob.objects.values_list("pk", flat=True))
    report = sweep(dry_run=True)
    store = {b.sha256: b.stored_size for b in get_blob_store().iter_blobs()}
    assert report.dry_run
    assert (report.orphan_rows, report.orphan_objects) == (1, 1)
    assert report.orphan_row_bytes == Blob.objects.get(pk=orphans["old_row"]).stored_size
    assert report.orphan_object_bytes == store[orphans["old_object"]]
    after = set(get_blob_store().iter_keys()), set(Blob.objects.values_list("pk", flat=True))
    assert after == before


def test_sweep_removes_only_old_orphans(orphans):
    dry = sweep(dry_run=True)
    report = sweep()
    assert not report.dry_run
    assert (report.orphan_rows, report.orphan_row_bytes) == (dry.orphan_rows, dry.orphan_row_bytes)
    assert (report.orphan_objects, report.orphan_object_bytes) == (
        dry.orphan_objects,
        dry.orphan_object_bytes,
    )
    assert absent({orphans["old_row"], orphans["old_object"]})
    assert present(orphans["used"]) == orphans["used"]
    assert present({orphans["fresh_row"]}) == {orphans["fresh_row"]}
    assert get_blob_store().exists(orphans["fresh_object"])
    again = sweep()
    assert (again.orphan_rows, again.orphan_objects, again.bytes) == (0, 0, 0)


def test_free_blobs_ignores_referenced_and_unknown_candidates(orphans):
    freed = free_blobs([*orphans["used"], "0" * 64, "not-a-sha", None])
    assert (freed.rows, freed.objects) == (0, 0)
    assert present(orphans["used"]) == orphans["used"]


def test_a_reference_that_appears_meanwhile_fails_the_batch_inside_its_retry(orphans):
    """PostgreSQL checks foreign keys at commit: the row deletion must check them itself,
    so a capture's reference committed after our NOT EXISTS fails the batch there (and
    the batch is tried again) rather than at some later commit."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite serialises writers, the NOT EXISTS suffices")
    used = sorted(orphans["used"])
    # as if the NOT EXISTS had not seen the references: every attempt must fail
    with pytest.raises(IntegrityError):
        _delete_rows(Blob.objects.filter(sha256__in=used))
    assert present(set(used)) == set(used)
    assert RETRIES > 1


# ---------------------------------------------------------------------------- the CLI


def run_gc(capsys, *args) -> dict:
    assert cli.main(["gc", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_gc_cli_dry_run_then_real_run(orphans, capsys, user):
    stuck = snapshot(user, "https://example.org/stuck", b"<p>s</p>", status="running")
    Snapshot.objects.filter(pk=stuck.pk).update(started=timezone.now() - timedelta(hours=1))
    dry = run_gc(capsys, "--dry-run")
    assert dry["dry_run"] is True
    assert (dry["orphan_rows"], dry["orphan_objects"], dry["stale_jobs"]) == (1, 1, 1)
    assert dry["bytes"] == dry["orphan_row_bytes"] + dry["orphan_object_bytes"] > 0
    assert get_blob_store().exists(orphans["old_object"])
    assert Snapshot.objects.get(pk=stuck.pk).status == "running"
    try:
        real = run_gc(capsys)
    finally:
        HUEY.flush()  # the recovered capture was queued; no worker runs here
    assert real["dry_run"] is False
    assert {k: real[k] for k in ("orphan_rows", "orphan_objects", "bytes")} == {
        k: dry[k] for k in ("orphan_rows", "orphan_objects", "bytes")
    }
    assert real["stale_jobs"] == 1
    assert Snapshot.objects.get(pk=stuck.pk).status == "queued"
    assert absent({orphans["old_row"], orphans["old_object"]})


def test_gc_cli_prints_a_summary(orphans, capsys):
    assert cli.main(["gc", "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert "would reclaim" in text and "1 blob row(s)" in text and "1 stored object(s)" in text
    assert get_blob_store().exists(orphans["old_object"])
