"""Stored related-articles vectors (snapshelf.related.vectors) and the candidate prefilter
(the search backend's `prefiltered`)."""

# ruff: noqa: F811  (the user fixtures are imported)

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from snapshelf.library.models import Link
from snapshelf.related import engine, vectors
from snapshelf.related.links import related_links
from snapshelf.search import index
from snapshelf.search.backends import get_backend
from snapshelf.search.documents import documents
from tests.library.conftest import other_user, user  # noqa: F401
from tests.search.test_related import (  # noqa: F401 (_clear_cache: an autouse fixture)
    BREAD,
    BREAD2,
    DOCKER,
    DOCKER2,
    SPACE,
    _clear_cache,
    names,
    page,
)

pytestmark = pytest.mark.django_db


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


def test_related_stores_the_vectors_it_weighs(library):
    assert rows() == {}  # captures write no vectors: their commits stay short
    related_links(library["docker"])
    stored = rows()
    assert library["docker2"].pk in stored  # a candidate, weighed from its text and kept
    n, vector = stored[library["docker2"].pk]
    assert n == index.doc_count()
    assert_same_vector(vector, live_vector(library["docker2"].pk))


def test_an_index_write_drops_the_links_row(user, library):
    index.rebuild()
    bread = library["bread"]
    assert bread.pk in rows()
    bread.note = "now with caraway seeds"
    bread.save()  # re-indexed: its stored vector no longer describes it
    assert bread.pk not in rows()
    assert library["bread2"].pk in rows()


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


def test_stale_rows_are_written_back(library):
    index.rebuild()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {vectors.TABLE} SET n = 1 WHERE link_id = %s", [library["docker2"].pk]
        )
    related_links(library["docker"])
    n, vector = rows()[library["docker2"].pk]
    assert n == index.doc_count()
    assert_same_vector(vector, live_vector(library["docker2"].pk))


def test_prefilter_ranks_by_weight_times_idf():
    signature = [("rare", 1.0), ("common", 1.0), ("heavy", 3.0)]
    df = {"rare": 1, "common": 50, "heavy": 50}
    holders = {"rare": [1], "common": [1, 2, 3, 4], "heavy": [3, 5]}
    # 1: rare + common; 3: common + heavy (weight 3); 5: heavy; 2 and 4: common alone
    assert engine.prefilter(signature, holders, df, 100) == [1, 3, 5, 4, 2]  # ties: newer
    assert engine.prefilter(signature, holders, df, 100, limit=2, exclude=(1,)) == [3, 5]


def test_lookup_terms_keep_the_rarest_within_the_postings_budget(monkeypatch):
    monkeypatch.setattr(engine, "PREFILTER_POSTINGS_SHARE", 0.1)
    monkeypatch.setattr(engine, "PREFILTER_MIN_POSTINGS", 0)
    signature = [("heavy", 0.9), ("common", 0.5), ("rare", 0.3), ("mid", 0.1)]
    df = {"heavy": 40, "common": 60, "rare": 5, "mid": 30}
    # budget 0.1 * 1000 = 100 postings: rare (5) + mid (30) + heavy (40); common would pass it
    assert engine.lookup_terms(signature, df, 1000) == [("heavy", 0.9), ("rare", 0.3), ("mid", 0.1)]
    assert engine.lookup_terms(signature, df, 10_000) == signature  # all fit in 1,000
    # even a term past the budget alone is looked up: a signature never goes unanswered
    assert engine.lookup_terms([("common", 0.5)], df, 100) == [("common", 0.5)]
    monkeypatch.setattr(engine, "PREFILTER_MIN_POSTINGS", 200)
    assert engine.lookup_terms(signature, df, 1000) == signature  # the floor: 200 postings


def test_the_prefilter_reads_only_the_budgeted_terms(user, library, monkeypatch):
    """PostgreSQL is asked for the postings of the looked-up terms only; SQLite, whose
    BM25 pick reads its own postings cheaply, for every signature term."""
    asked: list[list[str]] = []
    backend = get_backend()
    prefilter = backend.prefiltered
    monkeypatch.setattr(
        backend,
        "prefiltered",
        lambda owner, weights, **kw: (
            asked.append([t for t, _w in weights]) or prefilter(owner, weights, **kw)
        ),
    )
    related_links(library["docker"])
    every = asked.pop()
    assert len(every) > 2
    cache.clear()
    monkeypatch.setattr(engine, "PREFILTER_POSTINGS_SHARE", 0.0)
    monkeypatch.setattr(engine, "PREFILTER_MIN_POSTINGS", 0)
    related_links(library["docker"])
    if connection.vendor == "postgresql":
        assert len(asked.pop()) == 1  # the budget spent on the rarest term alone
    else:
        assert asked.pop() == every


def test_prefilter_keeps_to_the_owners_links(user, other_user, library, monkeypatch):
    """On SQLite the index knows no owner: another library full of better matches must
    not crowd this owner's links out of the pick."""
    for i in range(3):
        page(other_user, f"theirs{i}", "Docker volumes explained", DOCKER, url=f"https://t/{i}")
    monkeypatch.setattr(engine, "PREFILTER", 1)
    got = related_links(library["docker"])
    assert names(got) == ["docker2"]
    assert all(r.link.owner_id == library["docker"].owner_id for r in got)


def test_queries_do_not_grow_with_the_candidates(user, library, monkeypatch):
    """One statement per step, whatever the number of candidates (no per-link lookups)."""
    loaded: list[int] = []
    load = vectors.load
    monkeypatch.setattr(vectors, "load", lambda ids, n: loaded.append(len(ids)) or load(ids, n))

    def count() -> int:
        cache.clear()
        docker = Link.objects.get(pk=library["docker"].pk)
        with CaptureQueriesContext(connection) as ctx:
            assert names(related_links(docker, limit=1)) == ["docker2"]
        return len(ctx.captured_queries)

    few = count()
    for i in range(12):
        text = f"Shipping container {i} reached the port {i} with its cargo of {i} crates."
        page(user, f"more{i}", f"Port log {i}", text)  # candidates, weaker than docker2
    vectors.rebuild()  # no stale rows: the same path as before, with more candidates
    assert count() <= few  # (fewer when document frequencies are cached already)
    assert loaded[-1] >= loaded[0] + 12


def test_the_database_prefilter_is_the_engines(user, library):
    """The backend's prefiltered (SQL) orders links as engine.prefilter does over the same
    holders: the product runs the maths related_quality.py measures."""
    page(user, "docker3", "Docker volume drivers", DOCKER2 + " Drivers and plugins.")
    docs = {d.link_id: d for d in documents(list(Link.objects.values_list("pk", flat=True)))}
    source = library["docker"].pk
    signature = [("docker", 0.5), ("volume", 0.4), ("container", 0.3), ("bread", 0.2)]
    holders = {
        t: [pk for pk, d in docs.items() if t in f"{d.title} {d.tags} {d.body}".split()]
        for t, _w in signature
    }
    n = index.doc_count()
    df = index.df([t for t, _w in signature])
    want = engine.prefilter(signature, holders, df, n, exclude=(source,))
    weights = [(t, w * engine.idf_bm25(df[t], n)) for t, w in signature]
    backend = get_backend()
    got = [
        pk
        for pk, _t in backend.prefiltered(
            user.pk, weights, exclude=source, public_only=False, limit=10
        )
    ]
    assert got == want and len(got) >= 4
    # with the topic vectors stored under a model, read in the same statement
    vectors.store_topics({got[0]: b"\x01" * 8, got[1]: b"\x02" * 8}, model=7)
    vectors.store_topics({got[2]: b"\x03" * 8}, model=6)  # another model's: not this one's
    paired = backend.prefiltered(
        user.pk, weights, exclude=source, public_only=False, limit=10, topic_model=7
    )
    assert [pk for pk, _t in paired] == want
    assert [t for _pk, t in paired[:3]] == [b"\x01" * 8, b"\x02" * 8, None]


def test_the_document_count_is_reused_until_the_index_changes(user, library, monkeypatch):
    """vectors.cached_count spares related a count(*) per call, but not past a write."""
    before = vectors.cached_count()
    assert before == index.doc_count()
    calls: list[int] = []
    count = index.doc_count
    monkeypatch.setattr(index, "doc_count", lambda: calls.append(1) or count())
    assert vectors.cached_count() == before and not calls  # reused
    page(user, "later", "A later page", "Written after the count was kept.")
    assert vectors.cached_count() == before + 1  # this process wrote: counted again
    monkeypatch.setattr(vectors, "COUNT_SECONDS", 0.0)
    vectors.cached_count()
    assert len(calls) == 2  # and again once it is older than COUNT_SECONDS
