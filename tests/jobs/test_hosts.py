"""Per-host capture concurrency: slots are shared by every worker and freed when stale."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from snapshelf.jobs import hosts
from snapshelf.jobs.models import HostSlot
from snapshelf.jobs.tasks import capture_snapshot
from snapshelf.library.models import Snapshot
from snapshelf.library.records import add_link
from tests.webserver import Reply

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("alice", "", "alice-password-123")


@pytest.fixture(autouse=True)
def two_per_host(settings, tmp_path):
    settings.SNAPSHELF_BLOB_DIR = tmp_path / "blobs"
    settings.SNAPSHELF_HOST_CAPTURES = 2
    HUEY.flush()
    yield
    HUEY.flush()


def test_slots_are_limited_per_host_and_released():
    assert hosts.acquire("site.test", 1)
    assert hosts.acquire("site.test", 2)
    assert not hosts.acquire("site.test", 3)
    assert hosts.acquire("other.test", 3)  # another host has its own slots
    assert hosts.acquire("site.test", 2)  # a redelivered job keeps its slot
    hosts.release("site.test", 1)
    assert hosts.acquire("site.test", 3)
    assert hosts.busy_hosts() == {"site.test": 2, "other.test": 1}


def test_a_dead_workers_slot_expires():
    assert hosts.acquire("site.test", 1)
    assert hosts.acquire("site.test", 2)
    HostSlot.objects.filter(snapshot_id=1).update(expires=timezone.now() - timedelta(seconds=1))
    assert hosts.acquire("site.test", 3)
    assert set(HostSlot.objects.values_list("snapshot_id", flat=True)) == {2, 3}


def test_zero_means_no_limit(settings):
    settings.SNAPSHELF_HOST_CAPTURES = 0
    assert all(hosts.acquire("site.test", n) for n in range(10))
    assert not HostSlot.objects.exists()


def test_a_capture_of_a_busy_host_waits_on_the_queue(user, fixture_server):
    fixture_server.route("/page", lambda r: Reply.html("<title>T</title><p>hello</p>"))
    _link, snap = add_link(user, fixture_server.url("/page"))
    hosts.acquire("site.test", 1001)
    hosts.acquire("site.test", 1002)
    assert capture_snapshot.call_local(snap.pk) == "waiting"
    snap.refresh_from_db()
    assert snap.status == Snapshot.Status.QUEUED and snap.attempts == 0
    assert HUEY.pending_count() == 1  # it comes back by itself (after a short delay)
    assert fixture_server.paths() == []
    hosts.release("site.test", 1001)
    assert capture_snapshot.call_local(snap.pk) == "done"
    assert not HostSlot.objects.filter(snapshot_id=snap.pk).exists()  # released after


def test_concurrent_captures_of_one_host_never_exceed_the_limit(user, fixture_server):
    running = 0
    peak = 0
    lock = threading.Lock()

    def slow(request):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.3)
        with lock:
            running -= 1
        return Reply.html(f"<title>{request.path}</title><p>page {request.path}</p>")

    fixture_server.route("/slow/*", slow)
    snaps = [add_link(user, fixture_server.url(f"/slow/{n}"))[1].pk for n in range(6)]
    pending = list(snaps)
    pending_lock = threading.Lock()

    def worker():
        try:
            while True:
                with pending_lock:
                    if not pending:
                        return
                    pk = pending.pop(0)
                if capture_snapshot.call_local(pk) == "waiting":
                    time.sleep(0.05)
                    with pending_lock:
                        pending.append(pk)
        finally:
            connection.close()  # each thread has its own connection: leave none open

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    statuses = set(Snapshot.objects.filter(pk__in=snaps).values_list("status", flat=True))
    assert statuses == {Snapshot.Status.DONE}
    assert peak == 2  # five workers, but never more than two requests to the host at once
