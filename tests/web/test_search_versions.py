"""The library search box with in:versions: older versions' text found, one row per link."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from tests.search.test_versions import capture_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_a(client, user):
    client.force_login(user)
    return client


def test_search_box_finds_older_versions_with_the_operator(client_a, user):
    capture_text(user, "https://a.test/bird", "The kiwi is a <flightless> bird.")
    bird = capture_text(user, "https://a.test/bird", "The kakapo is a parrot.").link
    capture_text(user, "https://a.test/fruit", "Kiwi fruit is green.")
    plain = [link.pk for link in client_a.get("/", {"q": "kiwi"}).context["links"]]
    assert len(plain) == 1 and bird.pk not in plain
    r = client_a.get("/", {"q": "in:versions kiwi"})
    rows = [link.pk for link in r.context["links"]]
    assert rows[-1] == bird.pk and len(rows) == len(set(rows)) == 2  # current match first
    html = r.content.decode()
    assert '<span class="snippet-version">v1</span>' in html
    assert "<mark>kiwi</mark> is a " + escape("<flightless>") in html  # escaped, highlighted
    assert "Unknown in:" not in html


def test_unknown_in_value_explains(client_a, user):
    capture_text(user, "https://a.test/x", "kiwi")
    html = client_a.get("/", {"q": "in:trash kiwi"}).content.decode()
    assert "in:versions" in html  # the hint names the operator
