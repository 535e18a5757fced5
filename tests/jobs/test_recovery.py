"""Lease recovery respects the attempt cap: a capture whose worker died on every try
fails as `worker_lost` instead of going back to the queue forever."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from snapshelf.jobs.capture import recover_stale
from snapshelf.library.models import Snapshot
from snapshelf.library.records import add_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("recovering", password="x")


def _running(user, url: str, attempts: int) -> Snapshot:
    _link, snap = add_link(user, url)
    Snapshot.objects.filter(pk=snap.pk).update(
        status=Snapshot.Status.RUNNING,
        started=timezone.now() - timedelta(hours=2),
        attempts=attempts,
    )
    return snap


def test_a_capture_whose_worker_died_on_every_try_fails_instead_of_requeueing(user, settings):
    settings.SNAPSHELF_RETRY = {**settings.SNAPSHELF_RETRY, "attempts": 3}
    spent = _running(user, "https://site.test/kills-workers", attempts=3)
    fresh = _running(user, "https://site.test/unlucky", attempts=1)
    assert recover_stale() == [fresh.pk]
    spent.refresh_from_db()
    fresh.refresh_from_db()
    assert spent.status == Snapshot.Status.FAILED
    assert spent.error_code == "worker_lost" and "3 tries" in spent.error
    assert spent.finished is not None
    assert fresh.status == Snapshot.Status.QUEUED and fresh.error_code == "lease_expired"
    assert recover_stale() == []  # nothing left to recover, nothing failed twice
