"""Older versions searchable with a flag: in:versions / --all-versions (both backends)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Max

from snapshelf.cli import main as cli_main
from snapshelf.library.models import Link, Snapshot
from snapshelf.library.records import get_or_create_link
from snapshelf.search import index
from snapshelf.search.backends import postgres, sqlite
from snapshelf.search.query import parse

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user("alice", "", "alice-password-123")


@pytest.fixture
def bob(db):
    return get_user_model().objects.create_user("bob", "", "bob-password-123")


def capture_text(owner, url: str, text: str, *, title: str = "A page") -> Snapshot:
    """A new finished version of the link at `url`, committed the way a capture commits
    (the snapshot is done, then reindex_links runs in the same transaction)."""
    link, _ = get_or_create_link(owner, url)
    version = (link.snapshots.aggregate(v=Max("version"))["v"] or 0) + 1
    snap = Snapshot.objects.create(
        link=link, version=version, status=Snapshot.Status.DONE, title=title, text=text
    )
    Link.objects.filter(pk=link.pk).update(latest_snapshot=snap)
    index.reindex_links([link.pk])
    return snap


def ids(owner, q: str, **kw) -> list[int]:
    return [h.link_id for h in index.search(owner, q, **kw).hits]


def version_rows() -> int:
    table = postgres.VTABLE if connection.vendor == "postgresql" else sqlite.VFTS
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        return cursor.fetchone()[0]


@pytest.fixture
def bird(alice) -> Link:
    """v1 was about kiwis, v2 (the latest) is about the kakapo."""
    capture_text(alice, "https://example.org/bird", "The kiwi is a flightless bird.")
    snap = capture_text(alice, "https://example.org/bird", "The kakapo is a nocturnal parrot.")
    return snap.link


def test_parser_reads_the_flag():
    assert parse("in:versions kiwi").all_versions
    assert parse("IN:Versions kiwi").all_versions
    assert not parse("kiwi").all_versions
    unknown = parse("in:trash kiwi")
    assert not unknown.all_versions and any("in:versions" in str(h) for h in unknown.hints)


def test_older_text_matches_only_with_the_flag(alice, bird):
    assert ids(alice, "kiwi") == []
    assert ids(alice, "in:versions kiwi") == [bird.pk]
    assert ids(alice, "kiwi", all_versions=True) == [bird.pk]
    assert ids(alice, "kakapo") == [bird.pk]


def test_one_row_per_link_and_the_snippet_names_the_version(alice, bird):
    capture_text(alice, "https://example.org/bird", "Kiwi chicks hatch large. A kiwi again.")
    capture_text(alice, "https://example.org/bird", "Only parrots now.")
    hits = index.search(alice, "in:versions kiwi").hits
    assert [h.link_id for h in hits] == [bird.pk]
    (hit,) = hits
    v3 = bird.snapshots.get(version=3)
    assert (hit.version, hit.matched_snapshot_id) == (3, v3.pk)
    assert hit.snippet_text.startswith("[v3] ") and "Kiwi chicks" in hit.snippet_text
    assert 'class="snippet-version">v3</span>' in hit.snippet_html
    assert "<mark>Kiwi</mark>" in hit.snippet_html
    bird.refresh_from_db()
    assert hit.snapshot_id == bird.latest_snapshot_id != v3.pk  # the row is still the link


def test_current_matches_have_no_version_label(alice, bird):
    (hit,) = index.search(alice, "in:versions kakapo").hits
    assert hit.version is None and "v1" not in hit.snippet_text
    assert "<mark>kakapo</mark>" in hit.snippet_html


def test_each_word_may_come_from_current_text_or_an_older_version(alice, bird):
    assert ids(alice, "kakapo kiwi") == []
    assert ids(alice, "in:versions kakapo kiwi") == [bird.pk]
    assert ids(alice, "in:versions kakapo emu") == []
    assert ids(alice, 'in:versions "flightless bird"') == [bird.pk]
    assert ids(alice, 'in:versions "kiwi parrot"') == []  # a phrase stays in one text
    assert ids(alice, "in:versions kiwi -kakapo") == []  # exclusions: the current text


def test_current_matches_rank_first_and_pages_span_both(alice, bird):
    newer = capture_text(alice, "https://example.org/kiwi", "Kiwi, kiwi and more kiwi.").link
    also = capture_text(alice, "https://example.org/nz", "Kiwi birds of New Zealand.").link
    capture_text(alice, "https://example.org/moa", "Moas were large.")  # never kiwi
    capture_text(alice, "https://example.org/moa", "The moa is extinct.")
    order = ids(alice, "in:versions kiwi")
    assert set(order[:2]) == {newer.pk, also.pk} and order[2:] == [bird.pk]
    scores = [h.score for h in index.search(alice, "in:versions kiwi").hits]
    assert scores[2] == 0.0 < min(scores[:2])
    paged = [ids(alice, "in:versions kiwi", limit=1, offset=n) for n in range(4)]
    assert paged == [[order[0]], [order[1]], [order[2]], []]
    page = index.search(alice, "in:versions kiwi", limit=2, offset=1)
    assert [h.link_id for h in page.hits] == order[1:] and not page.has_next
    assert index.search(alice, "in:versions kiwi", limit=2).has_next


def test_public_searches_never_see_older_versions(alice, bird):
    Link.objects.filter(pk=bird.pk).update(visibility=Link.Visibility.PUBLIC)
    assert ids(alice, "in:versions kiwi") == [bird.pk]
    assert ids(alice, "in:versions kiwi", public_only=True) == []
    assert ids(alice, "kiwi", all_versions=True, public_only=True) == []
    assert ids(alice, "kakapo", all_versions=True, public_only=True) == [bird.pk]


def test_filters_still_apply(alice, bird):
    assert ids(alice, "in:versions kiwi is:favorite") == []
    Link.objects.filter(pk=bird.pk).update(favorite=True)
    assert ids(alice, "in:versions kiwi is:favorite") == [bird.pk]
    assert ids(alice, "in:versions kiwi site:example.org") == [bird.pk]
    assert ids(alice, "in:versions kiwi site:example.com") == []


def test_owner_scoped(alice, bob, bird):
    capture_text(bob, "https://example.org/bob", "Kiwi fruit salad.")
    capture_text(bob, "https://example.org/bob", "Now about apples.")
    assert ids(bob, "in:versions kiwi") != [] and bird.pk not in ids(bob, "in:versions kiwi")
    assert ids(alice, "in:versions salad") == []


def test_rows_follow_the_captures(alice, bird):
    assert version_rows() == 1
    bird.tags.add(*[])  # edits that do not change captures keep the rows as they are
    Link.objects.get(pk=bird.pk).save()
    assert version_rows() == 1
    capture_text(alice, "https://example.org/bird", "Third text.")
    assert version_rows() == 2
    # deleting an older version takes its text out of in:versions
    bird.snapshots.get(version=1).delete()
    assert version_rows() == 1 and ids(alice, "in:versions kiwi") == []
    # deleting the latest makes the previous one current again (not an older row)
    bird.snapshots.get(version=3).delete()
    assert version_rows() == 0
    assert ids(alice, "kakapo") == [bird.pk]
    Link.objects.get(pk=bird.pk).delete()
    assert version_rows() == 0


def test_deleting_a_link_removes_its_older_rows(alice, bird):
    capture_text(alice, "https://example.org/other", "Kiwi one.")
    capture_text(alice, "https://example.org/other", "Kiwi two.")
    assert version_rows() == 2
    Link.objects.filter(pk=bird.pk).delete()
    assert version_rows() == 1
    assert ids(alice, "in:versions flightless") == []


def test_unfinished_versions_are_not_older_versions(alice, bird):
    Snapshot.objects.create(link=bird, version=3, status=Snapshot.Status.FAILED, text="emu emu")
    index.reindex_links([bird.pk])
    assert ids(alice, "in:versions emu") == [] and version_rows() == 1


def test_rebuild_restores_older_versions(alice, bird):
    index.clear()
    assert ids(alice, "in:versions kiwi") == [] and version_rows() == 0
    assert index.rebuild() == 1
    assert version_rows() == 1
    assert ids(alice, "in:versions kiwi") == [bird.pk]
    assert ids(alice, "kiwi") == []


def test_an_upgraded_instance_indexes_its_older_versions_once(alice, bird):
    assert not index.versions_missing()
    with connection.cursor() as cursor:  # as before the older-versions table existed
        table = postgres.VTABLE if connection.vendor == "postgresql" else sqlite.VFTS
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    assert index.versions_missing() and ids(alice, "in:versions kiwi") == []
    assert index.index_versions() == 1
    assert not index.versions_missing() and ids(alice, "in:versions kiwi") == [bird.pk]
    assert index.index_versions() == 1  # idempotent


def test_no_older_version_means_nothing_missing(alice):
    capture_text(alice, "https://example.org/one", "Only one version.")
    assert not index.versions_missing()


def test_cli_all_versions(alice, bird, capsys):
    assert cli_main(["search", "kiwi", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert cli_main(["search", "kiwi", "--all-versions", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["link_id"] == bird.pk and row["version"] == 1
    assert row["snippet"].startswith("[v1] ") and "kiwi" in row["snippet"]
    assert row["matched_snapshot_id"] == bird.snapshots.get(version=1).pk
