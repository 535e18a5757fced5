"""Refusals a user sees when submitting, not later from the worker: an invalid IDNA host
is invalid_url (never `internal`), a destination the egress guard forbids is refused by
the door and the add form, and nothing reaches the canary."""

from __future__ import annotations

import pytest
from django.urls import reverse

from snapshelf.capture.normalize import normalize_url
from snapshelf.errors import CaptureError, ForbiddenURL, InvalidURL
from snapshelf.jobs.capture import run_capture
from snapshelf.library.models import Link, Snapshot
from snapshelf.library.records import add_link
from snapshelf.net import Deadline, Fetcher
from snapshelf.services.links import save_link
from tests.webserver import Reply

BAD_IDNA = "http://xn--localhost-/"


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("submitter", password="x")


def test_an_invalid_idna_host_is_an_invalid_url(test_guard):
    with pytest.raises(InvalidURL):
        normalize_url(BAD_IDNA)
    with pytest.raises(InvalidURL) as caught:
        test_guard.check_url(BAD_IDNA)
    assert caught.value.code == "invalid_url"
    assert normalize_url("http://bücher.example/") == "http://xn--bcher-kva.example/"


def test_a_redirect_to_an_invalid_idna_host_is_an_invalid_url(fixture_server, test_guard):
    fixture_server.route("/hop", lambda req: Reply.redirect(BAD_IDNA))
    with Fetcher(test_guard) as fetcher, pytest.raises(CaptureError) as caught:
        fetcher.fetch(fixture_server.url("/hop"), deadline=Deadline(30), max_bytes=2**20)
    assert caught.value.code == "invalid_url"


@pytest.mark.django_db
def test_a_capture_redirected_to_an_invalid_idna_host_fails_as_invalid_url(user, fixture_server):
    fixture_server.route("/hop", lambda req: Reply.redirect(BAD_IDNA))
    _link, snap = add_link(user, fixture_server.url("/hop"))
    snap = run_capture(snap.pk).snapshot
    assert (snap.status, snap.error_code) == ("failed", "invalid_url")


@pytest.mark.django_db
def test_the_door_refuses_a_forbidden_destination_when_submitted(user, canary_server):
    for url in (canary_server.url("/private"), "http://127.0.0.2:8080/x", "http://[::2]/"):
        with pytest.raises(ForbiddenURL) as caught:
            save_link(user, url, limited=False)
        assert isinstance(caught.value, InvalidURL) and caught.value.code == "blocked"
        assert "not a public address" in str(caught.value)
    assert not Link.objects.exists() and not Snapshot.objects.exists()
    assert canary_server.requests == []


@pytest.mark.django_db
def test_the_add_form_refuses_a_forbidden_destination(user, client, canary_server):
    client.force_login(user)
    response = client.post(reverse("link-add"), {"url": canary_server.url("/private")}, follow=True)
    assert response.status_code in (200, 400)
    assert "not a public address" in response.content.decode()
    assert not Link.objects.exists()
    assert canary_server.requests == []
