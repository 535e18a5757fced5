"""Export, then import into another library: nothing a person set is lost.

Visibility is the one exception, by design: an import never makes anything public, so
unlisted and public links come back private."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, datetime

import pytest

from snapshelf.io.exporters import Selection, export_chunks
from snapshelf.io.importers import open_import
from snapshelf.library.models import Link
from snapshelf.services import links as door
from snapshelf.services.imports import import_links
from tests.library.conftest import fresh_blobs, other_user, user  # noqa: F401

pytestmark = pytest.mark.django_db

HOSTILE = '"><script>alert(1)</script> =SUM(A1) & <b>'


@pytest.fixture
def library(user):  # noqa: F811
    rows = [
        ("https://a.example/1", "First page", ["dev", "python"], "a note\nwith two lines", 2014),
        ("https://b.example/中文", "中文标题 —  quotes “x”", ["新闻"], "", 2016),
        ("https://c.example/x?q=1&r=2", HOSTILE, ["odd, tag?"], '=HYPERLINK("x")', 2018),
        ("https://d.example/", "", [], "-starts with minus", 2020),
    ]
    for n, (url, title, tags, note, year) in enumerate(rows):
        link = door.save_link(user, url, tags=tags, title=title).link
        Link.objects.filter(pk=link.pk).update(
            note=note,
            created=datetime(year, 3, 4, 5, 6, 7, tzinfo=UTC),
            unread=n % 2 == 0,
            favorite=n == 1,
            archived=n == 2,
            visibility="public" if n == 3 else "private",
        )
    return user


def state(owner) -> list[tuple]:
    return sorted(
        (
            link.url_normalized,
            link.title,
            link.note,
            tuple(sorted(link.tags.values_list("name", flat=True))),
            link.created,
            link.unread,
            link.favorite,
            link.archived,
        )
        for link in Link.objects.filter(owner=owner)
    )


@pytest.mark.parametrize("fmt", ["netscape", "json", "csv"])
def test_an_export_imports_back_with_nothing_lost(library, other_user, tmp_path, fmt):  # noqa: F811
    path = tmp_path / f"export.{fmt}"
    path.write_bytes(b"".join(export_chunks(Selection(library), fmt)))
    with ExitStack() as stack:
        opened = open_import(path, stack)
        report = import_links(other_user, opened.rows, capture=False)
    assert (report.added, report.rejected) == (4, [])
    assert state(other_user) == state(library)
    assert not Link.objects.filter(owner=other_user).exclude(visibility="private").exists()
    # a second import of the same file changes nothing
    with ExitStack() as stack:
        again = import_links(other_user, open_import(path, stack).rows, capture=False)
    assert (again.added, again.merged) == (0, 4) and state(other_user) == state(library)
