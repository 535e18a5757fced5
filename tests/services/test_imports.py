"""The import door: batches, merging with the library, rejections, imported articles,
and captures that wait behind what a person asks for."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from huey.contrib.djhuey import HUEY

from snapshelf.library.models import Link, Snapshot, Tag
from snapshelf.search.index import reindex_links, search
from snapshelf.services import imports
from snapshelf.services import links as door
from snapshelf.services.imports import ImportedLink, Rejected, import_links

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue():
    HUEY.flush()
    yield HUEY
    HUEY.flush()


def when(year: int) -> datetime:
    return datetime(year, 5, 1, tzinfo=UTC)


def test_rows_become_links_with_tags_dates_notes_and_flags(user, queue):
    report = import_links(
        user,
        [
            ImportedLink("https://a.example/1", "One", ("dev", "Python"), "a note", when(2015)),
            ImportedLink("https://b.example/2", "Two", archived=True, favorite=True),
        ],
        tags=["imported"],
    )
    assert (report.added, report.merged, report.queued, report.rejected) == (2, 0, 2, [])
    one = Link.objects.get(owner=user, url="https://a.example/1")
    assert (one.title, one.note, one.created) == ("One", "a note", when(2015))
    assert sorted(one.tags.values_list("name", flat=True)) == ["Python", "dev", "imported"]
    two = Link.objects.get(owner=user, url="https://b.example/2")
    assert two.archived and two.favorite and not two.unread
    assert two.visibility == Link.Visibility.PRIVATE  # an import never publishes
    assert two.latest_snapshot.status == Snapshot.Status.QUEUED
    assert {h.link_id for h in search(user, "imported").hits} == {one.pk, two.pk}


def test_duplicates_merge_tags_union_and_earliest_date(user, other_user, queue):
    mine = door.save_link(user, "https://a.example/x", tags=["kept"]).link
    Link.objects.filter(pk=mine.pk).update(created=when(2020))
    theirs = door.save_link(other_user, "https://a.example/x", tags=["theirs"]).link
    report = import_links(
        user,
        [
            ImportedLink("https://a.example/x#frag", "Title", ("new",), added=when(2018)),
            ImportedLink("https://a.example/x", "", ("again",), added=when(2019)),
        ],
    )
    assert (report.added, report.merged, report.queued) == (0, 1, 0)  # no new capture
    mine.refresh_from_db()
    assert sorted(mine.tags.values_list("name", flat=True)) == ["again", "kept", "new"]
    assert mine.created == when(2018) and mine.title == "Title"
    assert mine.snapshots.count() == 1
    # the other user's copy of the same URL is untouched
    assert list(theirs.tags.values_list("name", flat=True)) == ["theirs"]
    assert Tag.objects.filter(owner=other_user).count() == 1


def test_bad_rows_are_rejected_with_their_line_and_nothing_half_written(user, queue):
    rows = [
        ImportedLink("javascript:alert(1)", "js", line=3),
        ImportedLink("data:text/html,<script>alert(1)</script>", "data", line=4),
        Rejected(5, "https://x.example/", "the date 'soon' is not a date"),
        ImportedLink("https://ok.example/", "<script>alert(1)</script>", line=6),
        ImportedLink("https://" + "a" * 9000 + ".example/", line=7),
    ]
    report = import_links(user, rows)
    assert [r.line for r in report.rejected] == [3, 4, 5, 7]
    assert "only http and https" in report.rejected[0].reason
    assert "longer than" in report.rejected[3].reason
    assert list(Link.objects.filter(owner=user).values_list("url", flat=True)) == [
        "https://ok.example/"
    ]


def test_batches_commit_one_by_one(user, queue, monkeypatch):
    monkeypatch.setattr(imports, "BATCH", 3)
    seen = []
    rows = [ImportedLink(f"https://e.example/{n}") for n in range(7)]
    report = import_links(user, rows, capture=False, progress=lambda r: seen.append(r.added))
    assert seen == [3, 6, 7] and report.added == 7 and report.queued == 0
    assert Snapshot.objects.filter(link__owner=user).count() == 0  # --no-capture


def test_an_imported_article_becomes_the_first_version_without_a_fetch(user, queue):
    html = "<h2>Heading</h2><p>Article text about albatrosses and their chicks.</p>" * 20
    report = import_links(
        user, [ImportedLink("https://news.example/a", "Albatrosses", content_html=html)]
    )
    assert report.queued == 0 and list(queue.pending()) == []
    snap = Link.objects.get(owner=user).latest_snapshot
    assert snap.mode == Snapshot.Mode.IMPORTED and snap.status == Snapshot.Status.DONE
    assert "albatrosses" in snap.text and snap.word_count > 100
    assert snap.root_blob_id and "<script" not in snap.readable_html
    assert [h.link_id for h in search(user, "albatrosses").hits] == [snap.link_id]


def test_an_imports_captures_wait_behind_a_persons_add(
    user, queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        import_links(user, [ImportedLink(f"https://bulk.example/{n}") for n in range(20)])
        interactive = door.save_link(user, "https://me.example/now").snapshot
    assert len(queue.pending()) == 21
    first = queue.dequeue()  # what the next free worker takes
    assert first.args[0] == interactive.pk
    assert queue.dequeue().args[0] != interactive.pk


def test_a_url_saved_by_hand_while_its_batch_is_written_is_merged(user, queue):
    """The batch has looked up the owner's links; before its links are written, the
    owner saves one of its URLs by hand (the web's add box, committed on PostgreSQL
    between the two statements). The batch merges that link instead of failing on the
    unique URL, and loses none of its other rows."""
    added_by_hand: list[Link] = []
    saving = []

    def save_by_hand_first(execute, sql, params, many, context):
        if not saving and sql.startswith('INSERT INTO "library_link" ('):
            saving.append(True)  # the hand save's own statements pass through
            added_by_hand.append(door.save_link(user, "https://b.example/2", tags=["hand"]).link)
        return execute(sql, params, many, context)

    rows = [
        ImportedLink("https://a.example/1", "One", ("imp",)),
        ImportedLink("https://b.example/2", "Two", ("imp",), "a note", added=when(2015)),
        ImportedLink("https://c.example/3", "Three", ("imp",)),
    ]
    with connection.execute_wrapper(save_by_hand_first):
        report = import_links(user, rows)
    assert added_by_hand, "the import wrote no links"
    assert (report.added, report.merged, report.rejected) == (2, 1, [])
    assert report.queued == 2  # the hand-saved link keeps its own capture
    assert Link.objects.filter(owner=user).count() == 3
    merged = Link.objects.get(pk=added_by_hand[0].pk)
    assert sorted(merged.tags.values_list("name", flat=True)) == ["hand", "imp"]
    assert (merged.title, merged.note, merged.created) == ("Two", "a note", when(2015))
    assert merged.snapshots.count() == 1
    assert len({h.link_id for h in search(user, "imp").hits}) == 3
    assert [h.link_id for h in search(user, "hand").hits] == [merged.pk]


def _index_rows() -> list[tuple]:
    table, columns = (
        ("search_fts", "rowid, title, tags, site, note, body")
        if connection.vendor == "sqlite"
        else ("search_document", "link_id, owner_id, doc::text")
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} ORDER BY 1")  # noqa: S608
        return cursor.fetchall()


def test_new_links_documents_are_the_ones_a_reindex_writes(user, queue):
    """New links' documents are written from the rows, without reading them back: they
    must be exactly what rewriting them from the library gives (tags as the owner spells
    them, CJK, notes, URLs)."""
    door.save_link(user, "https://old.example/", tags=["Python"])
    rows = [
        ImportedLink("https://a.example/x?q=1", "快照平台 Café", ("python", "新"), "notes ÆØ"),
        ImportedLink("https://B.example/Path#f", "", ("b",), added=when(2016)),
        ImportedLink("https://old.example/", "merged", ("more",)),
    ]
    import_links(user, rows, capture=False)
    written = _index_rows()
    assert len(written) == 3
    reindex_links(Link.objects.filter(owner=user).values_list("pk", flat=True))
    assert _index_rows() == written
    assert {h.link_id for h in search(user, "python").hits} == set(
        Link.objects.filter(owner=user)
        .exclude(url="https://B.example/Path#f")
        .values_list("pk", flat=True)
    )
