"""GET /api/v1/links/{id}/highlights: the owner's highlights; anyone else's link is 404."""

from __future__ import annotations

import pytest

from snapshelf.library.records import add_link
from snapshelf.services import highlights as door

pytestmark = pytest.mark.django_db


def test_the_owner_reads_them_and_nobody_else(client, user, other_user):
    link, _ = add_link(user, "https://example.org/a", [])
    door.create_highlight(
        user, link.pk, door.HighlightDraft(exact="a passage", note="why", color="blue")
    )
    client.force_login(user)
    rows = client.get(f"/api/v1/links/{link.pk}/highlights").json()
    assert [(r["exact"], r["note"], r["color"], r["orphaned"]) for r in rows] == [
        ("a passage", "why", "blue", False)
    ]
    client.force_login(other_user)
    assert client.get(f"/api/v1/links/{link.pk}/highlights").status_code == 404
