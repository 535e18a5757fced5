"""The highlight endpoints and the link page's list, through Django's test client: JSON
in and out, CSRF enforced, someone else's link or highlight a 404, bad input a 400 that
changes nothing."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from snapshelf.library.records import add_link
from snapshelf.reading.models import Highlight
from snapshelf.services import highlights as door

pytestmark = pytest.mark.django_db


def post(client, name: str, link_id: int, body) -> object:
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(reverse(name, args=[link_id]), data, content_type="application/json")


@pytest.fixture
def link(user):
    link, _snap = add_link(user, "https://example.org/article", [])
    return link


def test_make_list_edit_delete(client, user, link):
    client.force_login(user)
    made = post(client, "link-highlights", link.pk, {"exact": "a passage", "start": 3, "end": 12})
    assert made.status_code == 201, made.content
    hid = made.json()["id"]
    listed = client.get(reverse("link-highlights", args=[link.pk])).json()["highlights"]
    assert [h["exact"] for h in listed] == ["a passage"]
    edited = post(client, "highlight-edit", link.pk, {"id": hid, "note": "why", "color": "blue"})
    assert edited.json()["note"] == "why" and edited.json()["color"] == "blue"
    page = client.get(reverse("link", args=[link.pk])).content.decode()
    assert "a passage" in page
    assert [h["note"] for h in painted(page)] == ["why"]
    assert post(client, "highlight-delete", link.pk, {"id": hid}).status_code == 200
    assert not Highlight.objects.exists()


def painted(page: str) -> list[dict]:
    """The highlights the page hands highlights.js (its data-highlights attribute)."""
    found = re.search(r'data-highlights="([^"]*)"', page)
    assert found, "no data-highlights attribute"
    return json.loads(html.unescape(found.group(1)))


def test_the_page_hands_highlights_over_without_a_script(client, user, link):
    note = '</script><script>alert("x")</script> & "quotes"'
    door.create_highlight(user, link.pk, door.HighlightDraft(exact="<b>passage</b>", note=note))
    client.force_login(user)
    page = client.get(reverse("link", args=[link.pk])).content.decode()
    main = page.split('<main id="main">')[1]
    assert "<script" not in main
    assert [(h["exact"], h["note"]) for h in painted(page)] == [("<b>passage</b>", note)]


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        {"exact": ""},
        {"exact": 5},
        {"exact": "x", "start": "3"},
        {"exact": "x", "color": "plaid"},
        {"exact": "x" * 5001},
        {"exact": "x", "snapshot_id": 999999},
    ],
)
def test_bad_input_is_a_400_with_a_reason(client, user, link, body):
    client.force_login(user)
    response = post(client, "link-highlights", link.pk, body)
    assert response.status_code == 400
    assert response.json()["error"]
    assert not Highlight.objects.exists()


def test_csrf_is_enforced(user, link):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = post(client, "link-highlights", link.pk, {"exact": "a passage"})
    assert response.status_code == 403
    assert not Highlight.objects.exists()


def test_another_user_gets_404_and_changes_nothing(client, user, other_user, link):
    h = door.create_highlight(user, link.pk, door.HighlightDraft(exact="mine", note="private"))
    client.force_login(other_user)
    assert client.get(reverse("link-highlights", args=[link.pk])).status_code == 404
    assert post(client, "link-highlights", link.pk, {"exact": "theirs"}).status_code == 404
    assert post(client, "highlight-edit", link.pk, {"id": h.pk, "note": "x"}).status_code == 404
    assert post(client, "highlight-delete", link.pk, {"id": h.pk}).status_code == 404
    # their own link with Alice's highlight id: still not found
    theirs, _ = add_link(other_user, "https://example.org/theirs", [])
    assert post(client, "highlight-edit", theirs.pk, {"id": h.pk, "note": "x"}).status_code == 404
    assert post(client, "highlight-delete", theirs.pk, {"id": h.pk}).status_code == 404
    h.refresh_from_db()
    assert h.note == "private" and Highlight.objects.count() == 1


def test_the_page_shows_orphaned_highlights_as_such(client, user, link):
    door.create_highlight(user, link.pk, door.HighlightDraft(exact="kept passage"))
    gone = door.create_highlight(user, link.pk, door.HighlightDraft(exact="vanished passage"))
    Highlight.objects.filter(pk=gone.pk).update(orphaned=True)
    client.force_login(user)
    page = client.get(reverse("link", args=[link.pk])).content.decode()
    assert page.index("kept passage") < page.index("vanished passage")
    item = page[page.index(f'data-id="{gone.pk}"') :]
    assert "is-orphaned" in page and "orphaned: its text is not in the latest version" in item
