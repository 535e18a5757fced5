"""One capture per link at a time: adding a URL whose capture is still queued or running
joins that capture (one fetch, one version) instead of queueing a second one."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from huey.contrib.djhuey import HUEY

from snapshelf.jobs.capture import run_capture
from snapshelf.library.models import Link, Snapshot
from snapshelf.services.links import save_link, snapshot_again
from tests.webserver import Reply

PAGE = "<title>Once</title><article><p>" + "Fetched once, kept once. " * 40 + "</p></article>"


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("once", password="x")


@pytest.fixture(autouse=True)
def empty_queue():
    HUEY.flush()
    yield
    HUEY.flush()


@pytest.fixture
def page(fixture_server) -> str:
    fixture_server.route("/once", lambda req: Reply.html(PAGE))
    return fixture_server.url("/once")


def fetches(server) -> int:
    return server.paths().count("/once")


@pytest.mark.django_db
def test_two_queued_adds_of_one_url_run_one_fetch_and_keep_one_version(user, page, fixture_server):
    first = save_link(user, page, tags=["a"], limited=False)
    second = save_link(user, page + "#again", tags=["b"], limited=False)
    assert second.snapshot.pk == first.snapshot.pk
    link = Link.objects.get(owner=user)
    assert sorted(t.name for t in link.tags.all()) == ["a", "b"]
    # both deliveries of the job reach a worker: the second finds it done
    for snap in (first.snapshot, second.snapshot):
        run_capture(snap.pk)
    assert fetches(fixture_server) == 1
    assert list(link.snapshots.values_list("version", "status")) == [(1, "done")]


@pytest.mark.django_db
def test_snapshot_again_joins_a_queued_capture_and_takes_its_force(user, page, fixture_server):
    saved = save_link(user, page, limited=False)
    again = snapshot_again(user, saved.link, force=True, limited=False)
    assert again.pk == saved.snapshot.pk and again.force
    run_capture(again.pk)
    assert fetches(fixture_server) == 1
    # once it is done, the next request is a capture of its own
    later = snapshot_again(user, saved.link, force=True, limited=False)
    assert later.pk != again.pk and later.version == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_make_one_capture(user, page, fixture_server):
    start = threading.Barrier(4)
    saved, errors = [], []

    def add() -> None:
        try:
            start.wait(timeout=30)
            saved.append(save_link(user, page, limited=False).snapshot.pk)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=add) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [] and len(saved) == 4
    assert len(set(saved)) == 1
    assert Snapshot.objects.filter(link__owner=user).count() == 1
    run_capture(saved[0])
    assert fetches(fixture_server) == 1
