"""The per-user capture limit: the web UI refuses past it, with a clear message, and
queues nothing; other users and the CLI are not affected."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from snapshelf.library.models import Link, Snapshot
from snapshelf.services import quota

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def three_per_hour(settings):
    settings.SNAPSHELF_USER_CAPTURES_PER_HOUR = 3


def _add(client, url):
    return client.post("/links/add", {"url": url, "tags": ""}, HTTP_HX_REQUEST="true")


def test_adding_past_the_limit_is_refused_with_a_message(client, user, other_user):
    client.force_login(user)
    for n in range(3):
        assert "errorlist" not in _add(client, f"https://example.org/{n}").content.decode()
    refused = _add(client, "https://example.org/too-many").content.decode()
    assert "most captures allowed in an hour (3)" in refused
    assert not Link.objects.filter(url="https://example.org/too-many").exists()
    assert Snapshot.objects.filter(link__owner=user).count() == 3
    # another user has their own allowance
    client.force_login(other_user)
    assert "errorlist" not in _add(client, "https://example.org/bob").content.decode()
    assert Link.objects.filter(owner=other_user).count() == 1


def test_resnapshot_and_bulk_resnapshot_count(client, user):
    client.force_login(user)
    for n in range(2):
        _add(client, f"https://example.org/{n}")
    ids = list(Link.objects.filter(owner=user).values_list("pk", flat=True))
    # captured: a new snapshot now makes a new version (a queued one would be joined)
    Snapshot.objects.filter(link__owner=user).update(status=Snapshot.Status.DONE)
    response = client.post(
        "/links/bulk", {"ids": ids, "action": "resnapshot", "next": "/"}, follow=True
    )
    assert "most captures allowed" in " ".join(str(m) for m in response.context["messages"])
    assert Snapshot.objects.filter(link__owner=user).count() == 2  # nothing queued
    response = client.post(f"/links/{ids[0]}/resnapshot")
    assert Snapshot.objects.filter(link__owner=user).count() == 3
    response = client.post(f"/links/{ids[0]}/resnapshot")  # joins the queued one: free
    assert not any("most captures" in str(m) for m in get_messages(response.wsgi_request))
    Snapshot.objects.filter(link__owner=user).update(status=Snapshot.Status.DONE)
    response = client.post(f"/links/{ids[0]}/resnapshot")
    assert any("most captures" in str(m) for m in get_messages(response.wsgi_request))
    assert Snapshot.objects.filter(link__owner=user).count() == 3


def test_the_save_page_is_limited_too(client, user):
    client.force_login(user)
    for n in range(3):
        client.post("/save/", {"url": f"https://example.org/{n}", "tags": "", "title": ""})
    response = client.post("/save/", {"url": "https://example.org/4", "tags": "", "title": ""})
    assert "most captures allowed" in response.content.decode()
    assert Link.objects.filter(owner=user).count() == 3


def test_refused_captures_are_not_counted(settings):
    assert quota.take(7, 2) is None
    assert quota.take(7, 2) > 0  # 4 > 3: refused, and not counted
    assert quota.remaining(7) == 1
    assert quota.take(7, 1) is None
    settings.SNAPSHELF_USER_CAPTURES_PER_HOUR = 0
    assert quota.take(7, 100) is None and quota.remaining(7) is None
