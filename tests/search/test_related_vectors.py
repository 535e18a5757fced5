"""Stored related-articles vectors (snapshelf.search.vectors)."""

# ruff: noqa: F811  (the user fixtures are imported)

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection

from snapshelf.library.models import Link
from snapshelf.library.related import related_links
from snapshelf.search import index, vectors
from snapshelf.search import related as engine
from tests.library.conftest import other_user, user  # noqa: F401
from tests.search.test_related import BREAD, BREAD2, DOCKER, DOCKER2, SPACE, names, page

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def library(user):
    return {
        "docker": page(user, "docker", "Docker volumes explained", DOCKER),
        "docker2": page(user, "docker2", "Back up a Docker volume", DOCKER2),
        "bread": page(user, "bread", "Sourdough bread", BREAD),
        "bread2": page(user, "bread2", "Rye sourdough loaf", BREAD2),
        "space": page(user, "space", "Rocket launch", SPACE),
    }


def rows() -> dict[int, tuple[int, dict[str, float]]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT link_id, n, terms, weights FROM {vectors.TABLE}")
        return {pk: (n, vectors._unpack(t, w)) for pk, n, t, w in cursor.fetchall()}


def live_vector(pk: int) -> dict[str, float]:
    counts = vectors.term_counts([pk])[pk]
    n = index.doc_count()
    return engine.weigh(counts, index.df(counts), n)


def assert_same_vector(got: dict[str, float], want: dict[str, float]) -> None:
    assert got.keys() == want.keys() and want
    assert all(got[t] == pytest.approx(w, rel=1e-6) for t, w in want.items())


def test_every_indexed_link_keeps_its_vector(library):
    stored = rows()
    assert stored.keys() == {link.pk for link in library.values()}
    # the last write weighed at today's size; the others are fresh within STALE_SHARE
    n, vector = stored[library["space"].pk]
    assert n == index.doc_count()
    assert_same_vector(vector, live_vector(library["space"].pk))


def test_rebuild_writes_every_vector_with_final_statistics(library):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {vectors.TABLE}")
    index.rebuild()
    stored = rows()
    assert stored.keys() == {link.pk for link in library.values()}
    for pk, (n, vector) in stored.items():
        assert n == index.doc_count()
        assert_same_vector(vector, live_vector(pk))


def test_a_deleted_link_loses_its_vector(library):
    library["bread2"].delete()
    assert library["bread2"].pk not in rows()


def test_related_reads_the_stored_vectors(library):
    """A tampered row changes the answer: the candidates' vectors come from the table."""
    docker, docker2 = library["docker"], library["docker2"]
    assert names(related_links(docker, limit=1)) == ["docker2"]
    n = index.doc_count()
    terms, weights = vectors._pack({"sourdough": 1.0})  # a vector sharing nothing
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {vectors.TABLE} SET terms = %s, weights = %s, n = %s WHERE link_id = %s",
            [terms, weights, n, docker2.pk],
        )
    cache.clear()
    assert "docker2" not in names(related_links(docker))


@pytest.mark.parametrize("state", ["missing", "stale"])
def test_missing_or_stale_rows_are_weighed_from_the_text(library, state):
    docker, docker2 = library["docker"], library["docker2"]
    vectors.rebuild()  # every row weighed with today's statistics, as the text would be
    want = [(r.link.pk, r.score) for r in related_links(docker)]
    terms, weights = vectors._pack({"sourdough": 1.0})
    with connection.cursor() as cursor:
        if state == "missing":
            cursor.execute(f"DELETE FROM {vectors.TABLE} WHERE link_id = %s", [docker2.pk])
        else:  # weighed when the library was 10 times bigger: not used
            cursor.execute(
                f"UPDATE {vectors.TABLE} SET terms = %s, weights = %s, n = %s WHERE link_id = %s",
                [terms, weights, 10 * index.doc_count(), docker2.pk],
            )
    cache.clear()
    got = [(r.link.pk, r.score) for r in related_links(docker)]
    assert [pk for pk, _s in got] == [pk for pk, _s in want]
    assert [s for _pk, s in got] == pytest.approx([s for _pk, s in want], rel=1e-5)


def test_index_writes_refresh_stale_rows(user, library):
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {vectors.TABLE} SET n = 1 WHERE link_id = %s", [library["bread"].pk]
        )
    page(user, "other", "Unrelated", "Knitting patterns for winter scarves.")
    n, vector = rows()[library["bread"].pk]
    assert n == index.doc_count()
    assert_same_vector(vector, live_vector(library["bread"].pk))


def test_related_queries_stay_bounded(library, django_assert_max_num_queries):
    docker = Link.objects.get(pk=library["docker"].pk)
    with django_assert_max_num_queries(16):
        assert names(related_links(docker, limit=1)) == ["docker2"]
